// Constructed attributes (MS-ADTS 3.1.1.4.5): computed when a search names them (or asks for
// '+'), never stored, never returned by '*'. Each returns stored values of the attribute's
// syntax, so entry output (extended DNs, OIDs as names) treats them like any other attribute.
import type { StoredValue, DSName } from '../../schema/syntaxes/syntax.js';
import type { SchemaSnapshot } from '../../schema/snapshot.js';
import { ObjectClassCategory } from '../../schema/types.js';
import { parseDN } from '../../dn/dn.js';
import type { ObjectView, ReadContext } from '../object-view.js';
import { GroupType, UF, ridOf, sidWithRid } from '../principals.js';
import { expandGroups } from '../access/token.js';
import { passwordExpiryTime, resultantPso } from '../password-policy.js';
import { accountPolicy, isLockedOut } from '../lockout.js';
import { Right } from '../../security/access-check.js';
import { indexKey } from '../../store/store.js';
import { getAttr } from '../../store/record.js';
import { REPL_METADATA } from './repl-metadata.js';

export interface ConstructedEnv {
  rc: ReadContext;
  /** the search has base scope (tokenGroups is only computed then, MS-ADTS 3.1.1.4.5.19) */
  baseScope: boolean;
  /** current time as a FILETIME (100 ns since 1601) */
  now: bigint;
}

type Constructor = (v: ObjectView, env: ConstructedEnv) => StoredValue[];

const IT_WRITE = 0x4;

