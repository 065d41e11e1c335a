// The replication engine (src/dsa/replica, no LDAP) bound to a DC's Directory: its store,
// its identity, the schema in force, DN derivation, and the NC containers the apply path
// needs — Deleted Objects and LostAndFound, found through the NC head's wellKnownObjects
// (MS-ADTS 6.1.1.4: GUID_DELETED_OBJECTS_CONTAINER_W, GUID_LOSTANDFOUND_CONTAINER_W).
import type { Directory } from './directory.js';
import type { ReplicaContext } from './replica/context.js';
import { replicaSchemaOf } from './replica/schema.js';
import type { DSName } from '../schema/syntaxes/syntax.js';
import type { ReadTxn } from '../store/store.js';
import { WKGUID } from './provision/well-known.js';
import { ridPoolFloor, ridSetOfDsa } from './rid-set.js';
import { afterReplicatedApply, sdPropagationSettings } from './access/sd-propagator.js';

function wellKnown(dir: Directory, r: ReadTxn, nc: Buffer, wk: string): Buffer | undefined {
  const head = r.getObject(nc);
  const info = dir.schema.attr('wellKnownObjects');
  if (!head || !info) return undefined;
  const values = (head.attrs.find((a) => a.id === info.id)?.values ?? []) as { ref: DSName; binary: Uint8Array }[];
  for (const v of values) if (Buffer.from(v.binary).toString('hex').toUpperCase() === wk && r.hasObject(Buffer.from(v.ref.guid))) return Buffer.from(v.ref.guid);
  return undefined;
}

export function replicaContextOf(dir: Directory): ReplicaContext {
  let bound: { binding: Directory['schema']; schema: ReturnType<typeof replicaSchemaOf> } | undefined;
  sdPropagationSettings(dir); // the propagator's commit listener is in place before the first apply
  return {
    store: dir.store,
    serverGuid: dir.forest.dsaGuid,
    invocationId: dir.store.dc.invocationId,
    // the schema in force: rebuilt when a schema update swapped it
    get schema() {
      if (bound?.binding !== dir.schema) bound = { binding: dir.schema, schema: replicaSchemaOf(dir.schema) };
      return bound.schema;
    },
    names: dir.names,
    clock: dir.clock,
    // RID_ALLOC on the RID Master (replica/fsmo.ts): RID Sets below the DCs' computer objects (src/dsa/rid-set.ts)
    rid: {
      ridSetOf: (u, dsa, _manager, made) => ridSetOfDsa(dir, u, dsa, made),
      get blockSize() {
        return dir.ridPools.blockSize;
      },
      floor: (r) => ridPoolFloor(dir, r),
    },
    afterApply: (w, guid, rec, prev, deleted) => afterReplicatedApply(dir, w, guid, rec, prev, deleted),
    containers: (r, nc) => {
      const deletedObjects = wellKnown(dir, r, nc, WKGUID.DELETED_OBJECTS);
      const lostAndFound = wellKnown(dir, r, nc, WKGUID.LOSTANDFOUND);
      return { ...(deletedObjects ? { deletedObjects } : {}), ...(lostAndFound ? { lostAndFound } : {}) };
    },
  };
}
