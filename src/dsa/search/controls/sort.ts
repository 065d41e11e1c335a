// Server-side sorting, RFC 2891 (LDAP_SERVER_SORT_OID 1.2.840.113556.1.4.473, response
// 1.2.840.113556.1.4.474). The matching entries are collected, keyed once (the normalized value:
// for a rule with an ordering, Buffer order of keys is the rule's order, syntax.ts) and sorted.
// Multi-valued attributes sort by their least value (greatest in reverse order); entries
// without the attribute sort after all others (RFC 2891 2: "as if larger than any value").
// A key the DSA cannot sort on (unknown attribute, no ordering rule) is unavailableCriticalExtension
// when the control is critical; otherwise the results go unsorted and sortResult says why.
import { SORT_REQUEST_OID, sortResponseControl, type SortKey } from '../../../ldap/controls/server-sort.js';
import { responseControl } from '../../../ldap/controls/index.js';
import type { Control } from '../../../ldap/protocol/messages.js';
import { ResultCode } from '../../../ldap/protocol/result-codes.js';
import type { AttrInfo, SchemaBinding } from '../../schema-binding.js';
import type { ObjectView } from '../../object-view.js';
import { AdError } from '../../errors.js';

export const SORT_OIDS = [SORT_REQUEST_OID] as const;

export interface CompiledSortKey {
  info: AttrInfo;
  reverse: boolean;
}

export type SortPlan = { ok: true; keys: CompiledSortKey[] } | { ok: false; result: number; attributeType?: string };

/** Checks the sort keys (RFC 2891 1.1). Throws unavailableCriticalExtension when critical and unusable. */
export function compileSort(schema: SchemaBinding, keys: readonly SortKey[], critical: boolean): SortPlan {
  const out: CompiledSortKey[] = [];
  let fail: SortPlan | undefined;
  if (keys.length === 0) fail = { ok: false, result: ResultCode.protocolError };
  for (const k of keys) {
    const info = schema.attr(k.attributeType.split(';')[0]!);
    if (!info || info.secret) {
      fail ??= { ok: false, result: ResultCode.noSuchAttribute, attributeType: k.attributeType };
      continue;
    }
    if (!info.syntax.rule.lessOrEqual || info.constructed) {
      fail ??= { ok: false, result: ResultCode.inappropriateMatching, attributeType: k.attributeType };
      continue;
    }
    out.push({ info, reverse: k.reverseOrder });
  }
  if (fail) {
    if (critical) throw AdError.unavailableCriticalExtension('dsa.search.sort', SORT_REQUEST_OID);
    return fail;
  }
  return { ok: true, keys: out };
}

/** One sortable row: the object and its key per sort key (undefined = no value). */
export interface SortRow {
  guid: Buffer;
  keys: (Buffer | undefined)[];
}

export function sortRow(view: ObjectView, keys: readonly CompiledSortKey[]): SortRow {
  const row: SortRow = { guid: view.guid, keys: new Array(keys.length) };
  for (let i = 0; i < keys.length; i++) {
    const { info, reverse } = keys[i]!;
    let best: Buffer | undefined;
    for (const v of view.values(info)) {
      const k = info.syntax.normalize(v);
      if (best === undefined || (reverse ? Buffer.compare(k, best) > 0 : Buffer.compare(k, best) < 0)) best = Buffer.from(k);
    }
    row.keys[i] = best;
  }
  return row;
}

export function sortRows(rows: SortRow[], keys: readonly CompiledSortKey[]): void {
  rows.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const x = a.keys[i];
      const y = b.keys[i];
      let c: number;
      if (x === undefined || y === undefined) c = x === y ? 0 : x === undefined ? 1 : -1;
      else c = Buffer.compare(x, y);
      if (c !== 0) return keys[i]!.reverse ? -c : c;
    }
    return Buffer.compare(a.guid, b.guid); // a stable, total order
  });
}

export function sortResponse(plan: SortPlan): Control {
  return plan.ok
    ? responseControl(sortResponseControl, { sortResult: ResultCode.success })
    : responseControl(sortResponseControl, plan.attributeType !== undefined ? { sortResult: plan.result, attributeType: plan.attributeType } : { sortResult: plan.result });
}
