// <data>/forestd.pid: written by `forestd serve` while it serves a data directory, so that
// `forestd restore` can refuse to replace the store under a running DC. A file left by a
// process that died is recognised by its pid no longer running.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PID_FILE = 'forestd.pid';

/** Marks `dataDir` as served by this process; returns the function that removes the mark. */
export function markServing(dataDir: string): () => void {
  const path = join(dataDir, PID_FILE);
  writeFileSync(path, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
    } catch {
      // already gone
    }
  };
}

/** The pid of a live process serving `dataDir`, if any. */
export function servingPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, PID_FILE), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    // EPERM: the process exists (another user's)
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
