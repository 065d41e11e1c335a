// What the replication engine needs of its DC, without LDAP: the store, this DC's identity
// (model/forest.ts DcFacts: serverGuid, invocationId), the schema facts of attributes, DN
// derivation, and where an NC keeps its Deleted Objects and LostAndFound containers.
import type { ReadTxn, Store, WriteTxn } from '../../store/store.js';
import type { ObjectRecord } from '../../store/record.js';
import type { Clock } from '../../util/time.js';
import type { DnDeriver } from '../names.js';
import type { LifecycleAttributes } from '../model/lifecycle.js';
import type { AttributeMetaInfo, UpdatePort } from '../model/update.js';

export interface ReplicaAttribute extends AttributeMetaInfo {
  /** even linkID of a forward link attribute */
  forwardLinkId?: number;
}

export interface ReplicaSchema {
  attr(id: number): ReplicaAttribute | undefined;
  /** ATTRTYP of an RDN type as a DN names it (lDAPDisplayName or OID) */
  idOf(type: string): number | undefined;
  /** the attributes of the deletion life cycle (isDeleted, name, lastKnownParent, …) */
  lifecycle: LifecycleAttributes;
  /** objectSid's ATTRTYP (DSNAME.Sid of replicated objects) */
  objectSid?: number;
  /** the attributes of RID pools (MS-ADTS 6.1.5.3) and of the FSMO role owner */
  rid?: {
    rIDAvailablePool: AttributeMetaInfo;
    rIDAllocationPool: AttributeMetaInfo;
    rIDPreviousAllocationPool: AttributeMetaInfo;
    rIDNextRID: AttributeMetaInfo;
    fSMORoleOwner: AttributeMetaInfo;
  };
}

export interface ReplicaContext {
  store: Store;
  /** objectGUID of this DC's nTDSDSA object */
  serverGuid: Buffer;
  /** this DC's invocationId */
  invocationId: Buffer;
  schema: ReplicaSchema;
  names: DnDeriver;
  clock: Clock;
  /** the NC's Deleted Objects container (MS-ADTS 6.1.1.4.2) and LostAndFound container (MS-ADTS 6.1.1.4.1) */
  containers(r: ReadTxn, nc: Buffer): { deletedObjects?: Buffer; lostAndFound?: Buffer };
  /**
   * Called after the apply path wrote an object (`prev`: as it was, undefined when new): the
   * DC's own SD propagation when its nTSecurityDescriptor or parent changed (MS-ADTS 3.1.1.6.3,
   * 6.1.3.3: inbound replication enforces the SD requirements locally; the propagator's writes
   * are not replicated). Absent: SDs are kept as they arrive.
   */
  afterApply?(w: WriteTxn, guid: Buffer, rec: ObjectRecord, prev: ObjectRecord | undefined, deleted: boolean): void;
  /** RID pools: where the domain keeps them (absent on a DC that serves no RID_ALLOC) */
  rid?: {
    /**
     * the RID Set of the DC whose nTDSDSA objectGUID is `dsa` (in the NC of the RID Manager$
     * object `manager`), made by update `u` when missing (the other objects that update changed,
     * e.g. the computer object's rIDSetReferences, pushed on `made`); undefined for an unknown DC
     */
    ridSetOf(u: UpdatePort, dsa: Buffer, manager: Buffer, made?: Buffer[]): Buffer | undefined;
    /** RIDs per block (MS-ADTS 6.1.5.3: 500) */
    blockSize?: number;
    /** the lowest RID a new block may start at (above every pool this replica knows was given) */
    floor?(r: ReadTxn): number;
  };
}
