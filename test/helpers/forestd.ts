// Starts a real forestd for integration tests: `forestd provision` into a temporary data
// directory, then `forestd serve` on ephemeral loopback ports, as separate processes. Serve runs
// with `--workers 1` (one process, as before the default became one process per core) unless the
// test passes `--workers` in serveArgs or asks for the CLI's defaults (cliWorkerDefaults): tests
// that count hook or diagnostics events of the serving process, or reach its in-process state,
// keep their meaning, and CI starts one process per server, not one per core.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';
import { OPENSSL_CONFIG_ARG } from '../../src/cli/openssl.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
export const CLI = fileURLToPath(new URL(`../../src/cli/main${ext}`, import.meta.url));

/** How long hook() waits for its event before it fails the test (default; a per-call deadline overrides it). */
const HOOK_DEADLINE_MS = 120_000;

export interface RunningForestd {
  dir: string;
  url: string;
  ldapsUrl: string;
  gcUrl: string;
  /** the global catalog over TLS (AD: 3269) */
  gcsUrl: string;
  /** the PEM certificate forestd made at first start (<data>/tls/), for clients' CA file */
  certPath: string;
  port: number;
  ldapsPort: number;
  /** http://HOST:PORT of the metrics listener, when started with httpPort */
  httpUrl?: string;
  /** the UDP port of the CLDAP listener (LDAP ping) */
  cldapPort: number;
  /** process id of the serving forestd */
  pid: number;
  realm: string;
  netbios: string;
  baseDN: string;
  adminDN: string;
  adminUPN: string;
  adminPassword: string;
  /** stops the server and removes its data directory, unless `keepData` (to serve it again: StartOptions.data) */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** the server's stderr so far (for failure messages) */
  log(): string;
  /** the serving process has not exited */
  alive(): boolean;
  /** resolves when the serving process (or its wrapper) has exited */
  exited(): Promise<void>;
  /** every "listening <name> <url>" line of serve, by name (ldap, ldaps, gc, gc-tls, drs) */
  listeners: Record<string, string>;
  /**
   * Resolves with the `n`-th (from 1, counting from the start) test hook event of `channel`
   * (src/cli/serve.ts testHooks), e.g. hook('forestd:dirsync:notify', 1).
   */
  hook(channel: string, n: number, pred?: (ev: Record<string, unknown>) => boolean, deadlineMs?: number): Promise<Record<string, unknown>>;
  /** How many test hook events of `channel` (matching `pred`) have arrived so far. */
  hookCount(channel: string, pred?: (ev: Record<string, unknown>) => boolean): number;
}

/** ldap-utils' arguments for a simple bind as f's administrator (-x -H URL -D DN -w password). */
export function adminToolArgs(f: RunningForestd): string[] {
  return ['-x', '-H', f.url, '-D', f.adminDN, '-w', f.adminPassword];
}

