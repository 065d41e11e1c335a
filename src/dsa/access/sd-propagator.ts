// The security descriptor propagator (MS-ADTS 3.1.1.6.3 "Security Descriptor Propagator"):
// each DC runs it on its own after any change of an nTSecurityDescriptor, originating or
// replicated, and after a move (a change of parent) that is not a delete, and walks the
// object's subtree recomputing every descendant's inherited ACEs (MS-DTYP 2.5.3.4). Its writes
// are local: no stamp, no USN, never replicated (each destination DC runs its own propagation
// after applying a replicated SD change or move, MS-ADTS 6.1.3.3 "Processing Specifics").
//
// MS-ADTS 6.1.3.3: the changed (or moved) object itself is made consistent in the writing
// transaction; its descendants "are updated outside of the modify transaction". Here:
//  - the write re-inherits up to `inlineMax` descendants itself; when the subtree is larger, the
//    walk's position is queued in the store (meta "sdprop") in the same transaction, and a
//    per-DC background task goes on in transactions of `batchSize` objects, each of which
//    saves the position; after a restart, resumeSdPropagation() continues from it;
//  - jobs are kept in order; a job for an object covers the jobs of its descendants (they are
//    dropped), and a job on an ancestor that has not started yet covers a new one below it;
//  - reads stay consistent while a job is pending: the access checks (access.ts), the SD a new
//    child inherits from (add), an SD write's parent and a move's new parent take the
//    *effective* SD of an object under a pending job — computed on the fly from the topmost
//    pending ancestor down (re-inheritance is a pure function of the parent's SD and the
//    object's explicit ACEs, so this is exactly what the walk will store).
import { dcStateSlot } from '../dc-state.js';
import type { ReadTxn, WriteTxn } from '../../store/store.js';
import { getAttr, type ObjectRecord } from '../../store/record.js';
import type { Directory } from '../directory.js';
import { decodeSecurityDescriptor, encodeSecurityDescriptor, type SecurityDescriptor } from '../../security/security-descriptor.js';
import { reinherit } from '../../security/sd-inheritance.js';
import { ObjectClassCategory } from '../../schema/types.js';
import { accessState } from './access.js';

/** meta key of the propagation queue */
export const SD_PROPAGATION_KEY = 'sdprop';

export interface SdPropagationSettings {
  /** descendants re-inherited inside the writing transaction; a larger subtree is finished in the background */
  inlineMax: number;
  /** descendants per background transaction */
  batchSize: number;
  /** reads under a pending job use the effective SD (false only to show the stale state in tests) */
  consistentReads: boolean;
  /** the background task does not start (tests: look at the queue before it runs) */
  paused?: boolean;
  /** called after each background batch has committed (tests: stop in the middle of a walk) */
  afterBatch?: (batch: number) => void;
}

/** A walk's position: per level, the object whose children are walked and the DN-index key of the last child taken. */
type Frame = [parent: Buffer, after: Buffer | null];
interface Job {
  root: Buffer;
  /** null: not started */
  frames: Frame[] | null;
}

class PropagatorState {
  readonly settings: SdPropagationSettings = { inlineMax: 500, batchSize: 500, consistentReads: true };
  /** a job may be queued (false only when the queue was seen empty after the last enqueue) */
  mayHavePending: boolean;
  /** moves at every enqueue */
  gen = 0;
  /** a write queued a job: start the background task at its commit */
  kick = false;
  running: Promise<void> | undefined;
  stopRequested = false;
  batches = 0;
  /** re-inherited SDs by (object's stored SD, parent's effective SD, class) */
  private readonly derived = new WeakMap<Uint8Array, WeakMap<Uint8Array, Map<string, Buffer>>>();
  private readonly interned = new Map<string, Buffer>();
  /** parents read by the replication apply path, per transaction, with their write marks */
  readonly parents = new WeakMap<WriteTxn, Map<string, { mark: unknown; rec: ObjectRecord | undefined }>>();

  constructor(pending: boolean) {
    this.mayHavePending = pending;
  }

