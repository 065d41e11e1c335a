// LDAP Add (MS-ADTS 3.1.1.5.2): one new object, one originating update.
//
// createObject() is the shared core: provisioning and LDAP add both go through it, so the
// object class rules, the attributes every object gets (objectGUID, objectCategory,
// instanceType, name, whenCreated, …) and the replication metadata are decided in one place.
import { checkPasswordPolicy, historyAfter } from './password-policy.js';
import { accessFor } from './access/requester.js';
import { checkAdd } from './access/checks.js';
import { decodeSecurityDescriptor } from '../security/security-descriptor.js';
import type { WriteTxn } from '../store/store.js';
import { StoreError } from '../store/store.js';
import type { ObjectRecord, StoredAttribute } from '../store/record.js';
import type { StoredValue } from '../schema/syntaxes/syntax.js';
import type { ClassSchema } from '../schema/types.js';
import { ObjectClassCategory, SystemFlags } from '../schema/types.js';
import { resolveSchemaDn } from '../schema/types.js';
import type { AddRequest } from '../ldap/protocol/messages.js';
import { parseDN, formatDN, InvalidDNError } from '../dn/dn.js';
import { newGuid } from '../util/guid.js';
import { OriginatingUpdate } from './originating-update.js';
import type { AttrInfo } from './schema-binding.js';
import type { Directory } from './directory.js';
import type { OperationContext, OperationResult } from './api.js';
import { AdError, LdapError } from './errors.js';
import { dedupe, groupAttributes, linkParts, toStored } from './values.js';
import { applySecurityPrincipalRules } from './principals.js';
import { decodeUnicodePwd, MAX_PASSWORD_CHARS, ntHash, PasswordValueError } from '../security/password.js';
import { checkControls } from './controls.js';
import { applySiteObjectRules } from './site-objects.js';
import { sddlToBinary } from '../security/sddl.js';
import { newObjectSecurityDescriptor } from './access/new-object-sd.js';
import { withEffectiveSd } from './access/sd-propagator.js';
import type { SecurityToken } from '../security/token.js';
import { screenAddAttributes } from './add-request-attributes.js';
import { checkFsmoRoleOwner } from './sam/fsmo-role-owner.js';
import { checkSingleMaster } from './fsmo-roles.js';
import { prepareSchemaObject, bumpSchemaInfo, schemaChanged, schemaRawValues } from './schema-update.js';

/** instanceType bits (MS-ADA1 2.309 "Attribute instanceType" / MS-ADTS 3.1.1.1.5 "instanceType"). */
export const InstanceType = {
  IT_NC_HEAD: 0x1,
  IT_UNINSTANT: 0x2,
  IT_WRITE: 0x4,
  IT_NC_ABOVE: 0x8,
  IT_NC_COMING: 0x10,
  IT_NC_GOING: 0x20,
} as const;

export interface NewObject {
  /** the parent object; null for an NC head */
  parent: Buffer | null;
  /** NC heads: the NC's DN */
  ncName?: string;
  /** NC heads: whether this DC holds the NC above (instanceType IT_NC_ABOVE) */
  ncAbove?: boolean;
  rdnType: AttrInfo;
  rdnValue: string;
  /** requested values by attribute (stored forms), objectClass included */
  values: Map<AttrInfo, StoredValue[]>;
  /** provisioning may fix the objectGUID; an LDAP add may not (MS-ADTS 3.1.1.5.2.2) */
  guid?: Buffer;
  /** the parent's record as read in this transaction, when the caller has it (saves a decode) */
  parentRecord?: ObjectRecord;
}

export interface CreateOptions {
  /** system (provisioning, replication-free internal) adds may set systemOnly attributes */
  system: boolean;
  place: string;
  /** provisioning: resolves DNs of objects planned in the same update that may not exist yet */
  planned?: (dn: string) => Buffer | undefined;
  /** the requester's token: owner and group defaults of the new SD (MS-ADTS 6.1.3.5); absent for the system's own objects */
  creator?: SecurityToken;
}

