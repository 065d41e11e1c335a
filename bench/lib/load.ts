// Bulk loading over LDAP with pipelining (several connections, many requests in flight on each)
// and a progress bar; and the benchmark data set, the same for forestd (AD users and groups)
// and for OpenLDAP (inetOrgPerson / groupOfNames).
import { BenchClient } from './client.js';
import type { LdapMessage, ProtocolOp } from '../../src/ldap/protocol/messages.js';

export const USER_PASSWORD = 'BenchPass1'; // no 'X': ldclt would take it for a mask

/** Requests in flight on each connection, and connections: enough to keep the server's group commit busy. */
export interface LoadOptions {
  label: string;
  total: number;
  connections?: number;
  inFlight?: number;
  open: () => Promise<BenchClient>;
}

/** Renders a progress bar on stderr (redrawn in place on a terminal, a line per 10% otherwise). */
export class Progress {
  private readonly t0 = performance.now();
  private lastDraw = 0;
  private lastDecile = -1;
  private finished = false;
  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}
  update(done: number): void {
    if (this.finished) return;
    if (done >= this.total) this.finished = true;
    const now = performance.now();
    const tty = process.stderr.isTTY;
    const decile = Math.floor((10 * done) / this.total);
    if (done < this.total && (tty ? now - this.lastDraw < 100 : decile === this.lastDecile)) return;
    this.lastDraw = now;
    this.lastDecile = decile;
    const w = 30;
    const filled = Math.round((w * done) / this.total);
    const s = (now - this.t0) / 1000;
    const rate = s > 0 ? Math.round(done / s) : 0;
    const line = `  ${this.label.padEnd(28)} [${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ${String(done).padStart(String(this.total).length)}/${this.total}  ${rate}/s  ${s.toFixed(1)} s`;
    process.stderr.write(tty ? `\r${line}${done >= this.total ? '\n' : ''}` : `${line}\n`);
  }
}

export class LoadError extends Error {}

/** Sends every request; fails on the first result code that is not 0 (naming the request). Returns seconds. */
export async function bulkLoad(ops: Iterable<ProtocolOp>, o: LoadOptions): Promise<number> {
  const it = ops[Symbol.iterator]();
  const clients = await Promise.all(Array.from({ length: o.connections ?? 4 }, () => o.open()));
  const bar = new Progress(o.label, o.total);
  let done = 0;
  let failure: Error | undefined;
  const t0 = performance.now();
  const lane = async (c: BenchClient) => {
    while (!failure) {
      const n = it.next();
      if (n.done) return;
      const op = n.value;
      let r: LdapMessage[];
      try {
        r = await c.request(op);
      } catch (e) {
        failure ??= e as Error;
        return;
      }
      const last = r.at(-1)!.protocolOp as { resultCode: number; diagnosticMessage: string };
      if (last.resultCode !== 0) {
        failure ??= new LoadError(`${o.label}: ${describe(op)} -> result ${last.resultCode} ${last.diagnosticMessage}`);
        return;
      }
      bar.update(++done);
    }
  };
  await Promise.all(clients.flatMap((c) => Array.from({ length: o.inFlight ?? 16 }, () => lane(c))));
  for (const c of clients) c.close();
  if (failure) {
    process.stderr.write('\n');
    throw failure;
  }
  bar.update(o.total);
  return (performance.now() - t0) / 1000;
}

/**
 * Every user of `low..high` binds once (simple bind, `dnOf(n)`, USER_PASSWORD), on 8 connections:
 * a domain in use, where each account has logged on before. forestd's first logon of an account
 * writes its lastLogonTimestamp (MS-ADA1 2.352; again only after msDS-LogonTimeSyncInterval, 9–14
 * days), so a bind benchmark on data loaded a moment ago would otherwise measure first logons.
 * Returns the seconds it took.
 */
export async function logonPass(host: string, port: number, dnOf: (n: number) => string, low: number, high: number, password = USER_PASSWORD): Promise<number> {
  const s = performance.now();
  const LANES = 8;
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      const c = await BenchClient.open(host, port);
      for (let n = low + lane; n <= high; n += LANES) {
        const rc = await c.bind(dnOf(n), password);
        if (rc !== 0) throw new LoadError(`logon pass: bind as ${dnOf(n)} -> result ${rc}`);
      }
      c.unbind();
    }),
  );
  return (performance.now() - s) / 1000;
}

export function describe(op: ProtocolOp): string {
  switch (op.type) {
    case 'addRequest':
      return `add ${op.entry}`;
    case 'modifyRequest':
      return `modify ${op.object} (${op.changes.map((c) => `${['add', 'delete', 'replace'][c.operation]} ${c.modification.type}×${c.modification.values.length}`).join(', ')})`;
    case 'delRequest':
      return `delete ${op.entry}`;
    case 'searchRequest':
      return `search ${op.baseObject} scope ${op.scope}`;
    default:
      return op.type;
  }
}

