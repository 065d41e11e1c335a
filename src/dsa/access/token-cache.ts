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
//  - every object the group walk went through (groups, security or not, and the
//    foreignSecurityPrincipal objects of the logon's well-known SIDs) is still there at the
//    uSNChanged it had: a store write that takes no USN (the expunge of a tombstone or of an NC
//    replica's objects) leaves the DC tuple as it was (group-walk.ts says the same);
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
  /** objectGUIDs the group walk went through, and the uSNChanged of each then */
  readonly walked: readonly Buffer[];
  readonly walkedUsn: readonly number[];
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
    if (!e || e.accountUsn !== accountUsn || e.schema !== schema || e.gen !== r.dcUsn() || !current(r, e)) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return e.value;
  }

  /** Remembers what a bind derived in snapshot `r` (the group walk went through `walked`). */
  set(r: ReadTxn, key: string, accountUsn: number, schema: object, value: CachedLogon, walked: readonly Buffer[]): void {
    if (!this.enabled || r instanceof WriteTxn) return;
    const walkedUsn: number[] = [];
    for (const g of walked) {
      const usn = r.usnChangedOf(g);
      if (usn === undefined) return; // gone already (cannot be: the walk just read it); not remembered
      walkedUsn.push(usn);
    }
    if (this.entries.size >= TOKEN_CACHE_LIMIT) this.entries = new Map();
    this.entries.set(key, { value, gen: r.dcUsn(), accountUsn, schema, walked, walkedUsn });
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries = new Map();
  }
}

function current(r: ReadTxn, e: Entry): boolean {
  for (let i = 0; i < e.walked.length; i++) if (r.usnChangedOf(e.walked[i]!) !== e.walkedUsn[i]) return false;
  return true;
}
