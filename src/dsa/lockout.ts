// Account lockout at logon (MS-SAMR 3.1.5.14.6 "Account Lockout State Maintenance", with the
// domain's lockoutThreshold, lockoutDuration and lockOutObservationWindow of MS-SAMR 3.1.1.5
// read from the domain NC head): every wrong password over any bind method counts in
// badPwdCount/badPasswordTime, the threshold sets lockoutTime, a good logon clears the count and
// keeps lastLogonTimestamp within msDS-LogonTimeSyncInterval of now (MS-ADA1 2.352).
// Each change is one originating update (stamped like any other write).
import { dcStateSlot } from './dc-state.js';
import { WriteTxn, type ReadTxn } from '../store/store.js';
import type { Directory } from './directory.js';
import { OriginatingUpdate } from './originating-update.js';
import { ReadContext } from './object-view.js';
import { getAttr, type ObjectRecord } from '../store/record.js';
import { resultantPso } from './password-policy.js';

/** AD's default lockoutDuration and observation window: 30 minutes, as negative 100 ns intervals. */
const DEFAULT_WINDOW = -18_000_000_000n;

const big = (x: unknown): bigint | undefined => (typeof x === 'bigint' ? x : typeof x === 'number' ? BigInt(x) : undefined);

export interface LockoutPolicy {
  threshold: number;
  /** negative 100 ns interval; 0: until an administrator writes lockoutTime 0; 0x8000000000000000 (the most negative): forever too */
  duration: bigint;
  window: bigint;
  /** msDS-LogonTimeSyncInterval of the domain in days (absent: 14; 0: lastLogonTimestamp is never updated) */
  logonTimeSyncDays: number;
  /** the domain's maxPwdAge (a negative interval), for the expiry of passwords at logon */
  maxPwdAge: bigint | undefined;
  /** the domain has a password settings object (one may set another maximum age) */
  anyPso: boolean;
}

/** msDS-LogonTimeSyncInterval when the domain has none (MS-ADA1 2.352: "14 days minus a random percentage of 5 days"). */
const DEFAULT_LOGON_SYNC_DAYS = 14;
/** One day as 100 ns intervals. */
const DAY = 864_000_000_000n;

/**
 * The domain's policy, by directory, with the uSNChanged of the domain NC head it was read at:
 * every bind needs it, and the head (a big record) changes rarely. Every update of the head
 * raises its uSNChanged (MS-ADTS 3.1.1.1.9), so an equal uSNChanged means the same values; and
 * every update takes a USN, so a snapshot whose DC tuple USN is the one the memo was last found
 * good at needs not read the head's header at all.
 */
const POLICY = dcStateSlot('lockout policy', (): { memo?: { usn: number; dcUsn: number; policy: LockoutPolicy } } => ({}));

export function lockoutPolicy(dir: Directory, r: ReadTxn): LockoutPolicy {
  const box = dir.state(POLICY);
  const memo = box.memo;
  // nothing that takes a USN committed since the memo was read (the DC tuple's USN of this
  // snapshot, ReadTxn.dcUsn, is the memo's): the head is the version it was read from
  const dcUsn = r instanceof WriteTxn ? -1 : r.dcUsn();
  if (memo && dcUsn >= 0 && memo.dcUsn === dcUsn) return memo.policy;
  const usn = r.usnChangedOf(dir.forest.domainNC) ?? -1;
  // a password settings object may have come or gone with any update, the head unchanged
  const anyPso = hasPasswordSettings(dir, r);
  if (memo && memo.usn === usn && memo.policy.anyPso === anyPso) {
    if (dcUsn >= 0) memo.dcUsn = dcUsn;
    return memo.policy;
  }
  const v = new ReadContext(dir, r).view(dir.forest.domainNC);
  const threshold = Number(big(v?.first('lockoutThreshold')) ?? 0n);
  const sync = big(v?.first('msDS-LogonTimeSyncInterval'));
  const policy = {
    threshold,
    duration: big(v?.first('lockoutDuration')) ?? DEFAULT_WINDOW,
    window: big(v?.first('lockOutObservationWindow')) ?? DEFAULT_WINDOW,
    logonTimeSyncDays: sync === undefined ? DEFAULT_LOGON_SYNC_DAYS : Math.max(0, Number(sync)),
    maxPwdAge: big(v?.first('maxPwdAge')),
    anyPso,
  };
  box.memo = { usn, dcUsn, policy };
  return policy;
}

