// The security context a bind builds for an account (bind.ts identityOf: the token of
// MS-ADTS 5.1.3 with its group expansion of MS-ADTS 3.1.1.4.5.19, isAdmin and the account's
// DN), remembered per Directory so that the next bind of the same account does not walk its
// groups again. The password is verified and the lockout state read at every bind before this
// is asked (bind.ts logon): only what follows from the directory's state is remembered.
//
// An entry is served only to a snapshot in which nothing it was derived from can differ:
//  - the DC tuple's USN (ReadTxn.dcUsn) is the one it was built at: every commit that takes a
//    USN — a membership (link) change, a group or account update, a rename or move of the
//    account or of an ancestor (its DN), a new foreignSecurityPrincipal — moves it
//    (MS-ADTS 3.1.1.1.9: every originating or replicated update takes a USN);
//  - the account's uSNChanged (record header) is unchanged (checked too, cheaply);
//  - the naming epoch (ReadTxn.namingEpoch, store.ts "Naming epoch") is the one it was built
//    at: a store write that takes no USN leaves the DC tuple as it was, and the only such write
//    that changes what the walk read (a group, security or not, or a foreignSecurityPrincipal
//    of the logon's well-known SIDs, gone) is a removal — the expunge of a tombstone or of an
//    NC replica's objects — which moves the epoch (removeObject); the other writes without a
//    USN (SD propagation, delayed link processing, a RID Set's rIDNextRID) change nothing the
//    walk reads, nor uSNChanged (so the per-object uSNChanged check this replaces could not
//    see them either);
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
  readonly gen: number;
  readonly accountUsn: number;
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
  get(r: ReadTxn, key: string, accountUsn: number, schema: object): CachedLogon | undefined {
    if (!this.enabled || r instanceof WriteTxn) return undefined;
    const e = this.entries.get(key);
    if (!e || e.accountUsn !== accountUsn || e.schema !== schema || e.gen !== r.dcUsn() || e.epoch !== r.namingEpoch()) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return e.value;
  }

  /** Remembers what a bind derived in snapshot `r`. */
  set(r: ReadTxn, key: string, accountUsn: number, schema: object, value: CachedLogon): void {
    if (!this.enabled || r instanceof WriteTxn) return;
    if (this.entries.size >= TOKEN_CACHE_LIMIT) this.entries = new Map();
    this.entries.set(key, { value, gen: r.dcUsn(), accountUsn, schema, epoch: r.namingEpoch() });
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries = new Map();
  }
}
