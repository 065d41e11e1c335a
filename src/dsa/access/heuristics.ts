// dSHeuristics (MS-ADTS 6.1.1.2.4.1.2) as the access checks read it: the attribute of
// CN=Directory Service,CN=Windows NT,CN=Services,<configuration NC>, one character per setting:
//   3rd  fDoListObject: '1' turns on list-object mode (RIGHT_DS_LIST_OBJECT, MS-ADTS 5.1.3.3.6)
//   7th  fLDAPBlockAnonOps: '2' lets anonymous clients do more than bind and read the rootDSE
import type { Directory } from '../directory.js';

/** dSHeuristics of a Directory, read again only after a write (the USN moved). */
const cache = new WeakMap<Directory, { usn: number; value: string }>();

function dsHeuristics(dir: Directory): string {
  const usn = Number(dir.store.dc.usn);
  const c = cache.get(dir);
  if (c && c.usn === usn) return c.value;
  const value = readDsHeuristics(dir);
  cache.set(dir, { usn, value });
  return value;
}

function readDsHeuristics(dir: Directory): string {
  const r = dir.store.snapshot();
  try {
    const res = dir.tryResolve(r, `CN=Directory Service,CN=Windows NT,CN=Services,${dir.forest.configDN}`);
    if (!res.found) return '';
    const info = dir.schema.attr('dSHeuristics')!;
    const v = r.getObject(res.guid)?.attrs.find((a) => a.id === info.id)?.values[0];
    return typeof v === 'string' ? v : '';
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
