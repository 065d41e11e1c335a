// A provisioned directory for search tests, plus bulk object creation (one write transaction
// for many objects, through the same createObject that LDAP add uses) and a collecting sink.
import { join } from 'node:path';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { SchemaSnapshot } from '../../src/schema/snapshot.js';
import { provision } from '../../src/dsa/provision/provision.js';
import type { Directory } from '../../src/dsa/directory.js';
import { createObject } from '../../src/dsa/add.js';
import { OriginatingUpdate } from '../../src/dsa/originating-update.js';
import { toStored } from '../../src/dsa/values.js';
import type { AttrInfo } from '../../src/dsa/schema-binding.js';
import type { StoredValue } from '../../src/schema/syntaxes/syntax.js';
import { parseDN, formatDN } from '../../src/dn/dn.js';
import type { OperationContext, OperationResult, SearchSink } from '../../src/dsa/api.js';
import type { Control, SearchRequest, OutgoingAttribute } from '../../src/ldap/protocol/messages.js';
import { search } from '../../src/dsa/search/search.js';
import { parseFilter } from '../../src/ldap/protocol/filter-string.js';
import { tempDir } from './tmp.js';

export interface NewEntry {
  dn: string;
  attrs: Record<string, string | string[]>;
}

export interface Fixture {
  dir: Directory;
  baseDN: string;
  close(): Promise<void>;
}

export async function searchFixture(): Promise<Fixture> {
  const t = tempDir('forestd-search-');
  const { directory } = await provision({ dataDir: join(t.dir, 'd'), realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
  return {
    dir: directory,
    baseDN: directory.forest.domainDN,
    async close() {
      await directory.close();
      t.cleanup();
    },
  };
}

/** Creates the entries (parents first) in one originating update; returns their objectGUIDs. */
export function addEntries(dir: Directory, entries: NewEntry[]): Buffer[] {
  return dir.store.writeSync((w) => {
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    const sctx = dir.syntaxContext(w, 'fixture');
    const out: Buffer[] = [];
    for (const e of entries) {
      const rdns = parseDN(e.dn);
      const rdn = rdns[0]![0]!;
      const parent = dir.resolve(w, formatDN(rdns.slice(1)), 'fixture');
      const values = new Map<AttrInfo, StoredValue[]>();
      for (const [k, v] of Object.entries(e.attrs)) {
        const info = dir.schema.attr(k);
        if (!info) throw new Error(`fixture: unknown attribute ${k}`);
        values.set(info, toStored(info, (Array.isArray(v) ? v : [v]).map((x) => Buffer.from(x, 'utf8')), sctx, 'fixture'));
      }
      out.push(createObject(dir, u, { parent, rdnType: dir.schema.attr(rdn.type)!, rdnValue: rdn.value, values }, { system: false, place: 'fixture' }));
    }
    return out;
  });
}

/** Adds forward-link values source → targets (e.g. member) in one update. */
export function addLinks(dir: Directory, attribute: string, source: Buffer, targets: Buffer[]): void {
  const info = dir.schema.attr(attribute)!;
  dir.store.writeSync((w) => {
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    for (const t of targets) u.addLinkValue(source, info.id, info.forwardLinkId!, t);
    const prev = w.getObject(source)!;
    const rec = structuredClone(prev);
    u.touch(rec);
    w.putObject(source, rec, prev);
  });
}

export interface Collected {
  entries: { dn: string; attrs: Map<string, string[]>; raw: OutgoingAttribute[] }[];
  references: string[][];
  result: OperationResult;
}

export function context(controls: Control[] = [], o: { sessionId?: number; signal?: AbortSignal; admin?: boolean } = {}): OperationContext {
  return {
    session: { id: o.sessionId ?? 1, identity: { dn: 'CN=Administrator', guid: Buffer.alloc(16), isAdmin: o.admin ?? true }, encrypted: true, globalCatalog: false, remoteAddress: 'test' },
    controls,
    signal: o.signal ?? new AbortController().signal,
  };
}

export function request(base: string, filter: string, o: Partial<Omit<SearchRequest, 'filter' | 'type' | 'baseObject'>> = {}): SearchRequest {
  return {
    type: 'searchRequest',
    baseObject: base,
    scope: o.scope ?? 2,
    derefAliases: 0,
    sizeLimit: o.sizeLimit ?? 0,
    timeLimit: o.timeLimit ?? 0,
    typesOnly: o.typesOnly ?? false,
    filter: parseFilter(filter),
    attributes: o.attributes ?? [],
  };
}

/** Runs one search request and collects what it sends; `onEntry` may act while it runs. */
export async function run(dir: Directory, req: SearchRequest, ctx: OperationContext = context(), onEntry?: (n: number) => void | Promise<void>): Promise<Collected> {
  const out: Collected = { entries: [], references: [], result: {} };
  const sink: SearchSink = {
    entry(dn, attributes) {
      const attrs = new Map<string, string[]>();
      for (const a of attributes) attrs.set(a.type.toLowerCase(), a.values.map((v) => (typeof v === 'string' ? v : v.toString('utf8'))));
      out.entries.push({ dn, attrs, raw: attributes });
      return onEntry?.(out.entries.length);
    },
    reference(uris) {
      out.references.push(uris);
    },
  };
  out.result = await search(dir, req, ctx, sink);
  return out;
}

/** Runs one search request and also returns the candidate plan it published (forestd:dsa:search: "walk", "index sn", …). */
export async function runWithPlan(dir: Directory, req: SearchRequest): Promise<Collected & { plan: string }> {
  let plan = '';
  const onSearch = (m: unknown) => void (plan = (m as { plan: string }).plan);
  subscribe('forestd:dsa:search', onSearch);
  try {
    return { ...(await run(dir, req)), plan };
  } finally {
    unsubscribe('forestd:dsa:search', onSearch);
  }
}

/** Swaps in the directory's schema with searchFlags `set` on (and `clear` off) for the named attributes (a schema update without LDAP). */
export function withSearchFlags(dir: Directory, names: readonly string[], set: number, clear = 0): void {
  const snap = dir.schema.snapshot;
  const attrs = snap.attributes.map((a) => (names.includes(a.lDAPDisplayName) ? { ...a, searchFlags: (a.searchFlags | set) & ~clear } : a));
  dir.setSchema(new SchemaSnapshot(attrs, snap.classes, snap.prefixTable));
}
