// Times in the state model (MS-ADTS 3.1.1.1.9): AttributeStamp.timeChanged and the
// LinkValueStamp times are whole seconds since January 1, 1601 UTC.

/** Seconds between 1601-01-01 and 1970-01-01. */
export const EPOCH_1601_OFFSET_S = 11644473600;

export type Clock = () => number;

/** The system clock, in seconds since 1601. */
export const systemClock: Clock = () => Math.floor(Date.now() / 1000) + EPOCH_1601_OFFSET_S;

export function secondsSince1601ToDate(s: number): Date {
  return new Date((s - EPOCH_1601_OFFSET_S) * 1000);
}

export function dateToSecondsSince1601(d: Date): number {
  return Math.floor(d.getTime() / 1000) + EPOCH_1601_OFFSET_S;
}

/** GeneralizedTime as Active Directory writes it: YYYYMMDDHHMMSS.0Z (MS-ADTS 3.1.1.2.2.2). */
export function toGeneralizedTime(s: number): string {
  const d = secondsSince1601ToDate(s);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.0Z`;
}