/** The full objectClass chain for the requested classes: the structural class's chain, top first, then auxiliary classes. */
export function expandObjectClasses(dir: Directory, requested: string[], place: string): { structural: ClassSchema; values: string[] } {
  const snap = dir.schema.snapshot;
  const classes: ClassSchema[] = [];
  for (const oid of requested) {
    const c = snap.classByOid(oid) ?? snap.resolveClass(oid);
    if (!c) throw AdError.objectClassViolation(place, `unknown object class ${oid}`);
    if (c.isDefunct) throw AdError.objectClassViolation(place, `object class ${c.lDAPDisplayName} is defunct`);
    classes.push(c);
  }
  // MS-ADTS 3.1.1.5.2.1.1: exactly one most specific structural class (88-classes count as structural)
  const structurals = classes.filter((c) => c.objectClassCategory === ObjectClassCategory.Structural || c.objectClassCategory === ObjectClassCategory.Class88);
  if (structurals.length === 0) throw AdError.objectClassViolation(place, 'no structural object class given');
  let structural = structurals[0]!;
  for (const c of structurals) {
    const info = snap.classInfo(c)!;
    if (info.chain.includes(structural.lDAPDisplayName)) structural = c;
  }
  const info = snap.classInfo(structural)!;
  for (const c of structurals) {
    if (!info.chain.includes(c.lDAPDisplayName)) throw AdError.objectClassViolation(place, `structural classes ${structural.lDAPDisplayName} and ${c.lDAPDisplayName} are not in one chain`);
  }
  const out: string[] = info.chain.map((n) => snap.classByName(n)!.governsID);
  for (const c of classes) {
    if (c.objectClassCategory === ObjectClassCategory.Abstract && !info.chain.includes(c.lDAPDisplayName)) throw AdError.objectClassViolation(place, `abstract class ${c.lDAPDisplayName} is not a superclass of ${structural.lDAPDisplayName}`);
    if (c.objectClassCategory === ObjectClassCategory.Auxiliary) {
      // an auxiliary class and its superclasses join the chain after the structural ones
      for (const n of snap.classInfo(c)!.chain) {
        const oid = snap.classByName(n)!.governsID;
        if (!out.includes(oid)) out.push(oid);
      }
    }
  }
  return { structural, values: out };
}

/**
 * Creates an object as one part of the originating update `u`, after checking it against the
 * schema (MS-ADTS 3.1.1.5.2.1, 3.1.1.5.2.2). Returns its objectGUID.
 */