/** By lower-case lDAPDisplayName. */
const CONSTRUCTED: ReadonlyMap<string, Constructor> = new Map<string, Constructor>([
  // MS-ADTS 3.1.1.4.5.2 canonicalName (MS-ADA1 2.98): the DNS name of the domain, then the RDN values from the top, '/'-separated
  ['canonicalname', (v) => [canonicalName(v.dn, v.rec.parent === null)]],
  // createTimeStamp = whenCreated, modifyTimeStamp = whenChanged (MS-ADTS 3.1.1.4.5.9, 3.1.1.4.5.10)
  ['createtimestamp', (v) => v.values(attr(v, 'whenCreated'))],
  ['modifytimestamp', (v) => [v.rec.whenChanged]],
  // MS-ADTS 3.1.1.4.5.6 allowedAttributes: mustContain ∪ mayContain of every objectClass value
  ['allowedattributes', (v) => allowedAttributes(v)],
  // MS-ADTS 3.1.1.4.5.7 allowedAttributesEffective: the allowed attributes the requester may write (WP), no back links, nothing constructed
  ['allowedattributeseffective', (v) => allowedAttributesEffective(v)],
  // MS-ADTS 3.1.1.4.5.3 allowedChildClasses: classes whose possSuperiors hold one of the object's classes
  ['allowedchildclasses', (v) => allowedChildClasses(v)],
  // MS-ADTS 3.1.1.4.5.18 msDS-Auxiliary-Classes (MS-ADA2): the auxiliary classes dynamically attached to the object
  ['msds-auxiliary-classes', (v) => auxiliaryClasses(v)],
  // MS-ADTS 3.1.1.4.5.21 possibleInferiors: on a classSchema object, the classes that may be instantiated under an instance of it
  ['possibleinferiors', (v) => possibleInferiors(v)],
  // allowedChildClassesEffective (MS-ADTS 3.1.1.4.5.5): the allowed child classes the requester may create (CC, simple or object-specific ACE)
  ['allowedchildclasseseffective', (v) => allowedChildClassesEffective(v)],
  // sDRightsEffective (MS-ADTS 3.1.1.4.5.4): which parts of the SD the requester may write
  ['sdrightseffective', (v) => sdRightsEffective(v)],
  // MS-ADTS 3.1.1.4.5.36 msDS-ResultantPSO: the password settings object in force for a user
  ['msds-resultantpso', (v) => {
    // a user, a normal account, not krbtgt (MS-ADTS 3.1.1.4.5.36)
    if (!v.objectClassNames().some((n) => n.toLowerCase() === 'user')) return [];
    const uac = v.first('userAccountControl');
    const sid = v.first('objectSid') as Uint8Array | undefined;
    if (typeof uac !== 'number' || (uac & UF.NORMAL_ACCOUNT) === 0 || (sid && ridOf(sid) === 502)) return [];
    const pso = resultantPso(v.rc.dir, v.rc.r, v.guid, v.rec);
    return pso ? [{ guid: pso }] : [];
  }],
  // MS-ADTS 3.1.1.4.5.28 parentGUID: the objectGUID of the parent (none for an NC head)
  ['parentguid', (v) => (v.rec.parent ? [Buffer.from(v.rec.parent)] : [])],
  // MS-ADTS 3.1.1.4.5.11 primaryGroupToken: the RID of a group's objectSid
  ['primarygrouptoken', (v) => primaryGroupToken(v)],
  // MS-ADTS 3.1.1.4.5.19 tokenGroups and tokenGroupsNoGCAcceptable, 3.1.1.4.5.20 tokenGroupsGlobalAndUniversal: base scope only
  ['tokengroups', (v, env) => (env.baseScope ? tokenGroups(v) : [])],
  ['tokengroupsglobalanduniversal', (v, env) => (env.baseScope ? tokenGroupsOf(v, 'globalAndUniversal') : [])],
  // this DC holds every domain of its forest: the expansion needs no global catalog and is tokenGroups'
  ['tokengroupsnogcacceptable', (v, env) => (env.baseScope ? tokenGroupsOf(v, 'all') : [])],
  // MS-ADTS 3.1.1.4.5.15 msDS-Approx-Immed-Subordinates: the number of children
  ['msds-approx-immed-subordinates', (v) => [v.rc.r.countChildren(v.guid)]],
  // structuralObjectClass: the structural class's chain
  ['structuralobjectclass', (v) => structuralChain(v)],
  // MS-ADTS 3.1.1.4.5.1 subSchemaSubEntry: the subschema entry, CN=Aggregate under the schema NC (3.1.1.3.1.4)
  ['subschemasubentry', (v) => aggregate(v.rc)],
  // MS-ADTS 3.1.1.4.5.17 msDS-User-Account-Control-Computed: UF_LOCKOUT, UF_PASSWORD_EXPIRED
  ['msds-user-account-control-computed', (v, env) => uacComputed(v, env)],
  // MS-ADTS 3.1.1.4.5.33 msDS-UserPasswordExpiryTimeComputed: users in a domain NC (null elsewhere)
  ['msds-userpasswordexpirytimecomputed', (v) => (v.objectClassNames().some((n) => n.toLowerCase() === 'user') && v.rec.nc.equals(v.rc.dir.forest.domainNC) ? [passwordExpiry(v)] : [])],
  // MS-ADTS 3.1.1.4.5.16 msDS-KeyVersionNumber: the dwVersion of unicodePwd's AttributeStamp
  // (the fKVNOEmuW2k dSHeuristics emulation, which answers 1, is not implemented)
  ['msds-keyversionnumber', (v) => keyVersionNumber(v)],
  // msDS-isRODC, on nTDSDSA, server and computer objects, read as msDS-isGC is (MS-ADTS 3.1.1.4.5.30, 3.1.1.4.5.31):
  // an nTDSDSA is an RODC's when its class is nTDSDSARO; a server answers for its NTDS Settings
  // child; a computer for the server whose serverReference names it
  ['msds-isrodc', (v) => isRodc(v)],
  ['msds-isgc', (v) => isGc(v)],
  ['msds-sitename', (v) => siteName(v)],
  // MS-ADTS 3.1.1.4.5.8 fromEntry: TRUE when the object is writable on this DC
  ['fromentry', (v) => {
    const it = v.first('instanceType');
    return [typeof it === 'number' && (it & IT_WRITE) !== 0];
  }],
]);

/** The constructed attributes this DSA computes (lower-case names). */
export function isSupportedConstructed(name: string): boolean {
  const k = name.toLowerCase();
  return CONSTRUCTED.has(k) || REPL_METADATA.has(k);
}

/** Names returned for '+' (tokenGroups only in base scope). */
export const OPERATIONAL_SET: readonly string[] = [...CONSTRUCTED.keys()];

/** `binary`: the attribute was asked for with ";binary" (the replication metadata's DS_REPL_*_BLOB forms). */
export function constructedValues(name: string, view: ObjectView, env: ConstructedEnv, binary = false): StoredValue[] | undefined {
  const k = name.toLowerCase();
  const f = CONSTRUCTED.get(k);
  if (f) return f(view, env);
  // replication metadata (repl-metadata.ts): only when named, never for '+'
  const g = REPL_METADATA.get(k);
  return g ? g(view, { binary }) : undefined;
}

function attr(v: ObjectView, name: string) {
  return v.rc.dir.schema.attr(name)!;
}

