// npm run bench:dos — does a client looping 10 MB password binds slow everybody else? A real
// forestd; one raw connection sends simple binds whose password is 10,000,000 bytes (just under
// MaxReceiveBuffer) as fast as the server answers them, while an ldapts client reads the rootDSE
// in a loop. Prints the reader's p50/p99 latency without and with the attacker, and how many
// huge binds the server answered. Asserts nothing about time (the issue's target: p99 < 50 ms).
import net from 'node:net';
import { Client } from 'ldapts';
import { startForestd } from '../test/helpers/forestd.js';
import { encodeMessage } from '../src/ldap/protocol/codec.js';
import { MessageFramer } from '../src/ldap/protocol/framer.js';
import type { LdapMessage } from '../src/ldap/protocol/messages.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PASSWORD_BYTES = Number(process.env.BENCH_PASSWORD_BYTES ?? 10_000_000);

const f = await startForestd();
const url = new URL(f.url);

async function readRootDse(seconds: number): Promise<number[]> {
  const c = new Client({ url: f.url, timeout: 60_000 });
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await c.search('', { scope: 'base', attributes: ['dnsHostName', 'currentTime'] });
    lat.push(performance.now() - t);
  }
  await c.unbind();
  return lat.sort((a, b) => a - b);
}

/** Loops huge binds on one socket until stopped; resolves with the number of answers. */
function attacker(): { stop(): Promise<number> } {
  const pdu = encodeMessage({
    messageID: 1,
    protocolOp: { type: 'bindRequest', version: 3, name: f.adminDN, authentication: { method: 'simple', password: Buffer.alloc(PASSWORD_BYTES, 0x61) } },
    controls: [],
  } as LdapMessage);
  const s = net.connect({ host: url.hostname, port: Number(url.port) });
  const framer = new MessageFramer();
  let answers = 0;
  let stopped = false;
  s.on('error', () => {});
  s.on('connect', () => s.write(pdu));
  s.on('data', (chunk: Buffer) => {
    for (const _ of framer.push(chunk)) {
      answers++;
      if (!stopped) s.write(pdu);
    }
  });
  return {
    async stop() {
      stopped = true;
      s.destroy();
      return answers;
    },
  };
}

const pct = (xs: number[], p: number): string => (xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN).toFixed(2);
try {
  const quiet = await readRootDse(SECONDS);
  const a = attacker();
  const loud = await readRootDse(SECONDS);
  const binds = await a.stop();
  console.log(`${'rootDSE reads'.padEnd(28)} ${'reads'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
  console.log(`${'alone'.padEnd(28)} ${String(quiet.length).padStart(7)} ${pct(quiet, 50).padStart(8)} ${pct(quiet, 99).padStart(8)}`);
  console.log(`${`beside ${PASSWORD_BYTES / 1e6} MB password binds`.padEnd(28)} ${String(loud.length).padStart(7)} ${pct(loud, 50).padStart(8)} ${pct(loud, 99).padStart(8)}`);
  console.log(`huge binds answered in ${SECONDS} s: ${binds} (${(binds / SECONDS).toFixed(1)}/s, ${((binds * PASSWORD_BYTES) / SECONDS / 1e6).toFixed(0)} MB/s)`);
} finally {
  await f.stop();
}
