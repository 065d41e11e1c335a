// Schema updates over LDAP (MS-ADTS 3.1.1.2.5): adding attributeSchema and classSchema objects
// to the schema NC with the consistency checks of 3.1.1.2.5.1.1 and the safety checks of
// 3.1.1.2.5.1.2, auto-generated linkID / mAPIID where asked (3.1.1.2.3: linkID given as
// 1.2.840.113556.1.2.50, or as the OID of a forward link to get its back link; mAPIID as
// 1.2.840.113556.1.2.49), the schemaInfo version bump in the same transaction (3.1.1.2.1),
// and a fresh schema cache once the update commits. Schema objects are never deleted: they
// are made defunct (isDefunct TRUE).
import type { StoredValue } from '../schema/syntaxes/syntax.js';
import { syntaxFor, InvalidSyntaxError } from '../schema/syntaxes/index.js';
import { ObjectClassCategory } from '../schema/types.js';
import type { OriginatingUpdate } from './originating-update.js';
import type { AttrInfo } from './schema-binding.js';
import type { Directory } from './directory.js';
import { AdError } from './errors.js';
import { newGuid } from '../util/guid.js';
import type { SamModifyView } from './sam/index.js';

/** linkID value that asks for a new forward link ID (MS-ADTS 3.1.1.2.3). */
export const AUTO_LINK_ID_OID = '1.2.840.113556.1.2.50';
/** mAPIID value that asks for a new MAPI ID (MS-ADTS 3.1.1.2.3). */
export const AUTO_MAPI_ID_OID = '1.2.840.113556.1.2.49';
/** First automatically assigned MAPI ID (MS-ADTS 3.1.1.2.3: from 0x80000000 upward? AD uses a high range). */
const FIRST_AUTO_MAPI_ID = 0x7a000;

const OID_RE = /^(0|[1-9]\d*)(\.(0|[1-9]\d*))+$/;
/** lDAPDisplayName: a letter, then letters, digits and hyphens (MS-ADTS 3.1.1.2.5.1.1 "valid"). */
const LDAP_NAME_RE = /^[A-Za-z][A-Za-z0-9-]*$/;

type Values = Map<AttrInfo, StoredValue[]>;

function get(dir: Directory, values: Values, name: string): StoredValue[] | undefined {
  return values.get(dir.schema.attr(name)!);
}
function first<T extends StoredValue>(dir: Directory, values: Values, name: string): T | undefined {
  return get(dir, values, name)?.[0] as T | undefined;
}
function set(dir: Directory, values: Values, name: string, v: StoredValue[]): void {
  values.set(dir.schema.attr(name)!, v);
}

/** The lDAPDisplayName AD derives from a cn: "My-Nice-Attr" → "myNiceAttr". */
export function ldapNameFromCn(cn: string): string {
  const parts = cn.split('-').filter((p) => p.length);
  return parts.map((p, i) => (i === 0 ? p[0]!.toLowerCase() + p.slice(1) : p[0]!.toUpperCase() + p.slice(1))).join('');
}

function refuse(detail: string): never {
  throw AdError.unwillingToPerform('dsa.schemaUpdate', `schema update refused: ${detail}`);
}

/**
 * Checks and completes a new schema object's values before createObject stores it. Returns
 * a function to run once the object exists (bumps schemaInfo in the same update).
 */
