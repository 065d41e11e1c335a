// forestd repl remove: asks a serving DC to stop replicating one naming context from one partner,
// in the spirit of `repadmin /delete`: one IDL_DRSReplicaDel (MS-DRSR 4.1.20) to the DC's own DRS
// listener, as the DC's machine account (the only administrative caller forestd's DRS transport
// admits, as for `forestd repl sync`). The DC removes the partner's repsFrom value of the NC and,
// unless --local-only, has the partner remove this DC from its repsTo (IDL_DRSUpdateRefs
// DRS_DEL_REF, src/drs/replica-del.ts). Exit codes as `forestd repl sync`.
import { parseArgs } from 'node:util';
import { ncsOf, partnersOf, topologyPartners, type ReplPartner } from '../drs/replicator.js';
import { REPDEL } from '../drs/replica-del.js';
import { readReplicaState } from '../dsa/replica/state.js';
import { guidToString } from '../util/guid.js';
import { AdminError, EXIT, table } from './admin/common.js';
import { connectOwnListener, fail, hex8, matches, norm, openDataDir, serverName, type ReplSyncRow } from './repl-sync.js';

export const REPL_REMOVE_USAGE = `forestd repl remove --data DIR --nc DN --from DC [--local-only] [--ignore-errors] [--json]
  Asks the DC serving DIR (forestd serve --repl-port) to stop replicating the naming context DN
  from partner DC, as repadmin /delete does. A partner the topology (KCC) still wants is added
  back at its next run.
  --nc DN           the naming context
  --from DC         the partner: its DSA objectGUID, server name (DC2), account (DC2$) or DRS address
  --local-only      do not ask the partner to remove this DC from its repsTo (a partner that is gone)
  --ignore-errors   remove the partner here even when it could not be told
  --json            machine-readable output
exit codes: 0 removed, 1 the DC refused, 2 bad usage, 3 cannot reach the DC's DRS listener,
4 no such NC or partner`;

/** A repl sync row without the objects: the NC, the partner, the Win32 result. */
export type ReplRemoveRow = Omit<ReplSyncRow, 'objects'>;

export async function replRemoveCommand(args: string[]): Promise<number> {
  let values: { data?: string; nc?: string; from?: string; json?: boolean; help?: boolean; 'local-only'?: boolean; 'ignore-errors'?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { data: { type: 'string' }, nc: { type: 'string' }, from: { type: 'string' }, 'local-only': { type: 'boolean' }, 'ignore-errors': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    return fail(new AdminError((e as Error).message, EXIT.usage, 'ERR_USAGE', REPL_REMOVE_USAGE));
  }
  if (values.help) {
    process.stdout.write(REPL_REMOVE_USAGE + '\n');
    return EXIT.ok;
  }
  try {
    if (!values.data || !values.nc || !values.from) throw new AdminError('repl remove needs --data DIR, --nc DN and --from DC', EXIT.usage, 'ERR_USAGE', REPL_REMOVE_USAGE);
    const row = await replRemove({ data: values.data, nc: values.nc, from: values.from, localOnly: values['local-only'] === true, ignoreErrors: values['ignore-errors'] === true });
    if (values.json) process.stdout.write(JSON.stringify(row, null, 2) + '\n');
    else process.stdout.write(table([{ NC: row.nc, partner: row.partner, result: row.result === 0 ? 'removed' : `${row.resultHex} (${row.result})` }], ['NC', 'partner', 'result']));
    return row.result === 0 ? EXIT.ok : EXIT.refused;
  } catch (e) {
    return fail(e);
  }
}

export async function replRemove(o: { data: string; nc: string; from: string; localOnly: boolean; ignoreErrors: boolean }): Promise<ReplRemoveRow> {
  const dir = openDataDir(o.data);
  try {
    const heads = dir.store.reader.ncHeads().map((g) => ({ Guid: Buffer.from(g), StringName: dir.dnOf(dir.store.reader, Buffer.from(g)) }));
    const nc = heads.find((h) => norm(h.StringName) === norm(o.nc)) ?? ncsOf(dir).find((h) => norm(h.StringName) === norm(o.nc));
    if (!nc) throw new AdminError(`this DC holds no naming context ${o.nc}`, EXIT.notFound, 'ERR_NO_SUCH_NC', `its NCs: ${heads.map((h) => h.StringName).join('; ')}`);
    // the sources of the NC's repsFrom, by what this DC knows of them
    const known = new Map<string, ReplPartner>();
    for (const p of [...partnersOf(dir), ...topologyPartners(dir).inbound]) if (!known.has(p.dsaGuid)) known.set(p.dsaGuid, p);
    const sources = readReplicaState(dir.store.reader, nc.Guid).repsFrom.map((x) => known.get(x.uuidDsa.toString('hex'))).filter((p): p is ReplPartner => p !== undefined);
    const p = sources.find((x) => matches(dir, x, o.from));
    if (!p) throw new AdminError(`this DC does not replicate ${nc.StringName} from ${o.from}`, EXIT.notFound, 'ERR_NO_SUCH_PARTNER', 'forestd repl show --data DIR lists the inbound neighbors');
    const client = await connectOwnListener(dir);
    try {
      const { phDrs } = await client.bind({ puuidClientDsa: dir.forest.dsaGuid, pextClient: null });
      // MS-DRSR 4.1.20.1: the NC, the source by its NetworkAddress; a writable replica; synchronous
      const ulOptions = REPDEL.DRS_WRIT_REP | (o.localOnly ? REPDEL.DRS_LOCAL_ONLY : 0) | (o.ignoreErrors ? REPDEL.DRS_IGNORE_ERROR : 0);
      const { result } = await client.replicaDel({ hDrs: phDrs, pmsgDel: { version: 1, msg: { pNC: { Guid: nc.Guid, Sid: Buffer.alloc(0), StringName: nc.StringName }, pszDsaSrc: p.address, ulOptions } } });
      return { nc: nc.StringName, partner: serverName(dir, p) || p.account, dsaGuid: guidToString(Buffer.from(p.dsaGuid, 'hex')), address: p.address, result: result >>> 0, resultHex: hex8(result) };
    } finally {
      await client.close();
    }
  } finally {
    await dir.close();
  }
}
