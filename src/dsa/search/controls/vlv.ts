// Virtual List View, draft-ietf-ldapext-ldapv3-vlv-09 (LDAP_CONTROL_VLVREQUEST
// 2.16.840.1.113730.3.4.9): a window of beforeCount + 1 + afterCount entries of the sorted
// result around a target, chosen by offset (scaled by the client's contentCount estimate,
// draft 5: Si = Sc * Ci / Cc, here mapping the client's first and last to ours) or by the first entry whose primary sort key is >= a value.
// VLV needs the sort control (sortControlMissing otherwise). The response control carries the
// target's 1-based position and the content count.
import { VLV_REQUEST_OID, vlvResponseControl, type VlvRequestValue } from '../../../ldap/controls/vlv.js';
import { responseControl } from '../../../ldap/controls/index.js';
import type { Control } from '../../../ldap/protocol/messages.js';
import { ResultCode, SortControlMissingError, OffsetRangeError, type LdapError } from '../../../ldap/protocol/result-codes.js';
import type { SyntaxContext } from '../../../schema/syntaxes/syntax.js';
import type { CompiledSortKey, SortRow } from './sort.js';

export const VLV_OIDS = [VLV_REQUEST_OID] as const;

export interface VlvWindow {
  /** 0-based start and end (exclusive) of the window in the sorted rows */
  start: number;
  end: number;
  response: Control;
}

function failure(code: number, e: LdapError, count: number): LdapError {
  (e as LdapError & { controls?: Control[] }).controls = [responseControl(vlvResponseControl, { targetPosition: 0, contentCount: count, result: code })];
  return e;
}

/** The sort control is missing: the search fails with sortControlMissing (60) and a VLV response control. */
export function vlvWithoutSort(): LdapError {
  return failure(ResultCode.sortControlMissing, new SortControlMissingError('00002040: the VLV control requires the server-side sort control'), 0);
}

/**
 * The window of `rows` the request asks for. The list is made afresh for every request, so a
 * VLV sees the adds, deletes and changes since the previous one; `context` (the response's
 * contextID) names the search the list is of, the same for every request of the same search.
 */
export function vlvWindow(req: VlvRequestValue, rows: readonly SortRow[], key: CompiledSortKey | undefined, ctx: SyntaxContext, context?: Buffer): VlvWindow {
  const count = rows.length;
  let target: number; // 1-based; count + 1 = past the end
  if (req.target.type === 'byOffset') {
    const { offset, contentCount } = req.target;
    if (offset === 0) throw failure(ResultCode.offsetRangeError, new OffsetRangeError('VLV offset 0 is out of range'), count);
    if (contentCount === 0 || contentCount === count) target = offset;
    else if (offset >= contentCount) target = count; // the client's last is our last
    else if (contentCount === 1) target = 1;
    // the client's first is our first, its last our last, linearly between
    else target = Math.max(1, Math.round(1 + ((offset - 1) * (count - 1)) / (contentCount - 1)));
    target = Math.min(target, count === 0 ? 1 : count);
  } else {
    // greaterThanOrEqual: the first entry whose primary sort key is >= the value (<= in reverse order)
    target = count + 1;
    if (key) {
      const v = key.info.syntax.assertion(req.target.value, ctx);
      if (v !== undefined) {
        const probe = key.info.syntax.normalize(v);
        for (let i = 0; i < count; i++) {
          const k = rows[i]!.keys[0];
          if (k === undefined) continue;
          const c = Buffer.compare(k, probe);
          if (key.reverse ? c <= 0 : c >= 0) {
            target = i + 1;
            break;
          }
        }
      }
    }
  }
  const start = Math.max(0, target - 1 - req.beforeCount);
  const end = Math.min(count, target + req.afterCount);
  const response = responseControl(vlvResponseControl, {
    targetPosition: Math.min(target, count + 1),
    contentCount: count,
    result: ResultCode.success,
    ...(context !== undefined ? { contextID: context } : req.contextID !== undefined ? { contextID: req.contextID } : {}),
  });
  return { start, end: Math.max(start, end), response };
}
