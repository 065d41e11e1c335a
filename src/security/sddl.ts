// Security Descriptor Definition Language (MS-DTYP 2.5.1) ↔ the SecurityDescriptor model and
// the binary self-relative form.
//
// Grammar (MS-DTYP 2.5.1.1): sddl = [owner-string] [group-string] [dacl-string] [sacl-string];
// "O:" sid, "G:" sid, "D:" acl-flags aces, "S:" acl-flags aces; an ace is
// "(" type ";" flags ";" rights ";" object-guid ";" inherit-object-guid ";" sid ")".
// Accepted beyond the strict grammar, as Windows does: components in any order (each once),
// white space between tokens, and rights written as numbers (hex "0x…", octal "0…", decimal).
// Not supported: conditional ACE expressions and resource attributes (the 7th ACE field of
// XA/XD/XU/ZA/RA); such ACEs are rejected by parseSddl and by formatSddl.
import { sidFromString, sidToString, trySidFromString } from '../schema/syntaxes/string-sid.js';
import {
  ACE_TYPE,
  ACL_REVISION,
  ACL_REVISION_DS,
  SE_DACL_AUTO_INHERITED,
  SE_DACL_AUTO_INHERIT_REQ,
  SE_DACL_PRESENT,
  SE_DACL_PROTECTED,
  SE_SACL_AUTO_INHERITED,
  SE_SACL_AUTO_INHERIT_REQ,
  SE_SACL_PRESENT,
  SE_SACL_PROTECTED,
  SE_SELF_RELATIVE,
  decodeSecurityDescriptor,
  encodeSecurityDescriptor,
  isObjectAceType,
  type Ace,
  type Acl,
  type SecurityDescriptor,
} from './security-descriptor.js';

export class SddlError extends Error {
  readonly code = 'ERR_SDDL';
  constructor(
    message: string,
    readonly position?: number,
  ) {
    super(position === undefined ? message : `${message} (at offset ${position})`);
    this.name = 'SddlError';
  }
}

