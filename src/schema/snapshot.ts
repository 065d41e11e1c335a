// Immutable in-memory schema snapshot: indexes and per-class precomputation over a
// set of attributeSchema/classSchema objects. MS-ADTS 3.1.1.2 (Active Directory Schema).

import { PrefixTable, type ATTRTYP } from './prefix-table.js';
import {
  ObjectClassCategory,
  SCHEMA_CONTAINER_PLACEHOLDER,
  SystemFlags,
  type AttributeSchema,
  type ClassSchema,
  type SyntaxTriple,
} from './types.js';

/**
 * Secret attributes, MS-ADTS 3.1.1.1.4 ("A secret attribute is any attribute from the
 * following set ..."). msDS-ExecuteScriptPassword is not in the spec's list.
 */
export const SECRET_ATTRIBUTES: readonly string[] = Object.freeze([
  'currentValue',
  'dBCSPwd',
  'initialAuthIncoming',
  'initialAuthOutgoing',
  'lmPwdHistory',
  'ntPwdHistory',
  'priorValue',
  'supplementalCredentials',
  'trustAuthIncoming',
  'trustAuthOutgoing',
  'unicodePwd',
]);

/** Precomputed facts about one class. All name sets hold canonical lDAPDisplayNames. */
export interface ClassInfo {
  readonly schema: ClassSchema;
  readonly lDAPDisplayName: string;
  readonly objectClassCategory: ObjectClassCategory;
  /** Superclass chain, "top" first, this class last (MS-ADTS 3.1.1.2.4.2/3.1.1.2.4.3). */
  readonly chain: readonly string[];
  /**
   * Auxiliary classes that apply to instances of this class: auxiliaryClass and
   * systemAuxiliaryClass of the class and of every superclass, closed over the
   * auxiliary classes' own superclasses and auxiliary classes (MS-ADTS 3.1.1.2.4.6).
   */
  readonly auxiliaryClasses: readonly string[];
  /** mustContain ∪ systemMustContain over the chain and the auxiliary closure. */
  readonly mustContain: ReadonlySet<string>;
  /** mayContain ∪ systemMayContain over the chain and the auxiliary closure, minus mustContain. */
  readonly mayContain: ReadonlySet<string>;
  /** mustContain ∪ mayContain. */
  readonly allowedAttributes: ReadonlySet<string>;
  /** possSuperiors ∪ systemPossSuperiors over the superclass chain (MS-ADTS 3.1.1.2.4.4). */
  readonly possSuperiors: ReadonlySet<string>;
  /** lDAPDisplayName of the RDN attribute (MS-ADTS 3.1.1.2.4.7). */
  readonly rDNAttID: string;
  /** ATTRTYP of the RDN attribute. */
  readonly rdnAttributeId: ATTRTYP;
  /** defaultObjectCategory as a template DN ("CN=Person,<SchemaContainerDN>"). */
  readonly defaultObjectCategory: string;
  /** defaultObjectCategory relative to the schema container, e.g. "CN=Person". */
  readonly defaultObjectCategoryRdn: string;
}

export interface SnapshotOptions {
  /**
   * Throw on references to unknown attributes/classes (default true). When false,
   * dangling names are skipped and reported in `SchemaSnapshot.problems`.
   */
  strict?: boolean;
}

const OID_RE = /^\d+(\.\d+)+$/;

/** Freeze a schema record and its array-valued fields in place. */
function deepFreezeRecord(o: object): void {
  if (Object.isFrozen(o)) return;
  for (const v of Object.values(o)) if (Array.isArray(v)) Object.freeze(v);
  Object.freeze(o);
}

function frozenSet<T>(s: Set<T>): ReadonlySet<T> {
  return Object.freeze(s) as ReadonlySet<T>;
}

/** Prefer the active object when two share a key (MS-ADTS 3.1.1.2.5.3.2). */
function putPreferActive<K, V extends { isDefunct: boolean }>(m: Map<K, V>, k: K, v: V): void {
  const cur = m.get(k);
  if (!cur || (cur.isDefunct && !v.isDefunct)) m.set(k, v);
}