  /** One Buffer per distinct SD value (the derive cache is keyed by identity). */
  intern(sd: Uint8Array): Uint8Array {
    const view = Buffer.from(sd.buffer, sd.byteOffset, sd.byteLength);
    // objects written in a row mostly hold the same SD (a replicated chunk, a subtree): no key built for those
    const last = this.lastInterned;
    if (last && last.equals(view)) return last;
    const key = view.toString('latin1');
    let out = this.interned.get(key);
    if (!out) {
      if (this.interned.size >= 4096) this.interned.clear();
      this.interned.set(key, (out = Buffer.from(sd)));
    }
    this.lastInterned = out;
    return out;
  }
  private lastInterned: Buffer | undefined;

  derive(stored: Uint8Array, parentEffective: Uint8Array | undefined, cls: string | undefined): Uint8Array {
    if (!parentEffective) return stored;
    let byParent = this.derived.get(stored);
    if (!byParent) this.derived.set(stored, (byParent = new WeakMap()));
    let byClass = byParent.get(parentEffective);
    if (!byClass) byParent.set(parentEffective, (byClass = new Map()));
    const k = cls ?? '';
    let out = byClass.get(k);
    if (!out) {
      const bin = reinheritBinary(stored, parentEffective, cls) ?? Buffer.from(stored);
      // one Buffer per distinct value, so that the caches keyed by identity hit
      const key = bin.toString('latin1');
      out = this.interned.get(key);
      if (!out) {
        if (this.interned.size >= 4096) this.interned.clear();
        this.interned.set(key, (out = bin));
      }
      byClass.set(k, out);
    }
    return out;
  }
}

const PROPAGATOR = dcStateSlot('SD propagator', (dir): PropagatorState => {
  const st = new PropagatorState(readJobs(dir.store.reader).length > 0);
  dir.store.onCommit(() => {
    if (!st.kick) return;
    st.kick = false;
    void resumeSdPropagation(dir).catch(() => {});
  });
  return st;
});

function stateOf(dir: Directory): PropagatorState {
  return dir.state(PROPAGATOR);
}

/** The propagator's settings of this DC (tests and benchmarks change them). */
export function sdPropagationSettings(dir: Directory): SdPropagationSettings {
  return stateOf(dir).settings;
}

function readJobs(r: ReadTxn): Job[] {
  return (r.getMeta<Job[]>(SD_PROPAGATION_KEY) ?? []).map((j) => ({ root: Buffer.from(j.root), frames: j.frames ? j.frames.map(([p, a]) => [Buffer.from(p), a ? Buffer.from(a) : null] as Frame) : null }));
}

/** The roots of the queued jobs (tests, `forestd` diagnostics). */
export function pendingSdPropagation(r: ReadTxn): Buffer[] {
  return readJobs(r).map((j) => j.root);
}

function sdBinary(dir: Directory, rec: ObjectRecord | undefined): Uint8Array | undefined {
  const id = dir.schema.attr('nTSecurityDescriptor')!.id;
  return (rec && getAttr(rec, id))?.values[0] as Uint8Array | undefined;
}

function decodeOrUndefined(bin: Uint8Array | undefined): SecurityDescriptor | undefined {
  if (!bin) return undefined;
  try {
    return decodeSecurityDescriptor(bin);
  } catch {
    return undefined;
  }
}

/** The object's SD with its inherited ACEs recomputed from `parent`; undefined when it has no readable SD. */
function reinheritBinary(cur: Uint8Array, parent: Uint8Array | undefined, cls: string | undefined): Buffer | undefined {
  const sd = decodeOrUndefined(cur);
  if (!sd) return undefined;
  return encodeSecurityDescriptor(reinherit(sd, decodeOrUndefined(parent), cls));
}

/** schemaIDGUID of a record's structural class, lower case. */
export function classGuidOf(dir: Directory, rec: ObjectRecord): string | undefined {
  const snap = dir.schema.snapshot;
  const oc = (getAttr(rec, dir.schema.attr('objectClass')!.id)?.values ?? []) as string[];
  for (let i = oc.length - 1; i >= 0; i--) {
    const c = snap.classByOid(oc[i]!);
    if (c && c.objectClassCategory !== ObjectClassCategory.Auxiliary) return c.schemaIDGUID.toLowerCase();
  }
  return undefined;
}

/**
 * Effective SDs over one snapshot or transaction: an object under a pending job gets the SD the
 * walk will give it. One view per operation (it remembers what it computed).
 */