export function createObject(dir: Directory, u: OriginatingUpdate, obj: NewObject, opts: CreateOptions): Buffer {
  const w = u.txn;
  const schema = dir.schema;
  const snap = schema.snapshot;
  const place = opts.place;
  const A = (n: string) => schema.attr(n)!;
  const values = new Map(obj.values);

  // objectClass
  const ocInfo = A('objectClass');
  const requested = (values.get(ocInfo) ?? []) as string[];
  if (requested.length === 0) throw AdError.objectClassViolation(place, 'objectClass is required');
  const { structural, values: ocValues } = expandObjectClasses(dir, requested, place);
  values.set(ocInfo, ocValues);
  const cinfo = snap.classInfo(structural)!;
  const ocNames = ocValues.map((oid) => snap.classByOid(oid)!.lDAPDisplayName);
  const { allowed, must } = schema.classAttributeSets(ocNames);
  if (structural.systemOnly && !opts.system) throw AdError.unwillingToPerform(place, `objects of class ${structural.lDAPDisplayName} are created by the system only`);

  // RDN: MS-ADTS 3.1.1.5.2.2 — the RDN attribute is the class's rDNAttID
  if (!obj.ncName && cinfo.rDNAttID.toLowerCase() !== obj.rdnType.name.toLowerCase()) {
    throw AdError.namingViolation(place, `the RDN attribute of a ${structural.lDAPDisplayName} is ${cinfo.rDNAttID}, not ${obj.rdnType.name}`);
  }
  if (obj.rdnValue.length === 0 || obj.rdnValue.length > 255) throw AdError.namingViolation(place, 'the RDN value must have 1 to 255 characters');

  // parent: possSuperiors (MS-ADTS 3.1.1.5.2.1.2)
  let ncGuid: Buffer;
  let parentRec: ObjectRecord | undefined;
  if (obj.parent) {
    parentRec = obj.parentRecord ?? w.getObject(obj.parent);
    if (!parentRec) throw AdError.noSuchObject(place, '');
    ncGuid = parentRec.nc;
    if (!opts.system) {
      const parentClasses = (parentRec.attrs.find((a) => a.id === ocInfo.id)?.values ?? []) as string[];
      const poss = schema.possSuperiorsOf(structural.lDAPDisplayName);
      if (!parentClasses.some((oid) => { const pc = snap.classByOid(oid)?.lDAPDisplayName.toLowerCase(); return pc !== undefined && poss.has(pc); })) throw AdError.illegalSuperior(place, `a ${structural.lDAPDisplayName} cannot be created under this parent (possSuperiors)`);
    }
    if (parentRec.attrs.find((a) => a.id === A('isDeleted').id)?.values[0] === true) throw AdError.unwillingToPerform(place, 'the parent is deleted');
  } else {
    if (!obj.ncName) throw AdError.namingViolation(place, 'no parent');
    ncGuid = Buffer.alloc(0); // set below to the object's own GUID
  }

  const guid = obj.guid ?? newGuid();
  if (!obj.parent) ncGuid = guid;

  // schema objects may be given their system-only attributes on Add (MS-ADTS 3.1.1.2.3)
  const schemaUpdate = !opts.system && ncGuid.equals(dir.forest.schemaNC);

  // values the client may not give
  for (const [info] of values) {
    if (info.constructed) throw AdError.constraintViolation(place, info.id, info.name, undefined, `${info.name} is constructed`);
    if (info.backLinkOf) throw AdError.unwillingToPerform(place, `${info.name} is a back link and cannot be written`);
    if (!opts.system && !schemaUpdate && info.systemOnly && info.name !== 'objectClass') throw AdError.constraintViolation(place, info.id, info.name, undefined, `${info.name} is system-only`);
    if (!opts.system && (info.name === 'objectGUID' || info.name === 'objectSid')) throw AdError.unwillingToPerform(place, `${info.name} is assigned by the directory`);
    if (info.name !== 'objectClass' && !allowed.has(info.name.toLowerCase())) throw AdError.objectClassViolation(place, `attribute ${info.name} is not allowed on a ${structural.lDAPDisplayName}`);
  }

  // the RDN attribute and name equal the RDN (MS-ADTS 3.1.1.1.4)
  const rdnVals = values.get(obj.rdnType) as string[] | undefined;
  if (rdnVals && (rdnVals.length !== 1 || dir.schema.attr(obj.rdnType.name)!.syntax.compare(rdnVals[0]!, obj.rdnValue) !== 0)) {
    // Windows answers invalidDNSyntax (Samba's ldap.py test_all: a cn other than the DN's)
    throw AdError.invalidDNSyntax(place, `${obj.rdnType.name} must equal the RDN value`);
  }
  values.set(obj.rdnType, [obj.rdnValue]);
  values.set(A('name'), [obj.rdnValue]);
  // the sites tree: systemFlags by class, subnet names (MS-ADTS 3.1.1.5.2.3, site-objects.ts)
  if (!opts.system) applySiteObjectRules(schema, structural.lDAPDisplayName, obj.rdnValue, values, place);


  // defaults every object gets
  const set = (n: string, v: StoredValue[]) => {
    if (!values.has(A(n))) values.set(A(n), v);
  };
  let instanceType = InstanceType.IT_WRITE;
  if (!obj.parent) instanceType |= InstanceType.IT_NC_HEAD | (obj.ncAbove ? InstanceType.IT_NC_ABOVE : 0);
  values.set(A('instanceType'), [instanceType]);
  // objectCategory defaults to the class's defaultObjectCategory (MS-ADTS 3.1.1.5.2.3)
  if (!values.has(A('objectCategory'))) {
    const catDn = resolveSchemaDn(structural.defaultObjectCategory, dir.forest.schemaDN);
    const planned = opts.planned?.(catDn);
    // a classSchema object has no objectSid: the reference is its GUID (no record decode per add)
    values.set(A('objectCategory'), [{ guid: planned ?? defaultCategoryGuid(dir, w, structural, catDn, place) }]);
  }
  values.set(A('whenCreated'), [u.time]);
  // nTSecurityDescriptor: the given one or the class default, merged with what the parent passes on (MS-ADTS 6.1.3, MS-DTYP 2.5.3.4)
  const sdInfo = A('nTSecurityDescriptor');
  values.set(sdInfo, [newObjectSecurityDescriptor(dir, withEffectiveSd(dir, w, parentRec), structural, values.get(sdInfo)?.[0] as Uint8Array | undefined, opts.creator)]);
  if (structural.defaultHidingValue && !values.has(A('showInAdvancedViewOnly')) && allowed.has('showinadvancedviewonly')) set('showInAdvancedViewOnly', [true]);

  // schema objects added over LDAP: consistency checks and generated values (MS-ADTS 3.1.1.2.5)
  if (schemaUpdate) prepareSchemaObject(dir, values, ocNames, guid);

  // fSMORoleOwner names an nTDSDSA object (src/dsa/sam/fsmo-role-owner.ts)
  const fsmo = values.get(A('fSMORoleOwner'));
  if (fsmo && !opts.system) checkFsmoRoleOwner(dir, w, fsmo, 'add');

  // security principals: objectSid, sAMAccountName/Type, groupType… (MS-ADTS 3.1.1.5.2.4)
  applySecurityPrincipalRules(dir, u, values, ocNames, opts, guid);

  // must-have attributes (MS-ADTS 3.1.1.5.2.1.1)
  for (const m of must) {
    const info = schema.attr(m);
    if (!info || info.name === 'objectClass') continue;
    if (info.forwardLinkId !== undefined) continue;
    if (!values.has(info) || values.get(info)!.length === 0) {
      // nTSecurityDescriptor and objectCategory are given by the system where absent
      if (info.name === 'nTSecurityDescriptor' || info.name === 'objectCategory' || info.name === 'objectSid') continue;
      throw AdError.objectClassViolation(place, `required attribute ${info.name} is missing`);
    }
  }

  // single-valued, range constraints, duplicates
  const attrs: StoredAttribute[] = [];
  const links: [AttrInfo, StoredValue][] = [];
  // every attribute of a new object gets the same stamp (version 1, this update's USN and time):
  // one object for all of them (stamps are never changed in place; encodeObject packs it once)
  let stamp: StoredAttribute['stamp'];
  for (const [info, vals0] of values) {
    const vals = dedupe(info, vals0, () => {
      throw AdError.attributeOrValueExists(place, info.id, info.name);
    });
    if (vals.length === 0) continue;
    if (info.singleValued && vals.length > 1) throw AdError.constraintViolation(place, info.id, info.name, undefined, `${info.name} is single-valued`);
    checkRange(info, vals, place);
    if (info.forwardLinkId !== undefined) {
      for (const v of vals) links.push([info, v]);
      continue;
    }
    const a: StoredAttribute = { id: info.id, values: vals };
    if (info.replicated) a.stamp = stamp ??= u.attributeStamp(undefined);
    attrs.push(a);
  }
  const rec: ObjectRecord = {
    parent: obj.parent,
    nc: ncGuid,
    rdnType: obj.rdnType.id,
    name: obj.rdnValue,
    usnCreated: u.usn,
    usnChanged: u.usn,
    whenChanged: u.time,
    attrs,
  };
  if (obj.ncName) rec.ncName = obj.ncName;
  try {
    w.putObject(guid, rec, undefined);
  } catch (e) {
    if (e instanceof StoreError && e.code === 'ERR_STORE_NAME_EXISTS') throw AdError.entryAlreadyExists(place);
    throw e;
  }
  for (const [info, v] of links) {
    const { target, data } = linkParts(v);
    if (!opts.planned && !w.hasObject(target)) throw AdError.noSuchObject(place, '');
    u.addLinkValue(guid, info.id, info.forwardLinkId!, target, data);
  }
  if (schemaUpdate) bumpSchemaInfo(dir, u);
  return guid;
}