/** The domain's Password Settings Container (MS-ADTS 6.1.1.4.11.1) holds an object: a PSO may apply to some account. */
function hasPasswordSettings(dir: Directory, r: ReadTxn): boolean {
  const psc = dir.tryResolve(r, `CN=Password Settings Container,CN=System,${dir.forest.domainDN}`);
  return psc.found && !r.children(psc.guid).next().done;
}

/** FILETIME now from the directory's clock (seconds since 1601). */
export function fileTimeNow(dir: Directory): bigint {
  return BigInt(dir.clock()) * 10_000_000n;
}

/**
 * The account is locked (MS-ADTS 3.1.1.4.5.17, the LO bit of msDS-User-Account-Control-Computed):
 * lockoutTime is nonzero and either (1) Effective-LockoutDuration, regarded as unsigned, is below
 * 0x8000000000000000 (0: locked until an administrator writes lockoutTime 0), or (2) now plus
 * Effective-LockoutDuration (a negative interval; "never" is the most negative) is at most
 * lockoutTime. `policy` is the account's (accountPolicy).
 */
export function isLockedOut(lockoutTime: bigint | undefined, policy: LockoutPolicy, now: bigint): boolean {
  if (lockoutTime === undefined || lockoutTime === 0n) return false;
  if (policy.duration >= 0n) return true;
  return now + policy.duration <= lockoutTime;
}

/**
 * The policy in force for an account (MS-SAMR 3.1.1.5): Effective-LockoutThreshold,
 * Effective-LockoutDuration, Effective-LockoutObservationWindow and Effective-MaximumPasswordAge
 * are its resultant password settings object's msDS-LockoutThreshold, msDS-LockoutDuration,
 * msDS-LockoutObservationWindow and msDS-MaximumPasswordAge (MS-ADTS 3.1.1.4.5.36
 * msDS-ResultantPSO), else the domain's lockoutThreshold, lockoutDuration,
 * lockOutObservationWindow and maxPwdAge. `domain` is lockoutPolicy's; its `anyPso` false (the
 * domain has no password settings object) skips the PSO lookup, and msDS-LogonTimeSyncInterval
 * is the domain's whatever the PSO.
 */
export function accountPolicy(dir: Directory, r: ReadTxn, guid: Buffer, rec: ObjectRecord | undefined, domain: LockoutPolicy = lockoutPolicy(dir, r)): LockoutPolicy {
  if (!domain.anyPso) return domain;
  const pso = resultantPso(dir, r, guid, rec);
  const o = pso && r.getObject(pso);
  if (!o) return domain;
  const val = (name: string) => big(getAttr(o, dir.schema.attr(name)!.id)?.values[0]);
  const threshold = val('msDS-LockoutThreshold');
  return {
    ...domain,
    threshold: threshold === undefined ? domain.threshold : Number(threshold),
    duration: val('msDS-LockoutDuration') ?? domain.duration,
    window: val('msDS-LockoutObservationWindow') ?? domain.window,
    maxPwdAge: val('msDS-MaximumPasswordAge') ?? domain.maxPwdAge,
  };
}

/**
 * The first stored value of attribute `name` of record `rec` (what ObjectView.first gives for an
 * attribute kept in the record's attributes: not a link, back link or header field).
 */
export function storedFirst(dir: Directory, rec: ObjectRecord | undefined, name: string): unknown {
  const info = dir.schema.attr(name);
  return info && rec ? getAttr(rec, info.id)?.values[0] : undefined;
}

/** Reads the account's lockout state in snapshot `r` (`record`: the account's, read in `r`; `policy`: the account's, accountPolicy, when the caller has it). */
export function accountLockedOut(dir: Directory, r: ReadTxn, guid: Buffer, record?: ObjectRecord, policy?: LockoutPolicy): boolean {
  const rec = record ?? r.readObject(guid);
  policy ??= accountPolicy(dir, r, guid, rec);
  return isLockedOut(big(storedFirst(dir, rec, 'lockoutTime')), policy, fileTimeNow(dir));
}

