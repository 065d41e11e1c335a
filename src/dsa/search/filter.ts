// Search filters (RFC 4511 4.5.1.7) evaluated the Active Directory way (MS-ADTS 3.1.1.3.1.3):
// three-valued logic, each item through its attribute's syntax and only with the filter choices
// its comparison rule supports (MS-ADTS 3.1.1.2.2.4, comparison.ts), AD's three extensible
// matching rules (MS-ADTS 3.1.1.3.4.4), the objectCategory=<class> shortcut (MS-ADTS
// 3.1.1.3.1.3.5 / 3.1.1.2.4.8) and ambiguous name resolution (anr.ts).
//
// A filter is compiled once per search: attribute descriptions resolved to AttrInfo, assertion
// values parsed and normalized once, constant parts folded. Evaluation then reads values
// through the ObjectView and allocates nothing for Integer/Boolean/Time comparisons.
import type { Filter } from '../../ldap/protocol/filter.js';
import type { AttrInfo } from '../schema-binding.js';
import type { ObjectView, ReadContext } from '../object-view.js';
import { supports, extensibleChoice, type FilterChoice } from '../../schema/syntaxes/comparison.js';
import type { DNBinary, DSName, StoredValue, SubstringAssertion } from '../../schema/syntaxes/syntax.js';
import { resolveSchemaDn } from '../../schema/types.js';
import { parseAttributeDescription } from '../values.js';
import { rewriteAnr } from './anr.js';

/** RFC 4511 4.5.1.7: TRUE, FALSE or Undefined. Only TRUE selects an entry. */
export const FALSE = 0;
export const TRUE = 1;
export const UNDEFINED = 2;
export type Tri = typeof FALSE | typeof TRUE | typeof UNDEFINED;

/** A compiled filter. */
export type FilterNode =
  | { k: 'and'; c: FilterNode[] }
  | { k: 'or'; c: FilterNode[] }
  | { k: 'not'; c: FilterNode }
  | { k: 'const'; v: Tri }
  | { k: 'present'; info: AttrInfo }
  /** equalityMatch / approxMatch (AD: approx = equality); `byCompare` for syntaxes with allocation-free compare */
  | { k: 'eq'; info: AttrInfo; value: StoredValue; key: Buffer; byCompare: boolean }
  | { k: 'ge' | 'le'; info: AttrInfo; value: StoredValue; key: Buffer }
  | { k: 'sub'; info: AttrInfo; sub: SubstringAssertion }
  /** LDAP_MATCHING_RULE_BIT_AND / BIT_OR (MS-ADTS 3.1.1.3.4.4) */
  | { k: 'bits'; info: AttrInfo; and: boolean; mask32: number; mask64: bigint; wide: boolean }
  /** LDAP_MATCHING_RULE_TRANSITIVE_EVAL (MS-ADTS 3.1.1.3.4.4) */
  | { k: 'chain'; info: AttrInfo; target: Buffer; closure: () => Set<string> }
  /**
   * An equality every candidate of the search is known to satisfy: the candidates are the index
   * entries of its key, read in the same snapshot (candidates.ts CandidatePlan.proven). Only the
   * access check on the attribute remains (Undefined when it may not be read).
   */
  | { k: 'proven'; info: AttrInfo };

/** Syntaxes whose stored values are numbers/booleans: equality by compare, no key allocated. */
const COMPARE_RULES = new Set(['Integer', 'Bool', 'Time']);

const C_TRUE: FilterNode = { k: 'const', v: TRUE };
const C_FALSE: FilterNode = { k: 'const', v: FALSE };
const C_UNDEF: FilterNode = { k: 'const', v: UNDEFINED };

/** Compiles `f` for evaluation in `rc` (assertion values that name objects are resolved in rc's snapshot). */
export function compileFilter(f: Filter, rc: ReadContext): FilterNode {
  return new Compiler(rc).compile(f);
}

class Compiler {
  constructor(private readonly rc: ReadContext) {}

