#!/usr/bin/env node
// forestd command line: provision | serve | start
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
// commands load lazily: `provision` need not load the LDAP server, nor `serve` the provisioner
const provisionCommand = async (o: Parameters<typeof import('./provision.js').provisionCommand>[0]) => (await import('./provision.js')).provisionCommand(o);
const dnsRecordsCommand = async (o: Parameters<typeof import('./dns-records.js').dnsRecordsCommand>[0]) => (await import('./dns-records.js')).dnsRecordsCommand(o);
const serveCommand = async (o: Parameters<typeof import('./serve.js').serveCommand>[0]) => (await import('./serve.js')).serveCommand(o);
import { DEFAULTS } from './defaults.js';
/** the most `--workers` (processes or threads) serve takes */
const MAX_WORKERS = 256;
const ADMIN = ['user', 'group', 'computer', 'ou', 'dsacl', 'domain', 'fsmo', 'ldif'];
const adminCommand = async (group: string, args: string[]) => (await import('./admin/index.js')).adminCommand(group, args);

const USAGE = `forestd — an Active Directory-compatible directory server

usage:
  forestd provision --data DIR --realm REALM --netbios NAME [--admin-password PW] [--hostname NAME]
      Create a new forest (schema, configuration and domain NCs) and this DC's objects in DIR.
      Without --admin-password a strong password is generated, printed once and kept in
      DIR/admin-password (mode 0600).
  forestd join --data DIR --source ldap://HOST:PORT --admin-password PW [--hostname NAME]
      Make DIR a new DC of the domain the source DC serves: its computer account and server
      object (made on the source over LDAP), full replicas of the schema, configuration and
      domain NCs and of the application NCs the source holds (DomainDnsZones, ForestDnsZones)
      pulled over DRS (the source serves with --repl-port), its nTDSDSA object.
      Then "forestd serve --data DIR --repl-port N" replicates with the source both ways.
  forestd serve --data DIR [--host ADDR] [--ldap-port N] [--ldaps-port N] [--gc-port N] [--gcs-port N] [--cldap-port N] [--repl-port N]
      Serve the directory in DIR over LDAP, and answer the LDAP ping over CLDAP (UDP) on
      --cldap-port (default: the LDAP port's number, as AD uses 389 for both); with --repl-port,
      also the DRS replication listener.
      --http-port N: /metrics (Prometheus text format) and /healthz over HTTP (off by default).
      --ldap-enforce-channel-binding 0|1|2 as AD's LdapEnforceChannelBinding: NTLM binds over
      TLS check the client's channel binding never (0), when sent (1, default), always (2).
      --ack-before-flush answers writes at commit, before they are on disk: for benchmarks
      only (a power loss can take back acknowledged writes).
      --workers N: N processes (or threads) serve searches; default FORESTD_WORKERS or the
      number of cores (os.availableParallelism(), at most ${MAX_WORKERS}); 1: one process alone.
      --worker-mode process|thread (default FORESTD_WORKER_MODE or process): with process, the
      serving process (the one writer) and N-1 read processes own connections: a plain LDAP or
      GC connection moves after a search to the read process with the fewest connections when
      that evens the load; read processes answer searches and send the rest to the writer. With
      thread, the LDAP thread keeps the connections and N-1 read threads answer searches.
  forestd dns-records --data DIR [--address IP] [--ldap-port N] [--gc-port N]
      Print the DNS records (SRV, A, CNAME) a DNS administrator must publish for this DC to be
      found by the DC locator (MS-ADTS 6.3.2), as zone-file lines.
  forestd backup --data DIR --out FILE [--json]
      An online backup of a DC (serving or not): one consistent, compacted copy of its store
      with a manifest (forest, DC, highest USN, time, format version, checksum).
  forestd restore --from FILE --data DIR [--json]
      Brings a stopped DC back from its backup under a new invocationId (the old one retired),
      so that its partners replicate back what it lost. Refuses a backup of another DC or forest,
      a damaged one, or one older than the tombstone lifetime.
  forestd repl show --data DIR [--json]
      This DC's replication partners per naming context (last success, last result, USNs) and
      its up-to-dateness vectors, as repadmin /showrepl and /showutdvec show them.
  forestd repl sync --data DIR [--nc DN] [--from DC] [--json]
      Ask the DC serving DIR to replicate in now from its partners (all, or --from one; every NC,
      or --nc one) and wait: per partner and NC, the result and the objects applied.
  forestd repl remove --data DIR --nc DN --from DC [--local-only] [--ignore-errors] [--json]
      Ask the DC serving DIR to stop replicating NC DN from partner DC (repadmin /delete): its
      repsFrom value goes, and the partner removes this DC from its repsTo.
  forestd user|group|computer|ou|dsacl|domain|fsmo COMMAND --url URL --bind-dn DN [--password-file FILE] [--json]
      Administer a running DC over LDAP (the password: --password-file, env FORESTD_PASSWORD, or a
      prompt). "forestd user --help" and so on list each group's commands.
  forestd ldif export|import --url URL --bind-dn DN ...
      LDIF (RFC 2849) out of and into a running DC; "forestd ldif --help".
  forestd start [--data DIR]
      Provision the default forest (${DEFAULTS.realm}) into DIR (default ./${DEFAULTS.dataDir}) on
      first run, then serve it on ${DEFAULTS.host}:${DEFAULTS.ldapPort} (LDAP).
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd !== undefined && ADMIN.includes(cmd)) return adminCommand(cmd, rest);
  try {
    switch (cmd) {
      case 'provision': {
        const { values } = parseArgs({
          args: rest,
          options: {
            data: { type: 'string' },
            realm: { type: 'string' },
            netbios: { type: 'string' },
            'admin-password': { type: 'string' },
            hostname: { type: 'string' },
          },
          strict: true,
        });
        if (!values.data || !values.realm || !values.netbios) throw new UsageError('provision needs --data, --realm and --netbios');
        await provisionCommand({ data: resolve(values.data), realm: values.realm, netbios: values.netbios, adminPassword: values['admin-password'], hostname: values.hostname });
        return 0;
      }
      case 'join': {
        const { values } = parseArgs({ args: rest, options: { data: { type: 'string' }, source: { type: 'string' }, 'admin-password': { type: 'string' }, hostname: { type: 'string' } }, strict: true });
        if (!values.data || !values.source || !values['admin-password']) throw new UsageError('join needs --data, --source and --admin-password');
        const { joinCommand } = await import('./join.js');
        await joinCommand({ data: resolve(values.data), source: values.source, adminPassword: values['admin-password'], hostname: values.hostname });
        return 0;
      }
      case 'serve': {
        const { values } = parseArgs({ args: rest, options: serveOptions, strict: true });
        if (!values.data) throw new UsageError('serve needs --data');
        await serveCommand(serveSettings(values));
        return 0;
      }
      case 'dns-records': {
        const { values } = parseArgs({ args: rest, options: { data: { type: 'string' }, address: { type: 'string' }, 'ldap-port': { type: 'string' }, 'gc-port': { type: 'string' } }, strict: true });
        if (!values.data) throw new UsageError('dns-records needs --data');
        if (values.address !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(values.address)) throw new UsageError(`--address must be an IPv4 address, not ${JSON.stringify(values.address)}`);
        await dnsRecordsCommand({ data: resolve(values.data), address: values.address, ldapPort: port(values['ldap-port'], 389, 'ldap-port'), gcPort: port(values['gc-port'], 3268, 'gc-port') });
        return 0;
      }
      case 'repl': {
        const [sub, ...args] = rest;
        if (sub === 'sync') return (await import('./repl-sync.js')).replSyncCommand(args);
        if (sub === 'remove') return (await import('./repl-remove.js')).replRemoveCommand(args);
        if (sub !== 'show') throw new UsageError(`unknown repl command ${JSON.stringify(sub ?? '')} (known: show, sync, remove)`);
        const { values } = parseArgs({ args, options: { data: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
        if (!values.data) throw new UsageError('repl show needs --data');
        const { replShowCommand } = await import('./repl-show.js');
        await replShowCommand({ data: resolve(values.data), json: values.json === true });
        return 0;
      }
      case 'backup': {
        const { values } = parseArgs({ args: rest, options: { data: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
        if (!values.data || !values.out) throw new UsageError('backup needs --data and --out');
        const { backupCommand } = await import('./backup/backup.js');
        await backupCommand({ data: resolve(values.data), out: resolve(values.out), json: values.json === true });
        return 0;
      }
      case 'restore': {
        const { values } = parseArgs({ args: rest, options: { from: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
        if (!values.from || !values.data) throw new UsageError('restore needs --from and --data');
        const { restoreCommand } = await import('./backup/restore.js');
        await restoreCommand({ from: resolve(values.from), data: resolve(values.data), json: values.json === true });
        return 0;
      }
      case 'start': {
        const { values } = parseArgs({ args: rest, options: serveOptions, strict: true });
        const data = resolve(values.data ?? DEFAULTS.dataDir);
        if (!existsSync(join(data, 'forestd.json'))) {
          console.log(`forestd: no forest in ${data} yet; provisioning ${DEFAULTS.realm}`);
          await provisionCommand({ data, realm: DEFAULTS.realm, netbios: DEFAULTS.netbios, adminPassword: undefined, hostname: undefined });
        }
        await serveCommand(serveSettings({ ...values, data }));
        return 0;
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (e as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(`forestd: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    const code = (e as { code?: string }).code;
    console.error(`forestd: ${code ? `[${code}] ` : ''}${(e as Error).message}`);
    if (process.env.FORESTD_DEBUG) console.error(e);
    return 1;
  }
}

