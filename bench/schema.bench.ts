// SchemaSnapshot build time for the full v1903 schema (moved here from the unit tests: timing is
// a benchmark, never an assertion). Run: npx tsc -p . && node dist/bench/schema.bench.js
import { loadBootstrapSchema } from '../src/schema/bootstrap.js';
import { SchemaSnapshot } from '../src/schema/snapshot.js';

const b = loadBootstrapSchema();
const times: number[] = [];
for (let i = 0; i < 10; i++) times.push(new SchemaSnapshot(b.attributes, b.classes, b.prefixTable).buildTimeMs);
times.sort((x, y) => x - y);
console.log(`SchemaSnapshot build (${b.attributes.length} attributes, ${b.classes.length} classes): median ${times[5]!.toFixed(1)} ms, best ${times[0]!.toFixed(1)} ms`);
