// npm run bench:ntlm — binds per second on a real forestd: simple binds next to NTLM binds
// (Sicily, as impacket and ldap3 send them, and SASL GSS-SPNEGO with NTLMSSP), each connection
// binding again and again, with 1 and 8 connections. Prints binds/s, latency percentiles and
// server CPU per bind; asserts nothing about time. Compare the ratios within one run.
import { readFileSync } from 'node:fs';
import { startForestd } from '../test/helpers/forestd.js';
import { LdapNtlmClient } from '../test/helpers/ldap-ntlm-client.js';
import { CLIENT_FLAGS } from '../test/helpers/ntlm-client.js';
import { NegotiateFlags as F } from '../src/security/ntlm/constants.js';
import { closedLoop } from './lib/closed-loop.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = (process.env.BENCH_CONC ?? '1,8').split(',').map(Number);

const f = await startForestd();
const url = new URL(f.url);
const host = url.hostname;
const port = Number(url.port);
const creds = { user: 'Administrator', domain: f.netbios, password: f.adminPassword };
// GSS-SPNEGO without sign/seal: every bind on the connection is a full NTLM exchange with no layer to renegotiate
const noLayer = (CLIENT_FLAGS & ~(F.SIGN | F.SEAL | F.KEY_EXCH | F.ALWAYS_SIGN)) >>> 0;

const cases: [string, (c: LdapNtlmClient) => Promise<number>][] = [
  [
    'simple bind (UPN)',
    async (c) => {
      c.send({ type: 'bindRequest', version: 3, name: f.adminUPN, authentication: { method: 'simple', password: Buffer.from(f.adminPassword) } });
      return ((await c.response())!.protocolOp as { resultCode: number }).resultCode;
    },
  ],
  ['NTLM, Sicily (2 requests)', async (c) => (await c.sicilyBind(creds)).resultCode],
  ['NTLM, SASL GSS-SPNEGO (2 requests)', async (c) => (await c.spnegoBind({ ...creds, flags: noLayer })).resultCode],
];

function serverCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

console.log(`${'case'.padEnd(36)} ${'conns'.padStart(5)} ${'binds/s'.padStart(9)} ${'mean ms'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'srv CPU µs/bind'.padStart(16)}`);
for (const [name, once] of cases) {
  for (const conc of CONCURRENCY) {
    const clients = await Promise.all(Array.from({ length: conc }, () => LdapNtlmClient.connect(host, port)));
    for (const c of clients) if ((await once(c)) !== 0) throw new Error(`${name}: bind failed`);
    const cpu0 = serverCpuSeconds(f.pid);
    const r = await closedLoop(clients, SECONDS, once, 'throw', `${name}: bind`);
    const cpu = serverCpuSeconds(f.pid) - cpu0;
    console.log(`${name.padEnd(36)} ${String(conc).padStart(5)} ${Math.round(r.perSecond).toString().padStart(9)} ${r.mean.toFixed(2).padStart(8)} ${r.pct(0.5).toFixed(2).padStart(7)} ${r.pct(0.99).toFixed(2).padStart(7)} ${Math.round((cpu / r.count) * 1e6).toString().padStart(16)}`);
    for (const c of clients) c.close();
  }
}
await f.stop();
