// forestd dsacl show|add: an object's DACL as readable ACEs; ACEs added from SDDL.
import { Attribute, Change, EqualityFilter } from 'ldapts';
import { attempt, connectionSettings, CONNECTION_USAGE, EXIT, AdminError, first, parse, print, sdFlagsControl, Session, table, usage, type Session as S, type Row } from './common.js';
import { formatSddl, parseSddl, SddlError, sidToSddl, type SddlContext } from '../../security/sddl.js';
import { decodeSecurityDescriptor, encodeSecurityDescriptor, isObjectAceType, ACE_TYPE, INHERITED_ACE, OBJECT_INHERIT_ACE, CONTAINER_INHERIT_ACE, INHERIT_ONLY_ACE, NO_PROPAGATE_INHERIT_ACE, SE_DACL_PRESENT, type Ace } from '../../security/security-descriptor.js';
import { sidToString } from '../../schema/syntaxes/string-sid.js';

// SD_FLAGS (MS-ADTS 3.1.1.3.4.1.11): DACL_SECURITY_INFORMATION
const DACL_SECURITY_INFORMATION = 0x4;

export const DSACL_USAGE = `forestd dsacl COMMAND DN [options]
  show DN                        the DACL, one ACE a row: type, trustee, rights, object type, inheritance
  add DN --sddl '(A;CI;RPWP;;;S-1-5-21-…-1104)'   adds the ACE(s) (SDDL ace strings) to the DACL
${CONNECTION_USAGE}`;

// ACCESS_MASK bits for directory objects (MS-ADTS 5.1.3.2, MS-DTYP 2.4.3)
const RIGHTS: [number, string][] = [
  [0x00000001, 'CreateChild'],
  [0x00000002, 'DeleteChild'],
  [0x00000004, 'ListChildren'],
  [0x00000008, 'Self'],
  [0x00000010, 'ReadProperty'],
  [0x00000020, 'WriteProperty'],
  [0x00000040, 'DeleteTree'],
  [0x00000080, 'ListObject'],
  [0x00000100, 'ControlAccess'],
  [0x00010000, 'Delete'],
  [0x00020000, 'ReadControl'],
  [0x00040000, 'WriteDacl'],
  [0x00080000, 'WriteOwner'],
  [0x00100000, 'Synchronize'],
  [0x01000000, 'AccessSystemSecurity'],
  [0x10000000, 'GenericAll'],
  [0x20000000, 'GenericExecute'],
  [0x40000000, 'GenericWrite'],
  [0x80000000, 'GenericRead'],
];
const FULL_CONTROL = 0x000f01ff;

function rightsText(mask: number): string[] {
  if ((mask >>> 0) === FULL_CONTROL) return ['FullControl'];
  const out = RIGHTS.filter(([bit]) => (mask & bit) !== 0).map(([, n]) => n);
  const known = RIGHTS.reduce((a, [b]) => a | b, 0);
  const rest = (mask & ~known) >>> 0;
  if (rest) out.push(`0x${rest.toString(16)}`);
  return out;
}

function typeText(t: number): string {
  switch (t) {
    case ACE_TYPE.ACCESS_ALLOWED:
    case ACE_TYPE.ACCESS_ALLOWED_OBJECT:
      return 'Allow';
    case ACE_TYPE.ACCESS_DENIED:
    case ACE_TYPE.ACCESS_DENIED_OBJECT:
      return 'Deny';
    case ACE_TYPE.SYSTEM_AUDIT:
    case ACE_TYPE.SYSTEM_AUDIT_OBJECT:
      return 'Audit';
    default:
      return `type 0x${t.toString(16)}`;
  }
}

function inheritText(flags: number): string {
  const f: string[] = [];
  if (flags & INHERITED_ACE) f.push('inherited');
  if (flags & CONTAINER_INHERIT_ACE) f.push('this and children');
  if (flags & OBJECT_INHERIT_ACE) f.push('objects');
  if (flags & INHERIT_ONLY_ACE) f.push('children only');
  if (flags & NO_PROPAGATE_INHERIT_ACE) f.push('one level');
  return f.length ? f.join(', ') : 'this object';
}