/** "example.com/Users/Administrator"; an NC head ends with '/'. '/' in values is escaped as '\/'. */
export function canonicalName(dn: string, ncHead: boolean): string {
  const rdns = parseDN(dn);
  let i = rdns.length;
  const dc: string[] = [];
  while (i > 0 && rdns[i - 1]!.length === 1 && rdns[i - 1]![0]!.type.toLowerCase() === 'dc') {
    dc.unshift(rdns[i - 1]![0]!.value);
    i--;
  }
  const parts: string[] = [];
  for (let j = i - 1; j >= 0; j--) parts.push(rdns[j]!.map((a) => a.value.replace(/\//g, '\\/')).join('+'));
  const head = dc.join('.');
  if (parts.length === 0) return `${head}/`;
  const s = `${head}/${parts.join('/')}`;
  return ncHead ? `${s}/` : s;
}

function allowedAttributes(v: ObjectView): StoredValue[] {
  const snap = v.rc.dir.schema.snapshot;
  const { must, may } = snap.attributesForClasses(v.objectClassNames());
  const out: string[] = [];
  for (const n of [...must, ...may]) {
    const a = snap.attributeByName(n);
    if (a) out.push(a.attributeID);
  }
  return out;
}

const childClassCache = new WeakMap<SchemaSnapshot, Map<string, string[]>>();

/** superior class (lower case) → governsIDs of the instantiable classes that may be created under it */
function childClassIndex(snap: SchemaSnapshot): Map<string, string[]> {
  let m = childClassCache.get(snap);
  if (m) return m;
  m = new Map();
  for (const info of snap.allClassInfo()) {
    const c = info.schema;
    if (c.isDefunct || c.objectClassCategory === ObjectClassCategory.Abstract || c.objectClassCategory === ObjectClassCategory.Auxiliary) continue;
    for (const sup of info.possSuperiors) {
      const k = sup.toLowerCase();
      let list = m.get(k);
      if (!list) m.set(k, (list = []));
      list.push(c.governsID);
    }
  }
  childClassCache.set(snap, m);
  return m;
}

function allowedChildClasses(v: ObjectView): StoredValue[] {
  const idx = childClassIndex(v.rc.dir.schema.snapshot);
  const out = new Set<string>();
  for (const n of v.objectClassNames()) for (const oid of idx.get(n.toLowerCase()) ?? []) out.add(oid);
  return [...out];
}

/**
 * MS-ADTS 3.1.1.4.5.18 msDS-Auxiliary-Classes: the objectClass values that are auxiliary classes.
 * The classes a class links statically (auxiliaryClass, systemAuxiliaryClass) are not objectClass
 * values (add.ts, modify.ts: the structural chain, then the auxiliary classes a client attached
 * with their auxiliary superclasses), so these are the dynamically attached ones, in objectClass
 * order.
 */
function auxiliaryClasses(v: ObjectView): StoredValue[] {
  const snap = v.rc.dir.schema.snapshot;
  const oc = v.values(v.rc.dir.schema.attr('objectClass')!) as string[];
  return oc.filter((oid) => snap.classByOid(oid)?.objectClassCategory === ObjectClassCategory.Auxiliary);
}

/**
 * MS-ADTS 3.1.1.4.5.21 possibleInferiors, on the classSchema object of class X: every class C,
 * not systemOnly, neither abstract nor auxiliary (nor defunct), that may be created under an
 * instance of X — X or one of its superclasses is among C's possible superiors (possSuperiors
 * and systemPossSuperiors of C and of its superclasses, MS-ADTS 3.1.1.2.4.4; an instance of a
 * subclass of a possible superior is one too, as Windows computes it). The values are
 * governsIDs (String(Object-Identifier)), rendered as lDAPDisplayNames.
 */
function possibleInferiors(v: ObjectView): StoredValue[] {
  const snap = v.rc.dir.schema.snapshot;
  if (!v.objectClassNames().some((n) => n.toLowerCase() === 'classschema')) return [];
  const name = v.first('lDAPDisplayName');
  const info = typeof name === 'string' ? snap.classInfo(name) : undefined;
  if (!info) return [];
  const idx = childClassIndex(snap);
  const out = new Set<string>();
  for (const k of info.chain) {
    for (const oid of idx.get(k.toLowerCase()) ?? []) if (snap.classByOid(oid)?.systemOnly !== true) out.add(oid);
  }
  return [...out];
}

function isGroup(v: ObjectView): boolean {
  return v.objectClassNames().some((n) => n.toLowerCase() === 'group');
}

function primaryGroupToken(v: ObjectView): StoredValue[] {
  if (!isGroup(v)) return [];
  const sid = v.first('objectSid') as Uint8Array | undefined;
  return sid ? [ridOf(sid)] : [];
}

/**
 * MS-ADTS 3.1.1.4.5.19 tokenGroups: the SIDs of the security groups the object is a member of,
 * directly or through nesting, and of its primary group (and that group's own groups). The
 * walk goes up through back links of member; cycles end at the visited set.
 */
function tokenGroups(v: ObjectView): StoredValue[] {
  return tokenGroupsOf(v, 'all');
}

/** Security principals only (objects with an objectSid); groups, SID history included for tokenGroups. */
function tokenGroupsOf(v: ObjectView, which: 'all' | 'globalAndUniversal'): StoredValue[] {
  if (v.first('objectSid') === undefined) return [];
  const g = expandGroups(v.rc.dir, v.rc.r, v.guid, v.rec);
  return which === 'all' ? [...g.all, ...g.sidHistory] : g.globalAndUniversal;
}

function allowedAttributesEffective(v: ObjectView): StoredValue[] {
  const acc = v.rc.access;
  const all = allowedAttributes(v) as string[];
  if (!acc) return all;
  const schema = v.rc.dir.schema;
  return all.filter((oid) => {
    const info = schema.attr(oid);
    return !!info && !info.constructed && !info.backLinkOf && acc.mayWrite(v.rec, info);
  });
}

function allowedChildClassesEffective(v: ObjectView): StoredValue[] {
  const acc = v.rc.access;
  const all = allowedChildClasses(v) as string[];
  if (!acc) return all;
  const snap = v.rc.dir.schema.snapshot;
  return all.filter((oid) => {
    const c = snap.classByOid(oid);
    return !!c && acc.mayCreateChild(v.rec, c);
  });
}

/** OWNER 0x1 and GROUP 0x2 with WRITE_OWNER, DACL 0x4 with WRITE_DAC, SACL 0x8 with ACCESS_SYSTEM_SECURITY. */
function sdRightsEffective(v: ObjectView): StoredValue[] {
  const acc = v.rc.access;
  if (!acc) return [0xf];
  const g = acc.granted(v.rec, Right.WRITE_OWNER | Right.WRITE_DAC | Right.ACCESS_SYSTEM_SECURITY);
  let out = 0;
  if (g & Right.WRITE_OWNER) out |= 0x1 | 0x2;
  if (g & Right.WRITE_DAC) out |= 0x4;
  if (g & Right.ACCESS_SYSTEM_SECURITY) out |= 0x8;
  return [out];
}

function structuralChain(v: ObjectView): StoredValue[] {
  const snap = v.rc.dir.schema.snapshot;
  const info = snap.classInfo(v.structuralClass());
  if (!info) return [];
  return info.chain.map((n) => snap.classByName(n)?.governsID).filter((x): x is string => x !== undefined);
}

const aggregateCache = new WeakMap<ReadContext, DSName[]>();
function aggregate(rc: ReadContext): StoredValue[] {
  let v = aggregateCache.get(rc);
  if (!v) {
    const guid = rc.dir.subSchemaGuid(rc.r);
    v = guid ? [{ guid }] : [];
    aggregateCache.set(rc, v);
  }
  return v;
}

function big(x: StoredValue | undefined): bigint | undefined {
  return typeof x === 'bigint' ? x : typeof x === 'number' ? BigInt(x) : undefined;
}

function uacComputed(v: ObjectView, env: ConstructedEnv): StoredValue[] {
  const uac = v.first('userAccountControl');
  if (typeof uac !== 'number') return [];
  let out = 0;
  // locked out (MS-ADTS 3.1.1.4.5.17): not a trust account, lockoutTime set and the account's
  // Effective-LockoutDuration (its PSO's or the domain's, MS-SAMR 3.1.1.5) not over
  const trust = UF.WORKSTATION_TRUST_ACCOUNT | UF.SERVER_TRUST_ACCOUNT | UF.INTERDOMAIN_TRUST_ACCOUNT;
  // the account's policy, looked up at most once for both bits and only when one needs it (a PSO lookup walks the groups)
  let policy: ReturnType<typeof accountPolicy> | undefined;
  const policyOf = () => (policy ??= accountPolicy(v.rc.dir, v.rc.r, v.guid, v.rec));
  const lockoutTime = big(v.first('lockoutTime'));
  if ((uac & trust) === 0 && lockoutTime !== undefined && lockoutTime !== 0n && isLockedOut(lockoutTime, policyOf(), env.now)) out |= UF.LOCKOUT;
  // password expired: the expiry time of 3.1.1.4.5.33 has passed (pwdLastSet 0: must change at next logon)
  if (passwordExpiry(v, () => policyOf().maxPwdAge) < env.now) out |= UF.PASSWORD_EXPIRED;
  return [out];
}

/** MS-ADTS 3.1.1.4.5.33 msDS-UserPasswordExpiryTimeComputed of a user (password-policy.ts passwordExpiryTime), with the PSO in force. */
function passwordExpiry(v: ObjectView, maxPwdAge = () => accountPolicy(v.rc.dir, v.rc.r, v.guid, v.rec).maxPwdAge): bigint {
  const uac = v.first('userAccountControl');
  return passwordExpiryTime(typeof uac === 'number' ? uac : 0, big(v.first('pwdLastSet')), maxPwdAge);
}

function keyVersionNumber(v: ObjectView): StoredValue[] {
  if (!v.objectClassNames().some((n) => n.toLowerCase() === 'user')) return [];
  const id = attr(v, 'unicodePwd').id;
  const st = getAttr(v.rec, id)?.stamp;
  return st ? [st.dwVersion] : [];
}

/**
 * A fact of a DC's nTDSDSA object, read on the nTDSDSA itself, on its server object (the child
 * "CN=NTDS Settings") or on the DC's computer object (the server whose serverReference names
 * it): msDS-isRODC (MS-ADTS 3.1.1.4.5.30) and msDS-isGC (3.1.1.4.5.31) are both read so.
 * No value on any other object.
 */
/** An object's objectClass values, lower case. */
const classesOf = (x: ObjectView) => x.objectClassNames().map((n) => n.toLowerCase());

function dsaFact(v: ObjectView, answer: (dsa: ObjectView) => StoredValue[]): StoredValue[] {
  const own = classesOf(v);
  if (own.includes('ntdsdsa')) return answer(v);
  const settingsOf = (server: ObjectView) => {
    for (const c of server.rc.r.children(server.guid)) {
      const child = server.rc.view(Buffer.from(c));
      if (child && classesOf(child).includes('ntdsdsa')) return answer(child);
    }
    return [];
  };
  if (own.includes('server')) return settingsOf(v);
  if (own.includes('computer')) {
    const server = serverOfComputer(v);
    if (server) return settingsOf(server);
  }
  return [];
}

/** The server object whose serverReference names computer `v` (its serverReferenceBL). */
function serverOfComputer(v: ObjectView): ObjectView | undefined {
  const ref = attr(v, 'serverReference');
  for (const b of v.rc.r.backlinks(v.guid, ref.forwardLinkId)) {
    const server = v.rc.view(Buffer.from(b.source));
    if (server) return server;
  }
  return undefined;
}

/**
 * msDS-SiteName (MS-ADTS 3.1.1.4.5.29): on an nTDSDSA or server object, the RDN of the site
 * object it lies under; on a computer object, its server's (serverReferenceBL); nothing elsewhere.
 */
function siteName(v: ObjectView): StoredValue[] {
  const own = classesOf(v);
  const from = own.includes('computer') ? serverOfComputer(v) : own.includes('ntdsdsa') || own.includes('server') ? v : undefined;
  for (let x = from, depth = 0; x && depth < 64; x = x.rec.parent ? x.rc.view(x.rec.parent) : undefined, depth++) {
    if (x !== from && classesOf(x).includes('site')) return [x.rec.name];
  }
  return [];
}

/** msDS-isRODC: the nTDSDSA is of class nTDSDSARO (MS-ADTS 3.1.1.4.5.30). */
const isRodc = (v: ObjectView) => dsaFact(v, (dsa) => [classesOf(dsa).includes('ntdsdsaro')]);

/** NTDSDSA_OPT_IS_GC (MS-ADTS 6.1.1.2.2.1.2.1.1): the DC is, or is becoming, a GC server. */
const NTDSDSA_OPT_IS_GC = 0x1;
/** msDS-isGC: the nTDSDSA's options has NTDSDSA_OPT_IS_GC (MS-ADTS 3.1.1.4.5.31). */
const isGc = (v: ObjectView) => dsaFact(v, (dsa) => {
  const options = dsa.first('options');
  return [typeof options === 'number' && (options & NTDSDSA_OPT_IS_GC) !== 0];
});