/**
 * A wrong password for account `guid` (MS-SAMR 3.1.5.14.6): badPwdCount restarts at one after
 * the observation window, badPasswordTime is now, and lockoutTime is set at the threshold.
 * Returns whether the account is now locked out.
 */
export async function recordBadPassword(dir: Directory, guid: Buffer): Promise<boolean> {
  return dir.store.write((w) => {
    const prev = w.getObject(guid);
    if (!prev) return false;
    const policy = accountPolicy(dir, w, guid, prev);
    const now = fileTimeNow(dir);
    const v = new ReadContext(dir, w).view(guid)!;
    const lockoutTime = big(v.first('lockoutTime'));
    if (isLockedOut(lockoutTime, policy, now)) return true;
    const A = (n: string) => dir.schema.attr(n)!;
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    const rec = structuredClone(prev);
    const lastBad = big(v.first('badPasswordTime')) ?? 0n;
    const count = Number(big(v.first('badPwdCount')) ?? 0n);
    // lockOutObservationWindow is a negative interval: lastBad - window is when the window closes
    let next = policy.threshold > 0 && now <= lastBad - policy.window ? count + 1 : 1;
    // unlocked by an administrator (lockoutTime written 0): counting starts again
    if (lockoutTime === 0n && policy.threshold > 0 && count >= policy.threshold) next = 1;
    u.setAttribute(rec, A('badPwdCount'), [next]);
    u.setAttribute(rec, A('badPasswordTime'), [now]);
    let locked = false;
    if (policy.threshold > 0 && next >= policy.threshold) {
      u.setAttribute(rec, A('lockoutTime'), [now]);
      locked = true;
    } else if (lockoutTime !== undefined && lockoutTime !== 0n) {
      // an expired lockout ends here
      u.setAttribute(rec, A('lockoutTime'), [0n]);
    }
    u.touch(rec);
    w.putObject(guid, rec, prev);
    return locked;
  });
}

/**
 * lastLogonTimestamp is due for an update (MS-ADA1 2.352): msDS-LogonTimeSyncInterval is nonzero
 * and the stored value is absent or older than now minus the interval, the interval less a random
 * part of up to 5 days (as AD does, so that the accounts of one busy day do not all replicate again
 * on one later day). `random` is in [0, 1).
 */
export function lastLogonTimestampDue(stored: bigint | undefined, policy: LockoutPolicy, now: bigint, random: number): boolean {
  if (policy.logonTimeSyncDays === 0) return false;
  if (stored === undefined) return true;
  let interval = BigInt(policy.logonTimeSyncDays) * DAY;
  if (interval > 5n * DAY) interval -= BigInt(Math.floor(random * 5 * 86_400)) * 10_000_000n;
  return stored < now - interval;
}

/**
 * A good logon: badPwdCount back to 0, an expired lockout cleared, and lastLogonTimestamp set to
 * now when it is due (lastLogonTimestampDue); only when one of them needs it, so most binds stay
 * read-only. Returns the write's promise, or undefined when there is nothing to write (no promise
 * to wait for on the common path).
 */
export function recordGoodLogon(dir: Directory, r: ReadTxn, guid: Buffer, record?: ObjectRecord, policy = lockoutPolicy(dir, r)): Promise<void> | undefined {
  const rec = record ?? r.readObject(guid);
  const count = Number(big(storedFirst(dir, rec, 'badPwdCount')) ?? 0n);
  const lockoutTime = big(storedFirst(dir, rec, 'lockoutTime')) ?? 0n;
  const now = fileTimeNow(dir);
  const stamp = lastLogonTimestampDue(big(storedFirst(dir, rec, 'lastLogonTimestamp')), policy, now, Math.random());
  if (count === 0 && lockoutTime === 0n && !stamp) return undefined;
  return dir.store.write((w) => {
    const prev = w.getObject(guid);
    if (!prev) return;
    const A = (n: string) => dir.schema.attr(n)!;
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    const rec = structuredClone(prev);
    if (count !== 0) u.setAttribute(rec, A('badPwdCount'), [0]);
    if (lockoutTime !== 0n) u.setAttribute(rec, A('lockoutTime'), [0n]);
    // replicated (unlike lastLogon): an originating update of the account like any other
    if (stamp) u.setAttribute(rec, A('lastLogonTimestamp'), [now]);
    u.touch(rec);
    w.putObject(guid, rec, prev);
  });
}
