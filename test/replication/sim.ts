// A deterministic replication simulator: several DCs in one process, each with its own real
// LMDB store, replicating one NC over an in-memory transport that a script drives step by
// step (deliver, drop, duplicate, reorder, partition, DC restart from its store). Writes are
// originating updates made through the state model's update port (src/dsa/model), the way
// the LDAP operations make them, with the refusals an LDAP client would get done as skips.
//
// Nothing here sleeps or reads the wall clock: time is a counter the script advances, GUIDs
// are derived from the seed, and every choice comes from the script.
import { Store } from '../../src/store/store.js';
import type { ObjectRecord } from '../../src/store/record.js';
import { DnDeriver } from '../../src/dsa/names.js';
import { SchemaBinding } from '../../src/dsa/schema-binding.js';
import { SchemaSnapshot } from '../../src/schema/snapshot.js';
import { loadBootstrapSchema } from '../../src/schema/bootstrap.js';
import { PrefixTable } from '../../src/schema/prefix-table.js';
import { UpdatePort } from '../../src/dsa/model/update.js';
import { deactivateLinks, isDeleted, ObjectState, reactivateLinks, reanimate, stateOf, tombstone } from '../../src/dsa/model/lifecycle.js';
import { compareGuids } from '../../src/dsa/model/stamps.js';
import { deleteMangledRdn, unmangle } from '../../src/dsa/model/naming.js';
import { foldValue } from '../../src/dn/dn.js';
import type { ReplicaContext, ReplicaSchema } from '../../src/dsa/replica/context.js';
import { replicaSchemaOf } from '../../src/dsa/replica/schema.js';
import { getNCChanges } from '../../src/dsa/replica/source.js';
import { handleReply, nextRequest, ridAllocRequest, type PullOptions } from '../../src/dsa/replica/pull.js';
import { serveGetNCChanges } from '../../src/dsa/replica/fsmo.js';
import { MAX_RID, pool, takeRid, wantsBlock, type RidSetState } from '../../src/dsa/model/rid-pool.js';
import { readReplicaState } from '../../src/dsa/replica/state.js';
import type { DRS_MSG_GETCHGREPLY_V6, DRS_MSG_GETCHGREQ_V10, DSNAME } from '../../src/dsa/replica/types.js';

// ---- the schema, built once per process ----------------------------------------------

export interface SimSchema {
  binding: SchemaBinding;
  replica: ReplicaSchema;
  names: DnDeriver;
  id: Record<'dc' | 'cn' | 'ou' | 'name' | 'objectClass' | 'description' | 'member' | 'objectSid' | 'isDeleted', number>;
  oc: Record<'domainDNS' | 'container' | 'ou' | 'user' | 'group' | 'rIDManager' | 'rIDSet', string>;
  memberLinkId: number;
}

let cachedSchema: SimSchema | undefined;
export function simSchema(): SimSchema {
  if (cachedSchema) return cachedSchema;
  const boot = loadBootstrapSchema(new PrefixTable());
  const binding = new SchemaBinding(new SchemaSnapshot(boot.attributes, boot.classes, boot.prefixTable));
  const id = (n: string) => binding.attr(n)!.id;
  const oc = (n: string) => binding.cls(n)!.governsID;
  cachedSchema = {
    binding,
    replica: replicaSchemaOf(binding),
    names: new DnDeriver({ nameOf: (a) => binding.attrById(a)?.name ?? String(a), idOf: (t) => binding.attr(t)?.id }),
    id: { dc: id('dc'), cn: id('cn'), ou: id('ou'), name: id('name'), objectClass: id('objectClass'), description: id('description'), member: id('member'), objectSid: id('objectSid'), isDeleted: id('isDeleted') },
    oc: { domainDNS: oc('domainDNS'), container: oc('container'), ou: oc('organizationalUnit'), user: oc('user'), group: oc('group'), rIDManager: oc('rIDManager'), rIDSet: oc('rIDSet') },
    memberLinkId: binding.attr('member')!.forwardLinkId!,
  };
  return cachedSchema;
}

// ---- DCs -----------------------------------------------------------------------------

/** A DC of the simulation: a real store, reopened on restart. */
export class SimDC {
  store: Store;
  ctx: ReplicaContext;
  constructor(
    public index: number,
    readonly dir: string,
    private readonly world: { time: number },
  ) {
    this.store = this.openStore();
    this.ctx = this.context();
  }

  private openStore(): Store {
    return Store.open(this.dir, { create: true, noSync: true, mapSize: 512 * 1024 * 1024 });
  }