export function addOp(entry: string, attrs: Record<string, (string | Buffer)[]>): ProtocolOp {
  return { type: 'addRequest', entry, attributes: Object.entries(attrs).map(([type, values]) => ({ type, values: values.map((v) => (typeof v === 'string' ? Buffer.from(v) : v)) })) };
}

/** unicodePwd's value: the quoted password in UTF-16LE. */
export function unicodePwd(pw: string): Buffer {
  return Buffer.from(`"${pw}"`, 'utf16le');
}

// ------------------------------------------------------------------------------ the data set
/** The data set: users user0..user{users-1}; groups group0.. of groupSize members each (group g holds users (g*groupSize+i) mod users). */
export interface DataSet {
  users: number;
  groups: number;
  groupSize: number;
}

/** forestd: AD users (enabled, with a password) under OU=Bench, groups under OU=Groups, OU=Adds for the add case. */
export const adLayout = (baseDN: string, realm: string) => ({
  users: `OU=Bench,${baseDN}`,
  groups: `OU=Groups,${baseDN}`,
  adds: `OU=Adds,${baseDN}`,
  userDN: (n: number) => `CN=user${n},OU=Bench,${baseDN}`,
  upn: (n: number) => `user${n}@${realm}`,
});

export function* adOus(baseDN: string): Generator<ProtocolOp> {
  for (const ou of ['Bench', 'Groups', 'Adds']) yield addOp(`OU=${ou},${baseDN}`, { objectClass: ['organizationalUnit'] });
}

export function adUser(baseDN: string, realm: string, n: number, container = `OU=Bench,${baseDN}`, prefix = 'user'): ProtocolOp {
  return addOp(`CN=${prefix}${n},${container}`, {
    objectClass: ['user'],
    sAMAccountName: [`${prefix}${n}`],
    userPrincipalName: [`${prefix}${n}@${realm}`],
    givenName: [`Given${n}`],
    sn: [`Surname${n}`],
    displayName: [`Bench User ${n}`],
    mail: [`${prefix}${n}@${realm}`],
    employeeNumber: [String(n)],
    description: [`bench user number ${n}`],
    unicodePwd: [unicodePwd(USER_PASSWORD)],
    userAccountControl: ['512'],
  });
}

export function* adUsers(baseDN: string, realm: string, d: DataSet): Generator<ProtocolOp> {
  for (let n = 0; n < d.users; n++) yield adUser(baseDN, realm, n);
}

export function* adGroups(baseDN: string, d: DataSet): Generator<ProtocolOp> {
  const L = adLayout(baseDN, '');
  for (let g = 0; g < d.groups; g++) {
    const members = Array.from({ length: d.groupSize }, (_, i) => L.userDN((g * d.groupSize + i) % d.users));
    yield addOp(`CN=group${g},${L.groups}`, { objectClass: ['group'], sAMAccountName: [`group${g}`], description: [`bench group ${g}`], member: members });
  }
}

/** OpenLDAP: the same users as inetOrgPerson (uid = sAMAccountName), groups as groupOfNames, as LDIF for slapadd. */
export function openldapLdif(suffix: string, domain: string, d: DataSet, hash: (pw: string) => string): string {
  const dc = suffix.split(',')[0]!.split('=')[1]!;
  const out: string[] = [`dn: ${suffix}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: ${dc}\no: ${dc} bench\n`];
  for (const ou of ['bench', 'groups', 'adds']) out.push(`dn: ou=${ou},${suffix}\nobjectClass: organizationalUnit\nou: ${ou}\n`);
  for (let n = 0; n < d.users; n++) {
    out.push(
      `dn: uid=user${n},ou=bench,${suffix}\nobjectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: inetOrgPerson\n` +
        `uid: user${n}\ncn: user${n}\nsn: Surname${n}\ngivenName: Given${n}\ndisplayName: Bench User ${n}\nmail: user${n}@${domain}\n` +
        `employeeNumber: ${n}\ndescription: bench user number ${n}\nuserPassword: ${hash(USER_PASSWORD)}\n`,
    );
  }
  for (let g = 0; g < d.groups; g++) {
    let s = `dn: cn=group${g},ou=groups,${suffix}\nobjectClass: top\nobjectClass: groupOfNames\ncn: group${g}\ndescription: bench group ${g}\n`;
    for (let i = 0; i < d.groupSize; i++) s += `member: uid=user${(g * d.groupSize + i) % d.users},ou=bench,${suffix}\n`;
    out.push(s);
  }
  return out.join('\n');
}
