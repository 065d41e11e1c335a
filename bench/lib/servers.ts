// The servers of the LDAP benchmarks, as separate processes: forestd (the CLI: `provision`, then
// `serve`) and an OpenLDAP slapd run from Debian's binary with its own slapd.conf in a temporary
// directory (never the system instance). Also what the benchmarks measure about a process
// (CPU ticks, RSS) and the machine (busy share), and the clean-up on exit or signal.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPENSSL_CONFIG_ARG } from '../../src/cli/openssl.js';

// ------------------------------------------------------------------------------ clean-up
const cleanups: (() => void)[] = [];
let cleaned = false;
/** Runs every registered clean-up once (last registered first). Synchronous, so it works in 'exit'. */
export function cleanupAll(): void {
  if (cleaned) return;
  cleaned = true;
  for (const f of cleanups.reverse()) {
    try {
      f();
    } catch {
      /* best effort */
    }
  }
}
export function onCleanup(f: () => void): void {
  cleanups.push(f);
}
process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}: stopping the servers and removing the temporary directories`);
    cleanupAll();
    process.exit(130);
  });
}

/** A temporary directory, removed at exit. */
export function benchTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Kills a child we started (by its pid) at exit if it still runs. */
function killAtExit(child: ChildProcess): void {
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

// ------------------------------------------------------------------------------ measurements
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime+stime of a process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(') ') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}
/** A process and all its descendants (a forestd serving with read processes), from /proc/<pid>/task/<tid>/children. */
export function treePids(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return; // gone
    }
    for (const t of tasks) {
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.trim().split(/\s+/)) if (k) walk(Number(k));
    }
  };
  walk(pid);
  return out;
}
/** utime+stime of each process, in seconds (those gone in the meantime left out). */
export function cpuByPid(pids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const p of pids) {
    try {
      m.set(p, cpuSeconds(p));
    } catch {
      /* gone */
    }
  }
  return m;
}
/** CPU of a set of processes between two readings: a process started in between counts whole, one gone in between is lost. */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let d = 0;
  for (const [p, s] of after) d += s - (before.get(p) ?? 0);
  return d;
}
/** CPU of this process's waited-for children (cutime+cstime), in seconds: the load generator's CPU. */
export function childrenCpuSeconds(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(') ') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / CLK_TCK;
}
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
/** [busy, total] jiffies of the whole machine. */
export function machineTicks(): [number, number] {
  const l = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const busy = l[0]! + l[1]! + l[2]! + l[5]! + l[6]! + l[7]!;
  return [busy, busy + l[3]! + l[4]!];
}
export function busyPct(a: [number, number], b: [number, number]): number {
  const d = b[1] - a[1];
  return d > 0 ? (100 * (b[0] - a[0])) / d : 0;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits (at most maxWaitS) for the machine to be quieter than maxPct (other work on the host); returns the busy % seen last. */
export async function waitQuiet(maxPct = 20, maxWaitS = 8): Promise<number> {
  const end = Date.now() + maxWaitS * 1000;
  for (;;) {
    const a = machineTicks();
    await sleep(700);
    const p = busyPct(a, machineTicks());
    if (p <= maxPct || Date.now() > end) return p;
  }
}

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

// ------------------------------------------------------------------------------ forestd
export const FORESTD_CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Forestd {
  data: string;
  host: string;
  url: string;
  ldapsUrl: string;
  port: number;
  ldapsPort: number;
  pid: number;
  realm: string;
  baseDN: string;
  adminDN: string;
  adminPassword: string;
  /** wall seconds of `forestd provision` */
  provisionSeconds: number;
  stop(): Promise<void>;
  /** stops `serve` and starts it again on the same data (new ports, new pid), with these node options */
  restart(nodeArgs: string[]): Promise<void>;
  alive(): boolean;
  log(): string;
}

export async function startForestd(o: { host?: string; realm?: string; netbios?: string; adminPassword?: string; nodeArgs?: string[] } = {}): Promise<Forestd> {
  const host = o.host ?? '127.0.0.1';
  const realm = o.realm ?? 'example.com';
  const netbios = o.netbios ?? 'EXAMPLE';
  const adminPassword = o.adminPassword ?? 'Adm1n-Passw0rd!';
  const data = join(benchTempDir('forestd-bench-'), 'data');
  const t0 = performance.now();
  const p = spawnSync(process.execPath, [FORESTD_CLI, 'provision', '--data', data, '--realm', realm, '--netbios', netbios, '--admin-password', adminPassword], { encoding: 'utf8', timeout: 120_000 });
  const provisionSeconds = (performance.now() - t0) / 1000;
  if (p.status !== 0) throw new Error(`forestd provision failed (${p.status}): ${p.stderr}${p.stdout}`);
  const baseDN = realm.split('.').map((l) => `DC=${l}`).join(',');
  const f: Forestd = {
    data,
    host,
    url: '',
    ldapsUrl: '',
    port: 0,
    ldapsPort: 0,
    pid: 0,
    realm,
    baseDN,
    adminDN: `CN=Administrator,CN=Users,${baseDN}`,
    adminPassword,
    provisionSeconds,
    stop: async () => {},
    restart: async () => {},
    alive: () => false,
    log: () => '',
  };
  const serve = async (nodeArgs: string[]) => {
    const child = spawn(process.execPath, [OPENSSL_CONFIG_ARG, ...nodeArgs, FORESTD_CLI, 'serve', '--data', data, '--host', host, '--ldap-port', '0', '--ldaps-port', '0', '--gc-port', '0', '--gcs-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: join(data, '..') });
    killAtExit(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      if (err.length > 200_000) err = err.slice(-100_000);
    });
    const urls = await new Promise<Record<string, string>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`forestd did not start in time:\n${out}\n${err}`)), 60_000);
      child.stdout!.on('data', (d) => {
        out += d;
        if (/^ready$/m.test(out)) {
          clearTimeout(timer);
          const m: Record<string, string> = {};
          for (const [, kind, url] of out.matchAll(/^listening (\S+) (\S+)$/gm)) m[kind!] = url!;
          resolve(m);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`forestd exited with ${code} before it was ready:\n${out}\n${err}`));
      });
    });
    f.url = urls['ldap']!;
    f.ldapsUrl = urls['ldaps']!;
    f.port = Number(new URL(f.url).port);
    f.ldapsPort = Number(new URL(f.ldapsUrl).port);
    f.pid = child.pid!;
    f.stop = () => stopChild(child, 'SIGTERM');
    f.alive = () => child.exitCode === null && child.signalCode === null;
    f.log = () => err;
  };
  f.restart = async (nodeArgs: string[]) => {
    await f.stop();
    await serve(nodeArgs);
  };
  await serve(o.nodeArgs ?? []);
  return f;
}

// ------------------------------------------------------------------------------ OpenLDAP
export interface Slapd {
  dir: string;
  url: string;
  host: string;
  port: number;
  pid: number;
  suffix: string;
  rootDN: string;
  rootPW: string;
  /** wall seconds of slapadd */
  loadSeconds: number;
  stop(): Promise<void>;
  alive(): boolean;
}

/** {SSHA} of a password, as slappasswd makes it. */
export function ssha(pw: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(pw).update(salt).digest(), salt]).toString('base64')}`;
}