export class EffectiveSds {
  private roots: Set<string> | undefined;
  private readonly memo = new Map<string, Uint8Array | undefined>();
  private readonly st: PropagatorState;

  constructor(
    private readonly dir: Directory,
    private readonly r: ReadTxn,
  ) {
    this.st = stateOf(dir);
  }

  private pendingRoots(): Set<string> {
    if (!this.roots) {
      this.roots = new Set();
      if (this.st.mayHavePending && this.st.settings.consistentReads) for (const j of readJobs(this.r)) this.roots.add(j.root.toString('latin1'));
    }
    return this.roots;
  }

  /** Whether some strict ancestor of the object whose parent is `parent` roots a pending job. */
  underPendingJob(parent: Buffer | null): boolean {
    const roots = this.pendingRoots();
    if (roots.size === 0) return false;
    for (let g = parent, n = 0; g && n < 1024; n++) {
      if (roots.has(g.toString('latin1'))) return true;
      g = this.r.getHeader(g)?.parent ?? null;
    }
    return false;
  }

  /** The SD the object has once every pending propagation is done (the stored one when none concerns it). */
  of(rec: ObjectRecord): Uint8Array | undefined {
    const stored = sdBinary(this.dir, rec);
    if (!stored || !rec.parent) return stored;
    const roots = this.pendingRoots();
    if (roots.size === 0) return stored;
    // the ancestors, nearest first, up to the topmost pending root
    const chain: Buffer[] = [];
    let top = -1;
    for (let g: Buffer | null = rec.parent, n = 0; g && n < 1024; n++) {
      chain.push(g);
      if (roots.has(g.toString('latin1'))) top = chain.length - 1;
      g = this.r.getHeader(g)?.parent ?? null;
    }
    if (top < 0) return stored;
    const parentSd = this.ofAncestor(chain, top, 0);
    return this.st.derive(stored, parentSd, classGuidOf(this.dir, rec));
  }

  /** Effective SD of chain[i] (chain[top] is a pending root with no pending job above it: its stored SD is final). */
  private ofAncestor(chain: Buffer[], top: number, i: number): Uint8Array | undefined {
    const k = chain[i]!.toString('latin1');
    if (this.memo.has(k)) return this.memo.get(k);
    const rec = this.r.getObject(chain[i]!);
    const stored = sdBinary(this.dir, rec);
    let out: Uint8Array | undefined;
    if (i === top || !rec || !stored) out = stored;
    else out = this.st.derive(stored, this.ofAncestor(chain, top, i + 1), classGuidOf(this.dir, rec));
    this.memo.set(k, out);
    return out;
  }
}

/** The record with its effective SD (the same record when nothing is pending for it). */
export function withEffectiveSd(dir: Directory, r: ReadTxn, rec: ObjectRecord | undefined): ObjectRecord | undefined {
  if (!rec || !stateOf(dir).mayHavePending) return rec;
  const eff = new EffectiveSds(dir, r).of(rec);
  const stored = sdBinary(dir, rec);
  if (eff === stored) return rec;
  const id = dir.schema.attr('nTSecurityDescriptor')!.id;
  return { ...rec, attrs: rec.attrs.map((a) => (a.id === id ? { ...a, values: [eff!] } : a)) };
}

/**
 * Recomputes the inherited ACEs of object `g` from its parent's SD (the effective one when
 * `view` is given) and stores them when they differ: a local write, no stamp, no USN.
 */
function reinheritOne(dir: Directory, w: WriteTxn, g: Buffer, view?: EffectiveSds, written?: ObjectRecord): boolean {
  // `written`: the record as the caller has just put it in `w` (not read back); its SD is
  // interned so that the derive cache, keyed by identity, hits as it does for stored SDs
  const rec = written ?? w.getObject(g);
  const cur = written ? internedSd(dir, rec) : sdBinary(dir, rec);
  if (!rec || !cur) return false;
  const parentRec = rec.parent ? (written ? parentOf(dir, w, rec.parent) : w.getObject(rec.parent)) : undefined;
  const parentSd = parentRec ? (view ? view.of(parentRec) : sdBinary(dir, parentRec)) : undefined;
  // cached per (stored SD, parent SD, class): the objects of a walk share a few SDs
  const bin = parentSd ? stateOf(dir).derive(cur, parentSd, classGuidOf(dir, rec)) : reinheritBinary(cur, undefined, classGuidOf(dir, rec));
  if (!bin || bin === cur || Buffer.from(cur.buffer, cur.byteOffset, cur.byteLength).equals(bin)) return false;
  const id = dir.schema.attr('nTSecurityDescriptor')!.id;
  w.putObject(g, { ...rec, attrs: rec.attrs.map((a) => (a.id === id ? { ...a, values: [bin] } : a)) }, rec);
  return true;
}