export async function dsaclCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, { sddl: { type: 'string' } });
  if (!sub || values.help) {
    process.stdout.write(DSACL_USAGE + '\n');
    return sub ? 0 : EXIT.usage;
  }
  if (positionals.length !== 1) throw usage(`dsacl ${sub} needs one DN`);
  if (sub === 'add' && !values.sddl) throw usage("dsacl add needs --sddl with one or more ACE strings, e.g. '(A;;RP;;;AU)'");
  if (sub !== 'show' && sub !== 'add') throw new AdminError(`unknown dsacl command ${JSON.stringify(sub)}\n\n${DSACL_USAGE}`, EXIT.usage, 'ERR_USAGE');
  const dn = positionals[0]!;
  const conn = await connectionSettings(values);
  const s = await Session.open(conn);
  try {
    const ctx = await sddlContext(s);
    const sd = await readSd(s, dn);
    if (sub === 'add') {
      let added: Ace[];
      try {
        added = parseSddl(`D:${values.sddl!.trim()}`, ctx).dacl?.aces ?? [];
      } catch (e) {
        if (e instanceof SddlError) throw usage(`--sddl is not a list of SDDL ACE strings: ${e.message}`);
        throw e;
      }
      if (added.length === 0) throw usage('--sddl holds no ACE');
      const dacl = sd.dacl ?? { revision: 2, aces: [] };
      // explicit ACEs go before the inherited ones, denies first (MS-DTYP 2.4.5 canonical order)
      const explicit = dacl.aces.filter((a) => !(a.flags & INHERITED_ACE));
      const inherited = dacl.aces.filter((a) => a.flags & INHERITED_ACE);
      const isDeny = (a: Ace) => a.type === ACE_TYPE.ACCESS_DENIED || a.type === ACE_TYPE.ACCESS_DENIED_OBJECT;
      const merged = [...added.filter(isDeny), ...explicit.filter(isDeny), ...explicit.filter((a) => !isDeny(a)), ...added.filter((a) => !isDeny(a)), ...inherited];
      dacl.aces = merged;
      if (added.some((a) => isObjectAceType(a.type))) dacl.revision = 4;
      const next = encodeSecurityDescriptor({ control: sd.control | SE_DACL_PRESENT, dacl });
      await attempt(`writing the DACL of ${dn}`, () => s.client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'nTSecurityDescriptor', values: [next] }) }), sdFlagsControl(DACL_SECURITY_INFORMATION)));
      const after = await readSd(s, dn);
      print(conn, () => `added ${added.length} ACE(s) to ${dn}\n`, { dn, added: added.map((a) => aceSddl(a, ctx)), sddl: formatSddl(after, ctx) });
      return EXIT.ok;
    }
    const names = new Map<string, string>();
    const rows: Row[] = [];
    for (const ace of sd.dacl?.aces ?? []) {
      rows.push({
        type: typeText(ace.type),
        trustee: await trusteeName(s, ace.sid, ctx, names),
        rights: rightsText(ace.mask).join(', '),
        objectType: ace.objectType ? await guidName(s, ace.objectType, names) : '',
        inheritedObjectType: ace.inheritedObjectType ? await guidName(s, ace.inheritedObjectType, names) : '',
        appliesTo: inheritText(ace.flags),
        sddl: aceSddl(ace, ctx),
      });
    }
    print(conn, () => `${dn}\nDACL of ${rows.length} ACE(s)\n` + table(rows, ['type', 'trustee', 'rights', 'objectType', 'inheritedObjectType', 'appliesTo', 'sddl']), { dn, sddl: formatSddl(sd, ctx), aces: rows });
    return EXIT.ok;
  } finally {
    await s.close();
  }
}

function aceSddl(ace: Ace, ctx: SddlContext): string {
  return formatSddl({ control: SE_DACL_PRESENT, dacl: { revision: 4, aces: [ace] } }, ctx).replace(/^D:/, '');
}

async function sddlContext(s: S): Promise<SddlContext> {
  const domain = await s.domainDN();
  const r = await attempt('reading the domain SID', () => s.client.search(domain, { scope: 'base', filter: '(objectClass=*)', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] }));
  return { domainSid: r.searchEntries[0]!.objectSid as Buffer };
}

async function readSd(s: S, dn: string) {
  const r = await attempt(`reading the security descriptor of ${dn}`, () =>
    s.client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['nTSecurityDescriptor'], explicitBufferAttributes: ['nTSecurityDescriptor'] }, sdFlagsControl(DACL_SECURITY_INFORMATION)),
  );
  const raw = r.searchEntries[0]?.nTSecurityDescriptor;
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new AdminError(`${dn} returned no nTSecurityDescriptor`, EXIT.refused, 'ERR_NO_SD', 'bind as an account that may read it (e.g. Administrator)');
  return decodeSecurityDescriptor(raw);
}

async function trusteeName(s: S, sid: Uint8Array, ctx: SddlContext, cache: Map<string, string>): Promise<string> {
  const text = sidToString(sid);
  const hit = cache.get(text);
  if (hit) return hit;
  const alias = sidToSddl(sid, ctx);
  let name = alias === text ? text : `${alias} (${text})`;
  // a domain account: its sAMAccountName (objectSid searches take the SID string, MS-ADTS 3.1.1.3.1.2.2)
  const r = await s.client.search(await s.domainDN(), { scope: 'sub', filter: `(objectSid=${text})`, attributes: ['sAMAccountName'] }).catch(() => undefined);
  const acct = first(r?.searchEntries[0]?.sAMAccountName);
  if (acct) name = `${acct} (${text})`;
  cache.set(text, name);
  return name;
}

/** An ACE's object GUID as the schema or extended right it names (schemaIDGUID, rightsGuid). */
async function guidName(s: S, guid: string, cache: Map<string, string>): Promise<string> {
  const hit = cache.get(guid);
  if (hit) return hit;
  const root = await s.root();
  const bytes = guidBytes(guid);
  let name = guid;
  // a binary value: an EqualityFilter with the bytes (a filter string would pass through UTF-8)
  const sch = await s.client.search(String(root.schemaNamingContext), { scope: 'one', filter: new EqualityFilter({ attribute: 'schemaIDGUID', value: bytes }), attributes: ['lDAPDisplayName'] }).catch(() => undefined);
  if (sch?.searchEntries[0]?.lDAPDisplayName) name = String(sch.searchEntries[0].lDAPDisplayName);
  else {
    const er = await s.client.search(`CN=Extended-Rights,${String(root.configurationNamingContext)}`, { scope: 'one', filter: `(rightsGuid=${guid})`, attributes: ['displayName', 'cn'] }).catch(() => undefined);
    const e = er?.searchEntries[0];
    if (e) name = String(e.displayName ?? e.cn);
  }
  cache.set(guid, name);
  return name;
}

/** The 16-byte MS-DTYP 2.3.4.2 form of a GUID's text (first three fields little-endian). */
function guidBytes(g: string): Buffer {
  const h = g.replace(/-/g, '');
  const b = Buffer.from(h, 'hex');
  const out = Buffer.alloc(16);
  out.writeUInt32LE(b.readUInt32BE(0), 0);
  out.writeUInt16LE(b.readUInt16BE(4), 4);
  out.writeUInt16LE(b.readUInt16BE(6), 6);
  b.copy(out, 8, 8);
  return out;
}