/**
 * A slapd of our own: slapd.conf in a temporary directory (back-mdb, durable writes: no
 * dbnosync, equality indexes), the LDIF loaded with slapadd, served on host:port (a free port
 * when not given) by Debian's /usr/sbin/slapd in the foreground (-d 0), as root.
 */
export async function startSlapd(o: { host: string; port?: number; suffix: string; rootDN: string; rootPW: string; ldif: string; indexes: string[]; threads?: number }): Promise<Slapd> {
  const dir = benchTempDir('forestd-bench-slapd-');
  const db = join(dir, 'db');
  spawnSync('mkdir', ['-p', db]);
  const conf = join(dir, 'slapd.conf');
  writeFileSync(
    conf,
    [
      '# written by forestd bench/lib/servers.ts: the OpenLDAP reference of npm run bench:ldap',
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/nis.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      `pidfile ${join(dir, 'slapd.pid')}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'loglevel 0',
      `threads ${o.threads ?? 16}`,
      'tool-threads 2',
      'sizelimit 1000',
      '',
      'database mdb',
      'maxsize 4294967296',
      `suffix "${o.suffix}"`,
      `rootdn "${o.rootDN}"`,
      `rootpw ${ssha(o.rootPW)}`,
      `directory ${db}`,
      '# no dbnosync: every write transaction is flushed (durable, as forestd)',
      ...o.indexes.map((i) => `index ${i}`),
      'access to attrs=userPassword by self write by anonymous auth by * none',
      'access to * by * read',
      '',
    ].join('\n'),
  );
  const ldifPath = join(dir, 'data.ldif');
  writeFileSync(ldifPath, o.ldif);
  const t0 = performance.now();
  const add = spawnSync('/usr/sbin/slapadd', ['-q', '-f', conf, '-l', ldifPath], { encoding: 'utf8' });
  const loadSeconds = (performance.now() - t0) / 1000;
  if (add.status !== 0) throw new Error(`slapadd failed (${add.status}): ${add.stderr}`);
  rmSync(ldifPath);
  const port = o.port ?? (await freePort(o.host));
  const url = `ldap://${o.host}:${port}`;
  const log = createWriteStream(join(dir, 'slapd.log'));
  const child = spawn('/usr/sbin/slapd', ['-d', '0', '-h', `${url}/`, '-f', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  killAtExit(child);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let exited = false;
  child.on('exit', () => (exited = true));
  const { BenchClient } = await import('./client.js');
  for (let i = 0; ; i++) {
    try {
      const c = await BenchClient.open(o.host, port);
      c.close();
      break;
    } catch {
      if (exited || i > 100) throw new Error(`slapd did not start on ${url}: ${readFileSync(join(dir, 'slapd.log'), 'utf8').slice(-2000)}`);
      await sleep(100);
    }
  }
  return {
    dir,
    url,
    host: o.host,
    port,
    pid: child.pid!,
    suffix: o.suffix,
    rootDN: o.rootDN,
    rootPW: o.rootPW,
    loadSeconds,
    stop: () => stopChild(child, 'SIGINT'),
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

/** Runs bench/ldap/install-tools.sh (apt-get as root); returns the path of ldclt ('' in client mode: ldap-utils only). */
export function installTools(mode: 'all' | 'client' = 'all'): string {
  const script = fileURLToPath(new URL('../../../bench/ldap/install-tools.sh', import.meta.url));
  const r = spawnSync('bash', [script, mode], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status})`);
  return r.stdout.trim().split('\n').at(-1) ?? '';
}