export interface SddlContext {
  /** The domain SID (S-1-5-21-a-b-c), for the domain-relative aliases DA, DU, … */
  domainSid: Uint8Array;
  /** The forest root domain SID, for EA, SA, RO, EK; defaults to domainSid. */
  rootDomainSid?: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// SID aliases: MS-DTYP 2.5.1.1 sid-token table (plus AP, KA, EK, AS, SS from sddl.h).

type AliasTarget = { fixed: string } | { domainRid: number } | { rootRid: number };

const SID_ALIASES: Readonly<Record<string, AliasTarget>> = {
  AA: { fixed: 'S-1-5-32-579' }, // Access Control Assistance Operators
  AC: { fixed: 'S-1-15-2-1' }, // All App Packages
  AN: { fixed: 'S-1-5-7' }, // Anonymous
  AO: { fixed: 'S-1-5-32-548' }, // Account Operators
  AP: { domainRid: 525 }, // Protected Users
  AS: { fixed: 'S-1-18-1' }, // Authentication authority asserted identity
  AU: { fixed: 'S-1-5-11' }, // Authenticated Users
  BA: { fixed: 'S-1-5-32-544' }, // Built-in Administrators
  BG: { fixed: 'S-1-5-32-546' }, // Built-in Guests
  BO: { fixed: 'S-1-5-32-551' }, // Backup Operators
  BU: { fixed: 'S-1-5-32-545' }, // Built-in Users
  CA: { domainRid: 517 }, // Cert Publishers
  CD: { fixed: 'S-1-5-32-574' }, // Certificate Service DCOM Access
  CG: { fixed: 'S-1-3-1' }, // Creator Group
  CN: { domainRid: 522 }, // Cloneable Domain Controllers
  CO: { fixed: 'S-1-3-0' }, // Creator Owner
  CY: { fixed: 'S-1-5-32-569' }, // Cryptographic Operators
  DA: { domainRid: 512 }, // Domain Admins
  DC: { domainRid: 515 }, // Domain Computers
  DD: { domainRid: 516 }, // Domain Controllers
  DG: { domainRid: 514 }, // Domain Guests
  DU: { domainRid: 513 }, // Domain Users
  EA: { rootRid: 519 }, // Enterprise Admins
  ED: { fixed: 'S-1-5-9' }, // Enterprise Domain Controllers
  EK: { rootRid: 527 }, // Enterprise Key Admins
  ER: { fixed: 'S-1-5-32-573' }, // Event Log Readers
  ES: { fixed: 'S-1-5-32-576' }, // RDS Endpoint Servers
  HA: { fixed: 'S-1-5-32-578' }, // Hyper-V Administrators
  HI: { fixed: 'S-1-16-12288' }, // High integrity level
  IS: { fixed: 'S-1-5-32-568' }, // IIS_IUSRS
  IU: { fixed: 'S-1-5-4' }, // Interactive
  KA: { domainRid: 526 }, // Key Admins
  LA: { domainRid: 500 }, // local/domain Administrator account
  LG: { domainRid: 501 }, // local/domain Guest account
  LS: { fixed: 'S-1-5-19' }, // Local Service
  LU: { fixed: 'S-1-5-32-559' }, // Performance Log Users
  LW: { fixed: 'S-1-16-4096' }, // Low integrity level
  ME: { fixed: 'S-1-16-8192' }, // Medium integrity level
  MP: { fixed: 'S-1-16-8448' }, // Medium Plus integrity level
  MS: { fixed: 'S-1-5-32-577' }, // RDS Management Servers
  MU: { fixed: 'S-1-5-32-558' }, // Performance Monitor Users
  NO: { fixed: 'S-1-5-32-556' }, // Network Configuration Operators
  NS: { fixed: 'S-1-5-20' }, // Network Service
  NU: { fixed: 'S-1-5-2' }, // Network
  OW: { fixed: 'S-1-3-4' }, // Owner Rights
  PA: { domainRid: 520 }, // Group Policy Creator Owners
  PO: { fixed: 'S-1-5-32-550' }, // Printer Operators
  PS: { fixed: 'S-1-5-10' }, // Principal Self
  PU: { fixed: 'S-1-5-32-547' }, // Power Users
  RA: { fixed: 'S-1-5-32-575' }, // RDS Remote Access Servers
  RC: { fixed: 'S-1-5-12' }, // Restricted Code
  RD: { fixed: 'S-1-5-32-555' }, // Remote Desktop Users
  RE: { fixed: 'S-1-5-32-552' }, // Replicator
  RM: { fixed: 'S-1-5-32-580' }, // Remote Management Users
  RO: { rootRid: 498 }, // Enterprise Read-only Domain Controllers
  RS: { domainRid: 553 }, // RAS and IAS Servers
  RU: { fixed: 'S-1-5-32-554' }, // Pre-Windows 2000 Compatible Access
  SA: { rootRid: 518 }, // Schema Admins
  SI: { fixed: 'S-1-16-16384' }, // System integrity level
  SO: { fixed: 'S-1-5-32-549' }, // Server Operators
  SS: { fixed: 'S-1-18-2' }, // Service asserted identity
  SU: { fixed: 'S-1-5-6' }, // Service
  SY: { fixed: 'S-1-5-18' }, // Local System
  UD: { fixed: 'S-1-5-84-0-0-0-0-0' }, // User-mode drivers
  WD: { fixed: 'S-1-1-0' }, // Everyone
  WR: { fixed: 'S-1-5-33' }, // Write Restricted Code
};

/** The SDDL SID aliases this module knows, in the MS-DTYP 2.5.1.1 sense. */
export const SDDL_SID_ALIASES: readonly string[] = Object.keys(SID_ALIASES);

function domainRelative(domain: Uint8Array, rid: number): Buffer {
  const d = Buffer.from(domain);
  if (d.length < 8 || d[0] !== 1 || d[1]! >= 15 || d.length !== 8 + 4 * d[1]!) throw new SddlError('the domain SID in the SDDL context is not a valid SID');
  const out = Buffer.alloc(d.length + 4);
  d.copy(out);
  out[1] = d[1]! + 1;
  out.writeUInt32LE(rid, d.length);
  return out;
}

/** The binary SID an SDDL alias stands for; undefined when the token is not an alias. */
export function sidForAlias(alias: string, ctx?: SddlContext): Buffer | undefined {
  const t = SID_ALIASES[alias];
  if (!t) return undefined;
  if ('fixed' in t) return sidFromString(t.fixed);
  const dom = 'domainRid' in t ? ctx?.domainSid : (ctx?.rootDomainSid ?? ctx?.domainSid);
  if (!dom) throw new SddlError(`SID alias ${alias} is domain-relative and needs a domain SID`);
  return domainRelative(dom, 'domainRid' in t ? t.domainRid : t.rootRid);
}

function aliasTable(ctx?: SddlContext): Map<string, string> {
  const m = new Map<string, string>();
  for (const [alias, t] of Object.entries(SID_ALIASES)) {
    let sid: Buffer | undefined;
    if ('fixed' in t) sid = sidFromString(t.fixed);
    else {
      const dom = 'domainRid' in t ? ctx?.domainSid : (ctx?.rootDomainSid ?? ctx?.domainSid);
      if (dom) sid = domainRelative(dom, 'domainRid' in t ? t.domainRid : t.rootRid);
    }
    if (sid) m.set(sid.toString('hex'), alias);
  }
  return m;
}

const fixedAliases = aliasTable();
/** The alias table of each domain context (one per DC's Directory; several DCs may share a process). */
const aliasTables = new WeakMap<SddlContext, Map<string, string>>();

function aliasesFor(ctx?: SddlContext): Map<string, string> {
  if (!ctx) return fixedAliases;
  let t = aliasTables.get(ctx);
  if (!t) aliasTables.set(ctx, (t = aliasTable(ctx)));
  return t;
}

/** Binary SID → its SDDL alias when one matches (given ctx for the domain-relative ones), else "S-1-…". */
export function sidToSddl(sid: Uint8Array, ctx?: SddlContext): string {
  const alias = aliasesFor(ctx).get(Buffer.from(sid).toString('hex'));
  return alias ?? sidToString(sid);
}

// ---------------------------------------------------------------------------------------------
// ACE types, ACE flags and rights (MS-DTYP 2.5.1.1; bits from 2.4.4.1 and 2.4.3, and the
// directory-service rights of MS-ADTS 5.1.3.2).

const ACE_TYPE_STRINGS: Readonly<Record<string, number>> = {
  A: ACE_TYPE.ACCESS_ALLOWED,
  D: ACE_TYPE.ACCESS_DENIED,
  AU: ACE_TYPE.SYSTEM_AUDIT,
  AL: ACE_TYPE.SYSTEM_ALARM,
  OA: ACE_TYPE.ACCESS_ALLOWED_OBJECT,
  OD: ACE_TYPE.ACCESS_DENIED_OBJECT,
  OU: ACE_TYPE.SYSTEM_AUDIT_OBJECT,
  OL: ACE_TYPE.SYSTEM_ALARM_OBJECT,
  XA: ACE_TYPE.ACCESS_ALLOWED_CALLBACK,
  XD: ACE_TYPE.ACCESS_DENIED_CALLBACK,
  ZA: ACE_TYPE.ACCESS_ALLOWED_CALLBACK_OBJECT,
  XU: ACE_TYPE.SYSTEM_AUDIT_CALLBACK,
  ML: ACE_TYPE.SYSTEM_MANDATORY_LABEL,
  RA: ACE_TYPE.SYSTEM_RESOURCE_ATTRIBUTE,
  SP: ACE_TYPE.SYSTEM_SCOPED_POLICY_ID,
  TL: ACE_TYPE.SYSTEM_PROCESS_TRUST_LABEL,
  FL: ACE_TYPE.ACCESS_FILTER,
};
const ACE_TYPE_NAMES = new Map<number, string>(Object.entries(ACE_TYPE_STRINGS).map(([k, v]) => [v, k]));

// MS-DTYP 2.4.4.1 AceFlags, in the order formatSddl writes them.
const ACE_FLAG_STRINGS: readonly [string, number][] = [
  ['OI', 0x01],
  ['CI', 0x02],
  ['NP', 0x04],
  ['IO', 0x08],
  ['ID', 0x10],
  ['CR', 0x20],
  ['SA', 0x40],
  ['TP', 0x40], // TRUST_PROTECTED_FILTER_ACE_FLAG, same bit as SA; written only on ACCESS_FILTER ACEs
  ['FA', 0x80],
];

// Single-bit rights, in the order formatSddl writes them: generic (MS-DTYP 2.4.3), the
// directory-service object rights (MS-ADTS 5.1.3.2), then the standard rights.
const RIGHT_BITS: readonly [string, number][] = [
  ['GA', 0x10000000],
  ['GR', 0x80000000],
  ['GW', 0x40000000],
  ['GX', 0x20000000],
  ['CC', 0x00000001], // ADS_RIGHT_DS_CREATE_CHILD
  ['DC', 0x00000002], // ADS_RIGHT_DS_DELETE_CHILD
  ['LC', 0x00000004], // ADS_RIGHT_ACTRL_DS_LIST
  ['SW', 0x00000008], // ADS_RIGHT_DS_SELF
  ['RP', 0x00000010], // ADS_RIGHT_DS_READ_PROP
  ['WP', 0x00000020], // ADS_RIGHT_DS_WRITE_PROP
  ['DT', 0x00000040], // ADS_RIGHT_DS_DELETE_TREE
  ['LO', 0x00000080], // ADS_RIGHT_DS_LIST_OBJECT
  ['CR', 0x00000100], // ADS_RIGHT_DS_CONTROL_ACCESS
  ['SD', 0x00010000], // DELETE
  ['RC', 0x00020000], // READ_CONTROL
  ['WD', 0x00040000], // WRITE_DAC
  ['WO', 0x00080000], // WRITE_OWNER
];
// Composite rights accepted on input (MS-DTYP 2.5.1.1: file, registry); never written, since
// their bits overlap the directory rights above.
const COMPOSITE_RIGHTS: Readonly<Record<string, number>> = {
  FA: 0x001f01ff,
  FR: 0x00120089,
  FW: 0x00120116,
  FX: 0x001200a0,
  KA: 0x000f003f,
  KR: 0x00020019,
  KW: 0x00020006,
  KX: 0x00020019,
};
// Mandatory label rights (MS-DTYP 2.4.4.13): used for ML ACEs.
const LABEL_RIGHTS: readonly [string, number][] = [
  ['NW', 0x1], // SYSTEM_MANDATORY_LABEL_NO_WRITE_UP
  ['NR', 0x2], // SYSTEM_MANDATORY_LABEL_NO_READ_UP
  ['NX', 0x4], // SYSTEM_MANDATORY_LABEL_NO_EXECUTE_UP
];
const RIGHT_STRINGS = new Map<string, number>([...RIGHT_BITS, ...LABEL_RIGHTS, ...Object.entries(COMPOSITE_RIGHTS)]);

function parseRights(text: string, pos: number): number {
  if (text === '') return 0;
  if (/^0[xX][0-9A-Fa-f]{1,8}$/.test(text)) return parseInt(text.slice(2), 16) >>> 0;
  if (/^0[0-7]+$/.test(text)) {
    const n = parseInt(text, 8);
    if (n > 0xffffffff) throw new SddlError(`rights ${text} exceed 32 bits`, pos);
    return n;
  }
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n > 0xffffffff) throw new SddlError(`rights ${text} exceed 32 bits`, pos);
    return n;
  }
  if (text.length % 2 !== 0) throw new SddlError(`rights ${JSON.stringify(text)} are not a sequence of two-letter rights`, pos);
  let mask = 0;
  for (let i = 0; i < text.length; i += 2) {
    const r = RIGHT_STRINGS.get(text.slice(i, i + 2));
    if (r === undefined) throw new SddlError(`unknown right ${JSON.stringify(text.slice(i, i + 2))}`, pos + i);
    mask = (mask | r) >>> 0;
  }
  return mask;
}

