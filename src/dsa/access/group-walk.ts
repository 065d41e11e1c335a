// The steps of the group expansion (MS-ADTS 3.1.1.4.5.19; token.ts expandGroups), remembered
// per directory so that a bind does not walk the groups every account shares (its primary
// group, the groups of the logon's well-known SIDs, the groups above its own groups) again:
//  - the facts of a group version (isDeleted, groupType, objectSid, sIDHistory), by objectGUID
//    and uSNChanged: every update of a record, originating or replicated, gives it a new
//    uSNChanged (MS-ADTS 3.1.1.1.9), which the record header carries;
//  - the groups of an object and those above them (over member back links), and the objects
//    holding an objectSid, for one principal epoch of the store (ReadTxn.principalEpoch,
//    store.ts "Principal epoch"): every commit that writes a link value or the record of a
//    group or a foreignSecurityPrincipal (principalRecord below: the only objects whose records
//    the walk reads besides the account's, whose inputs the token cache compares itself)
//    moves it, whatever else it writes; and for one naming epoch (ReadTxn.namingEpoch): a
//    removal (the expunge of a tombstone or of an NC replica's objects, as garbage collection
//    does) and every rename or move move it (token-cache.ts says the same).
// Only snapshots are remembered from, never a write transaction (its state may still roll back).
import { dcStateSlot } from '../dc-state.js';
import { indexKey, WriteTxn, type ReadTxn } from '../../store/store.js';
import { getAttr, type ObjectRecord } from '../../store/record.js';
import type { Directory } from '../directory.js';
import { sidKey } from '../../security/well-known-sids.js';

/** What the group walk reads of one group. */
export interface GroupFacts {
  /** uSNChanged of the record version these facts were read from */
  readonly usn: number;
  readonly deleted: boolean;
  readonly groupType: unknown;
  readonly sid: Buffer | undefined;
  /** sidKey(sid), made once per group version (the expansion keeps a set of the SIDs it took) */
  readonly sidKey: string | undefined;
  readonly sidHistory: readonly Buffer[];
}

/** One group reached by the walk. */
export interface Reached {
  readonly guid: Buffer;
  readonly key: string;
  readonly facts: GroupFacts;
}

/** Most group versions remembered per directory, and most walks per committed state (each map is emptied when full). */
export const GROUP_WALK_LIMITS = { facts: 100_000, walks: 20_000 } as const;

interface WalkMemo {
  facts: Map<string, GroupFacts>;
  /** the principal epoch and the naming epoch the walks below were made at */
  gen: number;
  epoch: number;
  above: Map<string, readonly Reached[]>;
  direct: Map<string, readonly Reached[]>;
  bySid: Map<string, readonly Buffer[]>;
}

const WALK_MEMO = dcStateSlot('group walk memo', (): WalkMemo => ({ facts: new Map(), gen: -1, epoch: -1, above: new Map(), direct: new Map(), bySid: new Map() }));

/** The classes whose records the walk reads (besides the account's own): groups (their facts, their members) and foreignSecurityPrincipals (the well-known SIDs of a logon, objectsWithSid). */
const PRINCIPAL_CLASSES = ['group', 'foreignSecurityPrincipal'] as const;
/** governsIDs of PRINCIPAL_CLASSES per schema binding (a record's objectClass holds governsIDs) */
const principalOids = new WeakMap<object, readonly string[]>();

/**
 * The store's principal classifier (Store.setPrincipalClassifier): whether `rec` is an object
 * of a class the walk reads, by its objectClass values (the whole chain: a subclass of group
 * holds group too).
 */
export function principalRecord(dir: Directory, rec: ObjectRecord): boolean {
  const oc = getAttr(rec, dir.schema.attr('objectClass')!.id)?.values;
  if (!oc) return false;
  let oids = principalOids.get(dir.schema);
  if (!oids) principalOids.set(dir.schema, (oids = PRINCIPAL_CLASSES.map((c) => dir.schema.cls(c)!.governsID)));
  for (const v of oc) if (typeof v === 'string' && oids.includes(v)) return true;
  return false;
}

function memoOf(dir: Directory): WalkMemo {
  return dir.state(WALK_MEMO);
}

