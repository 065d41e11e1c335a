// Every USN a client or a partner DC can see comes from committed state (issue #14): between
// an update's commit and its flush, dc.usn − 1 already counts it, but the metrics gauge (also
// /healthz, which reads the same value as the rootDSE's highestCommittedUSN) and the destination's own UTD cursor in a
// GetNCChanges request do not, until the update is on disk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Directory } from '../../src/dsa/directory.js';
import { MetricsCollector } from '../../src/metrics/collector.js';
import { replicaContextOf } from '../../src/dsa/replica-context.js';
import { nextRequest } from '../../src/dsa/replica/pull.js';
import { USERS, fixture, mod } from './dsa-fixture.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
});
after(() => close());

const gauge = (m: MetricsCollector) => Number(/^forestd_usn (\d+)$/m.exec(m.render())![1]);

interface Seen {
  usn: number;
  inMemory: number;
  durable: number;
  gauge: number;
  ownCursor: number;
  committed: number;
}

test('between commit and flush: dc.usn − 1 counts the update, the USNs clients and partners see do not', async () => {
  const metrics = new MetricsCollector({ store: d.store });
  const rctx = replicaContextOf(d);
  const nc = { Guid: d.forest.domainNC, StringName: d.forest.domainDN };
  const own = (r: ReturnType<typeof nextRequest>) => r.pUpToDateVecDest!.rgCursors.find((c) => c.uuidDsa.equals(d.store.dc.invocationId))!.usnHighPropUpdate;
  const before = d.store.highestCommittedUsn;
  const seen: Seen[] = [];
  const hook = (m: unknown) => {
    const usn = (m as { usn: number }).usn;
    if (usn === 0) return;
    seen.push({ usn, inMemory: d.store.dc.usn - 1, durable: d.store.highestCommittedUsn, gauge: gauge(metrics), ownCursor: own(nextRequest(rctx, d.store.reader, nc, Buffer.alloc(16, 1), Buffer.alloc(16, 2))), committed: d.store.committedUsn });
  };
  subscribe('forestd:store:committed', hook);
  try {
    await mod(d, `CN=Guest,${USERS}`, [['replace', 'description', ['seen before the flush?']]]);
  } finally {
    unsubscribe('forestd:store:committed', hook);
  }
  assert.equal(seen.length, 1, 'the hook ran once, after the commit');
  const s = seen[0]!;
  assert.ok(s.usn > before);
  // negative control: the in-memory counter already counts the update
  assert.equal(s.inMemory, s.usn, 'dc.usn − 1 is ahead of what is durable');
  assert.equal(s.committed, s.usn, 'the commit is visible to readers');
  // what clients and partners see: the durable state only
  assert.equal(s.durable, before);
  assert.equal(s.gauge, before, 'the forestd_usn gauge (and /healthz) reads the durable USN');
  assert.equal(s.ownCursor, before, "the destination's own UTD cursor claims durable updates only");
  // after the flush all of them move
  assert.equal(d.store.highestCommittedUsn, s.usn);
  assert.equal(gauge(metrics), s.usn);
  assert.equal(own(nextRequest(rctx, d.store.reader, nc, Buffer.alloc(16, 1), Buffer.alloc(16, 2))), s.usn);
  metrics.close();
});
