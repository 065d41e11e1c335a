// dSHeuristics (MS-ADTS 6.1.1.2.4.1.2) as the access checks read it: the attribute of
// CN=Directory Service,CN=Windows NT,CN=Services,<configuration NC>, one character per setting:
//   3rd  fDoListObject: '1' turns on list-object mode (RIGHT_DS_LIST_OBJECT, MS-ADTS 5.1.3.3.6)
//   7th  fLDAPBlockAnonOps: '2' lets anonymous clients do more than bind and read the rootDSE
import { dcStateSlot } from '../dc-state.js';
import type { Directory } from '../directory.js';

/**
 * dSHeuristics of a Directory, read again only after a write (the USN moved) that changed the
 * Directory Service object (its uSNChanged moved, or it is gone): a stream of other writes
 * (an import) costs one read of its uSNChanged per check, not a DN resolution and a record decode.
 */
const HEURISTICS = dcStateSlot('dSHeuristics', (): { known?: { usn: number; guid: Buffer | undefined; objUsn: number; value: string } } => ({}));

function dsHeuristics(dir: Directory): string {
  const usn = Number(dir.store.dc.usn);
  const box = dir.state(HEURISTICS);
  const c = box.known;
  if (c && c.usn === usn) return c.value;
  if (c?.guid) {
    // uSNChanged read in place from the record (no header decode: every add moves the USN)
    if (dir.store.reader.usnChangedOf(c.guid) === c.objUsn) {
      c.usn = usn;
      return c.value;
    }
  }
  const read = readDsHeuristics(dir);
  box.known = { usn, ...read };
  return read.value;
}

function readDsHeuristics(dir: Directory): { guid: Buffer | undefined; objUsn: number; value: string } {
  const r = dir.store.snapshot();
  try {
    const res = dir.tryResolve(r, `CN=Directory Service,CN=Windows NT,CN=Services,${dir.forest.configDN}`);
    if (!res.found) return { guid: undefined, objUsn: 0, value: '' };
    const info = dir.schema.attr('dSHeuristics')!;
    const rec = r.getObject(res.guid);
    const v = rec?.attrs.find((a) => a.id === info.id)?.values[0];
    return { guid: rec ? res.guid : undefined, objUsn: rec?.usnChanged ?? 0, value: typeof v === 'string' ? v : '' };
  } finally {
    r.done();
  }
}

/** fLDAPBlockAnonOps is '2' (MS-ADTS 6.1.1.2.4.1.2). */
export function anonymousOperationsAllowed(dir: Directory): boolean {
  return dsHeuristics(dir).charAt(6) === '2';
}

/** fDoListObject is '1' (MS-ADTS 6.1.1.2.4.1.2). */
export function listObjectMode(dir: Directory): boolean {
  return dsHeuristics(dir).charAt(2) === '1';
}
