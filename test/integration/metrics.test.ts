// forestd serve --http-port: /metrics read with curl and parsed by a strict Prometheus
// text-format (0.0.4) parser; the counts move with the LDAP operations performed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Control } from 'ldapts';
import type { BerWriter } from 'ldapts';
import { startForestd, run, type RunningForestd } from '../helpers/forestd.js';
import { skipUnless } from '../helpers/tools.js';

let f: RunningForestd;
let off: RunningForestd;
const T = { timeout: 120_000, ...skipUnless('curl', 'ldapsearch') };

before(async () => {
  [f, off] = await Promise.all([startForestd({ httpPort: 0 }), startForestd()]);
});
after(async () => {
  await Promise.all([f?.stop(), off?.stop()]);
});

// ------------------------------------------------------------------ a strict text-format parser

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parses the Prometheus text exposition format, throwing on anything it does not allow. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  assert.ok(text.endsWith('\n'), 'the exposition ends with a line feed');
  const familyOf = (sample: string): [string, Family | undefined] => {
    for (const suffix of ['_bucket', '_sum', '_count', '']) {
      if (!sample.endsWith(suffix)) continue;
      const base = suffix ? sample.slice(0, -suffix.length) : sample;
      const fam = families.get(base);
      if (fam && (suffix === '' || fam.type === 'histogram' || fam.type === 'summary')) return [base, fam];
    }
    return [sample, undefined];
  };
  text.slice(0, -1).split('\n').forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a comment
      const [, kind, name, rest] = m;
      assert.match(name!, NAME, where);
      const fam = families.get(name!) ?? { type: 'untyped' as const, samples: [] };
      if (kind === 'TYPE') {
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest!), where);
        assert.equal(fam.samples.length, 0, `TYPE after samples: ${where}`);
        assert.ok(!families.has(name!) || families.get(name!)!.help !== undefined, `TYPE twice: ${where}`);
        fam.type = rest as Family['type'];
      } else {
        assert.equal(fam.help, undefined, `HELP twice: ${where}`);
        assert.doesNotMatch(rest!, /\\[^n\\]/, where);
        fam.help = rest!;
      }
      families.set(name!, fam);
      return;
    }
    assert.notEqual(line, '', `empty line: ${where}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    assert.ok(m, `not a sample: ${where}`);
    const [, name, labelText, valueText] = m!;
    const labels: Record<string, string> = {};
    if (labelText) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let pos = 0;
      while (pos < labelText.length) {
        re.lastIndex = pos;
        const l = re.exec(labelText);
        assert.ok(l, `bad labels at ${pos}: ${where}`);
        assert.match(l![1]!, LABEL);
        assert.ok(!(l![1]! in labels), `label twice: ${where}`);
        labels[l![1]!] = l![2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        pos = re.lastIndex;
      }
    }
    assert.match(valueText!, /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)|[+-]Inf|NaN)$/, where);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    const [, fam] = familyOf(name!);
    assert.ok(fam, `a sample before its TYPE: ${where}`);
    const key = name + JSON.stringify(Object.entries(labels).sort());
    assert.ok(!seen.has(key), `duplicate series: ${where}`);
    seen.add(key);
    if (fam!.type === 'counter') assert.ok(value >= 0, where);
    if (name!.endsWith('_bucket')) assert.ok('le' in labels, where);
    fam!.samples.push({ name: name!, labels, value });
  });
  // histograms: cumulative buckets ending in +Inf, which equals _count
  for (const [name, fam] of families) {
    if (fam.type !== 'histogram') continue;
    const groups = new Map<string, Sample[]>();
    for (const s of fam.samples) {
      const { le, ...rest } = s.labels;
      const k = JSON.stringify(Object.entries(rest).sort());
      (groups.get(k) ?? groups.set(k, []).get(k)!).push(s);
      void le;
    }
    for (const [k, ss] of groups) {
      const buckets = ss.filter((s) => s.name === `${name}_bucket`);
      for (let i = 1; i < buckets.length; i++) {
        assert.ok(Number(buckets[i]!.labels.le === '+Inf' ? Infinity : buckets[i]!.labels.le) > Number(buckets[i - 1]!.labels.le), `${name} ${k}: le ascending`);
        assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${name} ${k}: cumulative`);
      }
      assert.equal(buckets[buckets.length - 1]!.labels.le, '+Inf', `${name} ${k}`);
      const count = ss.find((s) => s.name === `${name}_count`)!;
      assert.equal(buckets[buckets.length - 1]!.value, count.value, `${name} ${k}: +Inf = _count`);
      assert.ok(ss.some((s) => s.name === `${name}_sum`), `${name} ${k}: _sum`);
    }
  }
  return families;
}

function value(fams: Map<string, Family>, sample: string, labels: Record<string, string> = {}): number {
  const base = sample.replace(/_(bucket|sum|count)$/, '');
  const fam = fams.get(sample) ?? fams.get(base);
  const s = fam?.samples.find((x) => x.name === sample && Object.entries(labels).every(([k, v]) => x.labels[k] === v) && Object.keys(x.labels).length === Object.keys(labels).length);
  return s?.value ?? 0;
}

async function scrape(): Promise<Map<string, Family>> {
  const r = await run('/usr/bin/curl', ['-sS', '--fail', '-D', '-', `${f.httpUrl}/metrics`]);
  assert.equal(r.code, 0, r.stderr);
  const [head, body] = r.stdout.split(/\r\n\r\n/, 2) as [string, string];
  assert.match(head, /^HTTP\/1\.1 200/);
  assert.match(head, /content-type: text\/plain; version=0\.0\.4/i);
  return parseExposition(body);
}

