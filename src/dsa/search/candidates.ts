// Candidate selection: which objects a search must look at, taken from the indexes whenever the
// filter allows, so that an indexed equality never walks the naming context (MS-ADTS 3.1.1.1.3
// "indexed attributes"; the store's index layout is described in src/store/store.ts).
//
// The plan is only a superset: every candidate is still checked for scope and visibility and the
// whole filter is evaluated on it (index keys are cut at MAX_INDEX_VALUE bytes, link values carry
// binary parts, objects change between pages). `undefined` means "no index helps: walk the scope".
//
//   eq        objectGUID → the object itself; distinguishedName → the named object;
//             forward link (member=X) → sources of back links to X;
//             back link (memberOf=G) → G's forward-link values;
//             indexed attribute → index[attid ‖ normalize(value)]
//   ge / le   indexed attribute with an ordering → key range (keys order as the rule, syntax.ts)
//   sub       indexed attribute, initial piece, a syntax whose key of a prefix is a byte prefix
//             of the key of the value → key prefix range; otherwise, an attribute with a built
//             tuple index (fTUPLEINDEX) and a piece of 3+ code units → the objects under every
//             window of its longest piece (tuple-index.ts)
//   present   indexed attribute → every key of the attribute
//   chain     TRANSITIVE_EVAL → its closure (filter.ts)
//   and       the smallest indexed conjunct (the others are checked by evaluation)
//   or        the union, when every branch is indexed
//   not       none
import { indexKey, MAX_INDEX_VALUE, type ReadTxn } from '../../store/store.js';
import type { DNBinary, DSName } from '../../schema/syntaxes/syntax.js';
import { unicodeKey } from '../../schema/syntaxes/common.js';
import { isUtf8 } from 'node:buffer';
import type { ReadContext } from '../object-view.js';
import type { AttrInfo } from '../schema-binding.js';
import { FALSE, UNDEFINED, TRUE, type FilterNode } from './filter.js';
import { tupleCandidates } from '../tuple-index.js';
import { valueIndexUsable } from '../index-catalog.js';

/** Most candidates materialized before the plan gives up on an index and walks the scope instead. */
export const MAX_CANDIDATES = 1_000_000;

/** Syntaxes whose initial-substring match is a byte-prefix match of index keys. */
const PREFIX_SYNTAXES: ReadonlyMap<string, 'fold' | 'bytes'> = new Map([
  ['String(Unicode)', 'fold'], // key = UTF-8 of the folded value; substrings compare folded strings
  ['String(Teletex)', 'fold'], // ASCII values; key = a–z → A–Z
  ['String(IA5)', 'bytes'],
  ['String(Printable)', 'bytes'],
  ['String(Numeric)', 'bytes'],
  ['String(Case)', 'bytes'],
  ['String(Octet)', 'bytes'],
  ['String(Sid)', 'bytes'],
]);

export interface CandidatePlan {
  /** candidate objectGUIDs, each once; undefined = walk the scope */
  guids: Buffer[] | undefined;
  /** what the plan used, for diagnostics ("index objectClass", "walk", …) */
  how: string;
  /**
   * An equality of the filter (the filter itself, or reached from it through 'and' nodes) that
   * every candidate satisfies in this snapshot: the candidates are exactly the objects under its
   * index key, and the key was not cut (shorter than MAX_INDEX_VALUE), so an object is under it
   * exactly when one of its values normalizes to the assertion's key, which is what evaluate()
   * tests. The search need not test it again on a candidate (filter.ts withProven); only in
   * the snapshot the plan was made in, and only on these candidates.
   */
  proven?: FilterNode & { k: 'eq' };
}

export function planCandidates(node: FilterNode, rc: ReadContext, cap = MAX_CANDIDATES): CandidatePlan {
  const how: string[] = [];
  const planner = new Planner(rc, how);
  const guids = planner.plan(node, cap);
  const out: CandidatePlan = { guids, how: guids ? how.join(' ') || 'none' : 'walk' };
  if (guids && planner.proven) out.proven = planner.proven;
  return out;
}

class Planner {
  private readonly r: ReadTxn;
  /** the equality the candidates of the last plan() prove (CandidatePlan.proven) */
  proven: (FilterNode & { k: 'eq' }) | undefined;
  constructor(
    private readonly rc: ReadContext,
    private readonly how: string[],
  ) {
    this.r = rc.r;
  }

