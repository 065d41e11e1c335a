// The security context a bind builds for an account (bind.ts identityOf: the token of
// MS-ADTS 5.1.3 with its group expansion of MS-ADTS 3.1.1.4.5.19, isAdmin and the account's
// DN), remembered per Directory so that the next bind of the same account does not walk its
// groups again. The password is verified and the lockout state read at every bind before this
// is asked (bind.ts logon): only what follows from the directory's state is remembered.
//
// An entry is served only to a snapshot in which nothing it was derived from can differ:
//  - the principal epoch (ReadTxn.principalEpoch, store.ts "Principal epoch") is the one it was
//    built at: every commit that writes a link value (a membership, forward or back), or the
//    record of a group or a foreignSecurityPrincipal (created, changed — groupType, objectSid,
//    sIDHistory —, deleted, recycled, undeleted, removed; group-walk.ts principalRecord), moves
//    it, originating or replicated, with a USN or without (delayed link processing, garbage
//    collection); other writes (a logon's lastLogonTimestamp, another account's password, new
//    users) leave it, and the entries with it;
//  - what the walk and the identity read of the account's own record — objectSid, sIDHistory,
//    primaryGroupID (accountInputs below) — is unchanged; its other attributes (lastLogonTimestamp,
//    badPwdCount written by the logon itself, a password, a description) are not read; its DN is
//    the naming epoch's;
//  - the naming epoch (ReadTxn.namingEpoch, store.ts "Naming epoch") is the one it was built
//    at: a rename or move of the account or of an ancestor (its DN), and every removal, move it;
//  - the schema binding is the one in force (a schema update replaces it).
// Never filled from a write transaction (its state may still roll back). Served identities get
// a token of their own (a fresh per-token memo of access decisions, security/token.ts).
// DirectoryOptions.tokenCache false (FORESTD_TOKEN_CACHE=0 for serve, cache-settings.ts) turns it off (the hits/misses counters show the difference).
import { WriteTxn, type ReadTxn } from '../../store/store.js';
import type { SecurityToken } from '../../security/token.js';

/** Most accounts remembered per directory (the map is emptied when full). */
export const TOKEN_CACHE_LIMIT = 20_000;

/** What a bind derives from an account and its groups (the Identity without its objectGUID). */
export interface CachedLogon {
  readonly dn: string;
  readonly sid: Buffer | undefined;
  readonly isAdmin: boolean;
  readonly token: SecurityToken;
}

interface Entry {
  readonly value: CachedLogon;
  /** the principal epoch of the snapshot it was built in */
  readonly gen: number;
  /** accountInputs of the account's record it was built from */
  readonly account: string;
  readonly schema: object;
  /** the naming epoch of the snapshot it was built in */
  readonly epoch: number;
}

export class TokenCache {
  hits = 0;
  misses = 0;
  private entries = new Map<string, Entry>();

  /** `enabled` false: every bind walks the groups (DirectoryOptions.tokenCache, FORESTD_TOKEN_CACHE=0) */
  constructor(public enabled = true) {}

  /** The remembered logon of the account `key` (objectGUID as latin1) when still true in `r`. */
  get(r: ReadTxn, key: string, account: string, schema: object): CachedLogon | undefined {
    if (!this.enabled || r instanceof WriteTxn) return undefined;
    const e = this.entries.get(key);
    if (!e || e.account !== account || e.schema !== schema || e.gen !== r.principalEpoch() || e.epoch !== r.namingEpoch()) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return e.value;
  }

  /** Remembers what a bind derived in snapshot `r`. */
  set(r: ReadTxn, key: string, account: string, schema: object, value: CachedLogon): void {
    if (!this.enabled || r instanceof WriteTxn) return;
    if (this.entries.size >= TOKEN_CACHE_LIMIT) this.entries = new Map();
    this.entries.set(key, { value, gen: r.principalEpoch(), account, schema, epoch: r.namingEpoch() });
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries = new Map();
  }
}

/**
 * What a bind derives from the account's own record (token.ts walkGroups and buildToken,
 * bind.ts identityOf): its objectSid (the token's user SID, the primary group's domain part,
 * the Administrator RID), primaryGroupID and sIDHistory, as one string to compare.
 */
export function accountInputs(sid: Uint8Array | undefined, primaryGroupId: unknown, sidHistory: readonly unknown[] | undefined): string {
  let s = `${typeof primaryGroupId === 'number' ? primaryGroupId : ''}:${sid ? Buffer.from(sid.buffer, sid.byteOffset, sid.byteLength).toString('latin1') : ''}`;
  if (sidHistory) for (const h of sidHistory) if (h instanceof Uint8Array) s += `:${Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('latin1')}`;
  return s;
}