/** The parent's record, read once per transaction while nothing writes it (the objects of a replicated chunk share a few parents). */
function parentOf(dir: Directory, w: WriteTxn, g: Buffer): ObjectRecord | undefined {
  const st = stateOf(dir);
  let m = st.parents.get(w);
  if (!m) st.parents.set(w, (m = new Map()));
  const k = g.toString('latin1');
  const mark = w.writeMark(g);
  const hit = m.get(k);
  if (hit && hit.mark === mark) return hit.rec;
  const rec = w.getObject(g);
  if (m.size >= 1024) m.clear();
  m.set(k, { mark, rec });
  return rec;
}

function internedSd(dir: Directory, rec: ObjectRecord | undefined): Uint8Array | undefined {
  const sd = sdBinary(dir, rec);
  return sd && stateOf(dir).intern(sd);
}

/** Walks a job's subtree in pre-order from its saved position; false when `budget` objects were taken before the end. */
function walk(dir: Directory, w: WriteTxn, job: Job, budget: number): boolean {
  const frames: Frame[] = job.frames ?? [[job.root, null]];
  job.frames = frames;
  let n = 0;
  while (frames.length > 0) {
    const top = frames[frames.length - 1]!;
    const c = w.childAfter(top[0], top[1]);
    if (!c) {
      frames.pop();
      continue;
    }
    if (n >= budget) {
      if (n === 0 && frames.length === 1 && frames[0]![1] === null) job.frames = null;
      return false;
    }
    top[1] = c.key;
    reinheritOne(dir, w, c.guid);
    n++;
    frames.push([c.guid, null]);
  }
  return true;
}

function isAncestorOrSelf(r: ReadTxn, ancestor: Buffer, g: Buffer): boolean {
  for (let x: Buffer | null = g, n = 0; x && n < 1024; n++) {
    if (x.equals(ancestor)) return true;
    x = r.getHeader(x)?.parent ?? null;
  }
  return false;
}

/**
 * MS-ADTS 3.1.1.6.3: the SD of `root` changed (or `root` moved) in this transaction: its
 * descendants are re-inherited — up to inlineMax of them now, the rest by the background task
 * from a job queued in this transaction.
 */
export function propagateBelow(dir: Directory, w: WriteTxn, root: Buffer): void {
  const st = stateOf(dir);
  accessState(dir).sdChangedLocally(); // decisions cached by uSNChanged no longer hold
  if (w.childAfter(root, null) === undefined) return;
  const jobs = readJobs(w);
  // a job on an ancestor (or on root) that has not started will walk this subtree as it is then
  if (jobs.some((j) => j.frames === null && isAncestorOrSelf(w, j.root, root))) return;
  const job: Job = { root: Buffer.from(root), frames: null };
  const done = walk(dir, w, job, Math.max(0, st.settings.inlineMax));
  // jobs below root are covered by this walk (done now, or queued from here)
  const kept = jobs.filter((j) => !isAncestorOrSelf(w, root, j.root));
  if (!done) kept.push(job);
  if (kept.length === jobs.length && done) return;
  w.setMeta(SD_PROPAGATION_KEY, kept);
  if (!done) {
    st.mayHavePending = true;
    st.gen++;
    st.kick = true;
  }
}

/**
 * After a move (or a rename under a pending job, which changes the object's place in the walk's
 * order): the object's own SD is made consistent with its new parent in the move's transaction
 * (MS-ADTS 6.1.3.3), and its descendants follow.
 */
export function propagateAfterMove(dir: Directory, w: WriteTxn, guid: Buffer): void {
  reinheritOne(dir, w, guid, new EffectiveSds(dir, w));
  propagateBelow(dir, w, guid);
}