/** objectGUIDs of classes' defaultObjectCategory, per schema binding (a schema reload starts afresh; each use checks the object is still there). */
const categoryCache = new WeakMap<Directory['schema'], Map<ClassSchema, Buffer>>();
function defaultCategoryGuid(dir: Directory, w: WriteTxn, cls: ClassSchema, catDn: string, place: string): Buffer {
  let m = categoryCache.get(dir.schema);
  if (!m) categoryCache.set(dir.schema, (m = new Map()));
  const known = m.get(cls);
  if (known && w.hasObject(known)) return known;
  const g = dir.resolve(w, catDn, place);
  m.set(cls, Buffer.from(g));
  return g;
}

const sdCache = new WeakMap<ClassSchema, Buffer | null>();
/** The binary default security descriptor of a class, with owner and group Domain Admins (cached per class). */
export function defaultSecurityDescriptor(dir: Directory, cls: ClassSchema): Buffer | undefined {
  let sd = sdCache.get(cls);
  if (sd === undefined) {
    sd = null;
    const sddl = cls.defaultSecurityDescriptor;
    if (sddl !== undefined) {
      try {
        const withOwner = (/(^|\))O:/.test(sddl) ? '' : 'O:DA') + (/(^|\))G:/.test(sddl) ? '' : 'G:DA') + sddl;
        sd = sddlToBinary(withOwner, { domainSid: dir.forest.domainSid });
      } catch {
        sd = null;
      }
    }
    sdCache.set(cls, sd);
  }
  return sd ?? undefined;
}

