// LDAP Bind (MS-ADTS 3.1.1.3.3 "LDAP Bind", 5.1.1.1 simple bind). A simple bind names the
// account by DN, by userPrincipalName (or the implicit sAMAccountName@dnsDomain UPN), or
// as DOMAIN\sAMAccountName, and is verified against the stored NT hash of unicodePwd.
// Failures carry AD's "data" codes so Windows-aware clients can tell why (52e, 533, 775, …).
import { dcStateSlot } from './dc-state.js';
import type { BindRequest } from '../ldap/protocol/messages.js';
import { indexKey, type ReadTxn } from '../store/store.js';
import { getAttr, type LazyObjectRecord, type ObjectRecord } from '../store/record.js';
import type { Directory } from './directory.js';
import type { BindResult, Identity, OperationContext } from './api.js';
import { AdError } from './errors.js';
import { ReadContext } from './object-view.js';
import { MAX_PASSWORD_CHARS, verifyNtHash } from '../security/password.js';
import { UF, Rid, sidWithRid, ridOf } from './principals.js';
import { sidFromString } from '../schema/syntaxes/index.js';
import { checkControls } from './controls.js';
import { buildToken } from './access/token.js';
import { accountInputs, type CachedLogon } from './access/token-cache.js';
import { tokenHas } from '../security/token.js';
import { accountLockedOut, accountPolicy, fileTimeNow, recordBadPassword, recordGoodLogon, storedFirst } from './lockout.js';
import { passwordExpiryTime } from './password-policy.js';
import { GSS_SPNEGO, isSicilyChoice, saslSpnegoBind, sicilyBind } from './bind-ntlm.js';

/** SIDs whose members are administrators of the domain (the well-known SIDs of MS-DTYP 2.4.2.4: BUILTIN_ADMINISTRATORS, DOMAIN_ADMINS, ENTERPRISE_ADMINS), by directory (the domain SID never changes). */
const ADMIN_SIDS = dcStateSlot('administrator SIDs', (dir): readonly Buffer[] => [Buffer.from(sidFromString('S-1-5-32-544')), sidWithRid(dir.forest.domainSid, Rid.DOMAIN_ADMINS), sidWithRid(dir.forest.domainSid, Rid.ENTERPRISE_ADMINS)]);
function adminSids(dir: Directory): readonly Buffer[] {
  return dir.state(ADMIN_SIDS);
}

const MAX_PASSWORD_UTF8_BYTES = MAX_PASSWORD_CHARS * 4;

/** Finds the account a simple-bind name denotes. */
export function findAccount(dir: Directory, r: ReadTxn, name: string): Buffer | undefined {
  return findAccountRecord(dir, r, name)?.guid;
}

