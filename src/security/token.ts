// The security context of a bound connection (MS-ADTS 5.1.3 "the requester's security
// context"; MS-DTYP 2.5.2 Token/Authorization Context): the user's SID, its groups, the
// well-known SIDs every authenticated network logon carries and the privileges. Immutable once
// built (at bind): the SID set is precomputed so that a check is one Set lookup per ACE.
import { WellKnownSid, sidKey } from './well-known-sids.js';

/** The privileges the DSA's checks consult (MS-ADTS 5.1.3.1, MS-LSAD 3.1.1.2.1). */
export type Privilege = 'SeSecurityPrivilege' | 'SeRestorePrivilege' | 'SeTakeOwnershipPrivilege' | 'SeBackupPrivilege';

export interface SecurityToken {
  /** the user's SID (Anonymous for an anonymous connection) */
  readonly user: Buffer;
  /** the primary group SID, if any */
  readonly primaryGroup: Buffer | undefined;
  /** every group SID (primary, global, universal, domain local, builtin local), SID history included */
  readonly groups: readonly Buffer[];
  /** the well-known SIDs of the logon (Everyone, Authenticated Users, Network, This Organization) */
  readonly wellKnown: readonly Buffer[];
  /** every SID of the token (user, groups, well-known), keyed by sidKey */
  readonly sids: ReadonlySet<string>;
  readonly privileges: ReadonlySet<Privilege>;
  readonly anonymous: boolean;
  /** per-token memo of check results (keyed by the caller); dropped with the token at the next bind */
  readonly memo: Map<unknown, unknown>;
}

export function makeToken(user: Buffer, primaryGroup: Buffer | undefined, groups: readonly Buffer[], wellKnown: readonly Buffer[], privileges: Iterable<Privilege>, anonymous = false): SecurityToken {
  const sids = new Set<string>([sidKey(user)]);
  for (const g of groups) sids.add(sidKey(g));
  for (const g of wellKnown) sids.add(sidKey(g));
  return { user, primaryGroup, groups, wellKnown, sids, privileges: new Set(privileges), anonymous, memo: new Map() };
}

/** The well-known SIDs of an authenticated network logon (MS-ADTS 5.1.3; MS-DTYP 2.4.2.4). */
export const AUTHENTICATED_NETWORK_SIDS: readonly Buffer[] = [WellKnownSid.EVERYONE, WellKnownSid.AUTHENTICATED_USERS, WellKnownSid.NETWORK, WellKnownSid.THIS_ORGANIZATION];

/**
 * The token of an anonymous connection: ANONYMOUS LOGON and NETWORK; Everyone only when the
 * domain's policy says Everyone includes anonymous (MS-ADTS 6.1.1.2.4.1.2 dSHeuristics is about
 * operations; the Everyone membership follows the LSA policy, off by default since Windows 2003).
 */
export function anonymousToken(everyoneIncludesAnonymous = false): SecurityToken {
  const wk = everyoneIncludesAnonymous ? [WellKnownSid.EVERYONE, WellKnownSid.NETWORK] : [WellKnownSid.NETWORK];
  return makeToken(WellKnownSid.ANONYMOUS, undefined, [], wk, [], true);
}

export function tokenHas(token: SecurityToken, sid: Uint8Array): boolean {
  return token.sids.has(sidKey(sid));
}
