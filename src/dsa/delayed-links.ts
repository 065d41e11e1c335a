// Delayed link processing (MS-ADTS 3.1.1.1.16): deleting an object with very many link values
// (a group with 100,000 members) does not remove or deactivate them all in the delete's own
// transaction. The delete queues the object in the store's `linkwork` database (tombstone.ts,
// deleteObject) and returns; this module then processes the values in batches of
// delayedLinkSettings.batchSize, one store transaction each, in the background.
//
// Correctness while the work is pending: Store.links()/backlinks() consult the queue, so readers
// see the values as already removed (tombstone) or deactivated (deleted-object, Recycle Bin)
// the moment the delete commits. The queue is persistent: after a restart, resumeDelayedLinks()
// (or the next delete) picks up where the work stopped; a batch is idempotent (each value is
// re-checked in its transaction).
//
// Neither mode is an originating update: a tombstone's values are hidden and a deleted-object's
// deactivated, both local state derived from isDeleted (MS-DRSR 5.160, MS-ADTS 3.1.1.9.1; see
// model/lifecycle.ts hideLinks): no stamp changes and no source object changes.
import { dcStateSlot } from './dc-state.js';
import type { Directory } from './directory.js';
import type { LinkValue } from '../store/record.js';
import { LINK_WORK_DEACTIVATE, LINK_WORK_REMOVE, type ReadTxn } from '../store/store.js';

export const delayedLinkSettings = {
  /** an object with at most this many link values (forward and naming it) has them processed in the delete itself */
  inlineMax: 5_000,
  /** link values per background transaction */
  batchSize: 5_000,
};

interface WorkItem {
  /** the forward-link value: source ‖ linkId ‖ target ‖ data */
  source: Buffer;
  linkId: number;
  target: Buffer;
  data: Buffer;
}

const RUN = dcStateSlot('delayed link processing', (): { running?: Promise<void> } => ({}));

/**
 * Starts processing the queue in the background if it is not running already; returns the
 * promise of the run (resolves when the queue is empty). A failed run rejects the returned
 * promise (nobody else is told); the queue stays persistent, so the next call resumes it.
 * Call once at start-up to resume work a restart interrupted.
 */
export function resumeDelayedLinks(dir: Directory): Promise<void> {
  const box = dir.state(RUN);
  const cur = box.running;
  if (cur) return cur;
  const p = (async () => {
    // yield first: the caller's response goes out before the first batch
    await new Promise((r) => setImmediate(r));
    try {
      for (;;) {
        const next = dir.store.reader.pendingLinkWork().next();
        if (next.done) return;
        await processObject(dir, next.value.guid, next.value.mode);
      }
    } finally {
      box.running = undefined;
    }
  })();
  box.running = p;
  p.catch(() => {});
  return p;
}

/** Resolves when no delayed link processing is pending (for tests and shutdown). */
export async function delayedLinksIdle(dir: Directory): Promise<void> {
  while (dir.store.reader.pendingLinkWork().next().done === false) await resumeDelayedLinks(dir);
}

/** The values object `guid`'s pending work must process, read once from a snapshot. */
function collect(r: ReadTxn, guid: Buffer, mode: number): WorkItem[] {
  const out: WorkItem[] = [];
  const live = (lv: LinkValue) => lv.stamp.timeDeleted === 0 && !lv.hidden && (mode === LINK_WORK_REMOVE || !lv.deactivated);
  for (const lv of r.rawLinks(guid)) if (live(lv)) out.push({ source: guid, linkId: lv.linkId, target: Buffer.from(lv.target), data: Buffer.from(lv.data) });
  for (const b of r.rawBacklinks(guid)) out.push({ source: Buffer.from(b.source), linkId: b.linkId, target: guid, data: Buffer.from(b.data) });
  return out;
}

/** Whether any value of `guid` still needs processing in `mode`. */
function hasRemaining(r: ReadTxn, guid: Buffer, mode: number): boolean {
  for (const lv of r.rawLinks(guid)) if (lv.stamp.timeDeleted === 0 && !lv.hidden && (mode === LINK_WORK_REMOVE || !lv.deactivated)) return true;
  return !r.rawBacklinks(guid).next().done;
}

async function processObject(dir: Directory, guid: Buffer, mode: number): Promise<void> {
  const snap = dir.store.snapshot();
  let items: WorkItem[];
  try {
    items = collect(snap, guid, mode);
  } finally {
    snap.done();
  }
  const size = Math.max(1, delayedLinkSettings.batchSize);
  for (let i = 0; i === 0 || i < items.length; i += size) {
    const slice = items.slice(i, i + size);
    const last = i + size >= items.length;
    const stillQueued = await dir.store.write((w) => {
      // an undelete may have taken the object out of the queue (tombstone.ts, reanimateLinks)
      if (w.linkWorkOf(guid) !== mode) return false;
      if (mode === LINK_WORK_REMOVE) {
        for (const it of slice) {
          const lv = w.getLink(it.source, it.linkId, it.target, it.data);
          if (lv && lv.stamp.timeDeleted === 0 && !lv.hidden) w.putLink({ ...lv, hidden: true, deactivated: false });
        }
      } else {
        for (const it of slice) {
          const lv = w.getLink(it.source, it.linkId, it.target, it.data);
          if (lv && lv.stamp.timeDeleted === 0 && !lv.deactivated) w.putLink({ ...lv, deactivated: true });
        }
      }
      // done when nothing is left (values added between an undelete and a new delete of the
      // object are not in `items`: the queue entry stays and the next run takes them)
      if (last && !hasRemaining(w, guid, mode)) w.finishLinkWork(guid);
      return true;
    });
    if (!stillQueued) return;
    // let requests in between batches
    if (!last) await new Promise((r) => setImmediate(r));
  }
}

export { LINK_WORK_DEACTIVATE, LINK_WORK_REMOVE };
