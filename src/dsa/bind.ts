// LDAP Bind (MS-ADTS 3.1.1.3.3 "LDAP Bind", 5.1.1.1 simple bind). A simple bind names the
// account by DN, by userPrincipalName (or the implicit sAMAccountName@dnsDomain UPN), or
// as DOMAIN\sAMAccountName, and is verified against the stored NT hash of unicodePwd.
// Failures carry AD's "data" codes so Windows-aware clients can tell why (52e, 533, 775, …).
import type { BindRequest } from '../ldap/protocol/messages.js';
import { indexKey, type ReadTxn } from '../store/store.js';
import type { Directory } from './directory.js';
import type { BindResult, Identity, OperationContext } from './api.js';
import { AdError } from './errors.js';
import { ReadContext } from './object-view.js';
import { verifyNtHash } from '../security/password.js';
import { UF, Rid, sidWithRid, ridOf } from './principals.js';
import { sidFromString } from '../schema/syntaxes/index.js';
import { checkControls } from './controls.js';
import { buildToken, primaryGroupSid } from './access/token.js';

/** SIDs whose members are administrators of the domain (MS-ADTS 5.1.1.? "administrators"). */
function adminSids(dir: Directory): Buffer[] {
  return [Buffer.from(sidFromString('S-1-5-32-544')), sidWithRid(dir.forest.domainSid, Rid.DOMAIN_ADMINS), sidWithRid(dir.forest.domainSid, Rid.ENTERPRISE_ADMINS)];
}

/** Finds the account a simple-bind name denotes. */
export function findAccount(dir: Directory, r: ReadTxn, name: string): Buffer | undefined {
  const A = (n: string) => dir.schema.attr(n)!;
  const lookup = (attr: string, value: string): Buffer | undefined => {
    const info = A(attr);
    for (const g of r.indexEqual(indexKey(info.id, info.syntax.normalize(value)))) return g;
    return undefined;
  };
  const bs = name.indexOf('\\');
  if (bs > 0 && !name.includes('=')) {
    // DOMAIN\sAMAccountName: the domain part must name this domain (NetBIOS or DNS name)
    const dom = name.slice(0, bs).toUpperCase();
    if (dom !== dir.forest.netbios.toUpperCase() && dom !== dir.forest.realm.toUpperCase()) return undefined;
    return lookup('sAMAccountName', name.slice(bs + 1));
  }
  const at = name.lastIndexOf('@');
  if (at > 0 && !name.includes('=')) {
    const byUpn = lookup('userPrincipalName', name);
    if (byUpn) return byUpn;
    // the implicit UPN: sAMAccountName@<DNS name of the domain>
    if (name.slice(at + 1).toLowerCase() === dir.forest.realm) return lookup('sAMAccountName', name.slice(0, at));
    return undefined;
  }
  const res = dir.tryResolve(r, name);
  return res.found ? res.guid : undefined;
}

/** Every group SID of the account, transitively over member links, plus its primary group (MS-ADTS 3.1.1.4.5.19 tokenGroups). */
export function tokenGroupSids(dir: Directory, r: ReadTxn, guid: Buffer): Buffer[] {
  const rc = new ReadContext(dir, r);
  const sidInfo = dir.schema.attr('objectSid')!;
  const member = dir.schema.attr('member')!;
  const out = new Map<string, Buffer>();
  const seen = new Set<string>([guid.toString('hex')]);
  const queue: Buffer[] = [guid];
  const view = rc.view(guid);
  const pg = view?.first('primaryGroupID');
  const ownSid = view?.first('objectSid') as Uint8Array | undefined;
  if (typeof pg === 'number' && ownSid) {
    // the domain part loses the RID's sub-authority (MS-DTYP 2.4.2.2 SubAuthorityCount)
    const pgSid = primaryGroupSid(ownSid, pg);
    out.set(pgSid.toString('hex'), pgSid);
    // the primary group's own nesting counts too
    for (const g of r.indexEqual(indexKey(sidInfo.id, sidInfo.syntax.normalize(pgSid)))) {
      if (!seen.has(g.toString('hex'))) {
        seen.add(g.toString('hex'));
        queue.push(g);
      }
    }
  }
  while (queue.length) {
    const g = queue.shift()!;
    for (const b of r.backlinks(g, member.forwardLinkId)) {
      const k = b.source.toString('hex');
      if (seen.has(k)) continue;
      seen.add(k);
      const src = Buffer.from(b.source);
      const sid = rc.view(src)?.values(sidInfo)[0] as Uint8Array | undefined;
      if (sid) out.set(Buffer.from(sid).toString('hex'), Buffer.from(sid));
      queue.push(src);
    }
  }
  return [...out.values()];
}

export function identityOf(dir: Directory, r: ReadTxn, guid: Buffer): Identity {
  const rc = new ReadContext(dir, r);
  const v = rc.view(guid)!;
  const sid = v.first('objectSid') as Uint8Array | undefined;
  const groups = tokenGroupSids(dir, r, guid).map((s) => s.toString('hex'));
  const admins = adminSids(dir).map((s) => s.toString('hex'));
  const isAdmin = groups.some((g) => admins.includes(g)) || (sid !== undefined && ridOf(sid) === Rid.ADMINISTRATOR);
  const id: Identity = { dn: v.dn, guid, isAdmin, token: buildToken(dir, r, guid) };
  if (sid) id.sid = Buffer.from(sid);
  return id;
}

export async function bind(dir: Directory, req: BindRequest, ctx: OperationContext): Promise<BindResult> {
  const place = 'dsa.bind';
  checkControls(ctx.controls, 'bind');
  if (req.version !== 3 && req.version !== 2) throw AdError.protocolError(place, `LDAP version ${req.version} is not supported`);
  const auth = req.authentication;
  if (auth.method === 'sasl') throw AdError.authMethodNotSupported(place, `SASL mechanism ${auth.mechanism} is not supported`);
  if (auth.method !== 'simple') throw AdError.authMethodNotSupported(place, 'only simple bind is supported');
  // anonymous (empty name and password) and unauthenticated (name, empty password) binds:
  // Active Directory lets both through as anonymous (RFC 4513 5.1.2 allows this by configuration)
  if (auth.password.length === 0) return { identity: null };
  const password = auth.password.toString('utf8');
  const r = dir.store.snapshot();
  try {
    const guid = findAccount(dir, r, req.name);
    // an unknown account fails exactly like a bad password (data 52e), so names cannot be probed
    if (!guid) throw AdError.invalidCredentials(place, '52e');
    const rc = new ReadContext(dir, r);
    const v = rc.view(guid)!;
    const stored = v.first('unicodePwd') as Uint8Array | undefined;
    if (!stored || !verifyNtHash(password, stored)) throw AdError.invalidCredentials(place, '52e');
    const uac = ((v.first('userAccountControl') as number | undefined) ?? 0) >>> 0;
    if (uac & UF.ACCOUNTDISABLE) throw AdError.invalidCredentials(place, '533');
    if (uac & UF.LOCKOUT) throw AdError.invalidCredentials(place, '775');
    const expires = v.first('accountExpires') as bigint | undefined;
    if (expires !== undefined && expires !== 0n && expires !== 0x7fffffffffffffffn && expires < BigInt(dir.clock()) * 10_000_000n) throw AdError.invalidCredentials(place, '701');
    const pls = v.first('pwdLastSet') as bigint | undefined;
    if (pls === 0n && !(uac & UF.DONT_EXPIRE_PASSWD)) throw AdError.invalidCredentials(place, '773');
    return { identity: identityOf(dir, r, guid) };
  } finally {
    r.done();
  }
}