  private context(): ReplicaContext {
    const S = simSchema();
    const store = this.store;
    return {
      store,
      serverGuid: store.dc.serverGuid,
      invocationId: store.dc.invocationId,
      schema: S.replica,
      names: S.names,
      clock: () => this.world.time,
      rid: {
        blockSize: 4,
        // the RID Sets live in a container of their own, one per DC, named by its nTDSDSA GUID
        ridSetOf: (u, dsa, manager) => {
          const w = u.txn;
          const nc = w.getHeader(manager)?.nc;
          const sets = nc && w.childByName(nc, 'RID Sets');
          if (!nc || !sets) return undefined;
          const name = dsa.toString('hex');
          const have = w.childByName(sets, name);
          if (have) return Buffer.from(have);
          const S = simSchema();
          const guid = Buffer.concat([manager.subarray(0, 8), dsa.subarray(0, 8)]);
          const rec: ObjectRecord = { parent: Buffer.from(sets), nc: Buffer.from(nc), rdnType: S.id.cn, name, usnCreated: u.usn, usnChanged: u.usn, whenChanged: u.time, attrs: [] };
          u.setAttribute(rec, S.binding.attr('objectClass')!, [S.oc.rIDSet]);
          u.setAttribute(rec, S.binding.attr('cn')!, [name]);
          u.setAttribute(rec, S.binding.attr('name')!, [name]);
          w.putObject(guid, rec, undefined);
          return guid;
        },
      },
      containers: (r, nc) => {
        const deletedObjects = r.childByName(nc, 'Deleted Objects');
        const lostAndFound = r.childByName(nc, 'LostAndFound');
        return { ...(deletedObjects ? { deletedObjects: Buffer.from(deletedObjects) } : {}), ...(lostAndFound ? { lostAndFound: Buffer.from(lostAndFound) } : {}) };
      },
    };
  }

  /** Stops the DC and starts it again from what its store holds (nothing in memory survives). */
  async restart(): Promise<void> {
    await this.store.close();
    this.store = this.openStore();
    this.ctx = this.context();
  }

  get invocationId(): Buffer {
    return this.store.dc.invocationId;
  }
}

/** Opens `n` DCs in `root`, ordered by invocationId so that runs of one seed tie-break alike. */
export function openDCs(root: string, n: number, world: { time: number }): SimDC[] {
  const dcs = Array.from({ length: n }, (_, i) => new SimDC(i, `${root}/dc${i}`, world));
  dcs.sort((a, b) => compareGuids(a.invocationId, b.invocationId));
  dcs.forEach((d, i) => (d.index = i));
  return dcs;
}

// ---- the NC of one seed ----------------------------------------------------------------

export interface SimNC {
  name: DSNAME;
  /** the seed's tag, for GUIDs */
  tag: number;
  nextGuid: number;
  nextRid: Map<number, number>;
}

export function simGuid(nc: SimNC): Buffer {
  const g = Buffer.alloc(16);
  g.writeUInt32BE(nc.tag >>> 0, 0);
  g.writeUInt32BE(nc.nextGuid++, 4);
  g.writeUInt32BE(0x5eed5eed, 8);
  return g;
}

const DOMAIN_SID = Buffer.from('010400000000000515000000a1b2c3d4e5f60718293a4b5c', 'hex');
function sidOf(rid: number): Buffer {
  const b = Buffer.alloc(DOMAIN_SID.length + 4);
  DOMAIN_SID.copy(b);
  b[1] = 5;
  b.writeUInt32LE(rid >>> 0, DOMAIN_SID.length);
  return b;
}

/** Creates the NC on `dc`: head, Deleted Objects, LostAndFound, two OUs and a group. Returns it. */
export function createNC(dc: SimDC, tag: number): SimNC {
  const S = simSchema();
  const nc: SimNC = { name: { Guid: Buffer.alloc(16), StringName: `DC=s${tag},DC=sim` }, tag, nextGuid: 1, nextRid: new Map() };
  const head = simGuid(nc);
  nc.name.Guid = head;
  const A = (n: string) => S.binding.attr(n)!;
  dc.store.writeSync((w) => {
    const u = new UpdatePort(w, dc.invocationId, dc.ctx.clock);
    const mk = (guid: Buffer, parent: Buffer | null, rdnType: number, name: string, oc: string, extra: (rec: ObjectRecord) => void = () => {}) => {
      const rec: ObjectRecord = { parent, nc: head, rdnType, name, usnCreated: u.usn, usnChanged: u.usn, whenChanged: u.time, attrs: [] };
      if (!parent) rec.ncName = nc.name.StringName;
      u.setAttribute(rec, A('objectClass'), [oc]);
      u.setAttribute(rec, S.binding.attrById(rdnType)!, [name]);
      u.setAttribute(rec, A('name'), [name]);
      extra(rec);
      w.putObject(guid, rec, undefined);
    };
    mk(head, null, S.id.dc, `s${tag}`, S.oc.domainDNS);
    // MS-ADTS 6.1.1.4.2: the Deleted Objects container is itself deleted (isDeleted TRUE)
    mk(simGuid(nc), head, S.id.cn, 'Deleted Objects', S.oc.container, (r) => u.setAttribute(r, A('isDeleted'), [true]));
    mk(simGuid(nc), head, S.id.cn, 'LostAndFound', S.oc.container);
    mk(simGuid(nc), head, S.id.ou, 'A', S.oc.ou);
    mk(simGuid(nc), head, S.id.ou, 'B', S.oc.ou);
    mk(simGuid(nc), head, S.id.cn, 'G', S.oc.group);
    // MS-ADTS 6.1.5.3: the RID Manager$ object, its role owner DC0, the domain's RID space
    mk(simGuid(nc), head, S.id.cn, 'RID Manager$', S.oc.rIDManager, (r) => {
      u.setAttribute(r, A('rIDAvailablePool'), [pool(1000, MAX_RID)]);
      u.setAttribute(r, A('fSMORoleOwner'), [{ guid: Buffer.from(dc.store.dc.serverGuid) }]);
    });
    mk(simGuid(nc), head, S.id.cn, 'RID Sets', S.oc.container);
  });
  return nc;
}

