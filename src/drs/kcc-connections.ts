// The KCC's output as AD keeps it (MS-ADTS 6.2: a KCC run produces or updates nTDSConnection
// objects in the configuration NC; 6.1.1.2.2.1.2.1.2 "Connection Object"): one nTDSConnection
// child of this DC's nTDSDSA object per DC it replicates from in the intra-site topology
// (kcc.ts), with fromServer naming the source's nTDSDSA object, enabledConnection TRUE and
// options NTDSCONN_OPT_IS_GENERATED. Each DC writes only the connections under its own nTDSDSA
// (originating updates, replicated like any other), so every DC learns from the configuration
// NC who replicates from whom: the connections naming a DC in fromServer are its outbound
// partners. A generated connection whose source left the topology, and a second generated
// connection from the same source, is deleted (MS-ADTS 6.2.2.4 "Removing Unnecessary
// Connections"), unless the site's NTDS Site Settings has NTDSSETTINGS_OPT_IS_TOPL_CLEANUP_DISABLED
// (MS-ADTS 6.1.1.2.2.1.1), where it is only disabled (enabledConnection FALSE); a connection an
// administrator made (without IS_GENERATED) is never changed, and is followed like a generated one.
import type { Directory } from '../dsa/directory.js';
import { createObject } from '../dsa/add.js';
import { OriginatingUpdate } from '../dsa/originating-update.js';
import { toStored } from '../dsa/values.js';
import type { ReadTxn } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import { randomBytes } from 'node:crypto';
import { guidToString } from '../util/guid.js';
import { deleteObject, deletedObjectsContainer, recycleBinEnabled } from '../dsa/tombstone.js';
import { formatDN, parseDN } from '../dn/dn.js';

/** MS-ADTS 6.1.1.2.2.1.2.1.2 options: NTDSCONN_OPT_IS_GENERATED (the KCC made it). */
export const NTDSCONN_OPT_IS_GENERATED = 0x1;
/** systemFlags of a connection object: FLAG_CONFIG_ALLOW_RENAME | FLAG_CONFIG_ALLOW_MOVE */
const CONNECTION_SYSTEM_FLAGS = 0x40000000 | 0x20000000;

export interface ConnectionObject {
  guid: string;
  /** objectGUID (hex) of the destination's nTDSDSA (the parent) */
  to: string;
  /** objectGUID (hex) of fromServer */
  from: string;
  enabled: boolean;
  generated: boolean;
}

function first(dir: Directory, rec: ObjectRecord, name: string): unknown {
  const info = dir.schema.attr(name);
  return info ? rec.attrs.find((a) => a.id === info.id)?.values[0] : undefined;
}

/** The nTDSConnection objects under the nTDSDSA objects `dsas` (objectGUIDs, hex). */
export function connectionsUnder(dir: Directory, r: ReadTxn, dsas: string[]): ConnectionObject[] {
  const out: ConnectionObject[] = [];
  for (const to of dsas) {
    for (const c of [...r.children(Buffer.from(to, 'hex'))].map((g) => Buffer.from(g))) {
      const rec = r.getObject(c);
      if (!rec || first(dir, rec, 'isDeleted') === true) continue;
      const from = (first(dir, rec, 'fromServer') as { guid?: Uint8Array } | undefined)?.guid;
      if (!from || from.length !== 16) continue;
      const options = Number(first(dir, rec, 'options') ?? 0);
      out.push({ guid: c.toString('hex'), to, from: Buffer.from(from).toString('hex'), enabled: first(dir, rec, 'enabledConnection') === true, generated: (options & NTDSCONN_OPT_IS_GENERATED) !== 0 });
    }
  }
  return out;
}

/**
 * Makes this DC's generated connections match `sources` (nTDSDSA objectGUIDs, hex, with their
 * DNs): a new connection for a source without an enabled one, a generated connection of a
 * source no longer listed disabled. Returns whether anything was written.
 */