export function prepareSchemaObject(dir: Directory, values: Values, ocNames: string[], guid: Buffer): void {
  const snap = dir.schema.snapshot;
  const isAttr = ocNames.includes('attributeSchema');
  const isClass = ocNames.includes('classSchema');
  if (!isAttr && !isClass) return;
  // lDAPDisplayName: given, or derived from cn; valid and unique among attributes and classes (3.1.1.2.5.1.1)
  let name = first<string>(dir, values, 'lDAPDisplayName');
  if (name === undefined) {
    name = ldapNameFromCn(first<string>(dir, values, 'cn')!);
    set(dir, values, 'lDAPDisplayName', [name]);
  }
  if (!LDAP_NAME_RE.test(name)) refuse(`lDAPDisplayName ${JSON.stringify(name)} is not a valid name`);
  if (snap.attributeByName(name, { includeDefunct: false }) || snap.classByName(name, { includeDefunct: false })) refuse(`lDAPDisplayName ${name} is in use`);
  // schemaIDGUID: generated when absent, unique
  let idGuid = first<Uint8Array>(dir, values, 'schemaIDGUID');
  if (idGuid === undefined) {
    idGuid = newGuid();
    set(dir, values, 'schemaIDGUID', [idGuid]);
  }
  if (idGuid.length !== 16) refuse('schemaIDGUID must be 16 bytes');
  const guidText = formatGuid(idGuid);
  if (snap.attributeByGuid(guidText) || snap.classByGuid(guidText)) refuse(`schemaIDGUID ${guidText} is in use`);

  if (isAttr) {
    const oid = first<string>(dir, values, 'attributeID');
    if (!oid || !OID_RE.test(oid)) refuse('attributeID must be a numeric OID');
    if (snap.attributeByOid(oid) || snap.classByOid(oid)) refuse(`attributeID ${oid} is in use`);
    const attributeSyntax = first<string>(dir, values, 'attributeSyntax');
    const oMSyntax = first<number>(dir, values, 'oMSyntax');
    const omClass = first<Uint8Array>(dir, values, 'oMObjectClass');
    if (attributeSyntax === undefined || oMSyntax === undefined) refuse('attributeSyntax and oMSyntax are required');
    try {
      syntaxFor(attributeSyntax, oMSyntax, omClass ? Buffer.from(omClass).toString('hex') : undefined);
    } catch (e) {
      if (e instanceof InvalidSyntaxError) refuse(`attributeSyntax ${attributeSyntax} with oMSyntax ${oMSyntax} is not a valid syntax (${e.message})`);
      throw e;
    }
    // mAPIID unique; msDS-IntId is the DC's to assign on an attribute (Samba's ldap_schema.py
    // test_generated_mAPIID, test_msDS_IntId_on_attr, run against Windows: unwillingToPerform)
    const mapi = first<number>(dir, values, 'mAPIID');
    if (mapi !== undefined && snap.attributes.some((a) => a.mAPIID === mapi)) refuse(`mAPIID ${mapi} is in use`);
    if (get(dir, values, 'msDS-IntId') !== undefined) refuse('msDS-IntId of an attribute is assigned by the directory');
    const lo = first<number>(dir, values, 'rangeLower');
    const hi = first<number>(dir, values, 'rangeUpper');
    if (lo !== undefined && hi !== undefined && lo > hi) refuse('rangeLower is above rangeUpper');
    // linkID: a number, or the OID that asks for a new one, or the OID/name of a forward link for its back link
    const linkRaw = get(dir, values, 'linkID');
    if (linkRaw !== undefined) {
      const link = linkRaw[0]!;
      let id: number;
      if (typeof link === 'number') id = link;
      else refuse('linkID must be an integer');
      if (id === 0 || !Number.isInteger(id)) refuse('linkID 0 is not a link');
      if (snap.attributeByLinkId(id)) refuse(`linkID ${id} is in use`);
      if (id % 2 === 1) {
        const fwd = snap.attributeByLinkId(id - 1);
        if (!fwd) refuse(`back link ${id} has no forward link ${id - 1}`);
      }
      const syn = attributeSyntax;
      if (!['2.5.5.1', '2.5.5.7', '2.5.5.14'].includes(syn)) refuse('only DN-valued syntaxes can be linked');
    }
  } else {
    const oid = first<string>(dir, values, 'governsID');
    if (!oid || !OID_RE.test(oid)) refuse('governsID must be a numeric OID');
    if (snap.attributeByOid(oid) || snap.classByOid(oid)) refuse(`governsID ${oid} is in use`);
    const cat = first<number>(dir, values, 'objectClassCategory');
    if (cat === undefined || ![0, 1, 2, 3].includes(cat)) refuse('objectClassCategory must be 0, 1, 2 or 3');
    const nameOf = (v: StoredValue) => snap.classByOid(v as string)?.lDAPDisplayName ?? snap.attributeByOid(v as string)?.lDAPDisplayName ?? (v as string);
    const sup = first<string>(dir, values, 'subClassOf');
    const supCls = sup ? snap.classByOid(sup) : undefined;
    if (!supCls) refuse('subClassOf must name an existing class');
    // 3.1.1.2.4.2: structural classes inherit from structural or abstract, abstract from abstract, auxiliary from auxiliary or abstract
    const okSup: Record<number, number[]> = { 1: [1, 2, 0], 2: [2], 3: [3, 2], 0: [0, 2, 1] };
    if (!okSup[cat]!.includes(supCls.objectClassCategory)) refuse(`a class of category ${cat} cannot be a subclass of ${supCls.lDAPDisplayName}`);
    for (const n of ['mustContain', 'mayContain', 'systemMustContain', 'systemMayContain']) {
      for (const v of get(dir, values, n) ?? []) if (!snap.attributeByOid(v as string)) refuse(`${n} names ${nameOf(v)}, which is not an attribute`);
    }
    for (const n of ['auxiliaryClass', 'systemAuxiliaryClass']) {
      for (const v of get(dir, values, n) ?? []) {
        const c = snap.classByOid(v as string);
        if (!c || (c.objectClassCategory !== ObjectClassCategory.Auxiliary && c.objectClassCategory !== ObjectClassCategory.Class88)) refuse(`${n} names ${nameOf(v)}, which is not an auxiliary class`);
      }
    }
    for (const n of ['possSuperiors', 'systemPossSuperiors']) {
      for (const v of get(dir, values, n) ?? []) {
        const c = snap.classByOid(v as string);
        if (!c || (c.objectClassCategory !== ObjectClassCategory.Structural && c.objectClassCategory !== ObjectClassCategory.Class88)) refuse(`${n} names ${nameOf(v)}, which is not a structural class`);
      }
    }
    const rdn = first<string>(dir, values, 'rDNAttID');
    if (rdn !== undefined && !snap.attributeByOid(rdn)) refuse('rDNAttID must name an attribute');
    // no rDNAttID: the superclass's (a subclass of organizationalUnit is named OU=…, ldap_schema.py test_subClassOf)
    if (rdn === undefined) {
      const inherited = snap.classInfo(supCls)?.rDNAttID ?? 'cn';
      set(dir, values, 'rDNAttID', [(snap.attributeByName(inherited) ?? snap.attributeByName('cn')!).attributeID]);
    }
    // defaultObjectCategory: the class itself when absent (3.1.1.2.4.8)
    if (first(dir, values, 'defaultObjectCategory') === undefined) set(dir, values, 'defaultObjectCategory', [{ guid }]);
  }
}