/** Whether a rename of the object whose parent is `parent` needs propagateAfterMove (a job above it is pending). */
export function renameNeedsPropagation(dir: Directory, w: WriteTxn, parent: Buffer | null): boolean {
  return stateOf(dir).mayHavePending && new EffectiveSds(dir, w).underPendingJob(parent);
}

/**
 * The replication apply path (MS-ADTS 3.1.1.6.3, 6.1.3.3): an applied object whose
 * nTSecurityDescriptor or parent changed (or that is new here) gets its inherited ACEs from its
 * parent on this DC, and its descendants are propagated here. Deleted objects are left alone
 * (a move into Deleted Objects is no propagation event).
 */
export function afterReplicatedApply(dir: Directory, w: WriteTxn, guid: Buffer, rec: ObjectRecord, prev: ObjectRecord | undefined, deleted: boolean): void {
  if (deleted || !rec.parent) return;
  const sdNow = sdBinary(dir, rec);
  const sdChanged = !prev || !sdNow || !Buffer.from(sdNow).equals(Buffer.from(sdBinary(dir, prev) ?? Buffer.alloc(0)));
  const moved = !prev || !prev.parent || !prev.parent.equals(rec.parent);
  if (!sdChanged && !moved) return;
  if (reinheritOne(dir, w, guid, new EffectiveSds(dir, w), rec)) accessState(dir).sdChangedLocally();
  if (prev) propagateBelow(dir, w, guid);
}

/** Whether a propagation job may be pending (when false, every stored SD is final). */
export function sdPropagationMayBePending(dir: Directory): boolean {
  const st = stateOf(dir);
  return st.mayHavePending && st.settings.consistentReads;
}

/**
 * A read worker (src/dsa/workers) over the writer's store takes the writer's answer of
 * sdPropagationMayBePending with each request: its own state never sees the writer's enqueues.
 */
export function followSdPropagation(dir: Directory, mayBePending: boolean): void {
  stateOf(dir).mayHavePending = mayBePending;
}

/** Starts the background task at once (after a write outside the usual paths). */
export function kickSdPropagation(dir: Directory): void {
  const st = stateOf(dir);
  if (st.mayHavePending) void resumeSdPropagation(dir).catch(() => {});
}

/**
 * Runs the queued jobs in the background if not running already; returns the run's promise
 * (resolves when the queue is empty or stopSdPropagation() was called). Call at start-up to
 * resume a propagation a restart interrupted.
 */
export function resumeSdPropagation(dir: Directory): Promise<void> {
  const st = stateOf(dir);
  if (st.running) return st.running;
  if (st.settings.paused) return Promise.resolve();
  st.stopRequested = false;
  const p = (async () => {
    // yield first: the response of the write that queued the job goes out before the first batch
    await new Promise((r) => setImmediate(r));
    try {
      for (;;) {
        if (st.stopRequested) return;
        const gen = st.gen;
        if (readJobs(dir.store.reader).length === 0) {
          if (st.gen === gen) st.mayHavePending = false;
          return;
        }
        await dir.store.write((w) => {
          const q = readJobs(w);
          const job = q[0];
          if (!job) return;
          accessState(dir).sdChangedLocally();
          if (walk(dir, w, job, Math.max(1, st.settings.batchSize))) q.shift();
          w.setMeta(SD_PROPAGATION_KEY, q);
        });
        st.batches++;
        st.settings.afterBatch?.(st.batches);
        // let requests in between batches
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      st.running = undefined;
    }
  })();
  st.running = p;
  p.catch(() => {});
  return p;
}

/** Asks the background task to stop after its current batch; resolves when it has (the queue stays). */
export function stopSdPropagation(dir: Directory): Promise<void> {
  const st = stateOf(dir);
  st.stopRequested = true;
  return st.running ?? Promise.resolve();
}

/** Resolves when no propagation is pending (tests, shutdown). */
export async function sdPropagationIdle(dir: Directory): Promise<void> {
  const st = stateOf(dir);
  while (readJobs(dir.store.reader).length > 0) {
    if (st.settings.paused) throw new Error('the SD propagator is paused');
    await resumeSdPropagation(dir);
  }
}