export function runCli(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ? { ...process.env, ...opts.env } : process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface StartOptions {
  realm?: string;
  netbios?: string;
  adminPassword?: string;
  /** loopback address to serve on (default 127.0.0.1); tools that insist on port 389 get one of their own */
  host?: string;
  /** fixed ports (default 0: ephemeral); the CLDAP port defaults to the LDAP port's number */
  ldapPort?: number;
  ldapsPort?: number;
  gcPort?: number;
  gcsPort?: number;
  /** more `forestd serve` options; without `--workers` here, serve gets `--workers 1` */
  serveArgs?: string[];
  /** serve with the CLI's worker defaults (no `--workers 1`, FORESTD_WORKERS and FORESTD_WORKER_MODE unset): one process per core */
  cliWorkerDefaults?: boolean;
  /** serve this provisioned data directory (kept on stop) instead of provisioning a new one */
  data?: string;
  /** run `forestd serve` under this command (e.g. ['strace', '-f', …]); pid is then the wrapper's */
  wrap?: string[];
  /** serve /metrics and /healthz on this HTTP port (0: any free one); off when undefined */
  httpPort?: number;
  /** more node options for the `forestd serve` process (e.g. ['--cpu-prof']) */
  nodeArgs?: string[];
  /** more environment for `forestd serve` (e.g. FORESTD_RID_BLOCK_SIZE) */
  env?: Record<string, string>;
}

/** A provisioned data directory (example.com, EXAMPLE, the default admin password) in a temporary directory of its own, kept across restarts. */
export async function provisionedData(prefix: string): Promise<{ data: string; cleanup: () => void }> {
  const { dir, cleanup } = tempDir(prefix);
  const data = join(dir, 'data');
  const p = await runCli(['provision', '--data', data, '--realm', 'example.com', '--netbios', 'EXAMPLE', '--admin-password', 'Adm1n-Passw0rd!']);
  if (p.code !== 0) throw new Error(`provision failed: ${p.stderr}`);
  return { data, cleanup };
}

export async function startForestd(o: StartOptions = {}): Promise<RunningForestd> {
  const realm = o.realm ?? 'example.com';
  const netbios = o.netbios ?? 'EXAMPLE';
  const adminPassword = o.adminPassword ?? 'Adm1n-Passw0rd!';
  const { dir, cleanup } = o.data ? { dir: o.data, cleanup: () => {} } : tempDir('forestd-it-');
  const data = o.data ?? join(dir, 'data');
  if (!o.data) {
    const p = await runCli(['provision', '--data', data, '--realm', realm, '--netbios', netbios, '--admin-password', adminPassword]);
    if (p.code !== 0) throw new Error(`provision failed (${p.code}): ${p.stderr}${p.stdout}`);
  }
  const argv = [process.execPath, OPENSSL_CONFIG_ARG, ...process.execArgv, ...(o.nodeArgs ?? []), CLI, 'serve', '--data', data, '--host', o.host ?? '127.0.0.1', '--ldap-port', String(o.ldapPort ?? 0), '--ldaps-port', String(o.ldapsPort ?? 0), '--gc-port', String(o.gcPort ?? 0), '--gcs-port', String(o.gcsPort ?? 0), ...(o.httpPort === undefined ? [] : ['--http-port', String(o.httpPort)]), ...(o.cliWorkerDefaults || o.serveArgs?.includes('--workers') ? [] : ['--workers', '1']), ...(o.serveArgs ?? [])];
  const cmd = [...(o.wrap ?? []), ...argv];
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.env, FORESTD_TEST_HOOKS: '1' };
  if (o.cliWorkerDefaults) {
    delete env['FORESTD_WORKERS'];
    delete env['FORESTD_WORKER_MODE'];
  }
  const child: ChildProcess = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  const hooks: Array<{ channel: string; ev: Record<string, unknown> }> = [];
  const hookWaiters = new Set<() => void>();
  let lineBuf = '';
  child.stdout!.on('data', (d) => {
    lineBuf += d;
    const lines = lineBuf.split('\n');
    lineBuf = lines.pop()!;
    for (const l of lines) {
      const m = /^hook (\S+) (.*)$/.exec(l);
      if (m) hooks.push({ channel: m[1]!, ev: JSON.parse(m[2]!) as Record<string, unknown> });
    }
    for (const w of [...hookWaiters]) w();
  });
  child.stderr!.on('data', (d) => (err += d));
  const urls = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`forestd did not start in time:\n${out}\n${err}`)), 90_000);
    child.stdout!.on('data', (d) => {
      out += d;
      // serve prints one "listening <kind> <url>" line per listener, then "ready"
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
  const baseDN = realm.split('.').map((l) => `DC=${l}`).join(',');
  const url = urls['ldap']!;
  const ldapsUrl = urls['ldaps']!;
  return {
    dir: data,
    url,
    ldapsUrl,
    gcUrl: urls['gc']!,
    gcsUrl: urls['gc-tls']!,
    certPath: join(data, 'tls', 'cert.pem'),
    httpUrl: urls['http'],
    port: Number(new URL(url).port),
    pid: child.pid!,
    ldapsPort: Number(new URL(ldapsUrl).port),
    cldapPort: urls['cldap'] ? Number(new URL(urls['cldap']).port) : 0,
    realm,
    netbios,
    baseDN,
    adminDN: `CN=Administrator,CN=Users,${baseDN}`,
    adminUPN: `Administrator@${realm}`,
    adminPassword,
    listeners: urls,
    log: () => err,
    alive: () => child.exitCode === null && child.signalCode === null,
    exited: () => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()))),
    hookCount: (channel, pred = () => true) => hooks.filter((h) => h.channel === channel && pred(h.ev)).length,
    hook(channel, n, pred = () => true, deadlineMs = HOOK_DEADLINE_MS) {
      return new Promise((resolve, reject) => {
        // a deadline, not a wait: the event resolves it at once; a test whose event never comes fails with what did
        const timer = setTimeout(() => {
          hookWaiters.delete(check);
          const seen = hooks.filter((h) => h.channel === channel && pred(h.ev)).length;
          reject(new Error(`no ${channel} #${n} within ${deadlineMs} ms (${seen} seen)`));
        }, deadlineMs);
        timer.unref();
        const check = (): void => {
          const found = hooks.filter((h) => h.channel === channel && pred(h.ev));
          if (found.length >= n) {
            hookWaiters.delete(check);
            clearTimeout(timer);
            resolve(found[n - 1]!.ev);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            hookWaiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`forestd exited while a test waited for ${channel} #${n}`));
          }
        };
        hookWaiters.add(check);
        check();
      });
    },
    async stop(so = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      if (!so.keepData) cleanup();
    },
  };
}

/**
 * Runs a command (an LDAP client) and returns its output. A client that hangs is killed after
 * `timeoutMs` (default 120 s) and the promise rejects, naming the command: a safety deadline that
 * fails the test, never a wait.
 */
export function run(cmd: string, args: string[], input?: string, env?: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    const ms = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: no exit within ${ms} ms (killed)\n${stdout}\n${stderr}`));
    }, ms);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // 'close', not 'exit': the output pipes are drained by then (an 'exit' may come before the last stderr chunk)
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // a client that exits before reading its stdin (ldapsearch) closes the pipe: not an error of the test
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') {
        clearTimeout(timer);
        reject(e);
      }
    });
    child.stdin.end(input ?? '');
  });
}

export { PYTHON } from './tools.js';

/**
 * Whether an external tool is installed. Missing: the test skips, unless FORESTD_REQUIRE_ALL=1
 * (CI), where it fails.
 */
export function haveTool(path: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.FORESTD_REQUIRE_ALL === '1') throw new Error(`${path} is not installed (FORESTD_REQUIRE_ALL=1)`);
  return false;
}

export function readAdminPassword(dir: string): string {
  return readFileSync(join(dir, 'admin-password'), 'utf8').trim();
}