function remember<V>(m: Map<string, V>, max: number, k: string, v: V): void {
  if (m.size >= max) m.clear();
  m.set(k, v);
}

/** The walk's steps on one snapshot (one expansion): what the directory remembers, when `r` is not a write transaction. */
export class GroupWalk {
  private readonly memo: WalkMemo | undefined;
  private readonly member: number;

  constructor(
    private readonly dir: Directory,
    private readonly r: ReadTxn,
  ) {
    this.member = dir.schema.attr('member')!.forwardLinkId!;
    if (r instanceof WriteTxn) return;
    const m = memoOf(dir);
    const gen = r.principalEpoch();
    const epoch = r.namingEpoch();
    if (m.gen !== gen || m.epoch !== epoch) {
      m.gen = gen;
      m.epoch = epoch;
      m.above = new Map();
      m.direct = new Map();
      m.bySid = new Map();
    }
    this.memo = m;
  }

  /** The facts of group `g` (objectGUID as latin1 `key`), undefined when there is no such object. */
  facts(g: Buffer, key = g.toString('latin1')): GroupFacts | undefined {
    // uSNChanged straight from the record header's bytes (no header decode)
    const usn = this.r.usnChangedOf(g);
    if (usn === undefined) return undefined;
    const hit = this.memo?.facts.get(key);
    if (hit && hit.usn === usn) return hit;
    const rec = this.r.readObject(g);
    if (!rec) return undefined;
    const s = this.dir.schema;
    const get = (id: number) => getAttr(rec, id)?.values;
    const sid = get(s.attr('objectSid')!.id)?.[0] as Uint8Array | undefined;
    const facts: GroupFacts = {
      usn,
      deleted: get(s.attr('isDeleted')!.id)?.[0] === true,
      groupType: get(s.attr('groupType')!.id)?.[0],
      sid: sid && Buffer.from(sid),
      sidKey: sid && sidKey(sid),
      sidHistory: ((get(s.attr('sIDHistory')!.id) ?? []) as Uint8Array[]).map((v) => Buffer.from(v)),
    };
    if (this.memo) remember(this.memo.facts, GROUP_WALK_LIMITS.facts, key, facts);
    return facts;
  }

  /** The live groups whose member holds `x` directly (deleted groups left out). */
  groupsOf(x: Buffer, key = x.toString('latin1')): readonly Reached[] {
    const hit = this.memo?.direct.get(key);
    if (hit) return hit;
    const out: Reached[] = [];
    for (const b of this.r.backlinks(x, this.member)) {
      const guid = Buffer.from(b.source);
      const k = guid.toString('latin1');
      const facts = this.facts(guid, k);
      if (facts && !facts.deleted) out.push({ guid, key: k, facts });
    }
    if (this.memo) remember(this.memo.direct, GROUP_WALK_LIMITS.walks, key, out);
    return out;
  }

  /**
   * Every live group above `x` over member back links, transitively, in walk order (never `x`
   * itself, also when a cycle leads back to it); a deleted group ends its branch.
   */
  groupsAbove(x: Buffer, key = x.toString('latin1')): readonly Reached[] {
    const hit = this.memo?.above.get(key);
    if (hit) return hit;
    const out: Reached[] = [];
    const seen = new Set<string>([key]);
    const queue: Buffer[] = [x];
    for (let i = 0; i < queue.length; i++) {
      for (const g of this.groupsOf(queue[i]!)) {
        if (seen.has(g.key)) continue;
        seen.add(g.key);
        out.push(g);
        queue.push(g.guid);
      }
    }
    if (this.memo) remember(this.memo.above, GROUP_WALK_LIMITS.walks, key, out);
    return out;
  }

  /** The objects whose objectSid is `sid` (from the objectSid index). */
  objectsWithSid(sid: Uint8Array): readonly Buffer[] {
    const k = sidKey(sid);
    const hit = this.memo?.bySid.get(k);
    if (hit) return hit;
    const info = this.dir.schema.attr('objectSid')!;
    const out: Buffer[] = [];
    for (const g of this.r.indexEqual(indexKey(info.id, info.syntax.normalize(sid)))) out.push(Buffer.from(g));
    if (this.memo) remember(this.memo.bySid, GROUP_WALK_LIMITS.walks, k, out);
    return out;
  }
}