/** LDAP_SERVER_DIRSYNC_OID with flags 0, MaxBytes 0 and an empty cookie (MS-ADTS 3.1.1.3.4.1.3). */
class DirSyncControl extends Control {
  constructor() {
    super('1.2.840.113556.1.4.841', { critical: true });
  }
  protected override writeControl(w: BerWriter): void {
    w.writeBuffer(Buffer.from([0x30, 0x08, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x04, 0x00]), 0x04);
  }
}

// ------------------------------------------------------------------ tests

test('the HTTP listener is off unless --http-port is given', T, async () => {
  assert.equal(off.httpUrl, undefined);
  assert.match(f.httpUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
});

test('/healthz answers 200 with JSON; other paths 404', T, async () => {
  const h = await run('/usr/bin/curl', ['-sS', '-w', '\n%{http_code}', `${f.httpUrl}/healthz`]);
  const lines = h.stdout.split('\n');
  const code = lines.pop();
  const body = lines.join('\n');
  assert.equal(code, '200');
  const j = JSON.parse(body);
  assert.equal(j.ok, true);
  assert.ok(j.usn > 0);
  const nf = await run('/usr/bin/curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${f.httpUrl}/nothing`]);
  assert.equal(nf.stdout, '404');
});

test('/metrics parses strictly, and its counts move with the operations performed', T, async () => {
  const m0 = await scrape();
  for (const name of ['forestd_ldap_operations_total', 'forestd_ldap_operation_duration_seconds', 'forestd_ldap_connections', 'forestd_ldap_bytes_total', 'forestd_searches_total', 'forestd_usn', 'forestd_store_size_bytes', 'forestd_notification_subscribers', 'forestd_dirsync_subscribers']) assert.ok(m0.has(name), name);
  assert.ok(value(m0, 'forestd_store_size_bytes') > 0);
  // replication per partner (repsFrom): a lone DC has the families and no partner
  assert.equal(m0.get('forestd_repl_last_success_timestamp_seconds')?.samples.length, 0);

  const c = new Client({ url: f.url, timeout: 30_000 });
  await c.bind(f.adminDN, f.adminPassword);
  for (let i = 0; i < 5; i++) await c.search(f.baseDN, { scope: 'sub', filter: '(sAMAccountName=Administrator)', attributes: ['cn'] });
  await c.add(`CN=metrics1,CN=Users,${f.baseDN}`, { objectClass: 'user', sAMAccountName: 'metrics1' });
  await assert.rejects(c.add(`CN=metrics1,CN=Users,${f.baseDN}`, { objectClass: 'user', sAMAccountName: 'metrics1' }), (e: Error & { code?: number }) => e.code === 68);
  const m1 = await scrape();
  const d = (name: string, labels: Record<string, string> = {}) => value(m1, name, labels) - value(m0, name, labels);
  assert.equal(d('forestd_ldap_operations_total', { op: 'bind', result_code: '0' }), 1);
  assert.equal(d('forestd_ldap_operations_total', { op: 'search', result_code: '0' }), 5);
  assert.equal(d('forestd_ldap_operations_total', { op: 'add', result_code: '0' }), 1);
  assert.equal(d('forestd_ldap_operations_total', { op: 'add', result_code: '68' }), 1);
  assert.equal(d('forestd_ldap_operation_duration_seconds_count', { op: 'search' }), 5);
  assert.ok(d('forestd_ldap_operation_duration_seconds_sum', { op: 'search' }) > 0);
  assert.equal(d('forestd_ldap_connections_total', { event: 'open' }), 1);
  assert.equal(value(m1, 'forestd_ldap_connections'), 1);
  assert.ok(d('forestd_ldap_bytes_total', { direction: 'in' }) > 0);
  assert.ok(d('forestd_ldap_bytes_total', { direction: 'out' }) > 0);
  assert.equal(d('forestd_searches_total', { plan: 'index sAMAccountName' }), 5);
  assert.ok(value(m1, 'forestd_usn') > value(m0, 'forestd_usn'));

  // DirSync: a request counts, and the connection that made it is a subscriber while open
  await c.search(f.baseDN, { scope: 'sub', filter: '(objectClass=user)', attributes: ['cn'] }, new DirSyncControl());
  const m2 = await scrape();
  assert.equal(value(m2, 'forestd_dirsync_requests_total', { control: 'dirsync' }) - value(m1, 'forestd_dirsync_requests_total', { control: 'dirsync' }), 1);
  assert.equal(value(m2, 'forestd_dirsync_subscribers'), 1);
  await c.unbind();
});

test('change notification subscribers are counted while the search lasts', T, async () => {
  // ldapsearch with LDAP_SERVER_NOTIFICATION_OID (critical) waits for changes until killed
  const { spawn } = await import('node:child_process');
  const child = spawn('/usr/bin/ldapsearch', ['-H', f.url, '-x', '-D', f.adminDN, '-w', f.adminPassword, '-E', '!1.2.840.113556.1.4.528', '-s', 'one', '-b', `CN=Users,${f.baseDN}`, '(objectClass=*)', 'cn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000); // a safety deadline, not a wait
  try {
    // the server's test hook says when the subscription has started (src/cli/serve.ts)
    await f.hook('forestd:dirsync:notify', 1, (ev) => ev.event === 'subscribe');
    assert.equal(value(await scrape(), 'forestd_notification_subscribers'), 1);
  } finally {
    child.kill('SIGTERM');
    await exited;
    clearTimeout(deadline);
  }
  await f.hook('forestd:dirsync:notify', 1, (ev) => ev.event === 'unsubscribe');
  assert.equal(value(await scrape(), 'forestd_notification_subscribers'), 0);
});
