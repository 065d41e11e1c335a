// The intra-site replication topology (MS-ADTS 6.2 "Knowledge Consistency Checker", 6.2.2.2
// the intrasite connections), computed from the nTDSDSA objects of the configuration NC: which
// DCs of this DC's site each DC replicates from. forestd keeps it in memory and derives the
// Replicator's partners from it (inbound: pull; outbound: notify); it writes no nTDSConnection
// objects (6.1.1.2.2.1.2.1.2) yet.
//
// MS-ADTS 6.2.2.2, for each NC x: R is the sequence of the writable replicas of x on the DCs of
// the site (the local DC's included), sorted by the objectGUID of their nTDSDSA objects (the
// 16 bytes in their MS-DTYP order). Each r(i) gets an edge from r(i+1) and from r(i-1), and
// r(|R|-1) and r(0) are joined both ways: a bidirectional ring. Then, "to optimize replication
// latency in sites with many NC replicas", edges directed to r(i) are added until it has n+2,
// n the smallest integer ≥ 0 with |R| ≤ 2n² + 6n + 7, each from an r(k) chosen at random
// (k ≠ i, not an edge yet): with at most 7 replicas the ring is all (3 DCs: every DC with
// both others), and with more the extra edges keep every DC within 3 hops of every other.
// The spec's choice is random; forestd draws it from a generator seeded by r(i)'s objectGUID,
// so that every DC computes the same graph and knows who replicates from it (its repsTo,
// whom it notifies) without asking.
import { createHash } from 'node:crypto';
import type { Directory } from '../dsa/directory.js';
import type { ReadTxn } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import { parseDN, formatDN } from '../dn/dn.js';

/** A DC of the site as its nTDSDSA object describes it. */
export interface SiteDsa {
  /** objectGUID of the nTDSDSA object, hex */
  dsaGuid: string;
  dsaDN: string;
  /** sAMAccountName of the DC's computer (its server object's serverReference), when known here */
  account: string | undefined;
  /** networkAddress of the nTDSDSA object (host:port of its DRS listener), when published */
  address: string | undefined;
  /** objectGUIDs (hex) of the NCs it holds writable replicas of (msDS-hasMasterNCs / hasMasterNCs) */
  ncs: string[];
}

/** n+2 of MS-ADTS 6.2.2.2: the edges each replica gets, n the least n ≥ 0 with |R| ≤ 2n² + 6n + 7. */
export function intrasiteEdgesPerReplica(replicas: number): number {
  let n = 0;
  while (replicas > 2 * n * n + 6 * n + 7) n++;
  return n + 2;
}

/**
 * MS-ADTS 6.2.2.2 for one NC: `replicas` are the nTDSDSA objectGUIDs (hex) of the DCs of the
 * site holding a writable replica of it; returns, for each, the replicas it replicates from.
 */
export function intrasiteGraph(replicas: string[]): Map<string, Set<string>> {
  const R = [...new Set(replicas)].sort((a, b) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')));
  const from = new Map<string, Set<string>>(R.map((g) => [g, new Set<string>()]));
  const edge = (src: string, dst: string) => {
    if (src !== dst) from.get(dst)!.add(src);
  };
  // the bidirectional ring, r(|R|-1) ↔ r(0) included
  for (let i = 0; i < R.length - 1; i++) {
    edge(R[i]!, R[i + 1]!);
    edge(R[i + 1]!, R[i]!);
  }
  if (R.length > 2) {
    edge(R[R.length - 1]!, R[0]!);
    edge(R[0]!, R[R.length - 1]!);
  }
  // shortcuts up to n+2 inbound edges each
  const want = intrasiteEdgesPerReplica(R.length);
  if (R.length >= 3) {
    for (const dst of R) {
      const inbound = from.get(dst)!;
      for (let draw = 0; inbound.size < Math.min(want, R.length - 1); draw++) {
        const candidates = R.filter((k) => k !== dst && !inbound.has(k));
        const h = createHash('sha256').update(Buffer.from(dst, 'hex')).update(String(draw)).digest();
        inbound.add(candidates[h.readUInt32BE(0) % candidates.length]!);
      }
    }
  }
  return from;
}

function values(dir: Directory, rec: ObjectRecord, name: string): unknown[] {
  const info = dir.schema.attr(name);
  return (info && rec.attrs.find((a) => a.id === info.id)?.values) || [];
}
/** The present values of a DN attribute: a forward link's from the link table, else the record's. */
function refs(dir: Directory, r: ReadTxn, guid: Buffer, rec: ObjectRecord, name: string): Buffer[] {
  const info = dir.schema.attr(name);
  if (!info) return [];
  if (info.forwardLinkId !== undefined) return [...r.links(guid, info.forwardLinkId)].filter((lv) => lv.stamp.timeDeleted === 0 && !lv.deactivated).map((lv) => Buffer.from(lv.target));
  return values(dir, rec, name).map(refGuid).filter((g): g is Buffer => !!g);
}
const refGuid = (v: unknown): Buffer | undefined => {
  const g = (v as { guid?: Uint8Array } | undefined)?.guid;
  return g && g.length === 16 ? Buffer.from(g) : undefined;
};
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : undefined);

