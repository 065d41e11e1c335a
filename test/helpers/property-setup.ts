// Loaded into every test process by scripts/run-tests.mjs (--import): every fast-check property
// of the suite runs with a fixed seed (the same cases on every run, in CI too) unless
// FORESTD_PROPERTY_SEED says otherwise; FORESTD_PROPERTY_RUNS=N runs N cases per property that
// does not fix its own count, with a random seed (printed by fast-check on failure).
import fc from 'fast-check';
import { propertyParams } from './property.js';

const { seed, numRuns } = propertyParams(100);
fc.configureGlobal({ seed, ...(process.env.FORESTD_PROPERTY_RUNS ? { numRuns } : {}) });
