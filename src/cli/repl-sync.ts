// forestd repl sync: asks a serving DC to replicate now, in the spirit of `repadmin /syncall`
// (every partner, every NC) and `repadmin /replicate` (one NC, one partner): one
// IDL_DRSReplicaSync (MS-DRSR 4.1.23) per partner and NC, synchronous (no DRS_ASYNC_OP), so each
// call returns when that cycle has ended. The DRS transport admits DC machine accounts only, so
// the command runs where the DC's data directory is (--data): it authenticates as the DC itself
// and calls the DC's own DRS listener (its networkAddress), which serves the request as an
// administrative one (src/drs/repl-sync.ts). Each cycle's outcome (Win32 result, objects
// applied) is read back from the NC's repsFrom state in the data directory.
import { parseArgs } from 'node:util';
import { Directory } from '../dsa/directory.js';
import { DrsClient } from '../drs/transport/tls.js';
import { machineAccountCredentials } from '../drs/machine-account.js';
import { ncsOf, partnerHolds, partnersOf, type ReplPartner } from '../drs/replicator.js';
import { readReplicaState } from '../dsa/replica/state.js';
import { guidToString } from '../util/guid.js';
import { AdminError, EXIT, table, type Row } from './admin/common.js';

export const REPL_SYNC_USAGE = `forestd repl sync --data DIR [--nc DN] [--from DC] [--json]
  Asks the DC serving DIR (forestd serve --repl-port) to replicate in now from its partners and
  waits for the cycles to end, as repadmin /syncall and /replicate do.
  --nc DN     only this naming context (default: every NC the DC replicates)
  --from DC   only this partner: its DSA objectGUID, its server name (DC2), its account (DC2$) or
              its DRS address (host:port) (default: every partner)
  --json      machine-readable output
exit codes: 0 every cycle succeeded, 1 a cycle failed, 2 bad usage, 3 cannot reach the DC's DRS
listener, 4 no such NC or partner`;

export interface ReplSyncRow {
  nc: string;
  partner: string;
  dsaGuid: string;
  address: string;
  /** 0, or the Win32 code of the failure */
  result: number;
  /** the 8 hex digits of `result` */
  resultHex: string;
  objects: number;
}

export const norm = (dn: string) => dn.replace(/\s*([,=])\s*/g, '$1').toLowerCase();
export const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

/** The server name (CN of the parent of the nTDSDSA object) of partner `p`, when this DC knows the object. */
export function serverName(dir: Directory, p: ReplPartner): string {
  const r = dir.store.snapshot();
  try {
    const g = Buffer.from(p.dsaGuid, 'hex');
    if (!r.hasObject(g)) return '';
    return /^CN=NTDS Settings,CN=([^,]+),/i.exec(dir.dnOf(r, g))?.[1] ?? '';
  } finally {
    r.done();
  }
}

export function matches(dir: Directory, p: ReplPartner, from: string): boolean {
  const f = from.trim().toLowerCase();
  const guid = guidToString(Buffer.from(p.dsaGuid, 'hex')).toLowerCase();
  const host = p.address.slice(0, p.address.lastIndexOf(':')).replace(/^\[|\]$/g, '').toLowerCase();
  const name = serverName(dir, p).toLowerCase();
  return [guid, `{${guid}}`, p.dsaGuid, p.account.toLowerCase(), p.account.toLowerCase().replace(/\$$/, ''), p.address.toLowerCase(), host, name].includes(f);
}