// ---- reading a DC's replica ------------------------------------------------------------

export function objectsOf(dc: SimDC, nc: SimNC): { guid: Buffer; rec: ObjectRecord }[] {
  const r = dc.store.reader;
  const out: { guid: Buffer; rec: ObjectRecord }[] = [];
  for (const { guid } of r.changedSince(nc.name.Guid, 0)) {
    const g = Buffer.from(guid);
    out.push({ guid: g, rec: r.getObject(g)! });
  }
  return out.sort((a, b) => Buffer.compare(a.guid, b.guid));
}

const classOf = (rec: ObjectRecord) => {
  const S = simSchema();
  return (rec.attrs.find((a) => a.id === S.id.objectClass)?.values ?? []) as string[];
};

/** The replica as a canonical text: objects, values, stamps (no usnLocal), link values and their stamps. */
export function dump(dc: SimDC, nc: SimNC): string {
  const r = dc.store.reader;
  const lines: string[] = [];
  for (const { guid, rec } of objectsOf(dc, nc)) {
    lines.push(`${guid.toString('hex')} parent=${rec.parent?.toString('hex') ?? '-'} rdn=${rec.rdnType} name=${JSON.stringify(rec.name)}${rec.ncName ? ` nc=${rec.ncName}` : ''}`);
    // non-replicated attributes (no stamp: rIDNextRID, …) are each DC's own
    for (const a of [...rec.attrs].filter((x) => x.stamp).sort((x, y) => x.id - y.id)) {
      const s = a.stamp;
      lines.push(`  ${a.id} ${JSON.stringify(a.values, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))} ${s ? `v${s.dwVersion} t${s.timeChanged} ${s.uuidOriginating.toString('hex')} #${s.usnOriginating}` : ''}`);
    }
    for (const lv of r.rawLinks(guid)) {
      const s = lv.stamp;
      // `hidden` and `deactivated` are each DC's own state, but derived from the replicated one (an end is a tombstone, a deleted-object): they must agree too
      lines.push(`  link ${lv.linkId} → ${lv.target.toString('hex')} ${lv.data.toString('hex')} ${s.timeDeleted ? `deleted@${s.timeDeleted}` : 'present'}${lv.hidden ? ' hidden' : ''}${lv.deactivated ? ' deactivated' : ''} c${s.timeCreated} v${s.dwVersion} t${s.timeChanged} ${s.uuidOriginating.toString('hex')} #${s.usnOriginating}`);
    }
  }
  return lines.join('\n');
}

// ---- originating writes (what an LDAP client could do; refusals are skips) ------------

export type Kind = 'user' | 'ou' | 'group';

/** A create refused because this DC has no RID left (ERROR_DS_NO_RIDS_ALLOCATED). */
class NoRids extends Error {}

export class Writer {
  constructor(
    private readonly dc: SimDC,
    private readonly nc: SimNC,
  ) {}

  private live(): { guid: Buffer; rec: ObjectRecord }[] {
    const A = simSchema().replica.lifecycle;
    return objectsOf(this.dc, this.nc).filter((o) => !isDeleted(o.rec, A));
  }
  /** Live containers, the newest first (so that scripts often write under what was just made). */
  private containers() {
    const S = simSchema();
    return this.live()
      .filter((o) => o.rec.parent === null || classOf(o.rec).includes(S.oc.ou))
      .sort((a, b) => b.rec.usnCreated - a.rec.usnCreated || Buffer.compare(a.guid, b.guid));
  }
  private movable() {
    const S = simSchema();
    return this.live().filter((o) => o.rec.parent !== null && !classOf(o.rec).some((c) => c === S.oc.container || c === S.oc.rIDManager || c === S.oc.rIDSet));
  }
  private pick<T>(xs: T[], i: number): T | undefined {
    return xs.length ? xs[Math.abs(i) % xs.length] : undefined;
  }
  private nameFree(parent: Buffer, name: string): boolean {
    return this.dc.store.reader.childByName(parent, name) === undefined;
  }

  add(parentPick: number, name: string, kind: Kind): boolean {
    const parent = this.pick(this.containers(), parentPick);
    return !!parent && this.addAt(parent.guid, name, kind) !== undefined;
  }

  /** This DC's RID Set and its pool state, if the RID Master has made it. */
  ridSet(): { guid: Buffer; state: RidSetState } | undefined {
    const S = simSchema();
    const r = this.dc.store.reader;
    const sets = r.childByName(this.nc.name.Guid, 'RID Sets');
    const g = sets && r.childByName(sets, this.dc.store.dc.serverGuid.toString('hex'));
    if (!g) return undefined;
    const rec = r.getObject(Buffer.from(g))!;
    const v = (n: string) => rec.attrs.find((a) => a.id === S.binding.attr(n)!.id)?.values[0];
    const state: RidSetState = {};
    if (v('rIDAllocationPool') !== undefined) state.allocationPool = BigInt(v('rIDAllocationPool') as bigint);
    if (v('rIDPreviousAllocationPool') !== undefined) state.previousPool = BigInt(v('rIDPreviousAllocationPool') as bigint);
    if (v('rIDNextRID') !== undefined) state.nextRid = v('rIDNextRID') as number;
    return { guid: Buffer.from(g), state };
  }

  /** Whether this DC should ask the RID Master for a block (MS-ADTS 6.1.5.3). */
  wantsRids(): boolean {
    const rs = this.ridSet();
    return !rs || wantsBlock(rs.state);
  }

  /** LDAP Add of `name` under `parent`; undefined when the name is taken there (or, for a user, no RID is left). */
  addAt(parentGuid: Buffer, name: string, kind: Kind): Buffer | undefined {
    try {
      return this.addAtOrThrow(parentGuid, name, kind);
    } catch (e) {
      if (e instanceof NoRids) return undefined; // ERROR_DS_NO_RIDS_ALLOCATED: the add is refused
      throw e;
    }
  }

  private addAtOrThrow(parentGuid: Buffer, name: string, kind: Kind): Buffer | undefined {
    const S = simSchema();
    const parent = { guid: parentGuid };
    if (!this.nameFree(parent.guid, name)) return undefined;
    const guid = simGuid(this.nc);
    const rdnType = kind === 'ou' ? S.id.ou : S.id.cn;
    const A = (n: string) => S.binding.attr(n)!;
    this.dc.store.writeSync((w) => {
      const u = new UpdatePort(w, this.dc.invocationId, this.dc.ctx.clock);
      const rec: ObjectRecord = { parent: parent.guid, nc: this.nc.name.Guid, rdnType, name, usnCreated: u.usn, usnChanged: u.usn, whenChanged: u.time, attrs: [] };
      u.setAttribute(rec, A('objectClass'), [kind === 'ou' ? S.oc.ou : kind === 'group' ? S.oc.group : S.oc.user]);
      u.setAttribute(rec, S.binding.attrById(rdnType)!, [name]);
      u.setAttribute(rec, A('name'), [name]);
      if (kind === 'user') {
        // MS-SAMR 3.1.1.9.1: the objectSid takes the next RID of this DC's RID Set
        const rs = this.ridSet();
        const t = rs && takeRid(rs.state);
        if (!rs || !t) throw new NoRids();
        u.setAttribute(rec, A('objectSid'), [sidOf(t.rid)]);
        const prevSet = w.getObject(rs.guid)!;
        const set: ObjectRecord = { ...prevSet, attrs: prevSet.attrs.map((a) => ({ ...a })) };
        u.setAttribute(set, A('rIDPreviousAllocationPool'), [t.next.previousPool!]);
        u.setAttribute(set, A('rIDNextRID'), [t.next.nextRid!]);
        u.touch(set);
        w.putObject(rs.guid, set, prevSet);
      }
      w.putObject(guid, rec, undefined);
    });
    return guid;
  }

  /** Creates `n` users b0…b(n-1) under a container, one update each (names already taken are skipped). */
  bulkUsers(parentPick: number, n: number): number {
    const parent = this.pick(this.containers(), parentPick);
    if (!parent) return 0;
    let made = 0;
    for (let k = 0; k < n; k++) if (this.addAt(parent.guid, `b${k}`, 'user')) made++;
    return made;
  }

  /**
   * A new OU with a child, then a change to the OU: in this DC's USN order the child now
   * comes before its parent (a partner without GET_ANC meets the child first).
   */
  nest(parentPick: number, name: string): boolean {
    const parent = this.pick(this.containers(), parentPick);
    const x = parent && this.addAt(parent.guid, name, 'ou');
    if (!x) return false;
    this.addAt(x, 'c', 'group');
    return this.modifyObj(x, 'nested');
  }

  /** LDAP Modify of a container's description: the container moves up in this DC's USN order, after its children. */
  modifyContainer(pick: number, value: string): boolean {
    const c = this.pick(this.containers().filter((o) => o.rec.parent !== null), pick);
    return !!c && this.modifyObj(c.guid, value);
  }

  modify(pick: number, value: string): boolean {
    const o = this.pick(this.movable(), pick);
    return !!o && this.modifyObj(o.guid, value);
  }

  /** LDAP Modify replacing description. */
  modifyObj(guid: Buffer, value: string): boolean {
    const S = simSchema();
    const o = { guid };
    this.dc.store.writeSync((w) => {
      const u = new UpdatePort(w, this.dc.invocationId, this.dc.ctx.clock);
      const prev = w.getObject(o.guid)!;
      const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
      u.setAttribute(rec, S.binding.attr('description')!, [value]);
      u.touch(rec);
      w.putObject(o.guid, rec, prev);
    });
    return true;
  }

  /** Modify DN: a rename, a move, or both (MS-ADTS 3.1.1.5.4). */
  modifyDN(pick: number, newName: string | undefined, parentPick: number | undefined): boolean {
    const o = this.pick(this.movable(), pick);
    if (!o) return false;
    const parent = parentPick === undefined ? o.rec.parent! : this.pick(this.containers(), parentPick)?.guid;
    return !!parent && this.modifyDNObj(o.guid, newName, parent);
  }

  /** LDAP Modify DN of `guid` to `newName` (or its name) under `parent`; false when refused. */
  modifyDNObj(guid: Buffer, newName: string | undefined, parent: Buffer): boolean {
    const S = simSchema();
    const o = { guid, rec: this.dc.store.reader.getObject(guid)! };
    for (let g: Buffer | null = parent; g; g = this.dc.store.reader.getHeader(g)?.parent ?? null) if (g.equals(o.guid)) return false;
    const name = newName ?? o.rec.name;
    if (parent.equals(o.rec.parent!) && name === o.rec.name) return false;
    if (!(parent.equals(o.rec.parent!) && foldValue(name) === foldValue(o.rec.name)) && !this.nameFree(parent, name)) return false;
    this.dc.store.writeSync((w) => {
      const u = new UpdatePort(w, this.dc.invocationId, this.dc.ctx.clock);
      const prev = w.getObject(o.guid)!;
      const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
      if (name !== prev.name) u.setAttribute(rec, S.binding.attrById(prev.rdnType)!, [name]);
      u.setAttribute(rec, S.binding.attr('name')!, [name]);
      rec.name = name;
      rec.parent = parent;
      u.touch(rec);
      w.putObject(o.guid, rec, prev);
    });
    return true;
  }

  /** Delete of a leaf (MS-ADTS 3.1.1.5.5): a tombstone in Deleted Objects. */
  delete(pick: number): boolean {
    const o = this.pick(this.movable(), pick);
    return !!o && this.deleteObj(o.guid);
  }

  /** LDAP Delete of a leaf; false when it has live children. */
  deleteObj(guid: Buffer): boolean {
    const S = simSchema();
    const o = { guid };
    const r = this.dc.store.reader;
    for (const c of r.children(o.guid)) if (!isDeleted(r.getObject(Buffer.from(c))!, S.replica.lifecycle)) return false;
    const deletedObjects = r.childByName(this.nc.name.Guid, 'Deleted Objects');
    const keep = new Set([S.id.objectClass, S.id.objectSid]);
    this.dc.store.writeSync((w) => {
      const u = new UpdatePort(w, this.dc.invocationId, this.dc.ctx.clock);
      tombstone(u, o.guid, S.replica.lifecycle, { deletedObjects: deletedObjects ? Buffer.from(deletedObjects) : undefined, keeps: (id) => keep.has(id), info: (id) => S.binding.attrById(id) });
    });
    return true;
  }

  recycleDelete(pick: number): boolean {
    const o = this.pick(this.movable(), pick);
    return !!o && this.recycleDeleteObj(o.guid);
  }

  /**
   * LDAP Delete of a leaf with the Recycle Bin on (as src/dsa/tombstone.ts deleteObject makes it,
   * MS-ADTS 3.1.1.5.5.6.2): a deleted-object that keeps its attributes, msDS-LastKnownRDN set, its
   * link values and the values naming it deactivated. False when it has live children.
   */
  recycleDeleteObj(guid: Buffer): boolean {
    const S = simSchema();
    const A = S.replica.lifecycle;
    const r = this.dc.store.reader;
    for (const c of r.children(guid)) if (!isDeleted(r.getObject(Buffer.from(c))!, A)) return false;
    const deletedObjects = r.childByName(this.nc.name.Guid, 'Deleted Objects');
    this.dc.store.writeSync((w) => {
      const u = new UpdatePort(w, this.dc.invocationId, this.dc.ctx.clock);
      const prev = w.getObject(guid)!;
      const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
      const mangled = deleteMangledRdn(prev.name, guid);
      u.setAttribute(rec, A.lastKnownRdn, [prev.name]);
      u.setAttribute(rec, A.isDeleted, [true]);
      if (prev.parent) u.setAttribute(rec, A.lastKnownParent, [{ guid: Buffer.from(prev.parent) }]);
      u.setAttribute(rec, S.binding.attrById(prev.rdnType)!, [mangled]);
      u.setAttribute(rec, A.name, [mangled]);
      rec.name = mangled;
      if (deletedObjects) rec.parent = Buffer.from(deletedObjects);
      u.touch(rec);
      w.putObject(guid, rec, prev);
      deactivateLinks(w, guid);
    });
    return true;
  }

  /** Undelete (MS-ADTS 3.1.1.5.3.7) of a tombstone to its old name under a live container. */
  undelete(pick: number, parentPick: number): boolean {
    const S = simSchema();
    const A = S.replica.lifecycle;
    const dead = objectsOf(this.dc, this.nc).filter((o) => isDeleted(o.rec, A) && o.rec.parent !== null && o.rec.name.includes('\nDEL:'));
    const o = this.pick(dead, pick);
    const parent = this.pick(this.containers(), parentPick);
    if (!o || !parent) return false;
    const name = unmangle(o.rec.name);
    if (!this.nameFree(parent.guid, name)) return false;
    this.dc.store.writeSync((w) => {
      const u = new UpdatePort(w, this.dc.invocationId, this.dc.ctx.clock);
      const wasDeletedObject = stateOf(w.getObject(o.guid)!, A) === ObjectState.DeletedObject;
      reanimate(u, o.guid, A, { parent: parent.guid, name }, (id) => S.binding.attrById(id));
      // a deleted-object's deactivated values come back (src/dsa/tombstone.ts reanimateLinks)
      if (wasDeletedObject) reactivateLinks(w, o.guid, A);
    });
    return true;
  }

  /** Adds or removes up to `n` member values of a group (a link change touches the group). */
  members(groupPick: number, memberPick: number, n: number, add: boolean): boolean {
    const S = simSchema();
    const groups = this.live().filter((o) => classOf(o.rec).includes(S.oc.group));
    const g = this.pick(groups, groupPick);
    if (!g) return false;
    const live = this.live().filter((o) => o.rec.parent !== null);
    if (live.length === 0) return false;
    const targets: Buffer[] = [];
    for (let i = 0; i < Math.min(n, live.length); i++) targets.push(live[(Math.abs(memberPick) + i) % live.length]!.guid);
    return this.membersOf(g.guid, targets, add);
  }

  /** LDAP Modify adding or deleting member values of `group`. */
  membersOf(group: Buffer, targets: Buffer[], add: boolean): boolean {
    const S = simSchema();
    let changed = false;
    this.dc.store.writeSync((w) => {
      const u = new UpdatePort(w, this.dc.invocationId, this.dc.ctx.clock);
      for (const t of targets) changed = (add ? u.addLinkValue(group, S.id.member, S.memberLinkId, t) : u.removeLinkValue(group, S.memberLinkId, t)) || changed;
    });
    return changed;
  }
}

/** The object of the NC named `name` (its current RDN value) on `dc`, if any. */
export function find(dc: SimDC, nc: SimNC, name: string): { guid: Buffer; rec: ObjectRecord } | undefined {
  return objectsOf(dc, nc).find((o) => o.rec.name === name);
}

// ---- the transport ---------------------------------------------------------------------

export type Message =
  | { kind: 'req'; from: number; to: number; req: DRS_MSG_GETCHGREQ_V10; opts: PullOptions; ext?: boolean }
  | { kind: 'rep'; from: number; to: number; rep: DRS_MSG_GETCHGREPLY_V6; opts: PullOptions; ext?: boolean };

/** What happened on the wire and in the DCs, for the property's statistics. */
export interface SimStats {
  delivered: number;
  dropped: number;
  duplicated: number;
  stale: number;
  retries: number;
  fixups: number;
  chunks: number;
  restarts: number;
  /** RID blocks received from the RID Master */
  ridBlocks: number;
  /** RID_ALLOC requests refused or answered with a block already given */
  ridRefusals: number;
}

export class Network {
  queue: Message[] = [];
  /** DCs cut off from the others (a partition): messages across the cut are lost */
  cut = new Set<number>();
  stats: SimStats = { delivered: 0, dropped: 0, duplicated: 0, stale: 0, retries: 0, fixups: 0, chunks: 0, restarts: 0, ridBlocks: 0, ridRefusals: 0 };

  /** dc asks `master` for a RID block (RID_ALLOC over GetNCChanges, MS-DRSR 4.1.10.4.3). */
  requestRids(dc: number, master = 0): void {
    const d = this.dcs[dc]!;
    const m = this.dcs[master]!;
    const r = d.store.reader;
    const mgr = r.childByName(this.nc.name.Guid, 'RID Manager$');
    if (!mgr) return;
    const rs = new Writer(d, this.nc).ridSet();
    const req = ridAllocRequest(d.ctx, { Guid: Buffer.from(mgr), StringName: '' }, m.invocationId, rs?.state.allocationPool);
    this.queue.push({ kind: 'req', from: dc, to: master, req, opts: {}, ext: true });
  }

  constructor(
    readonly dcs: SimDC[],
    readonly nc: SimNC,
    public cMaxObjects: number,
  ) {}

  /** dst starts a replication cycle from src. */
  startCycle(dst: number, src: number, opts: PullOptions = {}): void {
    if (dst === src) return;
    const d = this.dcs[dst]!;
    const s = this.dcs[src]!;
    const o = { cMaxObjects: this.cMaxObjects, ...opts };
    this.queue.push({ kind: 'req', from: dst, to: src, req: nextRequest(d.ctx, d.store.reader, this.nc.name, s.store.dc.serverGuid, s.invocationId, o), opts: o });
  }

  drop(k: number): void {
    if (this.queue.length === 0) return;
    this.queue.splice(Math.abs(k) % this.queue.length, 1);
    this.stats.dropped++;
  }

  duplicate(k: number): void {
    if (this.queue.length === 0) return;
    this.queue.push(this.queue[Math.abs(k) % this.queue.length]!);
    this.stats.duplicated++;
  }

  /** Delivers the k-th message in flight (k = 0: the oldest). Returns what it caused. */
  deliver(k: number): number {
    if (this.queue.length === 0) return 0;
    const [m] = this.queue.splice(Math.abs(k) % this.queue.length, 1);
    const msg = m!;
    if (this.cut.has(msg.from) !== this.cut.has(msg.to)) {
      this.stats.dropped++;
      return 0;
    }
    this.stats.delivered++;
    if (msg.kind === 'req') {
      const s = this.dcs[msg.to]!;
      const rep = msg.ext ? serveGetNCChanges(s.ctx, msg.req) : getNCChanges(s.ctx, s.store.reader, msg.req);
      this.queue.push({ kind: 'rep', from: msg.to, to: msg.from, rep, opts: msg.opts, ...(msg.ext ? { ext: true } : {}) });
      return 0;
    }
    const d = this.dcs[msg.to]!;
    const s = this.dcs[msg.from]!;
    const res = handleReply(d.ctx, msg.rep, msg.opts);
    if (msg.ext) {
      if (res.kind === 'applied') {
        if (res.outcome.objects > 0) this.stats.ridBlocks++;
        return res.outcome.objects;
      }
      this.stats.ridRefusals++;
      return 0;
    }
    if (res.kind === 'stale') this.stats.stale++;
    if (res.kind === 'retry') {
      this.stats.retries++;
      const o = { ...msg.opts, getAnc: res.getAnc, getTgt: res.getTgt };
      this.queue.push({ kind: 'req', from: msg.to, to: msg.from, req: nextRequest(d.ctx, d.store.reader, this.nc.name, s.store.dc.serverGuid, s.invocationId, o), opts: o });
    }
    if (res.kind === 'applied') {
      this.stats.chunks++;
      this.stats.fixups += res.outcome.fixups;
      if (res.more) this.queue.push({ kind: 'req', from: msg.to, to: msg.from, req: nextRequest(d.ctx, d.store.reader, this.nc.name, s.store.dc.serverGuid, s.invocationId, msg.opts), opts: msg.opts });
      return res.outcome.objects + res.outcome.values + res.outcome.fixups;
    }
    if (res.kind === 'failed') throw new Error(`DC${msg.to} failed a chunk from DC${msg.from}: win32 ${res.error.toString(16)}`);
    return 0;
  }

  /** Delivers everything in flight (and what it causes), oldest first. */
  drain(limit = 100000): number {
    let n = 0;
    for (let i = 0; this.queue.length > 0; i++) {
      if (i > limit) throw new Error('the network does not drain');
      n += this.deliver(0);
    }
    return n;
  }

  /** One full cycle dst ← src over a perfect network; returns the number of changes applied. */
  fullCycle(dst: number, src: number): number {
    this.startCycle(dst, src);
    return this.drain();
  }

  /** Heals partitions, empties the network, and runs all-pairs cycles until one round changes nothing. */
  quiesce(maxRounds = 12): number {
    this.cut.clear();
    this.drain();
    for (let round = 1; round <= maxRounds; round++) {
      let changed = 0;
      for (let d = 0; d < this.dcs.length; d++) for (let s = 0; s < this.dcs.length; s++) if (d !== s) changed += this.fullCycle(d, s);
      if (changed === 0) return round;
    }
    throw new Error(`no quiescence after ${maxRounds} rounds`);
  }
}

// ---- the convergence checks ------------------------------------------------------------

/** Returns the first violated property, or undefined when every replica agrees and is sound. */
export function checkConverged(net: Network): string | undefined {
  const { dcs, nc } = net;
  const S = simSchema();
  const A = S.replica.lifecycle;
  const d0 = dump(dcs[0]!, nc);
  for (const dc of dcs.slice(1)) {
    const d = dump(dc, nc);
    if (d !== d0) return `DC${dc.index} differs from DC0:\n${firstDiff(d0, d)}`;
  }
  // every UTD vector covers every other DC's highest USN in the NC
  for (const d of dcs) {
    const st = readReplicaState(d.store.reader, nc.name.Guid);
    for (const e of dcs) {
      if (e === d) continue;
      let top = 0;
      for (const s of e.store.reader.changedSince(nc.name.Guid, 0)) top = Math.max(top, s.usn);
      const c = st.utd.find((x) => x.uuidDsa.equals(e.invocationId))?.usnHighPropUpdate ?? 0;
      if (c < top) return `DC${d.index}'s UTD cursor for DC${e.index} is ${c}, below its highest USN ${top}`;
    }
  }
  // one more cycle returns nothing
  for (const d of dcs) {
    for (const e of dcs) {
      if (d === e) continue;
      const rep = getNCChanges(e.ctx, e.store.reader, nextRequest(d.ctx, d.store.reader, nc.name, e.store.dc.serverGuid, e.invocationId));
      if (rep.cNumObjects !== 0 || rep.cNumValues !== 0) return `after quiescence DC${e.index} still sends DC${d.index} ${rep.cNumObjects} objects and ${rep.cNumValues} values`;
    }
  }
  // the tree: live siblings have distinct RDNs, no live object under a deleted parent, DNs derive, SIDs are unique
  const dc = dcs[0]!;
  const objs = objectsOf(dc, nc);
  const byGuid = new Map(objs.map((o) => [o.guid.toString('hex'), o.rec]));
  const siblings = new Set<string>();
  const sids = new Set<string>();
  for (const { guid, rec } of objs) {
    try {
      S.names.dnOf(dc.store.reader, guid);
    } catch (e) {
      return `the DN of ${guid.toString('hex')} does not derive: ${(e as Error).message}`;
    }
    const sid = rec.attrs.find((a) => a.id === S.id.objectSid)?.values[0] as Buffer | undefined;
    if (sid) {
      const k = Buffer.from(sid).toString('hex');
      if (sids.has(k)) return `two objects share the objectSid ${k}`;
      sids.add(k);
    }
    // a tombstone has no link values and no value names it (MS-ADTS 3.1.1.5.5.6.1, 3.1.1.1.6):
    // present values with a tombstone end are hidden, and only those; with the Recycle Bin,
    // present values with a deleted-object end (and no tombstone end) are deactivated, and only those (3.1.1.9.1)
    for (const lv of dc.store.reader.rawLinks(guid)) {
      if (lv.stamp.timeDeleted !== 0) continue;
      const ends = [rec, byGuid.get(lv.target.toString('hex')) ?? rec];
      const endGone = ends.some((e) => isDeleted(e, A) && stateOf(e, A) !== ObjectState.DeletedObject);
      const endDeleted = !endGone && ends.some((e) => stateOf(e, A) === ObjectState.DeletedObject);
      if (endGone !== (lv.hidden === true)) return `the value ${guid.toString('hex')} → ${lv.target.toString('hex')} is ${lv.hidden ? 'hidden' : 'visible'} though ${endGone ? 'an end is' : 'no end is'} a tombstone`;
      if (endDeleted !== (lv.deactivated === true)) return `the value ${guid.toString('hex')} → ${lv.target.toString('hex')} is ${lv.deactivated ? 'deactivated' : 'active'} though ${endDeleted ? 'an end is' : 'no end is'} a deleted-object`;
    }
    if (isDeleted(rec, A) || !rec.parent) continue;
    const k = `${rec.parent.toString('hex')}/${foldValue(rec.name)}`;
    if (siblings.has(k)) return `two live siblings share the RDN ${JSON.stringify(rec.name)}`;
    siblings.add(k);
    const p = byGuid.get(rec.parent.toString('hex'));
    if (!p) return `${guid.toString('hex')} has no parent here`;
    if (isDeleted(p, A)) return `live ${JSON.stringify(rec.name)} sits under a deleted parent ${JSON.stringify(p.name)}`;
  }
  return undefined;
}

function firstDiff(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `line ${i}:\n  DC0: ${x[i] ?? '(none)'}\n  DCn: ${y[i] ?? '(none)'}`;
  return '(no difference)';
}