  compile(f: Filter): FilterNode {
    switch (f.type) {
      case 'and': {
        const c: FilterNode[] = [];
        for (const x of f.filters) {
          const n = this.compile(x);
          if (n.k === 'const') {
            if (n.v === FALSE) return C_FALSE;
            if (n.v === TRUE) continue;
          }
          c.push(n);
        }
        if (c.length === 0) return C_TRUE; // RFC 4526 absolute true
        return c.length === 1 ? c[0]! : { k: 'and', c };
      }
      case 'or': {
        const c: FilterNode[] = [];
        for (const x of f.filters) {
          const n = this.compile(x);
          if (n.k === 'const') {
            if (n.v === TRUE) return C_TRUE;
            if (n.v === FALSE) continue;
          }
          c.push(n);
        }
        if (c.length === 0) return C_FALSE; // RFC 4526 absolute false
        return c.length === 1 ? c[0]! : { k: 'or', c };
      }
      case 'not': {
        const n = this.compile(f.filter);
        if (n.k === 'const') return n.v === UNDEFINED ? C_UNDEF : n.v === TRUE ? C_FALSE : C_TRUE;
        return { k: 'not', c: n };
      }
      case 'present': {
        const info = this.attr(f.attribute);
        if (!info) return C_UNDEF;
        // MS-ADTS 3.1.1.3.1.3.1 "Search Filters": every object has objectClass (3.1.1.1.4)
        if (info.name === 'objectClass') return C_TRUE;
        if (!this.usable(info) || !supports(info.syntax.rule, 'present')) return C_UNDEF;
        return { k: 'present', info };
      }
      case 'equalityMatch':
      case 'approxMatch':
        if (isAnr(f.attribute)) return this.anr(f.value);
        return this.equality(f.attribute, f.value, f.type);
      case 'greaterOrEqual':
      case 'lessOrEqual': {
        const info = this.attr(f.attribute);
        if (!info || !this.usable(info) || !supports(info.syntax.rule, f.type)) return C_UNDEF;
        const value = info.syntax.assertion(f.value, this.rc.ctx);
        if (value === undefined) return C_UNDEF;
        return { k: f.type === 'greaterOrEqual' ? 'ge' : 'le', info, value, key: info.syntax.normalize(value) };
      }
      case 'substrings': {
        if (isAnr(f.attribute)) {
          // (anr=abc*) is read as (anr=abc): ANR is itself an initial-substring search
          if (f.initial !== undefined && f.any.length === 0 && f.final === undefined) return this.anr(f.initial);
          return C_UNDEF;
        }
        const info = this.attr(f.attribute);
        if (!info || !this.usable(info) || !supports(info.syntax.rule, 'substrings') || !info.syntax.substrings) return C_UNDEF;
        const sub: SubstringAssertion = { any: f.any };
        if (f.initial !== undefined) sub.initial = f.initial;
        if (f.final !== undefined) sub.final = f.final;
        return { k: 'sub', info, sub };
      }
      case 'extensibleMatch':
        return this.extensible(f.attribute, f.matchingRule, f.value, f.dnAttributes);
      case 'unknown':
        return C_UNDEF; // RFC 4511 4.5.1.7: an unrecognized choice is Undefined
    }
  }

  private attr(desc: string): AttrInfo | undefined {
    return this.rc.dir.schema.attr(parseAttributeDescription(desc).type);
  }

  /**
   * Secret attributes are never readable (MS-ADTS 3.1.1.1.4), so a filter cannot test them;
   * constructed attributes have no stored values to test. Both make the item Undefined.
   */
  private usable(info: AttrInfo): boolean {
    return !info.secret && !info.constructed;
  }

  private equality(desc: string, raw: Buffer, choice: 'equalityMatch' | 'approxMatch'): FilterNode {
    const info = this.attr(desc);
    if (!info || !this.usable(info) || !supports(info.syntax.rule, choice)) return C_UNDEF;
    const value = this.assertion(info, raw);
    if (value === undefined) return C_UNDEF;
    return { k: 'eq', info, value, key: info.syntax.normalize(value), byCompare: COMPARE_RULES.has(info.syntax.rule.name) };
  }

