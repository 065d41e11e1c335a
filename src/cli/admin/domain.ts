// forestd domain policy show|set: the password and lockout policy kept on the domain head
// (MS-SAMR 3.1.5.14.8, the domain field to attribute mapping: minPwdLength, pwdHistoryLength,
// pwdProperties, minPwdAge, maxPwdAge, lockoutThreshold, lockoutDuration, lockOutObservationWindow;
// the fields themselves MS-SAMR 2.2.3.1).
import { Attribute, Change } from 'ldapts';
import { attempt, connectionSettings, CONNECTION_USAGE, EXIT, AdminError, first, keyValues, parse, print, Session, usage } from './common.js';

export const DOMAIN_USAGE = `forestd domain policy COMMAND [options]
  policy show
  policy set [--min-length N] [--history N] [--complexity on|off] [--reversible on|off]
             [--min-age DURATION] [--max-age DURATION|never]
             [--lockout-threshold N] [--lockout-duration DURATION|forever] [--lockout-window DURATION]
      DURATION: a number and a unit, s m h d (e.g. 30m, 42d); 0 for none
${CONNECTION_USAGE}`;

// pwdProperties bits (MS-SAMR 2.2.1.10 DOMAIN_PASSWORD_INFORMATION PasswordProperties)
const DOMAIN_PASSWORD_COMPLEX = 0x1;
const DOMAIN_PASSWORD_STORE_CLEARTEXT = 0x10;

const ATTRS = ['minPwdLength', 'pwdHistoryLength', 'pwdProperties', 'minPwdAge', 'maxPwdAge', 'lockoutThreshold', 'lockoutDuration', 'lockOutObservationWindow'] as const;
const NEVER = '-9223372036854775808';

/** A negative 100-ns interval (how AD keeps these durations) as text: 42d, 30m, never. */
export function intervalText(v: string | undefined): string {
  if (v === undefined) return '';
  const n = BigInt(v);
  if (n === -9223372036854775808n || n === 0x7fffffffffffffffn) return 'never';
  if (n === 0n) return '0';
  let s = (n < 0n ? -n : n) / 10_000_000n;
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400n], ['h', 3600n], ['m', 60n], ['s', 1n]] as const) {
    if (s >= size) {
      parts.push(`${s / size}${unit}`);
      s %= size;
    }
  }
  return parts.join('') || '0';
}

/** "30m" → the negative 100-ns interval AD stores; "never"/"forever" → the largest. */
export function parseInterval(text: string, name: string): string {
  if (/^(never|forever)$/i.test(text)) return NEVER;
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m) throw usage(`--${name} is a duration such as 30m, 12h or 42d (or never), not ${JSON.stringify(text)}`);
  const mult = { '': 1n, s: 1n, m: 60n, h: 3600n, d: 86400n }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  const v = BigInt(m[1]!) * mult * 10_000_000n;
  return v === 0n ? '0' : String(-v);
}

function count(text: string, name: string, max: number): string {
  if (!/^\d+$/.test(text) || Number(text) > max) throw usage(`--${name} is a whole number from 0 to ${max}, not ${JSON.stringify(text)}`);
  return String(Number(text));
}

function onOff(text: string, name: string): boolean {
  if (text === 'on') return true;
  if (text === 'off') return false;
  throw usage(`--${name} is on or off, not ${JSON.stringify(text)}`);
}

