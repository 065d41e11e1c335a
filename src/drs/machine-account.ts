// The DRS transport's credentials from the directory (see transport/auth.ts): this DC's own
// machine account and, for a peer, the account of another DC of the domain — a computer
// object with UF_SERVER_TRUST_ACCOUNT in userAccountControl (MS-ADTS 2.2.16; the accounts of
// the Domain Controllers) — each keyed by the NT hash its unicodePwd holds.
import { randomBytes } from 'node:crypto';
import type { Directory } from '../dsa/directory.js';
import { OriginatingUpdate } from '../dsa/originating-update.js';
import { indexKey, type ReadTxn } from '../store/store.js';
import { peerDsaRefusal } from './peer-identity.js';
import type { ObjectRecord } from '../store/record.js';
import { ntHash } from '../security/password.js';
import { drsKey, type DrsCredentials } from './transport/auth.js';

const UF_SERVER_TRUST_ACCOUNT = 0x2000;

export class MachineAccountError extends Error {
  readonly code = 'ERR_DRS_MACHINE_ACCOUNT';
}

function first(dir: Directory, rec: ObjectRecord, name: string): unknown {
  const info = dir.schema.attr(name);
  return info ? rec.attrs.find((a) => a.id === info.id)?.values[0] : undefined;
}

/**
 * This DC's machine account gets a password when it has none (a DC provisioned before the
 * transport existed): a random one, set by an originating update like any password reset, so
 * that the other DCs receive it by replication.
 */
export async function ensureMachinePassword(dir: Directory): Promise<void> {
  const guid = dir.forest.computerGuid;
  const has = dir.store.reader.getObject(guid);
  if (!has) throw new MachineAccountError('this DC has no computer object');
  if (first(dir, has, 'unicodePwd') instanceof Uint8Array) return;
  await dir.store.write((w) => {
    const prev = w.getObject(guid)!;
    if (first(dir, prev, 'unicodePwd') instanceof Uint8Array) return;
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
    u.setAttribute(rec, dir.schema.attr('unicodePwd')!, [ntHash(randomBytes(60).toString('base64'))]);
    u.setAttribute(rec, dir.schema.attr('pwdLastSet')!, [BigInt(u.time) * 10_000_000n]);
    u.touch(rec);
    w.putObject(guid, rec, prev);
  });
}

/** The credentials of this DC for the DRS transport, reading peers' keys from the directory at each handshake. */
export function machineAccountCredentials(dir: Directory): DrsCredentials {
  const ownKey = (): { account: string; key: Buffer } => {
    const own = dir.store.reader.getObject(dir.forest.computerGuid);
    if (!own) throw new MachineAccountError('this DC has no computer object');
    const account = first(dir, own, 'sAMAccountName');
    const hash = first(dir, own, 'unicodePwd');
    if (typeof account !== 'string' || !(hash instanceof Uint8Array)) throw new MachineAccountError("this DC's machine account has no sAMAccountName or no password");
    return { account, key: drsKey(hash, account) };
  };
  const account = ownKey().account;
  return {
    account,
    dsaGuid: dir.forest.dsaGuid,
    // read at each handshake: a machine password change takes effect without a restart
    get key() {
      return ownKey().key;
    },
    keyOf(peer: string) {
      const r = dir.store.snapshot();
      try {
        const a = dcAccountObject(dir, r, peer);
        const pwd = a && first(dir, a.rec, 'unicodePwd');
        return a && pwd instanceof Uint8Array ? drsKey(pwd, first(dir, a.rec, 'sAMAccountName') as string) : undefined;
      } finally {
        r.done();
      }
    },
    // the DSA GUID the peer announced must be its own (peer-identity.ts)
    peerDsaRefusal(peer: string, dsaGuid: Buffer) {
      const r = dir.store.snapshot();
      try {
        return peerDsaRefusal(dir, r, peer, dsaGuid);
      } finally {
        r.done();
      }
    },
  };
}

/** The live computer object of the DC account `account` (UF_SERVER_TRUST_ACCOUNT), if any. */
export function dcAccountObject(dir: Directory, r: ReadTxn, account: string): { guid: Buffer; rec: ObjectRecord } | undefined {
  const info = dir.schema.attr('sAMAccountName')!;
  for (const g of r.indexEqual(indexKey(info.id, info.syntax.normalize(account)))) {
    const rec = r.getObject(Buffer.from(g));
    if (!rec) continue;
    const uac = first(dir, rec, 'userAccountControl');
    if (typeof uac !== 'number' || (uac & UF_SERVER_TRUST_ACCOUNT) === 0 || first(dir, rec, 'isDeleted') === true) return undefined;
    return { guid: Buffer.from(g), rec };
  }
  return undefined;
}
