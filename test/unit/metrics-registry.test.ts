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
