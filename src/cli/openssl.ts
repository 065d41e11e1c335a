// The OpenSSL configuration `serve` needs (data/openssl/forestd.cnf: no TLS 1.3 session tickets,
// which hang Samba's LDAP client). OpenSSL reads its configuration once, when Node starts, so a
// `serve` started without it runs itself again with `--openssl-config` (test and benchmark
// helpers pass the flag themselves, so the process they measure is the server).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const OPENSSL_CONFIG = fileURLToPath(new URL('../../../data/openssl/forestd.cnf', import.meta.url));
export const OPENSSL_CONFIG_ARG = `--openssl-config=${OPENSSL_CONFIG}`;

/** True when this process was started with forestd's OpenSSL configuration. */
export function hasOpenSslConfig(): boolean {
  return process.execArgv.some((a) => a.startsWith('--openssl-config'));
}

/**
 * Runs this command again under forestd's OpenSSL configuration and mirrors the child:
 * signals go to it, its exit code is ours; if this process dies the child's IPC channel
 * closes and it stops too.
 */
export function reexecWithOpenSslConfig(): Promise<never> {
  const child = spawn(process.execPath, [OPENSSL_CONFIG_ARG, ...process.execArgv, ...process.argv.slice(1)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  return new Promise<never>(() => {
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  });
}
