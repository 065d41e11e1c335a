// node dist/bench/bind-ab.bench.js — A/B of the simple-bind path (ldclt's bind case: a new TCP
// connection per operation, a simple bind as a random user of 9,000, an unbind) between builds
// of forestd served side by side on copies of the same data, runs alternated round by round so
// that the load of the machine hits every build alike. Prints, per build, the medians of the
// server's CPU per bind (utime+stime from /proc over the run / operations) and of ops/s.
//
// Environment:
//   BIND_AB_BUILDS=name=/path/to/dist/src/cli/main.js[;node flag;…],...  (default: this build, as "this")
//   BIND_AB_SCRIPTS=name=/path/to/script.mjs [args],...  also measure `node script [args] <port>`
//                      (e.g. floor=dist/bench/ldap-floor.bench.js: a Node server that answers binds with canned bytes)
//   BIND_AB_DATA=dir   a loaded data directory to copy (made there, provisioned and loaded by this
//                      build, when it does not exist: 10,000 users, 200 groups of 50, as bench:ldap,
//                      then every user the case picks binds once: lib/load.ts logonPass)
//   BIND_AB_ROUNDS=5  BIND_AB_CONC=8 (one or more, comma-separated)  BIND_AB_SAMPLES=2 (2 s each, + 1 warm-up)
//   BIND_AB_BIND=dn|upn
//   BIND_AB_SERVE_ARGS=name=--workers 2 --worker-mode process,...  more `serve` options for a build
//                      (e.g. one build twice: BIND_AB_BUILDS=w1=…/main.js,p2=…/main.js, w=1 against process mode)
//   BIND_AB_WRITES=0   writes per second during each run, as in a domain in use: one administrator
//                      connection replaces the description of a random user the bind case does not
//                      pick (user0..user999); their CPU is counted with the binds'
// The CPU counted is that of the serving process and its descendants (read processes).
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { BenchClient } from './lib/client.js';
import { startForestd, installTools, cpuSeconds, treePids, benchTempDir, onCleanup, cleanupAll, freePort } from './lib/servers.js';
import { bulkLoad, adOus, adUsers, adGroups, logonPass, USER_PASSWORD, type DataSet } from './lib/load.js';
import { ldcltArgs, runLdclt, type Target } from './lib/ldclt.js';
import { OPENSSL_CONFIG_ARG } from '../src/cli/openssl.js';
import { FORESTD_CLI } from './lib/servers.js';

const env = process.env;
const ROUNDS = Number(env.BIND_AB_ROUNDS ?? 5);
const CONC = (env.BIND_AB_CONC ?? '8').split(',').map(Number);
const SAMPLES = Number(env.BIND_AB_SAMPLES ?? 2);
const BIND = env.BIND_AB_BIND ?? 'dn';
const WRITES = Number(env.BIND_AB_WRITES ?? 0);
const builds = (env.BIND_AB_BUILDS ?? `this=${FORESTD_CLI}`).split(",").filter(Boolean).map((s) => {
  const i = s.indexOf('=');
  const [cli, ...flags] = s.slice(i + 1).split(';');
  return { name: s.slice(0, i), cli: cli!, flags };
});
const serveArgs = new Map(
  (env.BIND_AB_SERVE_ARGS ?? '').split(',').filter(Boolean).map((s) => {
    const i = s.indexOf('=');
    return [s.slice(0, i), s.slice(i + 1).split(' ').filter(Boolean)] as const;
  }),
);
const DATA: DataSet = { users: 10_000, groups: 200, groupSize: 50 };
const realm = 'example.com';
const baseDN = 'DC=example,DC=com';
const adminPassword = 'Adm1n-Passw0rd!';

const ldclt = installTools();
const work = benchTempDir('forestd-bind-ab-');

// ------------------------------------------------------------------ the data, loaded once
const template = env.BIND_AB_DATA ?? join(work, 'template');
if (!existsSync(template)) {
  console.log(`== provisioning and loading ${template}`);
  const fd = await startForestd({ host: '127.0.0.1', adminPassword });
  const adminTls = async () => {
    const c = await BenchClient.openTls(fd.host, fd.ldapsPort);
    const rc = await c.bind(fd.adminDN, fd.adminPassword);
    if (rc !== 0) throw new Error(`bind as ${fd.adminDN} -> ${rc}`);
    return c;
  };
  await bulkLoad(adOus(fd.baseDN), { label: 'OUs', total: 3, connections: 1, inFlight: 1, open: adminTls });
  await bulkLoad(adUsers(fd.baseDN, fd.realm, DATA), { label: 'users', total: DATA.users, connections: 4, inFlight: 16, open: adminTls });
  await bulkLoad(adGroups(fd.baseDN, DATA), { label: 'groups', total: DATA.groups, connections: 4, inFlight: 4, open: adminTls });
  // the users the bind case picks have logged on before (a first logon writes lastLogonTimestamp)
  const s = await logonPass(fd.host, fd.port, (n) => `CN=user${n},OU=Bench,${fd.baseDN}`, 1000, 9999);
  console.log(`  logon pass: 9000 users bound once in ${s.toFixed(1)} s`);
  await fd.stop();
  mkdirSync(template, { recursive: true });
  cpSync(fd.data, template, { recursive: true });
}

