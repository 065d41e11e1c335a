// The Prometheus text format as src/metrics/registry.ts writes it: escaping, histograms, the
// label-set cap, and a collector fed by published diagnostics_channel events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry } from '../../src/metrics/registry.js';
import { MetricsCollector } from '../../src/metrics/collector.js';

test('label values and help text are escaped (backslash, quote, line feed)', () => {
  const r = new Registry();
  const c = r.register(new Counter('x_total', 'help with \\ and\nnewline', ['v']));
  c.inc({ v: 'a"b\\c\nd' }, 2);
  assert.equal(r.render(), '# HELP x_total help with \\\\ and\\nnewline\n# TYPE x_total counter\nx_total{v="a\\"b\\\\c\\nd"} 2\n');
});

test('a histogram writes cumulative buckets, +Inf, _sum and _count', () => {
  const h = new Histogram('lat_seconds', 'h', ['op'], [0.1, 1]);
  for (const v of [0.05, 0.5, 5]) h.observe(v, { op: 'search' });
  assert.equal(
    h.render(),
    '# HELP lat_seconds h\n# TYPE lat_seconds histogram\n' +
      'lat_seconds_bucket{op="search",le="0.1"} 1\nlat_seconds_bucket{op="search",le="1"} 2\nlat_seconds_bucket{op="search",le="+Inf"} 3\n' +
      'lat_seconds_sum{op="search"} 5.55\nlat_seconds_count{op="search"} 3\n',
  );
});

test('a gauge without labels always has a sample; a collecting gauge reads at render', () => {
  let n = 7;
  assert.match(new Gauge('g', 'g').render(), /^g 0$/m);
  assert.match(new Gauge('h', 'h', [], () => n).render(), /^h 7$/m);
  n = 8;
  const g = new Gauge('h', 'h', [], () => n);
  assert.match(g.render(), /^h 8$/m);
});

test('past 500 label sets new ones count under "other"', () => {
  const c = new Counter('many_total', 'm', ['k']);
  for (let i = 0; i < 600; i++) c.inc({ k: String(i) });
  const lines = c.render().split('\n').filter((l) => l.startsWith('many_total{'));
  assert.equal(lines.length, 501);
  assert.ok(lines.includes('many_total{k="other"} 100'));
});

test('the collector counts published events and stops when closed', () => {
  const m = new MetricsCollector();
  const op = channel('forestd:ldap:operation');
  op.publish({ connectionId: 1, messageID: 1, op: 'searchRequest', durationMs: 2, resultCode: 0, abandoned: false });
  op.publish({ connectionId: 1, messageID: 2, op: 'addRequest', durationMs: 1, resultCode: 68, abandoned: false });
  channel('forestd:dsa:search').publish({ plan: 'index sAMAccountName', examined: 1, matched: 1 });
  const text = m.render();
  assert.match(text, /^forestd_ldap_operations_total\{op="search",result_code="0"\} 1$/m);
  assert.match(text, /^forestd_ldap_operations_total\{op="add",result_code="68"\} 1$/m);
  assert.match(text, /^forestd_searches_total\{plan="index sAMAccountName"\} 1$/m);
  m.close();
  assert.equal(op.hasSubscribers, false); // nobody listens: publishing is free again
  op.publish({ connectionId: 1, messageID: 3, op: 'searchRequest', durationMs: 2, resultCode: 0, abandoned: false });
  assert.match(m.render(), /^forestd_ldap_operations_total\{op="search",result_code="0"\} 1$/m);
});

test('replication partners: one sample per NC and partner, FILETIMEs as Unix seconds', () => {
  const ft = (ms: number) => BigInt(ms + 11_644_473_600_000) * 10_000n;
  const rows = [
    { nc: 'DC=example,DC=com', partner: 'CN=NTDS Settings,CN=DC2,CN=Servers,CN=S,CN=Sites,CN=Configuration,DC=example,DC=com', lastSuccess: ft(1_700_000_000_000), lastAttempt: ft(1_700_000_060_000), lastResult: 8524, consecutiveFailures: 2, usnSynced: 4711n },
    { nc: 'CN=Configuration,DC=example,DC=com', partner: 'CN=NTDS Settings,CN=DC2,CN=Servers,CN=S,CN=Sites,CN=Configuration,DC=example,DC=com', lastSuccess: 0n, lastAttempt: 0n, lastResult: 0, consecutiveFailures: 0, usnSynced: 0n },
  ];
  const m = new MetricsCollector({ replication: () => rows });
  const text = m.render();
  m.close();
  const lbl = (nc: string) => `{nc="${nc}",partner="${rows[0]!.partner}"}`;
  assert.match(text, new RegExp(`^forestd_repl_last_success_timestamp_seconds${escape(lbl('DC=example,DC=com'))} 1700000000$`, 'm'));
  assert.match(text, new RegExp(`^forestd_repl_last_attempt_timestamp_seconds${escape(lbl('DC=example,DC=com'))} 1700000060$`, 'm'));
  assert.match(text, new RegExp(`^forestd_repl_last_result${escape(lbl('DC=example,DC=com'))} 8524$`, 'm'));
  assert.match(text, new RegExp(`^forestd_repl_consecutive_failures${escape(lbl('DC=example,DC=com'))} 2$`, 'm'));
  assert.match(text, new RegExp(`^forestd_repl_usn_synced${escape(lbl('DC=example,DC=com'))} 4711$`, 'm'));
  assert.match(text, new RegExp(`^forestd_repl_lag_seconds${escape(lbl('CN=Configuration,DC=example,DC=com'))} -1$`, 'm'));
  // without a replication source there is no such family
  const none = new MetricsCollector();
  assert.doesNotMatch(none.render(), /forestd_repl_/);
  none.close();
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