function formatRights(mask: number, type: number): string {
  if (mask === 0) return '';
  const table = type === ACE_TYPE.SYSTEM_MANDATORY_LABEL ? LABEL_RIGHTS : RIGHT_BITS;
  let rest = mask >>> 0;
  let s = '';
  for (const [name, bit] of table) {
    if ((rest & bit) >>> 0 === bit) {
      s += name;
      rest = (rest & ~bit) >>> 0;
    }
  }
  return rest === 0 ? s : '0x' + (mask >>> 0).toString(16);
}

function parseAceFlags(text: string, pos: number): number {
  if (text.length % 2 !== 0) throw new SddlError(`ACE flags ${JSON.stringify(text)} are not a sequence of two-letter flags`, pos);
  let flags = 0;
  for (let i = 0; i < text.length; i += 2) {
    const tok = text.slice(i, i + 2);
    const f = ACE_FLAG_STRINGS.find(([n]) => n === tok);
    if (!f) throw new SddlError(`unknown ACE flag ${JSON.stringify(tok)}`, pos + i);
    flags |= f[1];
  }
  return flags;
}

function formatAceFlags(flags: number, type: number): string {
  let s = '';
  for (const [name, bit] of ACE_FLAG_STRINGS) {
    if (bit === 0x40 && (name === 'TP') !== (type === ACE_TYPE.ACCESS_FILTER)) continue;
    if (flags & bit) s += name;
  }
  return s;
}