// ------------------------------------------------------------------ the servers
interface Server {
  name: string;
  pid: number;
  port: number;
  child: ChildProcess;
}
async function serve(name: string, args: string[]): Promise<Server> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-20_000)));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /^listening ldap ldap:\/\/\S*:(\d+)\/?$/m.exec(out);
      if (/^ready$/m.test(out) && m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${out}\n${err}`)));
  });
  return { name, pid: child.pid!, port, child };
}
const servers: Server[] = [];
for (const b of builds) {
  const d = join(work, `data-${b.name}`);
  cpSync(template, d, { recursive: true });
  servers.push(await serve(b.name, [OPENSSL_CONFIG_ARG, ...b.flags, b.cli, 'serve', '--data', d, '--host', '127.0.0.1', '--ldap-port', '0', '--ldaps-port', '0', '--gc-port', '0', '--gcs-port', '0', ...(serveArgs.get(b.name) ?? [])]));
}
// other servers: `node <script> [args…] <port>` (e.g. dist/bench/ldap-floor.bench.js, canned answers)
const scripts = (env.BIND_AB_SCRIPTS ?? '').split(',').filter(Boolean);
for (const spec of scripts) {
  const eq = spec.indexOf('=');
  const port = await freePort('127.0.0.1');
  const child = spawn(process.execPath, [...spec.slice(eq + 1).split(' '), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  onCleanup(() => child.kill('SIGKILL'));
  await new Promise((r) => {
    child.stdout!.once('data', r);
    setTimeout(r, 1000);
  });
  servers.push({ name: spec.slice(0, eq), pid: child.pid!, port, child });
}
for (const s of servers) console.log(`  ${s.name}: pid ${s.pid}, port ${s.port}`);

const target = (s: Server): Target => ({
  name: s.name,
  url: `ldap://127.0.0.1:${s.port}`,
  host: '127.0.0.1',
  port: s.port,
  pids: () => [s.pid],
  bindDN: '',
  bindPW: '',
  searchBase: '',
  filterAttr: '',
  userRdn: 'CN=user{N}',
  userBase: `OU=Bench,${baseDN}`,
  userBind: BIND === 'upn' ? `user{N}@${realm}` : `CN=user{N},OU=Bench,${baseDN}`,
  userPW: USER_PASSWORD,
  addBase: '',
  addTemplate: '',
  addAttrs: {},
  low: 1000,
  high: 9999,
});

// ------------------------------------------------------------------ the writes beside the binds (BIND_AB_WRITES)
async function writeLoad(port: number): Promise<{ stop(): Promise<number> }> {
  const c = await BenchClient.open('127.0.0.1', port);
  const rc = await c.bind(`CN=Administrator,CN=Users,${baseDN}`, adminPassword);
  if (rc !== 0) throw new Error(`bind as Administrator -> ${rc}`);
  let n = 0;
  let busy: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    const i = Math.floor(Math.random() * 1000);
    busy = busy.then(() => c.request({ type: 'modifyRequest', object: `CN=user${i},OU=Bench,${baseDN}`, changes: [{ operation: 2, modification: { type: 'description', values: [Buffer.from(`write ${n}`)] } }] })).then(() => n++);
  }, 1000 / WRITES);
  return {
    async stop() {
      clearInterval(timer);
      await busy;
      c.close();
      return n;
    },
  };
}

// ------------------------------------------------------------------ the rounds
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const results = new Map<string, { cpu: number[]; ops: number[]; errors: number }>();
for (const conc of CONC) {
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const s of order) {
      const t = target(s);
      const args = ldcltArgs(t, 'bind', conc, { samples: SAMPLES, sampleS: 2, attrs: '', tag: 'ab', templateFile: '' });
      // the serving process and its read processes (serve --worker-mode process)
      const treeCpu = () => treePids(s.pid).reduce((t, p) => t + cpuSeconds(p), 0);
      const c0 = treeCpu();
      const writer = WRITES > 0 ? await writeLoad(s.port) : undefined;
      const r = await runLdclt(ldclt, args, join(work, `ldclt-${s.name}-${conc}-${round}.log`), (SAMPLES + 1) * 2 + 60);
      const written = writer ? await writer.stop() : 0;
      const cpu = treeCpu() - c0;
      const k = `${s.name} c=${conc}`;
      const e = results.get(k) ?? { cpu: [], ops: [], errors: 0 };
      e.cpu.push((1e6 * cpu) / r.total);
      e.ops.push(r.opsPerSec);
      e.errors += r.errors;
      results.set(k, e);
      console.log(`  round ${round} ${k.padEnd(14)} ${r.opsPerSec.toFixed(0).padStart(6)} ops/s  ${((1e6 * cpu) / r.total).toFixed(1).padStart(6)} µs/op${WRITES > 0 ? `  (${written} writes)` : ''}${r.errors ? `  ${r.errors} ERRORS ${r.errorLines.join(' | ')}` : ''}  load ${loadavg()[0]!.toFixed(2)}`);
    }
  }
}
console.log(`\n# bind A/B, ${ROUNDS} rounds, by ${BIND}${WRITES > 0 ? `, ${WRITES} writes/s beside` : ''}, load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const [k, e] of results) console.log(`  ${k.padEnd(16)} median ${median(e.cpu).toFixed(1).padStart(6)} µs/op (${e.cpu.map((x) => x.toFixed(0)).join(' ')})  ${median(e.ops).toFixed(0).padStart(6)} ops/s${e.errors ? `  ${e.errors} errors` : ''}`);
for (const s of servers) s.child.kill('SIGTERM');
cleanupAll();
process.exit(0);
