// node dist/bench/perf-summary.js <perf script file> [root regex] [depth] [min %] — summarizes the
// output of bench/ldap/perf-profile.sh (perf script -F ip,sym: one stack per sample, leaf first):
// the share of CPU samples in a few kinds of work (GC, the socket syscalls, accept, close,
// malloc, the DSA's bind), then the call tree of JS frames below the frames matching the root
// regex (default uv_run: everything the event loop ran), with each node's inclusive share.
import { readFileSync } from 'node:fs';

const [file, rootArg, depthArg, minArg] = process.argv.slice(2);
if (!file) throw new Error('usage: perf-summary <perf script file> [root regex] [depth] [min %]');
const root = new RegExp(rootArg ?? 'uv_run');
const depth = Number(depthArg ?? 5);
const min = Number(minArg ?? 0.5);

const samples: string[][] = [];
let cur: string[] = [];
for (const line of readFileSync(file, 'utf8').split('\n')) {
  const t = line.trim();
  if (!t) {
    if (cur.length) samples.push(cur);
    cur = [];
    continue;
  }
  const sp = t.indexOf(' ');
  cur.push((sp < 0 ? '?' : t.slice(sp + 1)).replace(/file:\/\/\S*?\/(dist|node_modules)\//, ''));
}
if (cur.length) samples.push(cur);
const n = samples.length;
const pct = (k: number) => `${((100 * k) / n).toFixed(1).padStart(5)}%`;

const kinds: [string, RegExp][] = [
  ['gc', /Scaveng|Heap::CollectGarbage|ConcurrentMarking|MarkCompact|Sweeper|GlobalBackingStoreRegistry|MinorGC/],
  ['dsa bind', /src\/dsa\/bind\.js/],
  ['shutdown', /__GI___shutdown/],
  ['write', /StreamBase::WriteBuffer|__GI___libc_write/],
  ['accept', /uv__server_io/],
  ['close', /HandleWrap::Close|uv_close|HandleWrap::OnClose|Socket\._destroy/],
  ['malloc', /malloc|_int_free|cfree|unlink_chunk/],
];
const byKind = new Map<string, number>();
for (const st of samples) {
  const k = kinds.find(([, re]) => st.some((f) => re.test(f)))?.[0] ?? 'other';
  byKind.set(k, (byKind.get(k) ?? 0) + 1);
}
console.log(`${n} samples: ${[...byKind].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${pct(v).trim()}`).join(', ')}`);

// the JS call tree below the root (non-JS frames skipped)
const tree = new Map<string, number>();
for (const st of samples) {
  const top = [...st].reverse();
  const i = top.findIndex((f) => root.test(f));
  if (i < 0) continue;
  const path: string[] = [];
  for (const f of top.slice(i + 1)) {
    if (!f.startsWith('JS:')) continue;
    path.push(f);
    tree.set(path.join('\n'), (tree.get(path.join('\n')) ?? 0) + 1);
    if (path.length >= depth) break;
  }
}
const show = (prefix: string[]): void => {
  const kids = [...tree].filter(([k]) => {
    const a = k.split('\n');
    return a.length === prefix.length + 1 && a.slice(0, -1).join('\n') === prefix.join('\n');
  });
  for (const [k, v] of kids.sort((a, b) => b[1] - a[1])) {
    if ((100 * v) / n < min) continue;
    const a = k.split('\n');
    console.log(`${'  '.repeat(prefix.length)}${pct(v)} ${a.at(-1)!.slice(0, 140)}`);
    show(a);
  }
};
show([]);
