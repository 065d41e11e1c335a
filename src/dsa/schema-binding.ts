// The schema as the DSA uses it: each attribute bound to its syntax module and to the facts
// the state model needs (replicated? link? secret? indexed?), built once per SchemaSnapshot.
// A schema change builds a new SchemaBinding and swaps it (the snapshot is immutable).
import { SchemaSnapshot } from '../schema/snapshot.js';
import type { AttributeSchema, ClassSchema } from '../schema/types.js';
import { SearchFlags } from '../schema/types.js';
import { syntaxFor, type Syntax } from '../schema/syntaxes/index.js';
import { indexKey, type Indexer } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import { makeTupleIndexer, tupleFold, wantsTupleIndex } from './tuple-index.js';

export interface AttrInfo {
  readonly schema: AttributeSchema;
  /** ATTRTYP */
  readonly id: number;
  readonly name: string;
  readonly syntax: Syntax;
  readonly singleValued: boolean;
  /** replicated attributes carry AttributeStamps (MS-ADTS 3.1.1.1.9) */
  readonly replicated: boolean;
  readonly constructed: boolean;
  readonly operational: boolean;
  /** secret attributes are never returned by a read (MS-ADTS 3.1.1.1.4) */
  readonly secret: boolean;
  /** even linkID: a forward link, stored in the link table with LinkValueStamps */
  readonly forwardLinkId?: number;
  /** odd linkID: a back link, constructed from the link table, never written */
  readonly backLinkOf?: AttrInfo;
  /** kept in a value index (searchFlags fATTINDEX, or one of the attributes AD always indexes) */
  readonly indexed: boolean;
  readonly systemOnly: boolean;
}

/** Attributes indexed whatever their searchFlags say: the ones that find objects (MS-ADTS 3.1.1.1.3, 3.1.1.1.4). */
/** Scalar values per attribute whose index keys SchemaBinding's indexer keeps. */
const INDEX_KEY_MEMO = 64;
const ALWAYS_INDEXED = ['objectClass', 'objectCategory', 'objectSid', 'sAMAccountName', 'userPrincipalName', 'servicePrincipalName', 'objectGUID', 'name', 'cn', 'lDAPDisplayName', 'attributeID', 'governsID', 'schemaIDGUID', 'linkID', 'distinguishedName', 'mail', 'sAMAccountType', 'dnsHostName'];

/** the most names SchemaBinding.attr() keeps (clients may send any spelling of any name) */
const ATTR_MEMO_MAX = 4096;

export class SchemaBinding {
  private readonly byId = new Map<number, AttrInfo>();
  private readonly byName = new Map<string, AttrInfo>();
  private readonly byLinkId = new Map<number, AttrInfo>();
  /** ATTRTYPs of indexed attributes, for the indexer */
  private readonly indexedIds = new Set<number>();
  readonly indexer: Indexer;
  /** ATTRTYPs with a tuple index (searchFlags fTUPLEINDEX, tuple-index.ts) and their folds */
  private readonly tupleFolds = new Map<number, (s: string) => string>();
  readonly tupleIndexer: (rec: ObjectRecord) => Buffer[];
  /** classAttributeSets() memo, by the object's class list: a new schema gets a new binding */
  private readonly classSets = new Map<string, { allowed: ReadonlySet<string>; must: ReadonlySet<string> }>();

  /**
   * The attributes (lower-cased lDAPDisplayNames) objects of these classes may have and must
   * have (MS-ADTS 3.1.1.2.4 mayContain/mustContain over the class chain), built once per class set.
   */
  classAttributeSets(ocNames: readonly string[]): { allowed: ReadonlySet<string>; must: ReadonlySet<string> } {
    const key = ocNames.join('\0');
    let sets = this.classSets.get(key);
    if (!sets) {
      const allowed = new Set<string>();
      const must = new Set<string>();
      for (const n of ocNames) {
        const ci = this.snapshot.classInfo(n);
        if (!ci) continue;
        for (const x of ci.allowedAttributes) allowed.add(x.toLowerCase());
        for (const x of ci.mustContain) must.add(x.toLowerCase());
      }
      sets = { allowed, must };
      if (this.classSets.size > 1000) this.classSets.clear();
      this.classSets.set(key, sets);
    }
    return sets;
  }

  /** possSuperiorsOf() memo, by class name: a new schema gets a new binding */
  private readonly possSets = new Map<string, ReadonlySet<string>>();

  /** The lower-cased names of the classes an object of class `className` may be created under (MS-ADTS 3.1.1.2.4.4), built once per class. */
  possSuperiorsOf(className: string): ReadonlySet<string> {
    let poss = this.possSets.get(className);
    if (!poss) {
      poss = new Set([...(this.snapshot.classInfo(className)?.possSuperiors ?? [])].map((x) => x.toLowerCase()));
      this.possSets.set(className, poss);
    }
    return poss;
  }