export async function writeConnections(dir: Directory, sources: { dsaGuid: string; dsaDN: string }[]): Promise<boolean> {
  const me = dir.forest.dsaGuid;
  const plan = (r: ReadTxn) => {
    const mine = connectionsUnder(dir, r, [me.toString('hex')]);
    const want = new Set(sources.map((s) => s.dsaGuid));
    const add = sources.filter((s) => !mine.some((c) => c.from === s.dsaGuid && c.enabled));
    // MS-ADTS 6.2.2.4: generated connections no NC replica graph needs: a source gone from the
    // topology, or a second connection from one source (the first enabled one is kept)
    const kept = new Set<string>();
    const unneeded = mine.filter((c) => {
      if (!c.generated) return false;
      if (!want.has(c.from)) return true;
      if (c.enabled && !kept.has(c.from) && !mine.some((o) => o.from === c.from && o.enabled && !o.generated)) {
        kept.add(c.from);
        return false;
      }
      return true;
    });
    if (cleanupDisabled(dir, r)) return { add, disable: unneeded.filter((c) => c.enabled && !want.has(c.from)), remove: [] as ConnectionObject[] };
    return { add, disable: [] as ConnectionObject[], remove: unneeded };
  };
  const r0 = dir.store.snapshot();
  let todo: ReturnType<typeof plan>;
  try {
    todo = plan(r0);
  } finally {
    r0.done();
  }
  if (todo.add.length === 0 && todo.disable.length === 0 && todo.remove.length === 0) return false;
  let wrote = false;
  await dir.store.write((w) => {
    const { add, disable, remove } = plan(w);
    if (add.length === 0 && disable.length === 0 && remove.length === 0) return;
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    const sctx = dir.syntaxContext(w);
    const A = (n: string) => dir.schema.attr(n)!;
    const v = (n: string, list: string[]) => [A(n), toStored(A(n), list.map((x) => Buffer.from(x, 'utf8')), sctx, 'kcc')] as const;
    for (const s of add) {
      const guid = randomBytes(16);
      createObject(
        dir,
        u,
        {
          parent: me,
          rdnType: A('cn'),
          // AD's KCC names its connections by a GUID
          rdnValue: guidToString(guid),
          guid,
          values: new Map([
            v('objectClass', ['nTDSConnection']),
            v('fromServer', [s.dsaDN]),
            v('enabledConnection', ['TRUE']),
            v('options', [String(NTDSCONN_OPT_IS_GENERATED)]),
            v('systemFlags', [String(CONNECTION_SYSTEM_FLAGS | 0)]),
            v('showInAdvancedViewOnly', ['TRUE']),
          ]),
        } as never,
        { system: true, place: 'kcc' },
      );
    }
    for (const c of disable) {
      const g = Buffer.from(c.guid, 'hex');
      const prev = w.getObject(g);
      if (!prev) continue;
      const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
      u.setAttribute(rec, A('enabledConnection'), [false]);
      u.touch(rec);
      w.putObject(g, rec, prev);
    }
    if (remove.length > 0) {
      const deleted = deletedObjectsContainer(dir, w, dir.forest.configNC);
      const recycle = recycleBinEnabled(dir, w);
      if (deleted) for (const c of remove) if (w.getObject(Buffer.from(c.guid, 'hex'))) deleteObject(dir, u, Buffer.from(c.guid, 'hex'), deleted, recycle);
    }
    wrote = true;
  });
  return wrote;
}

/** MS-ADTS 6.1.1.2.2.1.1: NTDSSETTINGS_OPT_IS_TOPL_CLEANUP_DISABLED in options of this DC's site's NTDS Site Settings. */
export const NTDSSETTINGS_OPT_IS_TOPL_CLEANUP_DISABLED = 0x2;
function cleanupDisabled(dir: Directory, r: ReadTxn): boolean {
  const site = parseDN(dir.forest.serverDN).slice(2);
  const res = dir.tryResolve(r, formatDN([parseDN('CN=NTDS Site Settings')[0]!, ...site]));
  const rec = res.found ? r.getObject(res.guid) : undefined;
  return rec !== undefined && (Number(first(dir, rec, 'options') ?? 0) & NTDSSETTINGS_OPT_IS_TOPL_CLEANUP_DISABLED) !== 0;
}
