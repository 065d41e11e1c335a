// The value index of each indexed attribute (MS-ADTS 3.1.1.2.3 searchFlags fATTINDEX, and the
// attributes AD always indexes, schema-binding.ts): store keys attid(u32) ‖ normalized value,
// kept by putObject/removeObject for the attributes the schema indexes. An attribute whose
// fATTINDEX is set after objects hold it (a schema update) has no keys for those objects until
// it is built: it is built in one update over every object, and the search planner answers from
// it only once that update has committed (Store.builtValueIndexes, meta "valueIndexes"); until
// then its filters walk the scope. An attribute whose flag is cleared has its keys dropped.
// The tuple index (tuple-index.ts) keeps its own catalog the same way.
import type { Directory } from './directory.js';

/** The planner may answer `attid` from the value index: the schema indexes it and the store has built it. */
export function valueIndexUsable(dir: Directory, attid: number): boolean {
  if (!dir.schema.isIndexed(attid)) return false;
  const built = dir.store.builtValueIndexes;
  return built === undefined || built.has(attid);
}

/**
 * Brings the store's value indexes in line with the schema (as reconcileTupleIndexes does for
 * tuple indexes). A store with no catalog yet records the schema's set as built: its indexes
 * were kept by the indexer from provisioning on.
 */
export function reconcileValueIndexes(dir: Directory): Promise<void> {
  const want = dir.schema.valueIndexedIds;
  const built = dir.store.builtValueIndexes;
  if (built === undefined) return dir.store.write((w) => w.rebuildValueIndexes([], [], [...want]));
  const build = [...want].filter((id) => !built.has(id));
  const drop = [...built].filter((id) => !want.has(id));
  if (build.length === 0 && drop.length === 0) return Promise.resolve();
  const next = [...built].filter((id) => want.has(id)).concat(build);
  return dir.store.write((w) => w.rebuildValueIndexes(build, drop, next));
}
