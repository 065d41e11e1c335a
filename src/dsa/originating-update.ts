// Originating updates and the replication metadata they leave (MS-ADTS 3.1.1.1.9).
//
// The rules live in the state model's update port (model/update.ts): an OriginatingUpdate is
// an UpdatePort that takes the update's USN at once (the operations read `u.usn` freely).
// It stamps each replicated attribute it changes (AttributeStamp) and each forward-link value
// it creates, re-creates or deletes (LinkValueStamp), and touches the source object of every
// link value it changes. Attributes whose values are all removed keep their stamp.
import type { WriteTxn } from '../store/store.js';
import type { LinkValue } from '../store/record.js';
import type { Clock } from '../util/time.js';
import { UpdatePort } from './model/update.js';

export type { AttributeMetaInfo } from './model/update.js';

export class OriginatingUpdate extends UpdatePort {
  constructor(txn: WriteTxn, invocationId: Buffer, clock: Clock) {
    super(txn, invocationId, clock);
    void this.usn;
  }
}

export function presentLinks(values: Iterable<LinkValue>): LinkValue[] {
  const out: LinkValue[] = [];
  for (const v of values) if (v.stamp.timeDeleted === 0) out.push(v);
  return out;
}