  private assertion(info: AttrInfo, raw: Buffer): StoredValue | undefined {
    const ctx = this.rc.ctx;
    if (info.name === 'objectCategory') {
      // MS-ADTS 3.1.1.3.1.3.5: an objectCategory assertion that is the lDAPDisplayName of a class
      // stands for that class's defaultObjectCategory (MS-ADTS 3.1.1.2.4.8)
      const text = raw.toString('utf8');
      if (!text.includes('=') && !text.startsWith('<')) {
        const cls = this.rc.dir.schema.cls(text);
        if (!cls) return undefined;
        const dn = resolveSchemaDn(cls.defaultObjectCategory, this.rc.dir.forest.schemaDN);
        return info.syntax.assertion(Buffer.from(dn, 'utf8'), ctx);
      }
    }
    return info.syntax.assertion(raw, ctx);
  }

  private extensible(desc: string | undefined, rule: string | undefined, raw: Buffer, dnAttributes: boolean): FilterNode {
    // AD does not evaluate dnAttributes matching or rules without an attribute (MS-ADTS 3.1.1.3.1.3.1)
    if (desc === undefined || dnAttributes) return C_UNDEF;
    if (rule === undefined) return this.equality(desc, raw, 'equalityMatch');
    const choice: FilterChoice | undefined = extensibleChoice(rule);
    const info = this.attr(desc);
    if (!choice || !info || !this.usable(info)) return C_UNDEF;
    const isLink = info.forwardLinkId !== undefined || info.backLinkOf !== undefined;
    if (!supports(info.syntax.rule, choice, isLink)) return C_UNDEF;
    if (choice === 'bitAnd' || choice === 'bitOr') {
      const v = info.syntax.assertion(raw, this.rc.ctx);
      if (v === undefined) return C_UNDEF;
      const wide = typeof v === 'bigint';
      const mask64 = BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(v as number));
      return { k: 'bits', info, and: choice === 'bitAnd', mask32: Number(mask64 & 0xffffffffn) >>> 0, mask64, wide };
    }
    // transitiveEval: the assertion names the object the chain must reach
    const v = info.syntax.assertion(raw, this.rc.ctx);
    if (v === undefined) return C_UNDEF;
    const target = refGuid(v);
    let memo: Set<string> | undefined;
    const rc = this.rc;
    return { k: 'chain', info, target, closure: () => (memo ??= chainClosure(rc, info, target)) };
  }

  private anr(raw: Buffer): FilterNode {
    const rewritten = rewriteAnr(this.rc.dir.schema, raw);
    return rewritten ? this.compile(rewritten) : C_UNDEF;
  }
}

function isAnr(desc: string): boolean {
  // most descriptions are told apart by their first letter (no parse, no lower-cased copy)
  if ((desc.charCodeAt(0) | 0x20) !== 0x61) return false;
  return parseAttributeDescription(desc).type.toLowerCase() === 'anr';
}

function refGuid(v: StoredValue): Buffer {
  const x = v as DSName & Partial<DNBinary>;
  const g = x.ref ? x.ref.guid : x.guid;
  return Buffer.isBuffer(g) ? g : Buffer.from(g.buffer, g.byteOffset, g.byteLength);
}

/**
 * MS-ADTS 3.1.1.3.4.4 LDAP_MATCHING_RULE_TRANSITIVE_EVAL: the objects O for which following
 * `info` from O, transitively, reaches `target`. Computed once, backwards from the target:
 * - `info` a back link (memberOf): O reaches the group G through memberOf* exactly when O is
 *   reached from G through the forward link (member*): walk G's forward-link values;
 * - `info` a forward link (member): O reaches U through member* exactly when O is reached from U
 *   through back links: walk U's back links.
 * The visited set stops cycles (a group nested in itself).
 */
