// Child process for the crash-safety test: writes pairs of objects in a loop, several
// updates in flight, and prints "ack N USN" for each update after its commit resolved.
import { Store } from '../../src/store/store.js';
import type { ObjectRecord } from '../../src/store/record.js';

const dir = process.argv[2]!;
const store = Store.open(dir, { create: true });
const nc = Buffer.alloc(16, 0xaa);
if (!store.reader.getObject(nc)) {
  await store.write((w) => w.putObject(nc, { parent: null, nc, rdnType: 25, name: 'crash', ncName: 'DC=crash', usnCreated: w.usn, usnChanged: w.usn, whenChanged: 0, attrs: [] }, undefined));
}
const guidOf = (i: number, half: number) => {
  const g = Buffer.alloc(16);
  g.writeUInt32BE(i, 0);
  g.writeUInt8(half, 4);
  return g;
};
process.stdout.write('ready\n');
let i = Number(process.argv[3] ?? 0);
for (;;) {
  const batch: Promise<void>[] = [];
  for (let k = 0; k < 8; k++, i++) {
    const n = i;
    let usn = 0;
    batch.push(
      store
        .write((w) => {
          usn = w.usn;
          // one update writes two objects whose values tie them together, plus a big value
          for (const half of [0, 1]) {
            const rec: ObjectRecord = { parent: nc, nc, rdnType: 3, name: `obj-${n}-${half}`, usnCreated: w.usn, usnChanged: w.usn, whenChanged: 0, attrs: [{ id: 13, values: [`pair ${n}`, 'x'.repeat(2000)] }] };
            w.putObject(guidOf(n, half), rec, undefined);
          }
        })
        .then(() => void process.stdout.write(`ack ${n} ${usn}\n`)),
    );
  }
  await Promise.all(batch);
}
