// node dist/bench/bind-path.bench.js [dist root …] — the DSA's share of a simple bind, in process
// (no sockets): DsaService.bind of random users (as ldclt's bind case: user1000..user9999 by DN
// or UPN), on a copy of a loaded data directory (bench/bind-ab.bench.ts BIND_AB_DATA makes one).
// Three cases: "miss" (the token cache emptied before every bind: what a first bind of an
// account costs; the group walk's memo stays warm as in a server), "hit" (the same account's
// token remembered) and "wrong" is left out (it writes). Prints process CPU per bind (µs),
// median of alternating stretches. The arguments are dist directories of builds (their src/
// is imported; default this one): each gets its own copy of the data and its stretches
// alternate with the others' in the same process (A/B under the same load).
// Environment: BIND_PATH_DATA=/tmp/bp2-data (required) BIND_PATH_ROUNDS=15 BIND_PATH_OPS=400 BIND_PATH_BIND=dn|upn
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const roots = (process.argv.length > 2 ? process.argv.slice(2) : [fileURLToPath(new URL('..', import.meta.url))]).map((r) => resolve(r));
const data = process.env.BIND_PATH_DATA;
if (!data) throw new Error('BIND_PATH_DATA: a loaded data directory (bench/bind-ab.bench.ts makes one)');
const ROUNDS = Number(process.env.BIND_PATH_ROUNDS ?? 15);
const OPS = Number(process.env.BIND_PATH_OPS ?? 400);
const BY = process.env.BIND_PATH_BIND ?? 'dn';
const pw = Buffer.from('BenchPass1');
const tmp = mkdtempSync(join(tmpdir(), 'forestd-bind-path-'));

interface Build {
  root: string;
  dir: { tokens: { clear(): void; hits: number; misses: number }; close?: () => void };
  cases: Record<string, () => Promise<void>>;
  us: Record<string, number[]>;
}
const builds: Build[] = [];
for (const [i, root] of roots.entries()) {
  const imp = (p: string) => import(pathToFileURL(join(root, p)).href);
  const { Directory } = await imp('src/dsa/directory.js');
  const { DsaService } = await imp('src/dsa/service.js');
  cpSync(data, join(tmp, `d${i}`), { recursive: true });
  const dir = Directory.open(join(tmp, `d${i}`));
  const svc = new DsaService(dir);
  const base = dir.forest.domainDN as string;
  const realm = dir.forest.realm as string;
  let seed = 7;
  const rnd = () => 1000 + ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 9000);
  const name = (n: number) => (BY === 'upn' ? `user${n}@${realm}` : `CN=user${n},OU=Bench,${base}`);
  const session = () => ({ id: 1, identity: null, encrypted: false, globalCatalog: false, remoteAddress: 'bench', saslLayer: 'none', bindState: undefined });
  const bindOne = async (n: number) => {
    const r = await svc.bind({ type: 'bindRequest', version: 3, name: name(n), authentication: { method: 'simple', password: pw } }, { session: session(), controls: [], signal: new AbortController().signal, aborted: () => false, messageID: 1 });
    if (!r.identity) throw new Error('bind gave no identity');
  };
  for (let n = 0; n < 9000; n++) await bindOne(1000 + n); // warm: names, group walk, tokens
  let k = 0;
  builds.push({
    root,
    dir,
    us: { miss: [], hit: [] },
    cases: {
      miss: async () => {
        dir.tokens.clear();
        await bindOne(rnd());
      },
      hit: async () => bindOne(1000 + (k++ % 50)),
    },
  });
}
// short alternating stretches, build by build, so that the machine's load drifts over all alike
for (let round = 0; round < ROUNDS; round++) {
  for (const b of round % 2 ? [...builds].reverse() : builds) {
    for (const k of round % 2 ? ['hit', 'miss'] : ['miss', 'hit']) {
      const op = b.cases[k]!;
      const c0 = process.cpuUsage();
      for (let i = 0; i < OPS; i++) await op();
      const c = process.cpuUsage(c0);
      b.us[k]!.push((c.user + c.system) / OPS);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(`bind-path by ${BY}, median of ${ROUNDS} × ${OPS} binds per case; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const b of builds) {
  console.log(`  ${b.root}: miss ${median(b.us.miss!).toFixed(1)} µs/bind, hit ${median(b.us.hit!).toFixed(1)} µs/bind (token cache hits ${b.dir.tokens.hits} misses ${b.dir.tokens.misses})`);
  b.dir.close?.();
}
rmSync(tmp, { recursive: true, force: true });