/** rangeLower/rangeUpper (MS-ADTS 3.1.1.2.3): string lengths in characters, integers by value, octet strings by bytes. */
export function checkRange(info: AttrInfo, vals: StoredValue[], place: string): void {
  const lo = info.schema.rangeLower;
  const hi = info.schema.rangeUpper;
  if (lo === undefined && hi === undefined) return;
  for (const v of vals) {
    let n: number | undefined;
    if (typeof v === 'string') n = codePoints(v);
    else if (typeof v === 'number') n = v;
    else if (typeof v === 'bigint') n = Number(v);
    else if (v instanceof Uint8Array) n = v.length;
    if (n === undefined) continue;
    if ((lo !== undefined && n < lo) || (hi !== undefined && n > hi)) {
      throw AdError.constraintViolation(place, info.id, info.name, undefined, `value of ${info.name} outside its range ${lo ?? ''}..${hi ?? ''}`);
    }
  }
}

/** The length of `s` in Unicode code points (a surrogate pair is one character), without the array `[...s]` makes. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Splits a DN into its RDN (type, value) and the parent DN text. */
export function splitNewDN(dn: string, place: string): { rdnType: string; rdnValue: string; parentDN: string } {
  let rdns;
  try {
    rdns = parseDN(dn);
  } catch (e) {
    if (e instanceof InvalidDNError) throw AdError.invalidDNSyntax(place, e.message);
    throw e;
  }
  if (rdns.length < 2) throw AdError.namingViolation(place, 'cannot add an object without a parent in this directory');
  if (rdns[0]!.length !== 1) throw AdError.namingViolation(place, 'multi-valued RDNs are not supported');
  return { rdnType: rdns[0]![0]!.type, rdnValue: rdns[0]![0]!.value, parentDN: formatDN(rdns.slice(1)) };
}

