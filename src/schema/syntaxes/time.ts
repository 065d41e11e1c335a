// The Time comparison rule (MS-ADTS 3.1.1.2.2.4.14) shared by String(UTC-Time) and
// String(Generalized-Time): times are measured in granularity of one second (3.1.1.2.2.2,
// footnote †††††). Stored as whole seconds since 1601-01-01 00:00:00 UTC (the DSTIME of the
// state model, as src/util/time.ts), so fractions are dropped (truncated) on input; compared
// numerically. Equality and ordering supported, no substrings.
import { EPOCH_1601_OFFSET_S } from '../../util/time.js';
import { RULES } from './comparison.js';
import { requireNonEmpty } from './common.js';
import { SyntaxValueError, type StoredValue, type Syntax } from './syntax.js';

/** 9999-12-31T23:59:59Z in seconds since 1601. */
export const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000 + EPOCH_1601_OFFSET_S;

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Reads n ASCII digits at i; -1 when any is not a digit. */
function digits(v: Uint8Array, i: number, n: number): number {
  if (i + n > v.length) return -1;
  let x = 0;
  for (let k = 0; k < n; k++) {
    const c = v[i + k]! - 0x30;
    if (c < 0 || c > 9) return -1;
    x = x * 10 + c;
  }
  return x;
}
const isDigit = (v: Uint8Array, i: number) => i < v.length && v[i]! >= 0x30 && v[i]! <= 0x39;

/**
 * Parses a time; returns seconds since 1601 or a reason string.
 * generalized: X.680 GeneralizedTime / RFC 4517 3.3.13 — YYYYMMDDHH[MM[SS]][(.|,)fraction]
 * [Z | (+|-)HH[MM]]; the fraction applies to the last unit given.
 * utc: X.680 UTCTime / RFC 4517 3.3.34 — YYMMDDHHMM[SS][Z | (+|-)HHMM]; years 50–99 are
 * 19xx, 00–49 are 20xx.
 * A missing zone means UTC (Active Directory stores GMT and takes GMT by default). An offset
 * means local time: UTC = local − offset (ISO 8601 / X.680). Seconds 60 (leap) are refused;
 * the result must lie in 1601-01-01 … 9999-12-31.
 */