const serveOptions = {
  data: { type: 'string' },
  host: { type: 'string' },
  'ldap-port': { type: 'string' },
  'ldaps-port': { type: 'string' },
  'gc-port': { type: 'string' },
  'gcs-port': { type: 'string' },
  'repl-port': { type: 'string' },
  'cldap-port': { type: 'string' },
  'http-port': { type: 'string' },
  'ldap-enforce-channel-binding': { type: 'string' },
  'ack-before-flush': { type: 'boolean' },
  workers: { type: 'string' },
  'worker-mode': { type: 'string' },
} as const;

function port(v: string | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name} must be a port number (0 for any free port), not ${JSON.stringify(v)}`);
  return n;
}

function serveSettings(values: { data?: string; host?: string; 'ldap-port'?: string; 'ldaps-port'?: string; 'gc-port'?: string; 'gcs-port'?: string; 'cldap-port'?: string; 'ldap-enforce-channel-binding'?: string; 'repl-port'?: string; 'http-port'?: string; 'ack-before-flush'?: boolean; workers?: string; 'worker-mode'?: string }) {
  const ldapPort = port(values['ldap-port'], DEFAULTS.ldapPort, 'ldap-port');
  const cbt = values['ldap-enforce-channel-binding'] ?? '1';
  if (cbt !== '0' && cbt !== '1' && cbt !== '2') throw new UsageError(`--ldap-enforce-channel-binding must be 0, 1 or 2, not ${JSON.stringify(cbt)}`);
  return {
    data: resolve(values.data!),
    host: values.host ?? DEFAULTS.host,
    ldapPort,
    cldapPort: port(values['cldap-port'], ldapPort, 'cldap-port'),
    ldapsPort: values['ldaps-port'] === undefined ? DEFAULTS.ldapsPort : port(values['ldaps-port'], 0, 'ldaps-port'),
    gcPort: values['gc-port'] === undefined ? DEFAULTS.gcPort : port(values['gc-port'], 0, 'gc-port'),
    gcsPort: values['gcs-port'] === undefined ? DEFAULTS.gcsPort : port(values['gcs-port'], 0, 'gcs-port'),
    enforceChannelBinding: Number(cbt) as 0 | 1 | 2,
    ackBeforeFlush: values['ack-before-flush'] === true,
    ...(values['repl-port'] === undefined ? {} : { replPort: port(values['repl-port'], 0, 'repl-port') }),
    httpPort: values['http-port'] === undefined ? undefined : port(values['http-port'], 0, 'http-port'),
    workers: workerCount(values.workers ?? process.env.FORESTD_WORKERS),
    workerMode: workerMode(values['worker-mode'] ?? process.env.FORESTD_WORKER_MODE),
  };
}

/** `--workers N`; unset: one per core (issue #14), at most MAX_WORKERS. */
export function workerCount(v: string | undefined, cores = availableParallelism()): number {
  if (v === undefined || v === '') return Math.max(1, Math.min(cores, MAX_WORKERS));
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) throw new UsageError(`--workers must be a whole number from 1 to ${MAX_WORKERS}, not ${JSON.stringify(v)}`);
  return n;
}

/** `--worker-mode`; unset: process (read processes that own their connections use the cores better than read threads). */
export function workerMode(v: string | undefined): 'thread' | 'process' {
  if (v === undefined || v === '' || v === 'process') return 'process';
  if (v === 'thread') return 'thread';
  throw new UsageError(`--worker-mode must be process or thread, not ${JSON.stringify(v)}`);
}

export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
}

// Run when executed directly (the bin), not when imported by tests.
function invokedScript(): string {
  try {
    return process.argv[1] ? realpathSync(process.argv[1]) : '';
  } catch {
    return ''; // not a file: not run as a script
  }
}
if (invokedScript() === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0) process.exit(code);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