/** The LDAP Add operation. */
export async function add(dir: Directory, req: AddRequest, ctx: OperationContext): Promise<OperationResult> {
  const place = 'dsa.add';
  checkControls(ctx.controls, 'add');
  const { rdnType, rdnValue, parentDN } = splitNewDN(req.entry, place);
  const rdnInfo = dir.schema.attr(rdnType);
  if (!rdnInfo) throw AdError.undefinedAttributeType(place, rdnType);
  let inSchemaNC = false;
  // the parent resolved in the committed state first: the name cache keeps what a committed view
  // resolves, and a write transaction only reads it (names.ts NameCache), so the adds under one
  // parent parse and walk its DN once, not once each; the write below resolves it again (a hit)
  dir.tryResolve(dir.store.reader, parentDN);
  await dir.store.write((w) => {
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    const parent = dir.resolve(w, parentDN, place);
    // decoded once per stored version of the parent, not once per add (ReadTxn.getObjectShared)
    const parentRecord = w.getObjectShared(parent)!;
    inSchemaNC = parentRecord.nc.equals(dir.forest.schemaNC);
    // MS-ADTS 3.1.1.5.1.8: schema objects and crossRefs are added on their role owner (fsmo-roles.ts)
    checkSingleMaster(dir, w, { op: 'add', dn: req.entry, nc: parentRecord.nc, parent }, place);
    // a schema object whose cn is in use: entryAlreadyExists before any schema check (ldap_schema.py test_duplicate_cn)
    if (inSchemaNC && dir.names.resolve(w, req.entry).found) throw AdError.entryAlreadyExists(place);
    const sctx = dir.syntaxContext(w, place);
    const grouped = groupAttributes(dir.schema, screenAddAttributes(dir, req.attributes, place), place);
    const values = new Map<AttrInfo, StoredValue[]>();
    let password: string | undefined;
    let ownGuid: Buffer | undefined;
    for (const [info, raw] of grouped) {
      if (raw.length === 0) throw AdError.constraintViolation(place, info.id, info.name, undefined, `no values for ${info.name}`);
      if (info.name === 'unicodePwd') {
        password = passwordFrom(raw, ctx, place);
        continue;
      }
      if (inSchemaNC && info.name === 'defaultObjectCategory') {
        const dv = defaultObjectCategoryValue(dir, info, raw, req.entry, sctx, place);
        if (dv.own) ownGuid = dv.guid;
        values.set(info, dv.values);
        continue;
      }
      values.set(info, toStored(info, inSchemaNC ? schemaRawValues(dir, info, raw) : raw, sctx, place));
    }
    // MS-ADTS 3.1.1.5.2.1 security considerations: CREATE_CHILD on the parent for the class
    const acc = accessFor(dir, w, ctx);
    if (acc) {
      const oc = (values.get(dir.schema.attr('objectClass')!) ?? []) as string[];
      if (oc.length > 0) {
        const { structural } = expandObjectClasses(dir, oc, place);
        const sd = values.get(dir.schema.attr('nTSecurityDescriptor')!)?.[0] as Uint8Array | undefined;
        checkAdd(acc, parent, parentRecord, structural, !!sd && givesSacl(sd), place);
      }
    }
    const guid = createObject(dir, u, { parent, parentRecord, rdnType: rdnInfo, rdnValue, values, ...(ownGuid ? { guid: ownGuid } : {}) }, acc ? { system: false, place, creator: acc.token } : { system: false, place });
    if (password !== undefined) {
      if (acc) checkPasswordPolicy(dir, w, guid, w.getObject(guid)!, password, 'reset', BigInt(u.time) * 10_000_000n, place);
      setPassword(dir, u, guid, password);
    }
  });
  if (inSchemaNC) schemaChanged(dir);
  return {};
}

/** Win32 ERROR_GEN_FAILURE, what AD puts first when a password is sent without confidentiality. */
const ERROR_GEN_FAILURE = 0x1f;

/**
 * defaultObjectCategory of a new classSchema (MS-ADTS 3.1.1.2.4.8): it may name the class
 * itself, which does not exist yet (Samba's ldap_schema.py test_subClassOf, run against
 * Windows: the value equals the object's own DN); a DN that names nothing is refused with
 * constraintViolation (the same test's "CN=_").
 */