/** schemaInfo: 0xFF, the schema version (big-endian), the invocationId of the DC making the change (MS-ADTS 3.1.1.2.1). */
export function bumpSchemaInfo(dir: Directory, u: OriginatingUpdate): void {
  const w = u.txn;
  const head = w.getObject(dir.forest.schemaNC)!;
  const rec = structuredClone(head);
  const info = dir.schema.attr('schemaInfo')!;
  const old = rec.attrs.find((a) => a.id === info.id)?.values[0] as Uint8Array | undefined;
  const version = old && old.length === 21 ? Buffer.from(old).readUInt32BE(1) : 0;
  const next = Buffer.alloc(21);
  next[0] = 0xff;
  next.writeUInt32BE(version + 1, 1);
  Buffer.from(dir.store.dc.invocationId).copy(next, 5);
  u.setAttribute(rec, info, [next]);
  u.touch(rec);
  w.putObject(dir.forest.schemaNC, rec, head);
}

/**
 * linkID and mAPIID may be given as requests rather than numbers (MS-ADTS 3.1.1.2.3): the OID
 * 1.2.840.113556.1.2.50 asks for a new forward link ID, the OID or name of an existing forward
 * link asks for its back link ID, and 1.2.840.113556.1.2.49 asks for a new MAPI ID.
 */
