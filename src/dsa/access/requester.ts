// The requester of an operation as the access checks see it: its token (built at bind; built
// here on first use for identities made elsewhere) and an AccessContext over the operation's
// snapshot or transaction.
import type { ReadTxn } from '../../store/store.js';
import type { Directory } from '../directory.js';
import type { Identity, OperationContext } from '../api.js';
import { anonymousToken, makeToken, AUTHENTICATED_NETWORK_SIDS, type Privilege, type SecurityToken } from '../../security/token.js';
import { WellKnownSid } from '../../security/well-known-sids.js';
import { Rid, sidWithRid } from '../principals.js';
import { buildToken } from './token.js';
import { AccessContext } from './access.js';

/**
 * The requester's token; undefined when the session has no identity. The DSA modules are
 * called with no identity only by the system itself (provisioning, tests of the state model,
 * internal tasks): the service layer (service.ts) refuses anonymous requests before they reach
 * an operation, or gives them the anonymous identity below when dSHeuristics allows anonymous
 * operations (MS-ADTS 6.1.1.2.4.1.2).
 */
export function requesterToken(dir: Directory, r: ReadTxn, ctx: OperationContext): SecurityToken | undefined {
  const id = ctx.session.identity;
  if (!id) return undefined;
  if (!id.token) id.token = r.hasObject(id.guid) ? buildToken(dir, r, id.guid) : declaredToken(dir, id);
  return id.token;
}

/** The checks of this operation; undefined for the system's own operations (no checks). */
export function accessFor(dir: Directory, r: ReadTxn, ctx: OperationContext): AccessContext | undefined {
  const t = requesterToken(dir, r, ctx);
  return t ? new AccessContext(dir, r, t) : undefined;
}

/** The identity an anonymous request carries when anonymous operations are enabled: ANONYMOUS LOGON's token. */
export function anonymousIdentity(): Identity {
  return { dn: '', guid: Buffer.alloc(16), isAdmin: false, token: anonymousToken() };
}

/**
 * An identity whose principal is not an object of this directory (made by another
 * authentication path or a test harness) is taken at its word: an administrator gets the
 * groups and privileges of the built-in Administrator, anyone else those of a domain user.
 */
function declaredToken(dir: Directory, id: Identity): SecurityToken {
  const d = dir.forest.domainSid;
  const user = id.sid ? Buffer.from(id.sid) : sidWithRid(d, id.isAdmin ? Rid.ADMINISTRATOR : 0);
  const du = sidWithRid(d, Rid.DOMAIN_USERS);
  const groups = id.isAdmin
    ? [du, sidWithRid(d, Rid.DOMAIN_ADMINS), sidWithRid(d, Rid.ENTERPRISE_ADMINS), sidWithRid(d, Rid.SCHEMA_ADMINS), WellKnownSid.BUILTIN_ADMINISTRATORS]
    : [du];
  const privileges: Privilege[] = id.isAdmin ? ['SeSecurityPrivilege', 'SeRestorePrivilege', 'SeTakeOwnershipPrivilege', 'SeBackupPrivilege'] : [];
  return makeToken(user, du, groups, AUTHENTICATED_NETWORK_SIDS, privileges);
}
