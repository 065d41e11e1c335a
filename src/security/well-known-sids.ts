// Well-known SIDs the access check and the token builder use (MS-DTYP 2.4.2.4 "Well-Known SID
// Structures"), binary.
import { sidFromString } from '../schema/syntaxes/string-sid.js';

const b = (s: string): Buffer => Buffer.from(sidFromString(s));

export const WellKnownSid = {
  /** S-1-1-0 Everyone (WD) */
  EVERYONE: b('S-1-1-0'),
  /** S-1-3-0 CREATOR OWNER (CO): replaced by the owner when an ACE is inherited (MS-DTYP 2.5.3.4.2) */
  CREATOR_OWNER: b('S-1-3-0'),
  /** S-1-3-1 CREATOR GROUP (CG) */
  CREATOR_GROUP: b('S-1-3-1'),
  /** S-1-3-4 OWNER RIGHTS (OW): when present, replaces the owner's implicit RC|WD (MS-DTYP 2.5.3.2) */
  OWNER_RIGHTS: b('S-1-3-4'),
  /** S-1-5-2 NETWORK (NU) */
  NETWORK: b('S-1-5-2'),
  /** S-1-5-7 ANONYMOUS LOGON (AN) */
  ANONYMOUS: b('S-1-5-7'),
  /** S-1-5-10 PRINCIPAL SELF (PS): replaced by the object's own SID during the check (MS-DTYP 2.5.3.2 PrincipalSelfSubst) */
  PRINCIPAL_SELF: b('S-1-5-10'),
  /** S-1-5-11 Authenticated Users (AU) */
  AUTHENTICATED_USERS: b('S-1-5-11'),
  /** S-1-5-15 This Organization */
  THIS_ORGANIZATION: b('S-1-5-15'),
  /** S-1-5-18 Local System (SY) */
  LOCAL_SYSTEM: b('S-1-5-18'),
  /** S-1-5-32-544 BUILTIN\Administrators (BA) */
  BUILTIN_ADMINISTRATORS: b('S-1-5-32-544'),
} as const;

/** The key under which a SID is kept in sets and maps (one string per SID, no copies). */
export function sidKey(sid: Uint8Array): string {
  return Buffer.from(sid.buffer, sid.byteOffset, sid.byteLength).toString('latin1');
}