  plan(n: FilterNode, cap: number): Buffer[] | undefined {
    this.proven = undefined;
    const got = this.planNode(n, cap);
    // only an equality's own lookup, or an 'and' through its chosen conjunct, proves one
    if (n.k !== 'eq' && n.k !== 'and') this.proven = undefined;
    return got;
  }

  private planNode(n: FilterNode, cap: number): Buffer[] | undefined {
    switch (n.k) {
      case 'const':
        // FALSE and Undefined select nothing; TRUE selects everything in scope
        return n.v === TRUE ? undefined : n.v === FALSE || n.v === UNDEFINED ? [] : undefined;
      case 'not':
        return undefined;
      case 'and': {
        let best: Buffer[] | undefined;
        let bestHow: string[] = [];
        let bestProven: (FilterNode & { k: 'eq' }) | undefined;
        // cheap, selective conjuncts first: equalities, then the rest
        const order = [...n.c].sort((a, b) => rank(a) - rank(b));
        for (const c of order) {
          const sub: string[] = [];
          const p = new Planner(this.rc, sub);
          const got = p.plan(c, best ? best.length : cap);
          if (got && (!best || got.length < best.length)) {
            best = got;
            bestHow = sub;
            // an equality the chosen conjunct proves is one of the whole 'and' (reached through 'and' nodes)
            bestProven = c.k === 'eq' || c.k === 'and' ? p.proven : undefined;
            if (best.length === 0) break;
          }
        }
        this.how.push(...bestHow);
        this.proven = bestProven;
        return best;
      }
      case 'or': {
        const seen = new Set<string>();
        const out: Buffer[] = [];
        for (const c of n.c) {
          const got = this.plan(c, cap);
          if (!got) return undefined;
          for (const g of got) {
            const k = g.toString('latin1');
            if (seen.has(k)) continue;
            seen.add(k);
            out.push(g);
            if (out.length > cap) return undefined;
          }
        }
        return out;
      }
      case 'chain': {
        const set = n.closure();
        if (set.size > cap) return undefined;
        this.how.push(`chain ${n.info.name}`);
        return [...set].map((k) => Buffer.from(k, 'latin1'));
      }
      case 'eq': {
        return this.equality(n.info, n.value, n.key, cap, n);
      }
      case 'ge':
      case 'le': {
        const info = n.info;
        if (!valueIndexUsable(this.rc.dir, info.id) || !info.syntax.rule.lessOrEqual) return undefined;
        const lo = indexKey(info.id, Buffer.alloc(0));
        const bound = indexKey(info.id, n.key);
        // truncation to MAX_INDEX_VALUE bytes is monotone, so cut keys stay on the right side of a cut bound
        const start = n.k === 'ge' ? bound : lo;
        const end = n.k === 'ge' ? attrEnd(info.id) : Buffer.concat([bound, ZERO]);
        this.how.push(`range ${info.name}`);
        return collect(this.rangeGuids(start, end), cap);
      }
      case 'sub': {
        const info = n.info;
        const kind = PREFIX_SYNTAXES.get(info.syntax.name);
        if (!kind || n.sub.initial === undefined || !valueIndexUsable(this.rc.dir, info.id)) return this.tuples(info, n.sub, cap);
        let prefix: Buffer;
        if (kind === 'fold') {
          if (!isUtf8(n.sub.initial)) return [];
          prefix = unicodeKey(Buffer.from(n.sub.initial).toString('utf8'));
        } else prefix = Buffer.from(n.sub.initial);
        if (prefix.length > MAX_INDEX_VALUE) prefix = prefix.subarray(0, MAX_INDEX_VALUE);
        this.how.push(`prefix ${info.name}`);
        return collect(
          (function* (r: ReadTxn) {
            for (const e of r.indexPrefix(info.id, prefix)) yield e.guid;
          })(this.r),
          cap,
        );
      }
      case 'present': {
        const info = n.info;
        if (!valueIndexUsable(this.rc.dir, info.id)) return undefined;
        this.how.push(`present ${info.name}`);
        return collect(
          (function* (r: ReadTxn) {
            for (const e of r.indexPrefix(info.id)) yield e.guid;
          })(this.r),
          cap,
        );
      }
      case 'bits':
      case 'proven':
        return undefined;
    }
  }