export function parseTime(v: Uint8Array, generalized: boolean): number | string {
  let i = 0;
  let year: number;
  if (generalized) {
    year = digits(v, 0, 4);
    i = 4;
  } else {
    const yy = digits(v, 0, 2);
    year = yy < 0 ? -1 : yy >= 50 ? 1900 + yy : 2000 + yy;
    i = 2;
  }
  const month = digits(v, i, 2);
  const day = digits(v, i + 2, 2);
  const hour = digits(v, i + 4, 2);
  i += 6;
  if (year < 0 || month < 0 || day < 0 || hour < 0) return generalized ? 'expected YYYYMMDDHH[MM[SS]][.f][Z|±HHMM]' : 'expected YYMMDDHHMM[SS][Z|±HHMM]';
  let minute = 0;
  let second = 0;
  let unit = 3600; // seconds in the last unit given, for a fraction
  if (isDigit(v, i)) {
    minute = digits(v, i, 2);
    if (minute < 0) return 'bad minutes';
    i += 2;
    unit = 60;
    if (isDigit(v, i)) {
      second = digits(v, i, 2);
      if (second < 0) return 'bad seconds';
      i += 2;
      unit = 1;
    }
  } else if (!generalized) return 'UTC-Time needs minutes';
  let fraction = 0;
  if (generalized && (v[i] === 0x2e || v[i] === 0x2c)) {
    i++;
    const s = i;
    let scale = 1;
    while (isDigit(v, i)) {
      if (i - s < 9) {
        fraction = fraction * 10 + (v[i]! - 0x30);
        scale *= 10;
      }
      i++;
    }
    // "YYYYMMDDHHMMSS.Z": Windows accepts an empty fraction before Z (issue 13, item 3)
    if (i === s && !(v[i] === 0x5a && i + 1 === v.length)) return 'empty fraction';
    fraction = Math.floor((fraction * unit) / scale); // whole seconds; the rest is dropped
  }
  let offset = 0;
  if (i < v.length) {
    const z = v[i]!;
    if (z === 0x5a /* Z */ && i + 1 === v.length) {
      i++;
    } else if (z === 0x2b || z === 0x2d) {
      const oh = digits(v, i + 1, 2);
      let om = 0;
      let len = 3;
      if (isDigit(v, i + 3)) {
        om = digits(v, i + 3, 2);
        len = 5;
      } else if (!generalized) return 'UTC-Time offset needs HHMM';
      if (oh < 0 || om < 0 || oh > 23 || om > 59 || i + len !== v.length) return 'bad time zone offset';
      offset = (oh * 3600 + om * 60) * (z === 0x2d ? -1 : 1);
      i += len;
    } else return `unexpected ${JSON.stringify(String.fromCharCode(z))} at ${i}`;
  }
  if (i !== v.length) return 'trailing characters';
  if (month < 1 || month > 12) return `month ${month}`;
  if (day < 1 || day > DAYS[month - 1]! || (month === 2 && day === 29 && !isLeap(year))) return `day ${day} of month ${month}`;
  if (hour > 23) return `hour ${hour}`;
  if (minute > 59) return `minute ${minute}`;
  if (second > 59) return `second ${second}`;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years < 100 literal, unlike Date.UTC
  d.setUTCHours(hour, minute, second, 0);
  const t = d.getTime() / 1000 + EPOCH_1601_OFFSET_S + fraction - offset;
  if (t < 0 || t > MAX_TIME) return 'outside 1601-01-01 to 9999-12-31';
  return t;
}

function fields(t: number) {
  const d = new Date((t - EPOCH_1601_OFFSET_S) * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return { y: d.getUTCFullYear(), rest: `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`, p };
}

/** AD's GeneralizedTime output form YYYYMMDDHHMMSS.0Z. */
export function formatGeneralized(t: number): string {
  const f = fields(t);
  return `${f.p(f.y, 4)}${f.rest}.0Z`;
}

/** UTCTime output form YYMMDDHHMMSSZ. */
export function formatUtc(t: number): string {
  const f = fields(t);
  return `${f.p(f.y % 100)}${f.rest}Z`;
}

function timeKey(t: number): Buffer {
  // non-negative integer < 2^53: 8-byte big-endian is order-preserving
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(Math.floor(t / 0x100000000), 0);
  b.writeUInt32BE(t % 0x100000000, 4);
  return b;
}

export function makeTimeSyntax(name: string, oMSyntax: number, ldapSyntaxOid: string, generalized: boolean): Syntax {
  const format = generalized ? formatGeneralized : formatUtc;
  return {
    name,
    attributeSyntax: '2.5.5.11',
    oMSyntax,
    ldapSyntaxOid,
    rule: RULES.Time,
    isReference: false,
    fromLdap(value) {
      requireNonEmpty(value, name);
      let t = parseTime(value, generalized);
      // Windows also takes the two-digit-year (UTC-Time) form for a Generalized-Time attribute
      // (issue 13, item 3): YYMMDDHHMM[SS][Z|±HHMM], when the value is not a GeneralizedTime
      if (typeof t === 'string' && generalized) {
        const utc = parseTime(value, false);
        if (typeof utc === 'number') t = utc;
      }
      if (typeof t === 'string') throw new SyntaxValueError(name, t);
      return t;
    },
    toLdap(value) {
      return format(value as number);
    },
    normalize(value) {
      return timeKey(value as number);
    },
    compare(a: StoredValue, b: StoredValue) {
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    },
    assertion(value) {
      let t = parseTime(value, generalized);
      if (typeof t === 'string' && generalized) t = parseTime(value, false);
      return typeof t === 'number' ? t : undefined;
    },
  };
}
