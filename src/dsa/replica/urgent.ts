// Urgent replication (MS-ADTS 3.1.1.5.1.7): the originating or replicated updates of an NC
// replica that are sent to every DC in its repsTo at once, without the notification delays of
// 3.1.1.5.1.6:
//  - creation or deletion of a crossRef object; deletion of an nTDSDSA object;
//  - any update of a schema object (attributeSchema, classSchema);
//  - any update of a secret object (LSA secrets) or of the rIDManager object;
//  - an update of pwdLastSet or userAccountControl (MS-SAMR 3.1.1.8), of an existing object;
//  - an update of lockoutTime (AD DS; MS-SAMR 3.1.1.8), i.e. an account lockout or unlock.
// The test reads the object's record after the update committed: an attribute was changed by
// that update when its stamp's usnLocal is the object's uSNChanged.
import type { ObjectRecord } from '../../store/record.js';

/** governsID of the classes the rules name (MS-ADSC). */
const CLASS = {
  crossRef: '1.2.840.113556.1.3.11',
  attributeSchema: '1.2.840.113556.1.3.14',
  classSchema: '1.2.840.113556.1.3.13',
  nTDSDSA: '1.2.840.113556.1.5.7000.47',
  secret: '1.2.840.113556.1.5.28',
  rIDManager: '1.2.840.113556.1.5.83',
} as const;

/** The ATTRTYPs the rules read, by lDAPDisplayName. */
export type AttrIdOf = (name: 'objectClass' | 'isDeleted' | 'pwdLastSet' | 'userAccountControl' | 'lockoutTime') => number | undefined;

/** A test of whether the update that last changed `rec` is urgent (MS-ADTS 3.1.1.5.1.7). */
export function urgentUpdateTest(idOf: AttrIdOf): (rec: ObjectRecord) => boolean {
  const objectClass = idOf('objectClass');
  const isDeleted = idOf('isDeleted');
  const sam = [idOf('pwdLastSet'), idOf('userAccountControl')].filter((x): x is number => x !== undefined);
  const lockoutTime = idOf('lockoutTime');
  return (rec) => {
    const changedNow = (id: number | undefined) => id !== undefined && rec.attrs.some((a) => a.id === id && a.stamp?.usnLocal === rec.usnChanged);
    const created = rec.usnCreated === rec.usnChanged;
    const classes = new Set((rec.attrs.find((a) => a.id === objectClass)?.values ?? []).map(String));
    const deletedNow = changedNow(isDeleted) && rec.attrs.find((a) => a.id === isDeleted)?.values[0] === true;
    if (classes.has(CLASS.crossRef) && (created || deletedNow)) return true;
    if (classes.has(CLASS.nTDSDSA) && deletedNow) return true;
    if (classes.has(CLASS.attributeSchema) || classes.has(CLASS.classSchema) || classes.has(CLASS.secret) || classes.has(CLASS.rIDManager)) return true;
    if (changedNow(lockoutTime)) return true;
    return !created && sam.some(changedNow);
  };
}

/**
 * A test of whether the update that last changed `rec` is an originating password change made
 * on this DC (`invocationId`): unicodePwd changed by it, its stamp originating here. MS-SAMS
 * (the SAM Remote Protocol, Server-to-Server: "used by DCs to forward time-critical database
 * changes to the PDC … more quickly than [MS-DRSR]") has a DC that is not the PDC emulator send
 * a password change made on it to the PDC (request MessageType PASSWORD_UPDATE_MSG, MS-SAMS 2.2.1,
 * which the PDC applies per 3.3.5.2), carried by Netlogon's NetrLogonSendToSam (MS-NRPC). forestd
 * has no Netlogon transport for MS-SAMS's messages; it tells the PDC over DRS (an urgent
 * IDL_DRSReplicaSync naming this DC, notify.ts), and the PDC pulls the change at once. A
 * replicated password change is not sent on: the DC where it originated did.
 */
export function originatingPasswordChangeTest(idOf: (name: 'unicodePwd') => number | undefined, invocationId: Buffer): (rec: ObjectRecord) => boolean {
  const unicodePwd = idOf('unicodePwd');
  return (rec) => {
    if (unicodePwd === undefined) return false;
    const a = rec.attrs.find((x) => x.id === unicodePwd);
    return a?.stamp !== undefined && a.stamp.usnLocal === rec.usnChanged && a.stamp.uuidOriginating.equals(invocationId);
  };
}
