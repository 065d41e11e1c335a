// What every admin command shares: the connection options (--url, --bind-dn and the password
// from --password-file, FORESTD_PASSWORD or a prompt), the LDAP client (ldapts), output as an
// aligned table or --json, and errors that say what to do, with stable exit codes.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Client, Control, type Entry } from 'ldapts';
import type { BerWriter } from 'ldapts';

/** Exit codes of the admin commands (stable: scripts test them). */
export const EXIT = {
  ok: 0,
  /** the server refused the operation (an LDAP result code other than those below) */
  refused: 1,
  /** bad command line */
  usage: 2,
  /** could not connect, or the bind failed */
  connect: 3,
  /** the object named does not exist */
  notFound: 4,
  /** the command is not supported by this DC yet */
  notSupported: 5,
} as const;

/** A failure the user can act on; `exit` is one of EXIT, `code` a stable name. */
export class AdminError extends Error {
  constructor(
    message: string,
    readonly exit: number,
    readonly code: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  'bind-dn': { type: 'string' },
  'password-file': { type: 'string' },
  ca: { type: 'string' },
  'tls-insecure': { type: 'boolean' },
  starttls: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const CONNECTION_USAGE = `connection options (every command):
  --url URL            ldap://HOST:PORT or ldaps://HOST:PORT (env FORESTD_URL)
  --bind-dn DN         who to bind as: a DN, a UPN (user@realm) or DOMAIN\\user (env FORESTD_BIND_DN)
  --password-file FILE the bind password, first line of FILE; else env FORESTD_PASSWORD; else a prompt
  --ca FILE            the CA certificate (PEM) to trust for ldaps:// and StartTLS (a forestd DC's is DATA/tls/cert.pem)
  --tls-insecure       do not verify the server's certificate
  --starttls           run StartTLS before binding (secret writes on an ldap:// URL do it anyway)
  --json               machine-readable output on stdout
exit codes: 0 done, 1 the server refused, 2 bad usage, 3 cannot connect or bind, 4 no such object, 5 not supported`;

export interface ConnectionSettings {
  url: string;
  bindDN: string;
  password: string;
  ca?: string;
  insecure: boolean;
  starttls: boolean;
  json: boolean;
}

export interface Parsed<O> {
  values: O;
  positionals: string[];
}

/** parseArgs with the connection options added; a bad option is a usage error. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...CONNECTION_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new AdminError((e as Error).message, EXIT.usage, 'ERR_USAGE');
  }
}

export function usage(message: string): AdminError {
  return new AdminError(message, EXIT.usage, 'ERR_USAGE');
}

export async function connectionSettings(values: Record<string, unknown>): Promise<ConnectionSettings> {
  const url = (values.url as string | undefined) ?? process.env.FORESTD_URL;
  const bindDN = (values['bind-dn'] as string | undefined) ?? process.env.FORESTD_BIND_DN;
  if (!url) throw usage('give the DC to talk to with --url ldap://HOST:PORT (or ldaps://)');
  if (!/^ldaps?:\/\/[^/]+\/?$/i.test(url)) throw usage(`--url must be ldap://HOST:PORT or ldaps://HOST:PORT, not ${JSON.stringify(url)}`);
  if (!bindDN) throw usage('give who to bind as with --bind-dn (a DN, user@realm or DOMAIN\\user)');
  return {
    url,
    bindDN,
    password: await bindPassword(values['password-file'] as string | undefined),
    ca: values.ca as string | undefined,
    insecure: values['tls-insecure'] === true,
    starttls: values.starttls === true,
    json: values.json === true,
  };
}

/** --password-file FILE, else FORESTD_PASSWORD, else a prompt on the terminal. */
async function bindPassword(file: string | undefined): Promise<string> {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw usage(`cannot read --password-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const pw = text.split(/\r?\n/)[0]!;
    if (!pw) throw usage(`--password-file ${file} is empty`);
    return pw;
  }
  const env = process.env.FORESTD_PASSWORD;
  if (env) return env;
  return promptSecret('password: ');
}

/** Reads a line from the terminal without echo; refuses when stdin is not a terminal. */
export async function promptSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw usage('no password: give --password-file FILE or set FORESTD_PASSWORD (stdin is not a terminal to prompt on)');
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new AdminError('interrupted', 130, 'ERR_INTERRUPTED'));
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** An LDAP session to the DC, bound; with StartTLS first when asked or when `secret` on ldap://. */
export class Session {
  private constructor(
    readonly client: Client,
    readonly settings: ConnectionSettings,
    private rootDse?: Entry,
  ) {}

  static async open(s: ConnectionSettings, opts: { secret?: boolean } = {}): Promise<Session> {
    const tlsOptions: import('node:tls').ConnectionOptions = { rejectUnauthorized: !s.insecure };
    if (s.ca) tlsOptions.ca = [readCa(s.ca)];
    if (s.insecure) tlsOptions.checkServerIdentity = () => undefined;
    const plain = s.url.toLowerCase().startsWith('ldap://');
    // ldapts takes any tlsOptions as "connect with TLS": give them only for ldaps://
    const client = new Client({ url: s.url, ...(plain ? {} : { tlsOptions }), connectTimeout: 10_000, timeout: 600_000 });
    try {
      if (plain && (s.starttls || opts.secret)) await client.startTLS(tlsOptions);
      await client.bind(s.bindDN, s.password);
    } catch (e) {
      await client.unbind().catch(() => {});
      throw connectError(e, s);
    }
    return new Session(client, s);
  }

  /** the rootDSE (cached) */
  async root(): Promise<Entry> {
    if (!this.rootDse) {
      const r = await this.client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['defaultNamingContext', 'configurationNamingContext', 'schemaNamingContext', 'rootDomainNamingContext', 'dnsHostName', 'dsServiceName'] });
      this.rootDse = r.searchEntries[0]!;
    }
    return this.rootDse;
  }

  async domainDN(): Promise<string> {
    return String((await this.root()).defaultNamingContext);
  }

  async close(): Promise<void> {
    await this.client.unbind().catch(() => {});
  }
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw usage(`cannot read --ca ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function connectError(e: unknown, s: ConnectionSettings): AdminError {
  const err = e as Error & { code?: number | string };
  if (typeof err.code === 'number') {
    if (err.code === 49) return new AdminError(`bind as ${s.bindDN} failed: ${err.message}`, EXIT.connect, 'ERR_BIND', 'check --bind-dn and the password (a locked-out account says data 775)');
    return ldapError(e, 'bind');
  }
  const sys = String(err.code ?? '');
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(sys) || /certificate/i.test(err.message))
    return new AdminError(`TLS to ${s.url} failed: ${err.message}`, EXIT.connect, 'ERR_TLS', "trust the DC's certificate with --ca FILE (a forestd DC's is DATA/tls/cert.pem), or --tls-insecure");
  return new AdminError(`cannot reach ${s.url}: ${sys ? `${sys} ` : ''}${err.message}`, EXIT.connect, 'ERR_CONNECT', 'is forestd serving there? (forestd serve prints the URLs it listens on)');
}

// What to do, by AD's Win32 error code (the 8 hex digits that start AD's diagnostic message),
// else by LDAP result code.
const WIN32_HINTS: Record<number, string> = {
  0x0000001f: 'secrets (unicodePwd) need an encrypted connection: use an ldaps:// URL or --starttls',
  0x0000052d: 'the password does not meet the domain policy (forestd domain policy show)',
  0x00000561: 'that member is not in the group (forestd group members GROUP)',
  0x00000562: 'that member is already in the group',
  0x00002071: 'an object with that name exists: pick another name, or delete it first',
  0x00000524: 'an account with that sAMAccountName exists: pick another name',
  0x00002030: 'check the DN or name: the object does not exist',
  0x00002098: 'bind as an account with the rights (e.g. Administrator)',
  0x0000208d: 'no object has that DN (for an add: its parent does not exist; check --ou / --parent)',
};
const LDAP_HINTS: Record<number, string> = {
  32: 'check the DN or name',
  34: 'the DN is not well formed',
  50: 'bind as an account with the rights (e.g. Administrator)',
  65: 'the object class does not allow this attribute, or a mandatory one is missing',
};

/** Maps an LDAP error from ldapts to an AdminError with AD's diagnostic and a hint. */
export function ldapError(e: unknown, what: string): AdminError {
  if (e instanceof AdminError) return e;
  const err = e as Error & { code?: number };
  if (typeof err.code !== 'number') return new AdminError(`${what}: ${err.message}`, EXIT.refused, 'ERR_LDAP');
  const exit = err.code === 32 ? EXIT.notFound : err.code === 49 ? EXIT.connect : EXIT.refused;
  const message = err.message.replace(/ Code: 0x[0-9a-f]+$/i, '');
  const win32 = /^([0-9A-Fa-f]{8}):/.exec(message)?.[1];
  const hint = (win32 && WIN32_HINTS[parseInt(win32, 16)]) || LDAP_HINTS[err.code];
  return new AdminError(`${what}: LDAP result ${err.code}: ${message}`, exit, `LDAP_${err.code}`, hint);
}

/** Runs `fn` and turns failures into AdminErrors naming `what`. */
export async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw ldapError(e, what);
  }
}

// ----------------------------------------------------------------------------- output

export type Row = Record<string, string | number | boolean | null | string[]>;

/** An aligned table (header, a rule, rows) for people. */
export function table(rows: Row[], columns: string[]): string {
  const cell = (v: Row[string] | undefined) => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join(';') : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n') + '\n';
}

/** Two columns, name and value, for one object. */
export function keyValues(pairs: [string, string | string[]][]): string {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  const out: string[] = [];
  for (const [k, v] of pairs) {
    const vs = Array.isArray(v) ? v : [v];
    if (vs.length === 0) out.push(`${k.padEnd(w)}  `);
    vs.forEach((x, i) => out.push(`${(i === 0 ? k : '').padEnd(w)}  ${x}`));
  }
  return out.map((l) => l.trimEnd()).join('\n') + '\n';
}

export function print(s: ConnectionSettings | { json: boolean }, human: () => string, json: unknown): void {
  process.stdout.write(s.json ? JSON.stringify(json, null, 2) + '\n' : human());
}

// ----------------------------------------------------------------------------- LDAP helpers

/** Escapes a value for an RFC 4515 filter. */
export function filterValue(v: string): string {
  return v.replace(/[\\*()\u0000]/g, (c) => '\\' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** Escapes a value for an RFC 4514 RDN. */
export function rdnValue(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

export const str = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
export const strs = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(str) : [str(v)]);
export const first = (v: unknown): string | undefined => strs(v)[0];

/**
 * The DN of a security principal or object: a DN as given (it has '='), else the object of the
 * domain whose sAMAccountName is `name` (`alsoDollar`: or `name$`, for computers).
 */
export async function resolveName(s: Session, name: string, objectClass: string, alsoDollar = false): Promise<string> {
  if (name.includes('=')) return name;
  const base = await s.domainDN();
  const names = alsoDollar && !name.endsWith('$') ? [name, `${name}$`] : [name];
  const filter = `(&(objectClass=${objectClass})(|${names.map((n) => `(sAMAccountName=${filterValue(n)})`).join('')}))`;
  const r = await attempt(`looking up ${name}`, () => s.client.search(base, { scope: 'sub', filter, attributes: ['1.1'] }));
  if (r.searchEntries.length === 0) throw new AdminError(`no ${objectClass} named ${JSON.stringify(name)} in ${base}`, EXIT.notFound, 'ERR_NOT_FOUND', 'give the sAMAccountName or the full DN');
  return r.searchEntries[0]!.dn;
}

/** An LDAP control with a BER value already encoded (ldapts writes the OCTET STRING). */
export class RawControl extends Control {
  constructor(
    oid: string,
    private readonly value: Buffer,
    critical = true,
  ) {
    super(oid, { critical });
  }
  protected override writeControl(writer: BerWriter): void {
    writer.writeBuffer(this.value, 0x04);
  }
}

/** LDAP_SERVER_SD_FLAGS_OID (MS-ADTS 3.1.1.3.4.1.11): SEQUENCE { INTEGER flags }. */
export function sdFlagsControl(flags: number): Control {
  return new RawControl('1.2.840.113556.1.4.801', Buffer.from([0x30, 0x03, 0x02, 0x01, flags & 0x7f]));
}

/** The quoted UTF-16LE form unicodePwd takes (MS-ADTS 3.1.1.3.1.5). */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

/** A new password for an account: --new-password-file, else env FORESTD_NEW_PASSWORD, else a prompt (twice). */
export async function newPassword(file: string | undefined): Promise<string> {
  if (file !== undefined) {
    try {
      const pw = readFileSync(file, 'utf8').split(/\r?\n/)[0]!;
      if (!pw) throw usage(`--new-password-file ${file} is empty`);
      return pw;
    } catch (e) {
      if (e instanceof AdminError) throw e;
      throw usage(`cannot read --new-password-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (process.env.FORESTD_NEW_PASSWORD) return process.env.FORESTD_NEW_PASSWORD;
  const a = await promptSecret('new password: ');
  const b = await promptSecret('again: ');
  if (a !== b) throw usage('the two passwords differ');
  return a;
}

/** AD's large-integer times (100 ns since 1601) as ISO text; 0 and 2^63-1 are "never". */
export function fileTime(v: string | undefined): string {
  if (v === undefined) return '';
  const n = BigInt(v);
  if (n === 0n || n === 0x7fffffffffffffffn) return 'never';
  return new Date(Number((n - 116444736000000000n) / 10000n)).toISOString();
}

export { Entry };