/** The DCs of this DC's site: the nTDSDSA objects below CN=Servers of the site holding forest.serverDN. */
export function siteDsas(dir: Directory, r: ReadTxn): SiteDsa[] {
  const servers = formatDN(parseDN(dir.forest.serverDN).slice(1));
  const res = dir.tryResolve(r, servers);
  if (!res.found) return [];
  const out: SiteDsa[] = [];
  for (const server of [...r.children(res.guid)].map((g) => Buffer.from(g))) {
    const dsa = r.childByName(server, 'NTDS Settings');
    const srec = r.getObject(server);
    const drec = dsa ? r.getObject(Buffer.from(dsa)) : undefined;
    if (!dsa || !srec || !drec || values(dir, drec, 'isDeleted')[0] === true) continue;
    const computer = refs(dir, r, server, srec, 'serverReference')[0];
    const crec = computer ? r.getObject(computer) : undefined;
    const account = crec ? text(values(dir, crec, 'sAMAccountName')[0]) : undefined;
    const masters = [...refs(dir, r, Buffer.from(dsa), drec, 'msDS-hasMasterNCs'), ...refs(dir, r, Buffer.from(dsa), drec, 'hasMasterNCs')];
    out.push({
      dsaGuid: Buffer.from(dsa).toString('hex'),
      dsaDN: dir.dnOf(r, Buffer.from(dsa)),
      account,
      address: text(values(dir, drec, 'networkAddress')[0]),
      ncs: [...new Set(masters.map((g) => g.toString('hex')))],
    });
  }
  return out;
}

/** This DC's place in the intra-site topology, over the NCs it holds. */
export interface IntrasiteTopology {
  /** every DC of the site found */
  dsas: SiteDsa[];
  /** the DCs this DC replicates from (some NC's graph has an edge from them to it) */
  inbound: SiteDsa[];
  /** the DCs that replicate from this DC (they get its change notifications) */
  outbound: SiteDsa[];
}

/** MS-ADTS 6.2.2.2 over each NC `ncs` (objectGUIDs) of this DC, from the configuration NC as `r` reads it. */
export function intrasiteTopology(dir: Directory, r: ReadTxn, ncs: Buffer[]): IntrasiteTopology {
  const dsas = siteDsas(dir, r);
  const me = dir.forest.dsaGuid.toString('hex');
  const inbound = new Set<string>();
  const outbound = new Set<string>();
  for (const nc of ncs.map((g) => g.toString('hex'))) {
    const R = dsas.filter((d) => d.ncs.includes(nc)).map((d) => d.dsaGuid);
    if (!R.includes(me)) R.push(me); // the replica that should be present here
    const g = intrasiteGraph(R);
    for (const s of g.get(me) ?? []) inbound.add(s);
    for (const [dst, srcs] of g) if (srcs.has(me)) outbound.add(dst);
  }
  return { dsas, inbound: dsas.filter((d) => inbound.has(d.dsaGuid)), outbound: dsas.filter((d) => outbound.has(d.dsaGuid)) };
}