export async function replSyncCommand(args: string[]): Promise<number> {
  let values: { data?: string; nc?: string; from?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { data: { type: 'string' }, nc: { type: 'string' }, from: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    return fail(new AdminError((e as Error).message, EXIT.usage, 'ERR_USAGE', REPL_SYNC_USAGE));
  }
  if (values.help) {
    process.stdout.write(REPL_SYNC_USAGE + '\n');
    return EXIT.ok;
  }
  try {
    if (!values.data) throw new AdminError('repl sync needs --data DIR (the data directory of the serving DC)', EXIT.usage, 'ERR_USAGE', REPL_SYNC_USAGE);
    const rows = await replSync({ data: values.data, nc: values.nc, from: values.from });
    if (values.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    else process.stdout.write(table(rows.map((r): Row => ({ NC: r.nc, partner: r.partner, result: r.result === 0 ? 'ok' : `${r.resultHex} (${r.result})`, objects: r.objects })), ['NC', 'partner', 'result', 'objects']));
    return rows.every((r) => r.result === 0) ? EXIT.ok : EXIT.refused;
  } catch (e) {
    return fail(e);
  }
}

/** The exit code of a failed repl command, its message on stderr. */
export function fail(e: unknown): number {
  if (e instanceof AdminError) {
    process.stderr.write(`forestd: ${e.message}\n${e.hint ? `  ${e.hint}\n` : ''}`);
    return e.exit;
  }
  process.stderr.write(`forestd: ${(e as Error).message}\n`);
  return EXIT.refused;
}

/** This DC's own DRS listener, as serve published it (networkAddress on its nTDSDSA object), as the DC's machine account. */
export async function connectOwnListener(dir: Directory): Promise<DrsClient> {
  const self = dir.store.reader.getObject(dir.forest.dsaGuid);
  const na = self?.attrs.find((a) => a.id === dir.schema.attr('networkAddress')?.id)?.values[0];
  if (typeof na !== 'string' || !na.includes(':')) throw new AdminError(`${dir.forest.dsaDN} has no DRS address`, EXIT.connect, 'ERR_CONNECT', 'is the DC serving with --repl-port?');
  const creds = machineAccountCredentials(dir);
  try {
    return await DrsClient.connect({ host: na.slice(0, na.lastIndexOf(':')).replace(/^\[|\]$/g, ''), port: Number(na.slice(na.lastIndexOf(':') + 1)), credentials: creds, expectServerAccount: creds.account, callTimeoutMs: 3_600_000 });
  } catch (e) {
    throw new AdminError(`cannot reach the DC's DRS listener at ${na}: ${(e as Error).message}`, EXIT.connect, 'ERR_CONNECT', 'is forestd serve --repl-port running on this data directory?');
  }
}

/** The DC's data directory, or a usage error. */
export function openDataDir(data: string): Directory {
  try {
    return Directory.open(data);
  } catch (e) {
    throw new AdminError(`cannot open the data directory ${data}: ${(e as Error).message}`, EXIT.usage, 'ERR_USAGE');
  }
}

export async function replSync(o: { data: string; nc?: string | undefined; from?: string | undefined }): Promise<ReplSyncRow[]> {
  const dir = openDataDir(o.data);
  try {
    const held = ncsOf(dir);
    let ncs = held;
    if (o.nc !== undefined) {
      const heads = dir.store.reader.ncHeads().map((g) => ({ Guid: Buffer.from(g), StringName: dir.dnOf(dir.store.reader, Buffer.from(g)) }));
      const nc = heads.find((h) => norm(h.StringName) === norm(o.nc!));
      if (!nc) throw new AdminError(`this DC holds no naming context ${o.nc}`, EXIT.notFound, 'ERR_NO_SUCH_NC', `its NCs: ${heads.map((h) => h.StringName).join('; ')}`);
      ncs = [nc];
    }
    let partners = partnersOf(dir);
    if (o.from !== undefined) {
      partners = partners.filter((p) => matches(dir, p, o.from!));
      if (partners.length === 0) throw new AdminError(`this DC has no replication partner ${o.from}`, EXIT.notFound, 'ERR_NO_SUCH_PARTNER', 'forestd repl show --data DIR lists the inbound neighbors');
    }
    const client = await connectOwnListener(dir);
    const rows: ReplSyncRow[] = [];
    try {
      const { phDrs } = await client.bind({ puuidClientDsa: dir.forest.dsaGuid, pextClient: null });
      for (const nc of ncs)
        for (const p of partners) {
          // an application NC from a partner that holds none (its crossRef's msDS-NC-Replica-Locations)
          if (o.nc === undefined && !partnerHolds(dir, nc, p.dsaGuid)) continue;
          const src = Buffer.from(p.dsaGuid, 'hex');
          // MS-DRSR 4.1.23.1.2: the NC, the source by its DSA GUID; synchronous
          const { result } = await client.replicaSync({ hDrs: phDrs, pmsgSync: { version: 1, msg: { pNC: { Guid: nc.Guid, Sid: Buffer.alloc(0), StringName: nc.StringName }, uuidDsaSrc: src, pszDsaSrc: null, ulOptions: 0 } } });
          const r = dir.store.snapshot();
          let objects = 0;
          try {
            objects = readReplicaState(r, nc.Guid).repsFrom.find((x) => x.uuidDsa.equals(src))?.objectsLastCycle ?? 0;
          } finally {
            r.done();
          }
          rows.push({ nc: nc.StringName, partner: serverName(dir, p) || p.account, dsaGuid: guidToString(src), address: p.address, result: result >>> 0, resultHex: hex8(result), objects: result === 0 ? objects : 0 });
        }
    } finally {
      await client.close();
    }
    return rows;
  } finally {
    await dir.close();
  }
}
