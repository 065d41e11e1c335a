// Waiting for replication between real forestd processes without sleeping: after each miss,
// wait for the DC's next applied replication cycle (its FORESTD_TEST_HOOKS line), within a
// deadline that fails the test.
import type { RunningForestd } from './forestd.js';

/** The test hook a serving DC prints after each replication cycle it applied. */
export const APPLIED = 'forestd:repl:applied';

/** A safety deadline: rejects after `ms` (fails the test), never resolves. */
export function deadline(ms: number, what: () => string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(what())), ms).unref());
}

/**
 * Until `check` holds on `f`: checks, and after each miss waits for `f`'s next applied
 * replication cycle before checking again; fails past the deadline.
 */
export async function untilReplicated<T>(f: RunningForestd, check: () => Promise<T | undefined>, what: string, ms = 120_000): Promise<T> {
  const limit = deadline(ms, () => `${what} on ${f.url}: not within ${ms} ms\n${f.log().slice(-2000)}`);
  for (;;) {
    const seen = f.hookCount(APPLIED);
    const r = await Promise.race([check(), limit]);
    if (r !== undefined) return r;
    await Promise.race([f.hook(APPLIED, seen + 1), limit]);
  }
}
