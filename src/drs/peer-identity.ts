// The DSA a DRS peer may speak as. The transport's handshake proves which machine account a peer
// holds (transport/auth.ts); the nTDSDSA objectGUID it announces beside it is only a claim. A DC
// is its nTDSDSA object's server object (the nTDSDSA's parent) and that server's computer
// account: serverReference (MS-ADTS 6.1.1.2.2.1.2.1 Server Object: "a reference to the domain
// controller object representing this DC"; linkID 94, so read through the link table, never the
// record's attrs). The
// claim is bound to the account here, once per connection, so every handler (IDL_DRSUpdateRefs,
// IDL_DRSReplicaSync, IDL_DRSGetNCChanges and its extended operations) acts for the bound DSA:
//
// - the announced GUID names an nTDSDSA object here: its server's serverReference must be the
//   authenticated account's computer object, and the nTDSDSA must not be deleted;
// - it names nothing here: accepted only while the account's server objects have no nTDSDSA
//   yet (a DC joining creates its nTDSDSA on itself, and this DC has not received it), never for
//   an account that already has one (it would be a second identity);
// - otherwise refused with ERROR_DS_DRA_ACCESS_DENIED (MS-ERREF 2.2; MS-DRSR 4.1.26.2 and
//   4.1.23.2 answer it for a caller without the right to act for the DSA it names).
import type { Directory } from '../dsa/directory.js';
import type { ReadTxn } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import { isDeletedRecord } from '../dsa/tombstone.js';
import { dcAccountObject } from './machine-account.js';

/** ERROR_DS_DRA_ACCESS_DENIED (checked against python3-samba in test/drs/win32-codes.test.ts) */
export const ERROR_DS_DRA_ACCESS_DENIED = 0x2105;
const NTDS_SETTINGS = 'NTDS Settings';

/** The live computer object a server object's serverReference names, if any. */
function serverReferenceOf(dir: Directory, r: ReadTxn, server: Buffer): Buffer | undefined {
  const link = dir.schema.attr('serverReference')?.forwardLinkId;
  if (link === undefined) return undefined;
  const lv = [...r.links(server, link)].find((v) => v.stamp.timeDeleted === 0 && !v.deactivated);
  return lv ? Buffer.from(lv.target) : undefined;
}

function live(dir: Directory, rec: ObjectRecord | undefined): rec is ObjectRecord {
  return rec !== undefined && !isDeletedRecord(dir, rec);
}

/** The live nTDSDSA objects under the server objects whose serverReference is `computer`. */
export function dsasOfComputer(dir: Directory, r: ReadTxn, computer: Buffer): Buffer[] {
  const link = dir.schema.attr('serverReference')?.forwardLinkId;
  if (link === undefined) return [];
  const out: Buffer[] = [];
  for (const b of r.backlinks(computer, link)) {
    const server = Buffer.from(b.source);
    if (!live(dir, r.getObject(server))) continue;
    const dsa = r.childByName(server, NTDS_SETTINGS);
    if (dsa && live(dir, r.getObject(Buffer.from(dsa)))) out.push(Buffer.from(dsa));
  }
  return out;
}

/**
 * Whether the DC holding machine account `account` may act as the DSA `announced` (its
 * nTDSDSA objectGUID), as `r` reads the configuration and domain NCs: 0, or the Win32 refusal.
 */
export function peerDsaRefusal(dir: Directory, r: ReadTxn, account: string, announced: Buffer): number {
  const computer = dcAccountObject(dir, r, account);
  if (!computer) return ERROR_DS_DRA_ACCESS_DENIED;
  const head = r.getHeader(announced);
  if (head) {
    const server = head.parent;
    if (!server || !live(dir, r.getObject(announced)) || !r.childByName(server, NTDS_SETTINGS)?.equals(announced)) return ERROR_DS_DRA_ACCESS_DENIED;
    return serverReferenceOf(dir, r, server)?.equals(computer.guid) ? 0 : ERROR_DS_DRA_ACCESS_DENIED;
  }
  // not here (yet): a joining DC's new nTDSDSA, unless the account already has one
  return dsasOfComputer(dir, r, computer.guid).length === 0 ? 0 : ERROR_DS_DRA_ACCESS_DENIED;
}
