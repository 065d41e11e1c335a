// A small evaluator of LDAP filters over one ObjectView, for DirSync and change notification
// until the search module's filter (src/dsa/search/filter.ts) exists; then this file goes.
// Three-valued (RFC 4511 4.5.1.7): true, false, or undefined (Undefined). Comparisons go
// through each attribute's syntax (assertion, normalize, compare, substrings) and the rules of
// MS-ADTS 3.1.1.2.2.4; objectCategory accepts a class name (MS-ADTS 3.1.1.3.1.3.5).
import type { Filter } from '../ldap/protocol/filter.js';
import type { ObjectView } from '../dsa/object-view.js';
import type { AttrInfo } from '../dsa/schema-binding.js';
import type { StoredValue } from '../schema/syntaxes/syntax.js';
import { LDAP_MATCHING_RULE_BIT_AND, LDAP_MATCHING_RULE_BIT_OR } from '../schema/syntaxes/comparison.js';
import { resolveSchemaDn } from '../schema/types.js';

export type Tri = boolean | undefined;

function attrOf(view: ObjectView, desc: string): AttrInfo | undefined {
  const info = view.rc.dir.schema.attr(desc.split(';')[0]!);
  // secret attributes cannot be matched (MS-ADTS 3.1.1.1.4): they read as absent
  return info;
}

function valuesOf(view: ObjectView, info: AttrInfo): StoredValue[] {
  return info.secret ? [] : view.values(info);
}

function assertionOf(view: ObjectView, info: AttrInfo, raw: Buffer): StoredValue | undefined {
  if (info.name === 'objectCategory') {
    const text = raw.toString('utf8');
    if (!text.includes('=')) {
      // MS-ADTS 3.1.1.3.1.3.5: objectCategory=<class> means the class's defaultObjectCategory
      const cls = view.rc.dir.schema.cls(text);
      if (!cls) return undefined;
      const dn = resolveSchemaDn(cls.defaultObjectCategory, view.rc.dir.forest.schemaDN);
      return info.syntax.assertion(Buffer.from(dn, 'utf8'), view.rc.ctx);
    }
  }
  return info.syntax.assertion(raw, view.rc.ctx);
}

export function evaluateFilter(f: Filter, view: ObjectView): Tri {
  switch (f.type) {
    case 'and': {
      let r: Tri = true;
      for (const g of f.filters) {
        const x = evaluateFilter(g, view);
        if (x === false) return false;
        if (x === undefined) r = undefined;
      }
      return r;
    }
    case 'or': {
      let r: Tri = false;
      for (const g of f.filters) {
        const x = evaluateFilter(g, view);
        if (x === true) return true;
        if (x === undefined) r = undefined;
      }
      return r;
    }
    case 'not': {
      const x = evaluateFilter(f.filter, view);
      return x === undefined ? undefined : !x;
    }
    case 'present': {
      if (f.attribute.toLowerCase() === 'objectclass') return true;
      const info = attrOf(view, f.attribute);
      if (!info) return undefined;
      return valuesOf(view, info).length > 0;
    }
    case 'equalityMatch':
    case 'approxMatch':
    case 'greaterOrEqual':
    case 'lessOrEqual': {
      const info = attrOf(view, f.attribute);
      if (!info) return undefined;
      const rule = info.syntax.rule;
      const ok = f.type === 'equalityMatch' || f.type === 'approxMatch' ? rule.equalityMatch : f.type === 'greaterOrEqual' ? rule.greaterOrEqual : rule.lessOrEqual;
      if (!ok) return undefined;
      const a = assertionOf(view, info, f.value);
      if (a === undefined) return undefined;
      const vals = valuesOf(view, info);
      if (f.type === 'equalityMatch' || f.type === 'approxMatch') {
        const key = info.syntax.normalize(a);
        return vals.some((v) => info.syntax.normalize(v).equals(key));
      }
      return vals.some((v) => {
        const c = info.syntax.compare(v, a);
        return f.type === 'greaterOrEqual' ? c >= 0 : c <= 0;
      });
    }
    case 'substrings': {
      const info = attrOf(view, f.attribute);
      if (!info || !info.syntax.rule.substrings || !info.syntax.substrings) return undefined;
      const sub: { initial?: Uint8Array; any: Uint8Array[]; final?: Uint8Array } = { any: f.any };
      if (f.initial !== undefined) sub.initial = f.initial;
      if (f.final !== undefined) sub.final = f.final;
      return valuesOf(view, info).some((v) => info.syntax.substrings!(v, sub));
    }
    case 'extensibleMatch': {
      // the bitwise rules of MS-ADTS 3.1.1.3.4.4 on Integer/LargeInteger/Enumeration values
      if (!f.attribute || (f.matchingRule !== LDAP_MATCHING_RULE_BIT_AND && f.matchingRule !== LDAP_MATCHING_RULE_BIT_OR)) return undefined;
      const info = attrOf(view, f.attribute);
      if (!info || !info.syntax.rule.bitAnd) return undefined;
      let mask: bigint;
      try {
        mask = BigInt(f.value.toString('utf8'));
      } catch {
        return undefined;
      }
      return valuesOf(view, info).some((v) => {
        if (typeof v !== 'number' && typeof v !== 'bigint') return false;
        const n = BigInt.asUintN(64, BigInt(v));
        const m = BigInt.asUintN(64, mask);
        return f.matchingRule === LDAP_MATCHING_RULE_BIT_AND ? (n & m) === m : (n & m) !== 0n;
      });
    }
    case 'unknown':
      return undefined;
  }
}

/** True only where the filter evaluates to TRUE (RFC 4511 4.5.1.7: FALSE and Undefined select nothing). */
export function matchesFilter(f: Filter, view: ObjectView): boolean {
  return evaluateFilter(f, view) === true;
}
