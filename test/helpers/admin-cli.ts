// Runs `forestd <admin command>` against a running forestd, with the bind password in the
// environment (FORESTD_PASSWORD) unless the caller gives other settings.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, run, type RunningForestd } from './forestd.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    // 'close', not 'exit': by then stdout and stderr are drained
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The connection options for `f`, bound as Administrator, trusting its certificate. */
export function connArgs(f: RunningForestd, url = f.url): string[] {
  return ['--url', url, '--bind-dn', f.adminUPN, '--ca', join(f.dir, 'tls', 'cert.pem')];
}

export function adminEnv(f: RunningForestd, extra: Record<string, string> = {}): Record<string, string> {
  return { FORESTD_PASSWORD: f.adminPassword, ...extra };
}

/** ldapsearch (Debian's ldap-utils) as Administrator: the entries as { dn, attrs } with values. */
export async function ldapsearch(f: RunningForestd, base: string, filter = '(objectClass=*)', attrs: string[] = [], scope = 'base'): Promise<{ dn: string; attrs: Record<string, string[]> }[]> {
  const r = await run('/usr/bin/ldapsearch', ['-H', f.url, '-x', '-D', f.adminDN, '-w', f.adminPassword, '-LLL', '-o', 'ldif-wrap=no', '-E', 'pr=500/noprompt', '-s', scope, '-b', base, filter, ...attrs]);
  if (r.code === 32) return [];
  if (r.code !== 0) throw new Error(`ldapsearch exited ${r.code}: ${r.stderr}`);
  const out: { dn: string; attrs: Record<string, string[]> }[] = [];
  for (const block of r.stdout.split(/\n\n+/)) {
    const lines = block.split('\n').filter((l) => l && !l.startsWith('#'));
    if (!lines.length || !lines[0]!.startsWith('dn')) continue;
    const val = (l: string) => {
      const i = l.indexOf(':');
      const k = l.slice(0, i);
      const v = l.slice(i + 1);
      return [k, v.startsWith(':') ? Buffer.from(v.slice(1).trim(), 'base64').toString('utf8') : v.trim()] as const;
    };
    const [, dn] = val(lines[0]!);
    const attrsOut: Record<string, string[]> = {};
    for (const l of lines.slice(1)) {
      const [k, v] = val(l);
      (attrsOut[k] ??= []).push(v);
    }
    out.push({ dn, attrs: attrsOut });
  }
  return out;
}