export class SchemaSnapshot {
  readonly attributes: readonly AttributeSchema[];
  readonly classes: readonly ClassSchema[];
  /** Frozen copy of the prefix table the ATTRTYPs were computed with. */
  readonly prefixTable: PrefixTable;
  /** Milliseconds taken by the constructor. */
  readonly buildTimeMs: number;
  /** Non-fatal problems found while building (only populated with strict: false). */
  readonly problems: readonly string[];

  readonly constructedAttributes: ReadonlySet<string>;
  readonly nonReplicatedAttributes: ReadonlySet<string>;
  readonly operationalAttributes: ReadonlySet<string>;
  readonly secretAttributes: ReadonlySet<string>;
  /** ATTRTYPs of attributes that are the rDNAttID of some class or carry FLAG_ATTR_IS_RDN. */
  readonly rdnAttributeIds: ReadonlySet<ATTRTYP>;

  #attrByName = new Map<string, AttributeSchema>(); // lowercase, active only
  #attrByNameAll = new Map<string, AttributeSchema>(); // lowercase, incl. defunct
  #attrByOid = new Map<string, AttributeSchema>();
  #attrByAttrTyp = new Map<ATTRTYP, AttributeSchema>();
  #attrByLinkId = new Map<number, AttributeSchema>();
  #attrByGuid = new Map<string, AttributeSchema>();
  #classByName = new Map<string, ClassSchema>();
  #classByNameAll = new Map<string, ClassSchema>();
  #classByOid = new Map<string, ClassSchema>();
  #classByAttrTyp = new Map<ATTRTYP, ClassSchema>();
  #classByGuid = new Map<string, ClassSchema>();
  #classInfo = new Map<string, ClassInfo>(); // lowercase name -> info

