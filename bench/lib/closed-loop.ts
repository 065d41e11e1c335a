// The closed-loop load of the benchmarks: each client issues its next request as soon as the
// last one answered, for a fixed time; latencies of every request are kept for percentiles.
// What a request is (an LDAP op, an NTLM bind) is the caller's; it answers a result code.

export interface ClosedLoopResult {
  /** requests answered */
  count: number;
  /** requests per second of wall time */
  perSecond: number;
  /** wall time, s */
  seconds: number;
  /** answers with a result code other than 0 (counted only with onError 'count') */
  errors: number;
  /** mean latency, ms */
  mean: number;
  /** the latency at quantile p (0..1), ms */
  pct(p: number): number;
}

/**
 * Runs `once` on every client in a loop for `seconds`. A non-zero result code either throws
 * (`onError: 'throw'`, naming `what`) or is counted.
 */
export async function closedLoop<C>(clients: readonly C[], seconds: number, once: (c: C) => Promise<number>, onError: 'throw' | 'count', what = 'request'): Promise<ClosedLoopResult> {
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < end) {
        const s = performance.now();
        const rc = await once(c);
        lat.push(performance.now() - s);
        if (rc === 0) continue;
        if (onError === 'throw') throw new Error(`${what} failed with result ${rc}`);
        errors++;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return {
    count: lat.length,
    perSecond: lat.length / wall,
    seconds: wall,
    errors,
    mean: lat.reduce((a, b) => a + b, 0) / lat.length,
    pct: (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!,
  };
}
