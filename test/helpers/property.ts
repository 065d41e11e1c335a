// fast-check parameters for model-based properties: a fixed seed (the same cases every run, in
// CI too) unless FORESTD_PROPERTY_SEED says otherwise; FORESTD_PROPERTY_RUNS=N asks for a longer
// run, with a random seed (fast-check prints it, and the counterexample, on failure) unless
// FORESTD_PROPERTY_SEED fixes one.
export const DEFAULT_SEED = 0x5eed_f0e5;

export function propertyParams(defaultRuns: number): { numRuns: number; seed: number; endOnFailure: boolean } {
  const runs = process.env.FORESTD_PROPERTY_RUNS;
  const seedVar = process.env.FORESTD_PROPERTY_SEED;
  const numRuns = runs ? Number(runs) : defaultRuns;
  if (!Number.isInteger(numRuns) || numRuns < 1) throw new Error(`FORESTD_PROPERTY_RUNS=${runs}: a positive integer, please`);
  const seed = seedVar !== undefined ? Number(seedVar) : runs ? Math.floor(Math.random() * 2 ** 31) : DEFAULT_SEED;
  return { numRuns, seed, endOnFailure: false };
}