const GUID_TEXT = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

// ---------------------------------------------------------------------------------------------
// Parsing

class Parser {
  pos = 0;
  constructor(
    readonly s: string,
    readonly ctx: SddlContext | undefined,
  ) {}

  skipWs(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  error(message: string, at = this.pos): never {
    throw new SddlError(message, at);
  }

  sid(text: string, at: number): Buffer {
    if (/^[A-Z]{2}$/.test(text)) {
      const b = sidForAlias(text, this.ctx);
      if (!b) this.error(`unknown SID alias ${JSON.stringify(text)}`, at);
      return b;
    }
    const b = trySidFromString(text);
    if (!b) this.error(`${JSON.stringify(text)} is neither a SID alias nor a SID string`, at);
    return b;
  }

  /** A SID after "O:" / "G:": an alias of two capitals, or S-1-… up to the next component. */
  ownerSid(): Buffer {
    this.skipWs();
    const at = this.pos;
    const m = /^([Ss]-1-(?:0[xX][0-9A-Fa-f]{12}|\d+)(?:-\d+)*|[A-Z]{2})/.exec(this.s.slice(this.pos));
    if (!m) this.error('expected a SID alias or SID string');
    this.pos += m[0].length;
    return this.sid(m[0], at);
  }

  aclFlags(): { flags: string[]; nullAcl: boolean } {
    const flags: string[] = [];
    let nullAcl = false;
    for (;;) {
      this.skipWs();
      const rest = this.s.slice(this.pos);
      if (rest.startsWith('NO_ACCESS_CONTROL')) {
        nullAcl = true;
        this.pos += 'NO_ACCESS_CONTROL'.length;
      } else if (rest.startsWith('AI') || rest.startsWith('AR')) {
        flags.push(rest.slice(0, 2));
        this.pos += 2;
      } else if (rest.startsWith('P')) {
        flags.push('P');
        this.pos += 1;
      } else break;
    }
    return { flags, nullAcl };
  }

  ace(): Ace {
    const start = this.pos; // at "("
    const close = this.s.indexOf(')', start);
    if (close < 0) this.error('ACE is not closed by ")"', start);
    const body = this.s.slice(start + 1, close);
    const fields = body.split(';');
    if (fields.length > 6 || body.includes('(')) this.error('conditional ACE expressions and resource attributes are not supported', start);
    if (fields.length !== 6) this.error(`ACE has ${fields.length} fields (expected 6: type;flags;rights;object;inherited-object;sid)`, start);
    let at = start + 1;
    const where: number[] = [];
    for (const f of fields) {
      where.push(at);
      at += f.length + 1;
    }
    const [typeS, flagsS, rightsS, objS, inhS, sidS] = fields.map((f) => f.trim()) as [string, string, string, string, string, string];
    const type = ACE_TYPE_STRINGS[typeS];
    if (type === undefined) this.error(`unknown ACE type ${JSON.stringify(typeS)}`, where[0]);
    const ace: Ace = { type, flags: parseAceFlags(flagsS, where[1]!), mask: parseRights(rightsS, where[2]!), sid: Buffer.alloc(0) };
    for (const [g, key, i] of [[objS, 'objectType', 3], [inhS, 'inheritedObjectType', 4]] as const) {
      if (g === '') continue;
      if (!isObjectAceType(type)) this.error(`ACE type ${typeS} takes no object GUID`, where[i]);
      if (!GUID_TEXT.test(g)) this.error(`${JSON.stringify(g)} is not a GUID`, where[i]);
      ace[key] = g.toLowerCase();
    }
    if (sidS === '') this.error('ACE has no trustee SID', where[5]);
    ace.sid = this.sid(sidS, where[5]!);
    this.pos = close + 1;
    return ace;
  }

  aces(): Ace[] {
    const aces: Ace[] = [];
    for (;;) {
      this.skipWs();
      if (this.s[this.pos] !== '(') return aces;
      aces.push(this.ace());
    }
  }

  parse(): SecurityDescriptor {
    const sd: SecurityDescriptor = { control: SE_SELF_RELATIVE };
    const seen = new Set<string>();
    for (;;) {
      this.skipWs();
      if (this.pos >= this.s.length) break;
      const at = this.pos;
      const tag = this.s[this.pos];
      if (this.s[this.pos + 1] !== ':' || (tag !== 'O' && tag !== 'G' && tag !== 'D' && tag !== 'S')) this.error('expected O:, G:, D: or S:');
      if (seen.has(tag)) this.error(`${tag}: appears twice`, at);
      seen.add(tag);
      this.pos += 2;
      if (tag === 'O') sd.owner = this.ownerSid();
      else if (tag === 'G') sd.group = this.ownerSid();
      else {
        const isDacl = tag === 'D';
        const { flags, nullAcl } = this.aclFlags();
        const aces = this.aces();
        for (const f of flags) {
          if (f === 'P') sd.control |= isDacl ? SE_DACL_PROTECTED : SE_SACL_PROTECTED;
          else if (f === 'AI') sd.control |= isDacl ? SE_DACL_AUTO_INHERITED : SE_SACL_AUTO_INHERITED;
          else sd.control |= isDacl ? SE_DACL_AUTO_INHERIT_REQ : SE_SACL_AUTO_INHERIT_REQ;
        }
        sd.control |= isDacl ? SE_DACL_PRESENT : SE_SACL_PRESENT;
        if (nullAcl) {
          if (aces.length) this.error('NO_ACCESS_CONTROL with ACEs', at);
        } else {
          const acl: Acl = { revision: aces.some((a) => isObjectAceType(a.type)) ? ACL_REVISION_DS : ACL_REVISION, aces };
          if (isDacl) sd.dacl = acl;
          else sd.sacl = acl;
        }
      }
    }
    return sd;
  }
}

/**
 * SDDL → model (MS-DTYP 2.5.1). Absent owner/group stay absent (Active Directory fills them
 * when the object is added). Throws SddlError on malformed input.
 */
export function parseSddl(sddl: string, ctx?: SddlContext): SecurityDescriptor {
  return new Parser(sddl, ctx).parse();
}

/** SDDL → binary self-relative SECURITY_DESCRIPTOR. */
export function sddlToBinary(sddl: string, ctx?: SddlContext): Buffer {
  return encodeSecurityDescriptor(parseSddl(sddl, ctx));
}

// ---------------------------------------------------------------------------------------------
// Formatting

// Types whose ApplicationData is a conditional expression or a resource attribute (MS-DTYP 2.4.4.17, 2.4.4.15).
const CONDITIONAL_TYPES: ReadonlySet<number> = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x12, 0x15]);