export async function domainCommand(args: string[]): Promise<number> {
  const [what, sub, ...rest] = args;
  const { values } = parse(rest, {
    'min-length': { type: 'string' },
    history: { type: 'string' },
    complexity: { type: 'string' },
    reversible: { type: 'string' },
    'min-age': { type: 'string' },
    'max-age': { type: 'string' },
    'lockout-threshold': { type: 'string' },
    'lockout-duration': { type: 'string' },
    'lockout-window': { type: 'string' },
  });
  if (what !== 'policy' || values.help || (sub !== 'show' && sub !== 'set')) {
    if (what === undefined || values.help) {
      process.stdout.write(DOMAIN_USAGE + '\n');
      return values.help ? 0 : EXIT.usage;
    }
    throw new AdminError(`unknown domain command ${JSON.stringify([what, sub].filter(Boolean).join(' '))}\n\n${DOMAIN_USAGE}`, EXIT.usage, 'ERR_USAGE');
  }
  // check every value before connecting
  const changes: [string, string][] = [];
  const props: { complexity?: boolean; reversible?: boolean } = {};
  if (sub === 'set') {
    if (values['min-length'] !== undefined) changes.push(['minPwdLength', count(values['min-length'], 'min-length', 256)]);
    if (values.history !== undefined) changes.push(['pwdHistoryLength', count(values.history, 'history', 1024)]);
    if (values['min-age'] !== undefined) changes.push(['minPwdAge', parseInterval(values['min-age'], 'min-age')]);
    if (values['max-age'] !== undefined) changes.push(['maxPwdAge', parseInterval(values['max-age'], 'max-age')]);
    if (values['lockout-threshold'] !== undefined) changes.push(['lockoutThreshold', count(values['lockout-threshold'], 'lockout-threshold', 65535)]);
    if (values['lockout-duration'] !== undefined) changes.push(['lockoutDuration', parseInterval(values['lockout-duration'], 'lockout-duration')]);
    if (values['lockout-window'] !== undefined) changes.push(['lockOutObservationWindow', parseInterval(values['lockout-window'], 'lockout-window')]);
    if (values.complexity !== undefined) props.complexity = onOff(values.complexity, 'complexity');
    if (values.reversible !== undefined) props.reversible = onOff(values.reversible, 'reversible');
    if (changes.length === 0 && props.complexity === undefined && props.reversible === undefined) throw usage('domain policy set needs at least one setting (see --help)');
  }
  const conn = await connectionSettings(values);
  const s = await Session.open(conn);
  try {
    const dn = await s.domainDN();
    const read = async () => {
      const r = await attempt(`reading ${dn}`, () => s.client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: [...ATTRS] }));
      const e = r.searchEntries[0]!;
      return Object.fromEntries(ATTRS.map((a) => [a, first(e[a])])) as Record<(typeof ATTRS)[number], string | undefined>;
    };
    if (sub === 'set') {
      if (props.complexity !== undefined || props.reversible !== undefined) {
        let p = Number((await read()).pwdProperties ?? 0);
        if (props.complexity !== undefined) p = props.complexity ? p | DOMAIN_PASSWORD_COMPLEX : p & ~DOMAIN_PASSWORD_COMPLEX;
        if (props.reversible !== undefined) p = props.reversible ? p | DOMAIN_PASSWORD_STORE_CLEARTEXT : p & ~DOMAIN_PASSWORD_STORE_CLEARTEXT;
        changes.push(['pwdProperties', String(p)]);
      }
      // one modify: every setting or none
      await attempt(`setting the policy on ${dn}`, () => s.client.modify(dn, changes.map(([type, v]) => new Change({ operation: 'replace', modification: new Attribute({ type, values: [v] }) }))));
    }
    const p = await read();
    const props2 = Number(p.pwdProperties ?? 0);
    const view = {
      dn,
      minPasswordLength: Number(p.minPwdLength ?? 0),
      passwordHistoryLength: Number(p.pwdHistoryLength ?? 0),
      complexity: (props2 & DOMAIN_PASSWORD_COMPLEX) !== 0,
      reversibleEncryption: (props2 & DOMAIN_PASSWORD_STORE_CLEARTEXT) !== 0,
      minPasswordAge: intervalText(p.minPwdAge),
      maxPasswordAge: intervalText(p.maxPwdAge),
      lockoutThreshold: Number(p.lockoutThreshold ?? 0),
      lockoutDuration: intervalText(p.lockoutDuration),
      lockoutObservationWindow: intervalText(p.lockOutObservationWindow),
      raw: p,
    };
    print(
      conn,
      () =>
        keyValues([
          ['domain', dn],
          ['minimum password length', String(view.minPasswordLength)],
          ['password history length', String(view.passwordHistoryLength)],
          ['complexity', view.complexity ? 'on' : 'off'],
          ['reversible encryption', view.reversibleEncryption ? 'on' : 'off'],
          ['minimum password age', view.minPasswordAge],
          ['maximum password age', view.maxPasswordAge],
          ['lockout threshold', view.lockoutThreshold === 0 ? '0 (never locks out)' : String(view.lockoutThreshold)],
          ['lockout duration', view.lockoutDuration],
          ['lockout observation window', view.lockoutObservationWindow],
        ]),
      view,
    );
    return EXIT.ok;
  } finally {
    await s.close();
  }
}