  constructor(
    attributes: readonly AttributeSchema[],
    classes: readonly ClassSchema[],
    prefixTable?: PrefixTable,
    options: SnapshotOptions = {},
  ) {
    const t0 = performance.now();
    const strict = options.strict ?? true;
    const problems: string[] = [];
    const problem = (msg: string): void => {
      if (strict) throw new Error(`schema: ${msg}`);
      problems.push(msg);
    };

    this.prefixTable = (prefixTable ?? new PrefixTable()).clone().freeze();

    // The snapshot takes ownership of the records and freezes them in place
    // (copying 1,768 records would dominate the build time).
    this.attributes = Object.freeze([...attributes]);
    this.classes = Object.freeze([...classes]);
    for (const a of this.attributes) deepFreezeRecord(a);
    for (const c of this.classes) deepFreezeRecord(c);

    // --- attribute indexes
    const constructed = new Set<string>();
    const nonRepl = new Set<string>();
    const operational = new Set<string>();
    const rdnIds = new Set<ATTRTYP>();
    for (const a of this.attributes) {
      const lc = a.lDAPDisplayName.toLowerCase();
      if (!a.isDefunct) {
        if (this.#attrByName.has(lc)) problem(`duplicate attribute lDAPDisplayName ${a.lDAPDisplayName}`);
        this.#attrByName.set(lc, a);
      }
      putPreferActive(this.#attrByNameAll, lc, a);
      putPreferActive(this.#attrByOid, a.attributeID, a);
      putPreferActive(this.#attrByAttrTyp, a.attributeId, a);
      putPreferActive(this.#attrByGuid, a.schemaIDGUID.toLowerCase(), a);
      if (a.linkID !== undefined) putPreferActive(this.#attrByLinkId, a.linkID, a);
      // MS-ADTS 3.1.1.2.3: systemFlags FLAG_ATTR_IS_CONSTRUCTED / NOT_REPLICATED / IS_OPERATIONAL.
      if (a.systemFlags & SystemFlags.FLAG_ATTR_IS_CONSTRUCTED) constructed.add(a.lDAPDisplayName);
      if (a.systemFlags & SystemFlags.FLAG_ATTR_NOT_REPLICATED) nonRepl.add(a.lDAPDisplayName);
      if (a.systemFlags & SystemFlags.FLAG_ATTR_IS_OPERATIONAL) operational.add(a.lDAPDisplayName);
      if (a.systemFlags & SystemFlags.FLAG_ATTR_IS_RDN) rdnIds.add(a.attributeId);
    }

    // --- class indexes
    for (const c of this.classes) {
      const lc = c.lDAPDisplayName.toLowerCase();
      if (!c.isDefunct) {
        if (this.#classByName.has(lc)) problem(`duplicate class lDAPDisplayName ${c.lDAPDisplayName}`);
        this.#classByName.set(lc, c);
      }
      putPreferActive(this.#classByNameAll, lc, c);
      putPreferActive(this.#classByOid, c.governsID, c);
      putPreferActive(this.#classByAttrTyp, c.classId, c);
      putPreferActive(this.#classByGuid, c.schemaIDGUID.toLowerCase(), c);
    }

    // --- per-class precomputation
    const exactAttr = new Map<string, AttributeSchema>();
    for (const a of this.attributes) if (!exactAttr.has(a.lDAPDisplayName) || !a.isDefunct) exactAttr.set(a.lDAPDisplayName, a);
    const attrName = (n: string, where: string): string | undefined => {
      const a = exactAttr.get(n) ?? this.#attrByNameAll.get(n.toLowerCase());
      if (!a) {
        problem(`${where}: unknown attribute ${n}`);
        return undefined;
      }
      return a.lDAPDisplayName;
    };
    const className = (n: string, where: string): string | undefined => {
      const c = this.#classByNameAll.get(n.toLowerCase());
      if (!c) {
        problem(`${where}: unknown class ${n}`);
        return undefined;
      }
      return c.lDAPDisplayName;
    };

    const building = new Set<string>();
    const compute = (c: ClassSchema): ClassInfo => {
      const key = c.lDAPDisplayName.toLowerCase();
      const done = this.#classInfo.get(key);
      if (done) return done;
      if (building.has(key)) throw new Error(`schema: class inheritance/auxiliary cycle at ${c.lDAPDisplayName}`);
      building.add(key);

      // Superclass chain (MS-ADTS 3.1.1.2.4.2): top's subClassOf is top. Everything
      // inherited is taken from the superclass's (already closed) info.
      let sup: ClassInfo | undefined;
      if (c.subClassOf.toLowerCase() !== key) {
        const supc = this.#classByNameAll.get(c.subClassOf.toLowerCase());
        if (!supc) problem(`${c.lDAPDisplayName}: unknown subClassOf ${c.subClassOf}`);
        else sup = compute(supc);
      }
      const chain = sup ? [...sup.chain, c.lDAPDisplayName] : [c.lDAPDisplayName];
      const must = new Set<string>(sup?.mustContain);
      const may = new Set<string>(sup?.allowedAttributes);
      const poss = new Set<string>(sup?.possSuperiors);
      const aux: string[] = sup ? [...sup.auxiliaryClasses] : [];
      const auxSeen = new Set<string>(aux);
      const where = `class ${c.lDAPDisplayName}`;
      for (const list of [c.mustContain, c.systemMustContain]) {
        for (const n of list) {
          const m = attrName(n, where);
          if (m) must.add(m);
        }
      }
      for (const list of [c.mayContain, c.systemMayContain]) {
        for (const n of list) {
          const m = attrName(n, where);
          if (m) may.add(m);
        }
      }
      for (const list of [c.possSuperiors, c.systemPossSuperiors]) {
        for (const n of list) {
          const m = className(n, where);
          if (m) poss.add(m);
        }
      }
      for (const list of [c.auxiliaryClass, c.systemAuxiliaryClass]) {
        for (const n of list) {
          const ac = this.#classByNameAll.get(n.toLowerCase());
          if (!ac) {
            problem(`${where}: unknown auxiliary class ${n}`);
            continue;
          }
          // MS-ADTS 3.1.1.2.4.6: the auxiliary class together with its own closure.
          const ai = compute(ac);
          for (const x of [ac.lDAPDisplayName, ...ai.auxiliaryClasses]) {
            if (!auxSeen.has(x)) {
              auxSeen.add(x);
              aux.push(x);
            }
          }
          for (const x of ai.mustContain) must.add(x);
          for (const x of ai.allowedAttributes) may.add(x);
        }
      }
      for (const x of must) may.delete(x);
      const allowed = new Set<string>([...must, ...may]);

      const rdn = this.#attrByNameAll.get(c.rDNAttID.toLowerCase());
      if (!rdn) problem(`${c.lDAPDisplayName}: unknown rDNAttID ${c.rDNAttID}`);
      if (rdn) rdnIds.add(rdn.attributeId);

      const suffix = ',' + SCHEMA_CONTAINER_PLACEHOLDER;
      const doc = c.defaultObjectCategory;
      const info: ClassInfo = Object.freeze({
        schema: c,
        lDAPDisplayName: c.lDAPDisplayName,
        objectClassCategory: c.objectClassCategory,
        chain: Object.freeze(chain),
        auxiliaryClasses: Object.freeze(aux),
        mustContain: frozenSet(must),
        mayContain: frozenSet(may),
        allowedAttributes: frozenSet(allowed),
        possSuperiors: frozenSet(poss),
        rDNAttID: rdn ? rdn.lDAPDisplayName : c.rDNAttID,
        rdnAttributeId: rdn ? rdn.attributeId : -1,
        defaultObjectCategory: doc,
        defaultObjectCategoryRdn: doc.endsWith(suffix) ? doc.slice(0, -suffix.length) : doc,
      });
      building.delete(key);
      this.#classInfo.set(key, info);
      return info;
    };
    for (const c of this.classes) compute(c);

    this.constructedAttributes = frozenSet(constructed);
    this.nonReplicatedAttributes = frozenSet(nonRepl);
    this.operationalAttributes = frozenSet(operational);
    this.rdnAttributeIds = frozenSet(rdnIds);
    const secrets = new Set<string>();
    for (const n of SECRET_ATTRIBUTES) {
      const a = this.#attrByNameAll.get(n.toLowerCase());
      if (a) secrets.add(a.lDAPDisplayName);
    }
    this.secretAttributes = frozenSet(secrets);
    this.problems = Object.freeze(problems);
    this.buildTimeMs = performance.now() - t0;
    Object.freeze(this);
  }

  // ------------------------------------------------------------------ attributes

  /**
   * Attribute by lDAPDisplayName, case-insensitive. Defunct attributes are not
   * found by name unless includeDefunct (MS-ADTS 3.1.1.2.5.3).
   */
  attributeByName(name: string, opts?: { includeDefunct?: boolean }): AttributeSchema | undefined {
    const lc = name.toLowerCase();
    return opts?.includeDefunct ? this.#attrByNameAll.get(lc) : this.#attrByName.get(lc);
  }

  /** Attribute by attributeID (dotted OID); defunct ones included, active preferred. */
  attributeByOid(oid: string): AttributeSchema | undefined {
    return this.#attrByOid.get(oid);
  }

  attributeByAttrTyp(attrtyp: ATTRTYP): AttributeSchema | undefined {
    return this.#attrByAttrTyp.get(attrtyp);
  }

  attributeByLinkId(linkId: number): AttributeSchema | undefined {
    return this.#attrByLinkId.get(linkId);
  }

  attributeByGuid(guid: string): AttributeSchema | undefined {
    return this.#attrByGuid.get(guid.toLowerCase());
  }

  /**
   * Attribute by lDAPDisplayName or dotted OID (an "OID." prefix is accepted), the
   * way LDAP attribute descriptions name attributes.
   */
  resolveAttribute(nameOrOid: string): AttributeSchema | undefined {
    const s = nameOrOid.toLowerCase().startsWith('oid.') ? nameOrOid.slice(4) : nameOrOid;
    return OID_RE.test(s) ? this.attributeByOid(s) : this.attributeByName(s);
  }

  /** Link attributes (MS-ADTS 3.1.1.2.3): forward links have even linkID, back links odd. */
  isForwardLink(a: AttributeSchema): boolean {
    return a.linkID !== undefined && a.linkID % 2 === 0;
  }

  isBackLink(a: AttributeSchema): boolean {
    return a.linkID !== undefined && a.linkID % 2 === 1;
  }

  /** The back link of a forward link (linkID + 1) or the forward link of a back link (linkID - 1). */
  linkPartner(a: AttributeSchema): AttributeSchema | undefined {
    if (a.linkID === undefined) return undefined;
    return this.#attrByLinkId.get(a.linkID % 2 === 0 ? a.linkID + 1 : a.linkID - 1);
  }

  isConstructed(a: AttributeSchema | string): boolean {
    return this.constructedAttributes.has(typeof a === 'string' ? this.#canon(a) : a.lDAPDisplayName);
  }

  isReplicated(a: AttributeSchema | string): boolean {
    const attr = typeof a === 'string' ? this.attributeByName(a, { includeDefunct: true }) : a;
    return !!attr && !(attr.systemFlags & (SystemFlags.FLAG_ATTR_NOT_REPLICATED | SystemFlags.FLAG_ATTR_IS_CONSTRUCTED));
  }

  isOperational(a: AttributeSchema | string): boolean {
    return this.operationalAttributes.has(typeof a === 'string' ? this.#canon(a) : a.lDAPDisplayName);
  }

  isSecret(a: AttributeSchema | string): boolean {
    return this.secretAttributes.has(typeof a === 'string' ? this.#canon(a) : a.lDAPDisplayName);
  }

  /** The (attributeSyntax, oMSyntax, oMObjectClass) triple (MS-ADTS 3.1.1.2.2.2). */
  syntaxOf(a: AttributeSchema): SyntaxTriple {
    return a.oMObjectClass === undefined
      ? { attributeSyntax: a.attributeSyntax, oMSyntax: a.oMSyntax }
      : { attributeSyntax: a.attributeSyntax, oMSyntax: a.oMSyntax, oMObjectClass: a.oMObjectClass };
  }

  #canon(name: string): string {
    return this.#attrByNameAll.get(name.toLowerCase())?.lDAPDisplayName ?? name;
  }

  // --------------------------------------------------------------------- classes

  /** Class by lDAPDisplayName, case-insensitive; defunct classes only with includeDefunct. */
  classByName(name: string, opts?: { includeDefunct?: boolean }): ClassSchema | undefined {
    const lc = name.toLowerCase();
    return opts?.includeDefunct ? this.#classByNameAll.get(lc) : this.#classByName.get(lc);
  }

  classByOid(oid: string): ClassSchema | undefined {
    return this.#classByOid.get(oid);
  }

  classByAttrTyp(attrtyp: ATTRTYP): ClassSchema | undefined {
    return this.#classByAttrTyp.get(attrtyp);
  }

  classByGuid(guid: string): ClassSchema | undefined {
    return this.#classByGuid.get(guid.toLowerCase());
  }

  /** Class by lDAPDisplayName or governsID. */
  resolveClass(nameOrOid: string): ClassSchema | undefined {
    const s = nameOrOid.toLowerCase().startsWith('oid.') ? nameOrOid.slice(4) : nameOrOid;
    return OID_RE.test(s) ? this.classByOid(s) : this.classByName(s);
  }

  /** Precomputed info for a class (name is case-insensitive; defunct classes included). */
  classInfo(cls: ClassSchema | string): ClassInfo | undefined {
    return this.#classInfo.get((typeof cls === 'string' ? cls : cls.lDAPDisplayName).toLowerCase());
  }

  /**
   * Must/may attributes for an object carrying the given objectClass values
   * (structural chain plus any dynamically attached auxiliary classes).
   */
  attributesForClasses(objectClasses: Iterable<string>): { must: Set<string>; may: Set<string> } {
    const must = new Set<string>();
    const may = new Set<string>();
    for (const n of objectClasses) {
      const info = this.classInfo(n);
      if (!info) continue;
      for (const x of info.mustContain) must.add(x);
      for (const x of info.mayContain) may.add(x);
    }
    for (const x of must) may.delete(x);
    return { must, may };
  }

  /** All ClassInfo values, in class order. */
  allClassInfo(): ClassInfo[] {
    return this.classes.map((c) => this.#classInfo.get(c.lDAPDisplayName.toLowerCase())!);
  }
}