export function schemaRawValues(dir: Directory, info: AttrInfo, raw: Buffer[]): Buffer[] {
  if (info.name !== 'linkID' && info.name !== 'mAPIID') return raw;
  const snap = dir.schema.snapshot;
  return raw.map((b) => {
    const text = b.toString('utf8').trim();
    if (/^-?\d+$/.test(text)) return b;
    if (info.name === 'mAPIID') {
      if (text !== AUTO_MAPI_ID_OID) return b;
      let max = FIRST_AUTO_MAPI_ID;
      for (const a of snap.attributes) if (a.mAPIID !== undefined && a.mAPIID >= max) max = a.mAPIID + 1;
      return Buffer.from(String(max));
    }
    if (text === AUTO_LINK_ID_OID) {
      let max = 0;
      for (const a of snap.attributes) if (a.linkID !== undefined && a.linkID > max) max = a.linkID;
      const next = max + (max % 2 === 0 ? 2 : 1);
      return Buffer.from(String(Math.max(next, 2000)));
    }
    const fwd = snap.resolveAttribute(text);
    if (fwd && fwd.linkID !== undefined && fwd.linkID % 2 === 0) return Buffer.from(String(fwd.linkID + 1));
    // the OID or name of a back link (or of no link at all): there is no back link to make
    // (ldap_schema.py test_generated_linkID "backlink of backlink", run against Windows: unwillingToPerform)
    refuse(`linkID ${JSON.stringify(text)} names no forward link`);
  });
}

/**
 * A modify of a schema object (MS-ADTS 3.1.1.2.5.1.1): lDAPDisplayName stays present, valid and
 * unique among attributes and classes (Samba's ldap_schema.py test_remove_ldapdisplayname:
 * objectClassViolation; test_duplicate_via_rename_ldapdisplayname: unwillingToPerform, run
 * against Windows). attributeID, governsID, mAPIID and msDS-IntId are system-only and refused
 * with constraintViolation before this.
 */
export function schemaModifyRules(v: SamModifyView): void {
  const t = v.touched('lDAPDisplayName');
  if (!t) return;
  const dir = v.dir;
  if (t.values.length === 0) throw AdError.objectClassViolation('dsa.schemaUpdate', 'lDAPDisplayName cannot be removed from a schema object');
  const name = t.values[0] as string;
  const before = v.stored('lDAPDisplayName')[0] as string | undefined;
  if (before !== undefined && before.toLowerCase() === name.toLowerCase()) return;
  if (!LDAP_NAME_RE.test(name)) refuse(`lDAPDisplayName ${JSON.stringify(name)} is not a valid name`);
  const snap = dir.schema.snapshot;
  if (snap.attributeByName(name, { includeDefunct: false }) || snap.classByName(name, { includeDefunct: false })) refuse(`lDAPDisplayName ${name} is in use`);
}

/** Called after the update committed: the schema cache follows the schema NC. */
export function schemaChanged(dir: Directory): void {
  dir.reloadSchema();
}

function formatGuid(b: Uint8Array): string {
  const x = Buffer.from(b);
  const h = x.toString('hex');
  return `${x.readUInt32LE(0).toString(16).padStart(8, '0')}-${x.readUInt16LE(4).toString(16).padStart(4, '0')}-${x.readUInt16LE(6).toString(16).padStart(4, '0')}-${h.slice(16, 20)}-${h.slice(20)}`;
}


export { AUTO_LINK_ID_OID as LINK_ID_AUTO, FIRST_AUTO_MAPI_ID };
