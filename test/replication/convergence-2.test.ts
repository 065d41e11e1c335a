// Half of the convergence property's seeds (test/replication/convergence.ts); two files so that
// each runs in its own process within the per-test timeout.
import { convergenceTest } from './convergence.js';

convergenceTest(2, 2);