/** findAccount, with the account's record when the lookup read it in `r` (a name looked up in an index: the logon reads it no more). */
function findAccountRecord(dir: Directory, r: ReadTxn, name: string): { guid: Buffer; rec?: LazyObjectRecord } | undefined {
  const A = (n: string) => dir.schema.attr(n)!;
  const lookup = (attr: string, value: string): { guid: Buffer; rec: LazyObjectRecord } | undefined => {
    const info = A(attr);
    // a tombstone keeps its sAMAccountName (MS-ADTS 3.1.1.5.5.6.1): the index may name deleted
    // objects before the live one, so each hit is checked against the directory
    for (const g of r.indexEqual(indexKey(info.id, info.syntax.normalize(value)))) {
      // every tombstone has a delete-mangled RDN (MS-ADTS 3.1.1.5.5.6.1), read from the record
      // header; only such objects need their isDeleted looked at
      const rec = r.readObject(g);
      if (!rec) continue;
      if (!rec.name.includes('\nDEL:') || getAttr(rec, A('isDeleted').id)?.values[0] !== true) return { guid: Buffer.from(g), rec };
    }
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
  return res.found ? { guid: res.guid } : undefined;
}

export function identityOf(dir: Directory, r: ReadTxn, guid: Buffer, record?: ObjectRecord): Identity {
  const rec = record ?? r.readObject(guid)!;
  // the last bind's token, DN and isAdmin while nothing they derive from has changed (token-cache.ts)
  const key = guid.toString('latin1');
  const sid = storedFirst(dir, rec, 'objectSid') as Uint8Array | undefined;
  const account = accountInputs(sid, storedFirst(dir, rec, 'primaryGroupID'), getAttr(rec, dir.schema.attr('sIDHistory')!.id)?.values);
  const hit = dir.tokens.get(r, key, account, dir.schema);
  if (hit) return identityFrom(hit, guid);
  // one group walk: the token's SIDs (security groups only, sIDHistory added; MS-ADTS 3.1.1.4.2,
  // 5.1.3) say whether the account administers the domain
  const token = buildToken(dir, r, guid, rec);
  const isAdmin = adminSids(dir).some((s) => tokenHas(token, s)) || (sid !== undefined && ridOf(sid) === Rid.ADMINISTRATOR);
  const logon: CachedLogon = { dn: new ReadContext(dir, r).dnOfRecord(guid, rec), sid: sid && Buffer.from(sid), isAdmin, token };
  dir.tokens.set(r, key, account, dir.schema, logon);
  return identityFrom(logon, guid);
}

/** An identity of its own (a token with its own memo of access decisions) from what a bind derived. */
function identityFrom(l: CachedLogon, guid: Buffer): Identity {
  const id: Identity = { dn: l.dn, guid, isAdmin: l.isAdmin, token: { ...l.token, memo: new Map() } };
  if (l.sid) id.sid = Buffer.from(l.sid);
  return id;
}

/**
 * The logon checks every bind method shares once it has found account `guid`
 * (MS-ADTS 5.1.1.1.1 for simple binds, MS-NLMP for NTLM): a locked-out account is refused (775)
 * whatever the password; `verify` checks the proof against the stored NT hash — a wrong one
 * counts toward lockout (MS-SAMR 3.1.5.14.6) and is 52e; then disabled (533), expired (701)
 * and must-change-password (773). A good logon clears badPwdCount. `fail` builds the error
 * for a data code (simple and NTLM binds report them under different SSPI statuses).
 */
export async function logon<T>(dir: Directory, guid: Buffer, verify: (ntHash: Uint8Array | undefined) => T, fail: (data: LogonFailure) => Error, snapshot?: ReadTxn, record?: ObjectRecord): Promise<{ identity: Identity; proof: T }> {
  // `snapshot`: the one the account was found in (logon releases it); `record`: the account's, read in it
  const snap = snapshot ?? dir.store.snapshot();
  let open = true;
  const release = () => {
    if (open) snap.done();
    open = false;
  };
  const r = snap;
  let proof: T;
  try {
    // the account is only read here (lockout.ts's writes read it again): the lazy record, each
    // attribute decoded when asked for (none of those read is a link or kept in the header)
    const rec = (snapshot && record) || r.readObject(guid)!;
    const uac = ((storedFirst(dir, rec, 'userAccountControl') as number | undefined) ?? 0) >>> 0;
    // the account's policy (the domain's, or its resultant PSO's lockout settings and maximum
    // password age, MS-SAMR 3.1.1.5), read once for the lockout, expiry and logon-time rules below
    const policy = accountPolicy(dir, r, guid, rec);
    if (uac & UF.LOCKOUT || accountLockedOut(dir, r, guid, rec, policy)) throw fail('775');
    const stored = storedFirst(dir, rec, 'unicodePwd') as Uint8Array | undefined;
    let ok = false;
    try {
      proof = verify(stored);
      ok = true;
    } catch (e) {
      if (!(e instanceof BadProof)) throw e;
    }
    if (!ok) {
      release();
      await recordBadPassword(dir, guid);
      throw fail('52e');
    }
    if (uac & UF.ACCOUNTDISABLE) throw fail('533');
    const expires = storedFirst(dir, rec, 'accountExpires') as bigint | undefined;
    if (expires !== undefined && expires !== 0n && expires !== 0x7fffffffffffffffn && expires < BigInt(dir.clock()) * 10_000_000n) throw fail('701');
    const pls = storedFirst(dir, rec, 'pwdLastSet') as bigint | undefined;
    if (pls === 0n && !(uac & UF.DONT_EXPIRE_PASSWD)) throw fail('773');
    // an expired password (MS-ADTS 3.1.1.4.5.33: pwdLastSet plus the maximum age in force has passed): 532, ERROR_PASSWORD_EXPIRED
    if (pls !== undefined && pls !== 0n && passwordExpiryTime(uac, pls, () => policy.maxPwdAge) <= fileTimeNow(dir)) throw fail('532');
    const identity = identityOf(dir, r, guid, rec);
    const cleared = recordGoodLogon(dir, r, guid, rec, policy);
    if (cleared) await cleared;
    return { identity, proof: proof! };
  } finally {
    release();
  }
}

export type LogonFailure = '52e' | '532' | '533' | '701' | '773' | '775';

/** Thrown by a `logon` verifier: the proof does not match the password (counts toward lockout). */
export class BadProof extends Error {
  readonly code = 'ERR_BAD_PROOF';
}

export async function bind(dir: Directory, req: BindRequest, ctx: OperationContext): Promise<BindResult> {
  const place = 'dsa.bind';
  // no control is honoured on a bind: a critical one is refused, the others are ignored (checkControls)
  if (ctx.controls.length > 0) checkControls(ctx.controls, 'bind');
  if (req.version !== 3 && req.version !== 2) throw AdError.protocolError(place, `LDAP version ${req.version} is not supported`);
  const auth = req.authentication;
  if (auth.method === 'sasl') {
    if (auth.mechanism === GSS_SPNEGO) return saslSpnegoBind(dir, auth.credentials, ctx);
    ctx.session.bindState = undefined;
    throw AdError.authMethodNotSupported(place, `SASL mechanism ${auth.mechanism} is not supported`);
  }
  if (auth.method === 'other' && isSicilyChoice(auth.tag)) return sicilyBind(dir, auth.tag, auth.value, ctx);
  ctx.session.bindState = undefined;
  if (auth.method !== 'simple') throw AdError.authMethodNotSupported(place, 'only simple, SASL GSS-SPNEGO and Sicily NTLM binds are supported');
  // anonymous (empty name and password) and unauthenticated (name, empty password) binds:
  // Active Directory lets both through as anonymous (RFC 4513 5.1.2 allows this by configuration)
  if (auth.password.length === 0) return { identity: null };
  // MS-SAMR 3.1.1.7.2 maximum password length constraint: no password longer than 256
  // characters can be set, so a longer one can never match; it is refused as a wrong password
  // without being hashed (a 10 MB password would stall the event loop in MD4). 256 UTF-16
  // characters take at most 1024 UTF-8 bytes, so the decode is bounded too.
  const password = auth.password.length > MAX_PASSWORD_UTF8_BYTES ? undefined : auth.password.toString('utf8');
  const tooLong = password === undefined || Buffer.byteLength(password, 'utf16le') > MAX_PASSWORD_CHARS * 2;
  // one snapshot finds the account and serves its logon
  const r = dir.store.snapshot();
  let found: { guid: Buffer; rec?: LazyObjectRecord } | undefined;
  try {
    found = findAccountRecord(dir, r, req.name);
  } catch (e) {
    r.done();
    throw e;
  }
  // an unknown account fails exactly like a bad password (data 52e), so names cannot be probed
  if (!found) {
    r.done();
    throw AdError.invalidCredentials(place, '52e');
  }
  const { identity } = await logon(
    dir,
    found.guid,
    (stored) => {
      if (tooLong || !stored || !verifyNtHash(password, stored)) throw new BadProof('wrong password');
    },
    (data) => AdError.invalidCredentials(place, data),
    r,
    found.rec,
  );
  return { identity };
}