export function chainClosure(rc: ReadContext, info: AttrInfo, target: Buffer): Set<string> {
  const r = rc.r;
  const out = new Set<string>();
  const queue: Buffer[] = [target];
  const backward = info.backLinkOf !== undefined;
  const linkId = backward ? info.backLinkOf!.forwardLinkId! : info.forwardLinkId!;
  const seen = new Set<string>([target.toString('latin1')]);
  while (queue.length > 0) {
    const g = queue.pop()!;
    const next: Buffer[] = [];
    if (backward) {
      for (const lv of r.links(g, linkId)) {
        if (lv.stamp.timeDeleted !== 0 || (lv.deactivated && !rc.showDeactivatedLinks)) continue;
        next.push(lv.target);
      }
    } else {
      for (const b of r.backlinks(g, linkId)) next.push(b.source);
    }
    for (const n of next) {
      const k = n.toString('latin1');
      out.add(k);
      if (!seen.has(k)) {
        seen.add(k);
        queue.push(Buffer.from(n));
      }
    }
  }
  return out;
}

/** Evaluates a compiled filter on one object (RFC 4511 4.5.1.7). */
export function evaluate(n: FilterNode, view: ObjectView): Tri {
  // MS-ADTS 3.1.1.3.1.3 / 3.1.1.4.3: an attribute the requester may not read evaluates as Undefined
  const acc = view.rc.access;
  if (acc && n.k !== 'and' && n.k !== 'or' && n.k !== 'not' && n.k !== 'const' && !acc.mayRead(view.rec, n.info)) return UNDEFINED;
  switch (n.k) {
    case 'const':
      return n.v;
    case 'and': {
      let r: Tri = TRUE;
      for (const c of n.c) {
        const v = evaluate(c, view);
        if (v === FALSE) return FALSE;
        if (v === UNDEFINED) r = UNDEFINED;
      }
      return r;
    }
    case 'or': {
      let r: Tri = FALSE;
      for (const c of n.c) {
        const v = evaluate(c, view);
        if (v === TRUE) return TRUE;
        if (v === UNDEFINED) r = UNDEFINED;
      }
      return r;
    }
    case 'not': {
      const v = evaluate(n.c, view);
      return v === UNDEFINED ? UNDEFINED : v === TRUE ? FALSE : TRUE;
    }
    case 'present':
      return view.values(n.info).length > 0 ? TRUE : FALSE;
    case 'eq': {
      const values = view.values(n.info);
      const syn = n.info.syntax;
      if (n.byCompare) {
        for (let i = 0; i < values.length; i++) if (syn.compare(values[i]!, n.value) === 0) return TRUE;
      } else {
        for (let i = 0; i < values.length; i++) if (syn.normalize(values[i]!).equals(n.key)) return TRUE;
      }
      return FALSE;
    }
    case 'ge':
    case 'le': {
      const values = view.values(n.info);
      const syn = n.info.syntax;
      const ge = n.k === 'ge';
      for (let i = 0; i < values.length; i++) {
        const c = syn.compare(values[i]!, n.value);
        if (ge ? c >= 0 : c <= 0) return TRUE;
      }
      return FALSE;
    }
    case 'sub': {
      const values = view.values(n.info);
      const match = n.info.syntax.substrings!;
      for (let i = 0; i < values.length; i++) if (match(values[i]!, n.sub)) return TRUE;
      return FALSE;
    }
    case 'bits': {
      const values = view.values(n.info);
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        let hit: boolean;
        if (!n.wide && typeof v === 'number') {
          const x = (v & n.mask32) >>> 0;
          hit = n.and ? x === n.mask32 : x !== 0;
        } else {
          const x = BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(v as number)) & n.mask64;
          hit = n.and ? x === n.mask64 : x !== 0n;
        }
        if (hit) return TRUE;
      }
      return FALSE;
    }
    case 'chain':
      return n.closure().has(view.guid.toString('latin1')) ? TRUE : FALSE;
    case 'proven':
      return TRUE;
  }
}

/**
 * `f` with the equality `proven` (a node of `f` reached through 'and' nodes only) replaced by a
 * 'proven' node: for evaluating `f` on objects known to satisfy `proven` (candidates.ts).
 */
export function withProven(f: FilterNode, proven: FilterNode & { k: 'eq' }): FilterNode {
  if (f === proven) return { k: 'proven', info: proven.info };
  if (f.k !== 'and') return f;
  let changed = false;
  const c = f.c.map((x) => {
    const y = withProven(x, proven);
    if (y !== x) changed = true;
    return y;
  });
  return changed ? { k: 'and', c } : f;
}
