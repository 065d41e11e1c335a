// forestd restore --from FILE --data DIR: brings a DC back from a `forestd backup` file.
//
// MS-ADTS 3.1.1.1.9: a DC is identified in replication by its invocationId, and every update it
// originates by (invocationId, USN). A restored DC has lost the updates it originated after the
// backup, which its partners may hold; were it to hand out the same USNs again under the same
// invocationId, partners would take them for updates they already have (the "USN rollback").
// So the restored DC continues under a NEW invocationId; the old one is retired (kept in the
// store's invocation table, which stamps name, and in its retired list, as AD keeps
// retiredReplDSASignatures on the nTDSDSA object), and each NC's up-to-dateness vector gets a
// cursor for the old invocationId at the backup's highest USN (MS-DRSR 5.166), so that partners
// send it back what it originated after the backup, and nothing it already has. Its USN counter
// continues above both the backup's and the replaced store's.
//
// A backup older than the tombstone lifetime is refused (MS-ADTS 3.1.1.1.9 / 6.1.1.2.4.1.1:
// partners have garbage-collected tombstones of deletions the backup does not know of, so the
// restored DC would bring deleted objects back).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Store, StoreError } from '../../store/store.js';
import { Directory } from '../../dsa/directory.js';
import { RID_POOL_RESTORED_META } from '../../dsa/rid-set.js';
import { OriginatingUpdate } from '../../dsa/originating-update.js';
import { guidToString, newGuid } from '../../util/guid.js';
import { SETTINGS_FILE } from '../provision.js';
import { BackupError, decodeBackup, type BackupManifest } from './format.js';
import { servingPid } from './serving.js';

const DAY_MS = 86_400_000;

export interface RestoreOptions {
  from: string;
  data: string;
  /** the time the age of the backup is measured at (default: now) */
  now?: Date;
}

export interface RestoreResult {
  manifest: BackupManifest;
  oldInvocationId: string;
  newInvocationId: string;
  /** the next USN the restored DC hands out */
  nextUsn: number;
}

interface UtdCursor {
  uuidDsa: Uint8Array;
  usnHighPropUpdate: number;
  timeLastSyncSuccess: number;
}

export async function restore(o: RestoreOptions): Promise<RestoreResult> {
  const { manifest, data } = decodeBackup(readFileSync(o.from));
  const now = o.now ?? new Date();
  const taken = Date.parse(manifest.time);
  if (!Number.isFinite(taken)) throw new BackupError('ERR_BACKUP_CORRUPT', 'the backup manifest has no valid time');
  const ageDays = (now.getTime() - taken) / DAY_MS;
  if (ageDays > manifest.tombstoneLifetimeDays) {
    throw new BackupError('ERR_BACKUP_TOO_OLD', `the backup was taken ${manifest.time}, ${Math.floor(ageDays)} days ago, longer than the tombstone lifetime (${manifest.tombstoneLifetimeDays} days): restoring it could bring back deleted objects; install the DC again from a partner instead`);
  }
  const dataDir = resolve(o.data);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const live = join(dataDir, 'store');
  // the store being replaced: it must be of the same DC of the same forest
  let replacedUsn = 0;
  if (existsSync(join(live, 'data.mdb'))) {
    let cur: Directory;
    try {
      cur = Directory.open(dataDir);
    } catch (e) {
      if (e instanceof StoreError && e.code === 'ERR_STORE_CORRUPT') throw new BackupError('ERR_BACKUP_TARGET', `${dataDir} holds a damaged store; move it away and restore into an empty directory`);
      throw e;
    }
    try {
      const sameForest = Buffer.from(cur.forest.domainSid).toString('hex') === manifest.forest.domainSid;
      const sameDc = guidToString(cur.store.dc.serverGuid) === manifest.dc.serverGuid;
      if (!sameForest || !sameDc) {
        throw new BackupError('ERR_BACKUP_FOREIGN', `the backup is of ${manifest.dc.dsaDN} (forest ${manifest.forest.realm}); ${dataDir} holds ${cur.forest.dsaDN} (forest ${cur.forest.realm}): restore a DC from its own backup`);
      }
      replacedUsn = cur.store.dc.usn;
    } finally {
      await cur.close();
    }
  } else if (existsSync(live) && readdirSync(live).length > 0) {
    throw new BackupError('ERR_BACKUP_TARGET', `${live} holds files but no forestd store`);
  }

  // the copy is made a store in a staging data directory, given its new identity there, and
  // swapped in only then: an interrupted restore leaves the old store in place
  const pid = servingPid(dataDir);
  if (pid !== undefined) throw new BackupError('ERR_BACKUP_TARGET', `${dataDir} is being served by forestd (pid ${pid}): stop it, then restore`);
  const staging = join(dataDir, '.restoring');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'store'), { recursive: true, mode: 0o700 });
  writeFileSync(join(staging, 'store', 'data.mdb'), data, { mode: 0o600 });
  const result = await reidentify(staging, manifest, replacedUsn, now);
  // the replaced store is kept beside, until the next restore
  const before = join(dataDir, 'store.before-restore');
  rmSync(before, { recursive: true, force: true });
  if (existsSync(live)) renameSync(live, before);
  renameSync(join(staging, 'store'), live);
  rmSync(staging, { recursive: true, force: true });
  const settingsPath = join(dataDir, SETTINGS_FILE);
  if (!existsSync(settingsPath) && manifest.settings !== undefined) writeFileSync(settingsPath, JSON.stringify(manifest.settings, null, 2) + '\n');
  return result;
}

