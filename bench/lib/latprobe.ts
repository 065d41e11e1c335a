// The latency probe of bench:ldap (ldclt reports throughput only): CONC connections, each
// synchronous (one request at a time, as ldclt's threads), for SECS seconds, timing every
// operation. Same operations as ldclt's cases. Absolute figures include this client's own cost
// (Node, one process for every connection); compare servers with the same probe.
import { BenchClient } from './client.js';
import { addOp, describe } from './load.js';
import { fill, type CaseName, type Target } from './ldclt.js';
import type { ProtocolOp } from '../../src/ldap/protocol/messages.js';

export interface ProbeResult {
  ops: number;
  opsPerSec: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError?: string;
}

const rnd = (t: Target) => t.low + Math.floor(Math.random() * (t.high - t.low + 1));

/** The request of one operation of a case (for bind, the bind on a new connection). */
export function caseOp(t: Target, c: CaseName, attrs: string[], seq: () => string): ProtocolOp {
  const n = rnd(t);
  switch (c) {
    case 'search':
      return { type: 'searchRequest', baseObject: t.searchBase, scope: 2, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'equalityMatch', attribute: t.filterAttr, value: Buffer.from(`user${n}`) }, attributes: attrs };
    case 'read':
      return { type: 'searchRequest', baseObject: `${fill(t.userRdn, n)},${t.userBase}`, scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: attrs };
    case 'bind':
      return { type: 'bindRequest', version: 3, name: fill(t.userBind, n), authentication: { method: 'simple', password: Buffer.from(fill(t.userPW, n)) } };
    case 'modify':
      return { type: 'modifyRequest', object: `${fill(t.userRdn, n)},${t.userBase}`, changes: [{ operation: 2, modification: { type: 'description', values: [Buffer.from(`probe ${Math.random()}`)] } }] };
    case 'add':
      return addOp(`cn=${seq()},${t.addBase}`, t.addAttrs);
  }
}

/** Checks one response: the result code is 0, and a search returned exactly one entry and no reference. */
export function checkResponse(c: CaseName, op: ProtocolOp, r: import('../../src/ldap/protocol/messages.js').LdapMessage[]): string | undefined {
  const last = r.at(-1)!.protocolOp as { resultCode: number; diagnosticMessage: string };
  if (last.resultCode !== 0) return `${describe(op)} -> result ${last.resultCode} ${last.diagnosticMessage}`.trim();
  if (c === 'search' || c === 'read') {
    const entries = r.filter((m) => m.protocolOp.type === 'searchResultEntry').length;
    const refs = r.filter((m) => m.protocolOp.type === 'searchResultReference').length;
    if (entries !== 1 || refs) return `${describe(op)} -> ${entries} entries, ${refs} references (want 1 entry)`;
  }
  return undefined;
}

export async function probe(t: Target, c: CaseName, conc: number, secs: number, attrs: string[], tag: string): Promise<ProbeResult> {
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let seq = 0;
  const nextName = () => `${tag}${String(seq++).padStart(6, '0')}`;
  const open = async () => {
    const cl = await BenchClient.open(t.host, t.port);
    const rc = await cl.bind(t.bindDN, t.bindPW);
    if (rc !== 0) throw new Error(`${t.name}: bind as ${t.bindDN} -> ${rc}`);
    return cl;
  };
  const clients = c === 'bind' ? [] : await Promise.all(Array.from({ length: conc }, open));
  const end = performance.now() + secs * 1000;
  const t0 = performance.now();
  const worker = async (i: number) => {
    while (performance.now() < end) {
      const op = caseOp(t, c, attrs, nextName);
      const s = performance.now();
      let err: string | undefined;
      try {
        if (c === 'bind') {
          // as ldclt's bindeach,bindonly: a new connection, a bind, an unbind
          const cl = await BenchClient.open(t.host, t.port);
          const r = await cl.request(op);
          cl.unbind();
          err = checkResponse(c, op, r);
        } else {
          err = checkResponse(c, op, await clients[i]!.request(op));
        }
      } catch (e) {
        err = `${describe(op)} -> ${(e as Error).message}`;
      }
      if (err) {
        errors++;
        firstError ??= err;
        if (errors > 100) return;
        continue;
      }
      lat.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: conc }, (_, i) => worker(i)));
  const wall = (performance.now() - t0) / 1000;
  for (const cl of clients) cl.unbind();
  lat.sort((a, b) => a - b);
  const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! : NaN);
  const r: ProbeResult = { ops: lat.length, opsPerSec: lat.length / wall, meanMs: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : NaN, p50Ms: pct(0.5), p99Ms: pct(0.99), errors };
  if (firstError) r.firstError = firstError;
  return r;
}
