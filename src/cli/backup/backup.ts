// forestd backup --data DIR --out FILE: an online backup of a DC. LMDB lets a second process
// open the environment beside a serving forestd; the copy is taken in one read transaction
// (Store.backupTo: mdb_env_copy2 with compaction), so it is one committed state of the DC while
// writes go on. The manifest is read from the copy itself, so its USN and invocationId are those
// of the copied state (MS-ADTS 3.1.1.1.9: the DC tuple), not of a later moment.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Store, STORE_FORMAT, type DcTuple } from '../../store/store.js';
import { Directory } from '../../dsa/directory.js';
import { tombstoneLifetimeDays } from '../../dsa/garbage-collection.js';
import { guidToString } from '../../util/guid.js';
import { SETTINGS_FILE } from '../provision.js';
import { BACKUP_FORMAT_VERSION, checksumOf, encodeBackup, type BackupManifest } from './format.js';

export interface BackupOptions {
  data: string;
  out: string;
  /** the time written to the manifest (default: now) */
  now?: Date;
}

export async function backup(o: BackupOptions): Promise<BackupManifest> {
  const out = resolve(o.out);
  const work = mkdtempSync(join(dirname(out), '.forestd-backup-'));
  try {
    mkdirSync(join(work, 'store'));
    await Store.backup(o.data, join(work, 'store'));
    const copy = Directory.open(work);
    let manifest: BackupManifest;
    try {
      const f = copy.forest;
      // the DC tuple as the copy's last commit wrote it: Store.open moves dc.usn up to the USN
      // reserve, but the copy holds updates only below the stored dc.usn
      const dc = copy.store.getMeta<DcTuple>('dc')!;
      const settingsPath = join(o.data, SETTINGS_FILE);
      manifest = {
        formatVersion: BACKUP_FORMAT_VERSION,
        storeFormat: STORE_FORMAT,
        forest: { realm: f.realm, rootDomainDN: f.rootDomainDN, domainSid: Buffer.from(f.domainSid).toString('hex') },
        dc: { dsaDN: f.dsaDN, dnsHostName: f.dnsHostName, serverGuid: guidToString(dc.serverGuid), invocationId: guidToString(dc.invocationId) },
        highestUsn: dc.usn - 1,
        time: (o.now ?? new Date()).toISOString(),
        tombstoneLifetimeDays: tombstoneLifetimeDays(copy),
        ...(existsSync(settingsPath) ? { settings: JSON.parse(readFileSync(settingsPath, 'utf8')) as unknown } : {}),
        size: 0,
        checksum: '',
      };
    } finally {
      await copy.close();
    }
    const data = readFileSync(join(work, 'store', 'data.mdb'));
    manifest.size = data.length;
    manifest.checksum = checksumOf(data);
    // written beside the target and renamed: a FILE that exists is a whole backup
    const part = `${out}.part`;
    writeFileSync(part, encodeBackup(manifest, data), { mode: 0o600 });
    renameSync(part, out);
    return manifest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function backupCommand(o: BackupOptions & { json?: boolean }): Promise<void> {
  const m = await backup(o);
  if (o.json) console.log(JSON.stringify({ ...m, settings: undefined }));
  else console.log(`forestd: backup of ${m.dc.dsaDN} (forest ${m.forest.realm}) at USN ${m.highestUsn}, invocationId ${m.dc.invocationId}, ${m.size} bytes, ${m.checksum} -> ${resolve(o.out)}`);
}