/**
 * The store half of a restore: a new invocationId (the old one retired), dc.usn at least
 * `floorUsn`, and in each NC's replica state a UTD cursor for the old invocationId at
 * `highestUsn` (MS-DRSR 5.166). Returns the new invocationId. Also used by the replication
 * simulator's restore scenario, whose stores have no Directory around them.
 */
export async function reidentifyStore(store: Store, highestUsn: number, floorUsn: number, now: Date): Promise<Buffer> {
  const old = Buffer.from(store.dc.invocationId);
  const fresh = newGuid();
  // the USN counter continues above the backup's and above the replaced store's
  store.dc.usn = Math.max(store.dc.usn, floorUsn);
  store.retireInvocation(fresh, { invocationId: old, usn: highestUsn, time: now.getTime() });
  await store.write((w) => {
    // the UTD vector says this replica holds what the old invocationId originated up to the
    // backup's USN, and nothing after: partners send the rest
    for (const nc of w.ncHeads()) {
      const key = `repl:${Buffer.from(nc).toString('hex')}`;
      const st = w.getMeta<{ utd?: UtdCursor[]; repsFrom?: unknown[] }>(key) ?? {};
      const had = (st.utd ?? []).find((c) => Buffer.from(c.uuidDsa).equals(old));
      const utd = (st.utd ?? []).filter((c) => !Buffer.from(c.uuidDsa).equals(old));
      utd.push({ uuidDsa: old, usnHighPropUpdate: Math.max(had?.usnHighPropUpdate ?? 0, highestUsn), timeLastSyncSuccess: now.getTime() });
      w.setMeta(key, { ...st, utd, repsFrom: st.repsFrom ?? [] });
    }
  });
  return fresh;
}

async function reidentify(stagingDir: string, manifest: BackupManifest, replacedUsn: number, now: Date): Promise<RestoreResult> {
  const dir = Directory.open(stagingDir);
  try {
    const store = dir.store;
    const old = Buffer.from(store.dc.invocationId);
    if (guidToString(old) !== manifest.dc.invocationId || guidToString(store.dc.serverGuid) !== manifest.dc.serverGuid) {
      throw new BackupError('ERR_BACKUP_CORRUPT', 'the backup data is not of the DC its manifest names');
    }
    const fresh = await reidentifyStore(store, manifest.highestUsn, replacedUsn, now);
    // the nTDSDSA object's invocationId, an originating update under the new invocationId,
    // so that partners learn it
    await store.write((w) => {
      const guid = dir.forest.dsaGuid;
      const prev = w.getObject(guid);
      const attr = dir.schema.attr('invocationId');
      if (!prev || !attr) return;
      const u = new OriginatingUpdate(w, fresh, dir.clock);
      const rec = structuredClone(prev);
      u.setAttribute(rec, attr, [Buffer.from(fresh)]);
      u.touch(rec);
      w.putObject(guid, rec, prev);
      // the RID Set is the backup's: no RID from it until the DC has heard what was given since (src/dsa/rid-set.ts)
      w.setMeta(RID_POOL_RESTORED_META, true);
    });
    return { manifest, oldInvocationId: guidToString(old), newInvocationId: guidToString(fresh), nextUsn: store.dc.usn };
  } finally {
    await dir.close();
  }
}

export async function restoreCommand(o: RestoreOptions & { json?: boolean }): Promise<void> {
  const r = await restore(o);
  if (o.json) console.log(JSON.stringify({ ...r, manifest: { ...r.manifest, settings: undefined } }));
  else console.log(`forestd: restored ${r.manifest.dc.dsaDN} from the backup of ${r.manifest.time} (USN ${r.manifest.highestUsn}); invocationId ${r.oldInvocationId} retired, now ${r.newInvocationId}; next USN ${r.nextUsn}. Start 'forestd serve': partners replicate back what the backup lacks.`);
}