function defaultObjectCategoryValue(dir: Directory, info: AttrInfo, raw: Buffer[], entry: string, sctx: ReturnType<Directory['syntaxContext']>, place: string): { values: StoredValue[]; own: boolean; guid?: Buffer } {
  const norm = (dn: string) => {
    try {
      return formatDN(parseDN(dn)).toLowerCase();
    } catch {
      return undefined;
    }
  };
  if (raw.length === 1 && norm(raw[0]!.toString('utf8')) !== undefined && norm(raw[0]!.toString('utf8')) === norm(entry)) {
    const guid = newGuid();
    return { values: [{ guid }], own: true, guid };
  }
  try {
    return { values: toStored(info, raw, sctx, place), own: false };
  } catch (e) {
    if (e instanceof LdapError && (e.resultCode === 32 || e.resultCode === 34)) throw AdError.constraintViolation(place, info.id, info.name, undefined, 'defaultObjectCategory must name an existing classSchema object or the new class itself');
    throw e;
  }
}

/** MS-ADTS 3.1.1.3.1.5: unicodePwd is written only over an encrypted connection, as one quoted UTF-16LE value. */
export function passwordFrom(raw: Buffer[], ctx: OperationContext, place: string): string {
  // AD refuses a secret over a connection without confidentiality: "0000001F: SvcErr: DSID-…, problem 5003 (WILL_NOT_PERFORM)"
  if (!ctx.session.encrypted && ctx.session.saslLayer !== 'seal') throw AdError.unwillingToPerformWith(place, ERROR_GEN_FAILURE, 'unicodePwd can only be set over an encrypted connection (LDAPS, StartTLS, or a sealed SASL bind)');
  if (raw.length !== 1) throw AdError.constraintViolation(place, 0x9005a, 'unicodePwd', undefined, 'exactly one unicodePwd value is needed');
  // MS-SAMR 3.1.1.7.2 maximum password length constraint (256 characters, plus the quotes),
  // checked on the size before decoding or hashing: 19 / 0000052D (ERROR_PASSWORD_RESTRICTION)
  if (raw[0]!.length > (MAX_PASSWORD_CHARS + 2) * 2) throw AdError.constraintViolation(place, 0x9005a, 'unicodePwd', 0x52d, 'the password is longer than 256 characters');
  try {
    return decodeUnicodePwd(raw[0]!);
  } catch (e) {
    if (e instanceof PasswordValueError) throw AdError.constraintViolation(place, 0x9005a, 'unicodePwd', undefined, e.message);
    throw e;
  }
}

/** Stores the NT hash of a new password and stamps pwdLastSet (MS-ADTS 3.1.1.3.1.5.1 "unicodePwd" password change semantics, MS-SAMR 3.1.1.8.5 clearTextPassword; simplified). */
export function setPassword(dir: Directory, u: OriginatingUpdate, guid: Buffer, password: string): void {
  const w = u.txn;
  const prev = w.getObject(guid)!;
  const rec = structuredClone(prev);
  const h = ntHash(password);
  u.setAttribute(rec, dir.schema.attr('unicodePwd')!, [h]);
  u.setAttribute(rec, dir.schema.attr('ntPwdHistory')!, [historyAfter(dir, w, guid, prev, h)]);
  // pwdLastSet: FILETIME of the change (100 ns units since 1601)
  u.setAttribute(rec, dir.schema.attr('pwdLastSet')!, [BigInt(u.time) * 10_000_000n]);
  u.touch(rec);
  w.putObject(guid, rec, prev);
}

void SystemFlags;
export type { WriteTxn };

/** Whether a descriptor given on add carries a SACL (which needs SeSecurityPrivilege). */
function givesSacl(sd: Uint8Array): boolean {
  try {
    return decodeSecurityDescriptor(sd).sacl !== undefined;
  } catch {
    return false;
  }
}
