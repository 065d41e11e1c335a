// The tuple index (MS-ADTS 3.1.1.2.3 searchFlags fTUPLEINDEX: "tuple index for medial
// searches"): for each value of a String(Unicode) or String(Teletex) attribute that has the
// flag, every window of three UTF-16 code units of the value folded as its syntax compares it
// (foldUnicode / foldAscii), as store keys attid(u32) ‖ UTF-16BE(window). A substrings filter
// with a piece of three or more units then has candidates: the objects under every window of
// its longest piece (a value holding the piece holds each of its windows). Substring matching
// (common.ts matchStringPieces) finds pieces with indexOf over the same folded strings, so the
// windows are code units too. The filter is still evaluated on every candidate.
//
// The index is built by the store's index code: putObject/removeObject keep it for the
// attributes the schema flags; an attribute newly flagged (a schema update, or a store written
// before this index existed) is built in one update over every object, and a reader answers
// from it only once that update has committed (Store.builtTupleIndexes).
import type { Directory } from './directory.js';
import type { ObjectRecord } from '../store/record.js';
import type { ReadTxn } from '../store/store.js';
import { foldAscii, foldUnicode } from '../schema/syntaxes/common.js';
import { SearchFlags, type AttributeSchema } from '../schema/types.js';
import type { Syntax } from '../schema/syntaxes/index.js';

/** Code units per tuple. */
export const TUPLE_UNITS = 3;

/** The fold a syntax's substrings compare with, for the syntaxes a tuple index serves. */
export function tupleFold(syntax: Syntax): ((s: string) => string) | undefined {
  if (syntax.name === 'String(Unicode)') return foldUnicode;
  if (syntax.name === 'String(Teletex)') return foldAscii;
  return undefined;
}

/** The attribute asks for a tuple index and its syntax has one. */
export function wantsTupleIndex(a: AttributeSchema, syntax: Syntax): boolean {
  return (a.searchFlags & SearchFlags.fTUPLEINDEX) !== 0 && !a.isDefunct && tupleFold(syntax) !== undefined;
}

function tupleKey(attid: number, folded: string, at: number): Buffer {
  const b = Buffer.allocUnsafe(4 + 2 * TUPLE_UNITS);
  b.writeUInt32BE(attid >>> 0, 0);
  for (let i = 0; i < TUPLE_UNITS; i++) b.writeUInt16BE(folded.charCodeAt(at + i), 4 + 2 * i);
  return b;
}

/** The distinct tuple keys of `values` (folded) of attribute `attid`. */
export function tupleKeys(attid: number, fold: (s: string) => string, values: readonly unknown[], out: Buffer[], seen: Set<string>): void {
  for (const v of values) {
    if (typeof v !== 'string') continue;
    const f = fold(v);
    for (let i = 0; i + TUPLE_UNITS <= f.length; i++) {
      const w = f.slice(i, i + TUPLE_UNITS);
      const k = `${attid}:${w}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(tupleKey(attid, f, i));
    }
  }
}

/** The tuple keys of an object for the attributes in `folds` (attid → fold). */
export function makeTupleIndexer(folds: ReadonlyMap<number, (s: string) => string>): (rec: ObjectRecord) => Buffer[] {
  return (rec) => {
    const out: Buffer[] = [];
    if (folds.size === 0) return out;
    const seen = new Set<string>();
    for (const a of rec.attrs) {
      const fold = folds.get(a.id);
      if (fold && a.values.length > 0) tupleKeys(a.id, fold, a.values, out, seen);
    }
    return out;
  };
}

/**
 * Candidates of a substrings filter on `attid` from its tuple index: the objects under every
 * window of the longest folded piece; undefined when no piece has three units (or the index
 * is not built, or there are more than `cap`).
 */
export function tupleCandidates(r: ReadTxn, attid: number, fold: (s: string) => string, pieces: readonly string[], cap: number): Buffer[] | undefined {
  let longest = '';
  for (const p of pieces) {
    const f = fold(p);
    if (f.length > longest.length) longest = f;
  }
  if (longest.length < TUPLE_UNITS) return undefined;
  // the windows, rarest first would be best; all of them, intersected, in order
  let acc: Map<string, Buffer> | undefined;
  const done = new Set<string>();
  for (let i = 0; i + TUPLE_UNITS <= longest.length; i++) {
    const w = longest.slice(i, i + TUPLE_UNITS);
    if (done.has(w)) continue;
    done.add(w);
    const next = new Map<string, Buffer>();
    for (const g of r.tupleGuids(tupleKey(attid, longest, i))) {
      const k = g.toString('latin1');
      if (acc && !acc.has(k)) continue;
      next.set(k, acc ? acc.get(k)! : Buffer.from(g));
      if (!acc && next.size > cap) return undefined;
    }
    acc = next;
    if (acc.size === 0) break;
  }
  return acc ? [...acc.values()] : [];
}

/**
 * Brings the store's tuple indexes in line with the schema: builds those the schema flags and
 * the store lacks, drops those it no longer flags. Returns the update's promise (resolved at
 * once when nothing changes); readers keep walking until it commits.
 */
export function reconcileTupleIndexes(dir: Directory): Promise<void> {
  const want = dir.schema.tupleIndexedIds;
  const built = dir.store.builtTupleIndexes;
  const build = [...want].filter((id) => !built.has(id));
  const drop = [...built].filter((id) => !want.has(id));
  if (build.length === 0 && drop.length === 0) return Promise.resolve();
  const next = [...built].filter((id) => want.has(id)).concat(build);
  return dir.store.write((w) => w.rebuildTupleIndexes(build, drop, next));
}