function formatAce(ace: Ace, ctx?: SddlContext): string {
  const t = ACE_TYPE_NAMES.get(ace.type);
  if (t === undefined) throw new SddlError(`ACE type ${ace.type} has no SDDL form`);
  // Trailing bytes of the other types are padding that SDDL cannot carry; they are dropped.
  if (ace.applicationData?.length && CONDITIONAL_TYPES.has(ace.type))
    throw new SddlError(`ACE type ${t} carries a condition or attribute, which formatSddl cannot write`);
  return `(${t};${formatAceFlags(ace.flags, ace.type)};${formatRights(ace.mask, ace.type)};${ace.objectType ?? ''};${ace.inheritedObjectType ?? ''};${sidToSddl(ace.sid, ctx)})`;
}

function formatAclPart(tag: 'D' | 'S', sd: SecurityDescriptor, ctx?: SddlContext): string {
  const isDacl = tag === 'D';
  const acl = isDacl ? sd.dacl : sd.sacl;
  const present = (sd.control & (isDacl ? SE_DACL_PRESENT : SE_SACL_PRESENT)) !== 0;
  if (!acl && !present) return '';
  let s = tag + ':';
  if (sd.control & (isDacl ? SE_DACL_PROTECTED : SE_SACL_PROTECTED)) s += 'P';
  if (sd.control & (isDacl ? SE_DACL_AUTO_INHERIT_REQ : SE_SACL_AUTO_INHERIT_REQ)) s += 'AR';
  if (sd.control & (isDacl ? SE_DACL_AUTO_INHERITED : SE_SACL_AUTO_INHERITED)) s += 'AI';
  if (!acl) return s + 'NO_ACCESS_CONTROL';
  for (const ace of acl.aces) s += formatAce(ace, ctx);
  return s;
}

/**
 * Model → SDDL (MS-DTYP 2.5.1), components in the order O, G, D, S; SIDs written as aliases
 * where one matches (domain-relative ones only with ctx). Rights are written as the
 * two-letter directory rights, or as one hex number when some bit has no name. Control bits
 * other than the ACL flags (P, AR, AI) and ACL revisions are not expressible in SDDL.
 */
export function formatSddl(sd: SecurityDescriptor, ctx?: SddlContext): string {
  let s = '';
  if (sd.owner) s += 'O:' + sidToSddl(sd.owner, ctx);
  if (sd.group) s += 'G:' + sidToSddl(sd.group, ctx);
  return s + formatAclPart('D', sd, ctx) + formatAclPart('S', sd, ctx);
}

/** Binary self-relative SECURITY_DESCRIPTOR → SDDL. */
export function binaryToSddl(buf: Uint8Array, ctx?: SddlContext): string {
  return formatSddl(decodeSecurityDescriptor(buf), ctx);
}
