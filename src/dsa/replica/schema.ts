// The replication engine's view of the schema in force (ReplicaSchema) from a SchemaBinding.
import type { SchemaBinding } from '../schema-binding.js';
import type { ReplicaSchema } from './context.js';

export function replicaSchemaOf(b: SchemaBinding): ReplicaSchema {
  const A = (n: string) => {
    const a = b.attr(n);
    if (!a) throw new Error(`the schema lacks ${n}`);
    return a;
  };
  return {
    attr: (id) => b.attrById(id),
    idOf: (type) => b.attr(type)?.id,
    lifecycle: { isDeleted: A('isDeleted'), isRecycled: A('isRecycled'), name: A('name'), lastKnownParent: A('lastKnownParent'), lastKnownRdn: A('msDS-LastKnownRDN') },
    objectSid: A('objectSid').id,
    rid: { rIDAvailablePool: A('rIDAvailablePool'), rIDAllocationPool: A('rIDAllocationPool'), rIDPreviousAllocationPool: A('rIDPreviousAllocationPool'), rIDNextRID: A('rIDNextRID'), fSMORoleOwner: A('fSMORoleOwner') },
  };
}