  /** Medial and final substrings from the attribute's tuple index (fTUPLEINDEX, tuple-index.ts), once built. */
  private tuples(info: AttrInfo, sub: { initial?: Uint8Array | undefined; any: readonly Uint8Array[]; final?: Uint8Array | undefined }, cap: number): Buffer[] | undefined {
    const fold = this.rc.dir.schema.tupleFoldOf(info.id);
    if (!fold || !this.rc.dir.store.builtTupleIndexes.has(info.id)) return undefined;
    const pieces: string[] = [];
    for (const p of [sub.initial, ...sub.any, sub.final]) {
      if (p === undefined) continue;
      if (!isUtf8(p)) return []; // no value matches a piece that is not UTF-8 (the evaluator's answer)
      pieces.push(Buffer.from(p).toString('utf8'));
    }
    const got = tupleCandidates(this.r, info.id, fold, pieces, cap);
    if (got) this.how.push(`tuple ${info.name}`);
    return got;
  }

  private *rangeGuids(start: Buffer, end: Buffer): Generator<Buffer> {
    for (const e of this.r.indexRange(start, end)) yield e.guid;
  }

  /** `node`: the filter's equality node when the lookup is its own (not an OR of ANR's rewriting, …): it may become the plan's proven equality */
  private equality(info: AttrInfo, value: unknown, key: Buffer, cap: number, node?: FilterNode & { k: 'eq' }): Buffer[] | undefined {
    const r = this.r;
    switch (info.name) {
      case 'objectGUID':
        // kept in the record, not in the value index: the key is the object's own GUID
        this.how.push('guid');
        return r.hasObject(key) ? [Buffer.from(key)] : [];
      case 'distinguishedName': {
        this.how.push('dn');
        const g = refOf(value);
        return r.hasObject(g) ? [g] : [];
      }
    }
    if (info.forwardLinkId !== undefined) {
      // member=<X>: the objects whose member holds X are the sources of X's back links
      this.how.push(`backlinks ${info.name}`);
      const linkId = info.forwardLinkId;
      return collect(
        (function* () {
          for (const b of r.backlinks(refOf(value), linkId)) yield b.source;
        })(),
        cap,
      );
    }
    if (info.backLinkOf) {
      // memberOf=<G>: the objects whose memberOf holds G are G's member values
      this.how.push(`links ${info.name}`);
      const linkId = info.backLinkOf.forwardLinkId!;
      const show = this.rc.showDeactivatedLinks;
      return collect(
        (function* () {
          for (const lv of r.links(refOf(value), linkId)) {
            if (lv.stamp.timeDeleted !== 0 || (lv.deactivated && !show)) continue;
            yield lv.target;
          }
        })(),
        cap,
      );
    }
    if (!valueIndexUsable(this.rc.dir, info.id)) return undefined;
    this.how.push(`index ${info.name}`);
    // one key: the index lists each object once under it (duplicates sorted); a small answer
    // comes from the store's memo while the index is unchanged (store.ts "Index epoch")
    const got = r.indexGuids(indexKey(info.id, key), cap);
    if (got && node && !node.byCompare && key.length < MAX_INDEX_VALUE) this.proven = node;
    return got ? got.slice() : undefined;
  }
}

const ZERO = Buffer.from([0]);

function attrEnd(attid: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE((attid + 1) >>> 0, 0);
  return attid === 0xffffffff ? Buffer.alloc(5, 0xff) : b;
}

function refOf(v: unknown): Buffer {
  const x = v as DSName & Partial<DNBinary>;
  const g = x.ref ? x.ref.guid : x.guid;
  return Buffer.from(g);
}

/** Deduplicated GUIDs, or undefined when there are more than `cap`. */
function collect(src: Iterable<Buffer>, cap: number): Buffer[] | undefined {
  const seen = new Set<string>();
  const out: Buffer[] = [];
  for (const g of src) {
    const k = g.toString('latin1');
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(Buffer.from(g)); // a private copy: the store may hand out views it reuses
    if (out.length > cap) return undefined;
  }
  return out;
}

/** Rough selectivity order of conjuncts: identity and equality first. */
function rank(n: FilterNode): number {
  switch (n.k) {
    case 'eq':
      return n.info.name === 'objectGUID' || n.info.name === 'distinguishedName' ? 0 : n.info.name === 'objectClass' ? 3 : 1;
    case 'chain':
      return 2;
    case 'or':
      return 4;
    case 'sub':
    case 'ge':
    case 'le':
      return 5;
    case 'present':
      return 6;
    default:
      return 9;
  }
}