  constructor(readonly snapshot: SchemaSnapshot) {
    const always = new Set(ALWAYS_INDEXED.map((n) => n.toLowerCase()));
    const pending: [AttrInfo & { backLinkOf?: AttrInfo }, number][] = [];
    for (const a of snapshot.attributes) {
      const syntax = syntaxFor(a.attributeSyntax, a.oMSyntax, a.oMObjectClass);
      const linkId = a.linkID;
      const info: AttrInfo = {
        schema: a,
        id: a.attributeId,
        name: a.lDAPDisplayName,
        syntax,
        singleValued: a.isSingleValued,
        replicated: snapshot.isReplicated(a),
        constructed: snapshot.isConstructed(a),
        operational: snapshot.isOperational(a),
        secret: snapshot.isSecret(a),
        indexed: (a.searchFlags & SearchFlags.fATTINDEX) !== 0 || always.has(a.lDAPDisplayName.toLowerCase()),
        systemOnly: a.systemOnly,
        ...(linkId !== undefined && linkId % 2 === 0 ? { forwardLinkId: linkId } : {}),
      };
      if (linkId !== undefined && linkId % 2 === 1) pending.push([info, linkId]);
      this.byId.set(info.id, info);
      if (!a.isDefunct || !this.byName.has(a.lDAPDisplayName.toLowerCase())) this.byName.set(a.lDAPDisplayName.toLowerCase(), info);
      this.byName.set(a.attributeID, info);
      if (linkId !== undefined) this.byLinkId.set(linkId, info);
      // link values live in the link table, not in value indexes
      if (info.indexed && linkId === undefined) this.indexedIds.add(info.id);
      if (linkId === undefined && wantsTupleIndex(a, syntax)) this.tupleFolds.set(info.id, tupleFold(syntax)!);
    }
    for (const [info, linkId] of pending) {
      const fwd = this.byLinkId.get(linkId - 1);
      if (fwd) (info as { backLinkOf?: AttrInfo }).backLinkOf = fwd;
    }
    const ids = this.indexedIds;
    const byId = this.byId;
    this.tupleIndexer = makeTupleIndexer(this.tupleFolds);
    // the keys of scalar values (strings, numbers) are remembered per attribute: most objects of a
    // replica share their objectClass, userAccountControl, primaryGroupID … values. An attribute's
    // memo stops growing at INDEX_KEY_MEMO values (unique values then miss). The keys are shared:
    // their users (the store's puts and removes, which copy them) never modify them.
    // Once an attribute's memo is full and has missed more than it hit, its values are taken
    // to be unique (sAMAccountName, objectSid …) and the memo is no longer asked.
    const indexed = new Map<number, { syntax: AttrInfo['syntax']; memo: Map<string | number, Buffer> | undefined; hits: number; misses: number }>();
    for (const id of ids) indexed.set(id, { syntax: byId.get(id)!.syntax, memo: new Map(), hits: 0, misses: 0 });
    this.indexer = (rec: ObjectRecord) => {
      const keys: Buffer[] = [];
      for (const a of rec.attrs) {
        const x = indexed.get(a.id);
        if (!x) continue;
        const syn = x.syntax;
        for (const v of a.values) {
          const m = x.memo;
          if (!m || (typeof v !== 'string' && typeof v !== 'number')) {
            keys.push(indexKey(a.id, syn.normalize(v as never)));
            continue;
          }
          let k = m.get(v);
          if (k) x.hits++;
          else {
            k = indexKey(a.id, syn.normalize(v as never));
            if (m.size < INDEX_KEY_MEMO) m.set(v, k);
            else if (++x.misses > x.hits) x.memo = undefined;
          }
          keys.push(k);
        }
      }
      return keys;
    };
  }

  /**
   * attr() by the string as given (no lower-casing on a hit: the DSA asks for the same names on
   * every operation). Per binding, so a schema change (a new binding) starts it afresh; only
   * found attributes are kept, and at most ATTR_MEMO_MAX names.
   */
  private readonly attrMemo = new Map<string, AttrInfo>();

  /** By lDAPDisplayName (any case) or OID; defunct attributes only by OID (MS-ADTS 3.1.1.2.5.3). */
  attr(nameOrOid: string): AttrInfo | undefined {
    const memo = this.attrMemo.get(nameOrOid);
    if (memo) return memo;
    const hit = this.attrLookup(nameOrOid);
    if (hit) {
      if (this.attrMemo.size >= ATTR_MEMO_MAX) this.attrMemo.clear();
      this.attrMemo.set(nameOrOid, hit);
    }
    return hit;
  }

  private attrLookup(nameOrOid: string): AttrInfo | undefined {
    const k = nameOrOid.toLowerCase();
    const hit = this.byName.get(k) ?? this.byName.get(nameOrOid);
    if (hit) return hit;
    if (/^oid\./i.test(nameOrOid)) return this.byName.get(nameOrOid.slice(4));
    return undefined;
  }

  attrById(id: number): AttrInfo | undefined {
    return this.byId.get(id);
  }

  attrByLinkId(linkId: number): AttrInfo | undefined {
    return this.byLinkId.get(linkId);
  }

  /** The attributes the schema gives a tuple index (whether or not the store has built it yet). */
  /** attids kept in the value index (fATTINDEX or always indexed; not links) */
  get valueIndexedIds(): ReadonlySet<number> {
    return this.indexedIds;
  }

  get tupleIndexedIds(): ReadonlySet<number> {
    return new Set(this.tupleFolds.keys());
  }

  /** The fold of attribute `id`'s tuple index, if the schema gives it one. */
  tupleFoldOf(id: number): ((s: string) => string) | undefined {
    return this.tupleFolds.get(id);
  }

  isIndexed(id: number): boolean {
    return this.indexedIds.has(id);
  }

  cls(nameOrOid: string): ClassSchema | undefined {
    return this.snapshot.resolveClass(nameOrOid);
  }
}
