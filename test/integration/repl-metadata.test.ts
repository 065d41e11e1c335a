// Replication metadata over LDAP, read with OpenLDAP's ldapsearch from a real forestd and the
// binary forms decoded by Samba's NDR: replPropertyMetaData, msDS-ReplAttributeMetaData (XML and
// ;binary), msDS-ReplValueMetaData, msDS-NCReplCursors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startForestd, run, adminToolArgs, type RunningForestd } from '../helpers/forestd.js';
import { samba } from '../drs/samba.js';
import { blobString } from '../../src/drs/repl-info.js';

let f: RunningForestd;
before(async () => {
  f = await startForestd();
});
after(async () => {
  await f?.stop();
});

const auth = () => adminToolArgs(f);

/** ldapsearch -LLL output → attribute → raw values (base64 decoded to bytes). */
function parse(text: string): Map<string, Buffer[]> {
  const m = new Map<string, Buffer[]>();
  for (const line of text.replace(/\n /g, '').split('\n')) {
    const x = /^([^:#][^:]*)(::?) ?(.*)$/.exec(line);
    if (!x) continue;
    const v = x[2] === '::' ? Buffer.from(x[3]!, 'base64') : Buffer.from(x[3]!, 'utf8');
    const k = x[1]!.toLowerCase();
    m.set(k, [...(m.get(k) ?? []), v]);
  }
  return m;
}

async function read(dn: string, ...attrs: string[]): Promise<Map<string, Buffer[]>> {
  const r = await run('ldapsearch', [...auth(), '-LLL', '-o', 'ldif-wrap=no', '-b', dn, '-s', 'base', '(objectClass=*)', ...attrs]);
  assert.equal(r.code, 0, r.stderr);
  return parse(r.stdout);
}

interface SambaPmd {
  attid: number;
  version: number;
  originating_usn: number;
  local_usn: number;
  originating_invocation_id: string;
}

function sambaPmd(blob: Buffer): SambaPmd[] {
  const [r] = samba([{ kind: 'struct', module: 'drsblobs', type: 'replPropertyMetaDataBlob', hex: blob.toString('hex') }]);
  assert.ok(r!.ok, !r!.ok ? r!.error : '');
  assert.equal(r!.hex, blob.toString('hex'), 'Samba packs what it decoded to the same bytes');
  return (r as { value: { ctr: { array: SambaPmd[] } } }).value.ctr.array;
}

test('replPropertyMetaData: ldapsearch reads it, Samba decodes it, and a modify bumps the attribute\'s version and USNs', { timeout: 60_000 }, async () => {
  const dn = `CN=Guest,CN=Users,${f.baseDN}`;
  // negative control: '*' does not return it (an operational attribute, returned only when named)
  const all = await read(dn, '*');
  assert.ok(all.has('objectclass'));
  assert.equal(all.has('replpropertymetadata'), false);

  const before = await read(dn, 'replPropertyMetaData', 'uSNChanged');
  const pmd0 = sambaPmd(before.get('replpropertymetadata')![0]!);
  assert.ok(pmd0.length >= 5, `${pmd0.length} stamped attributes`);
  assert.ok(pmd0.some((e) => e.attid === 0), 'objectClass (ATTRTYP 0, 2.5.4.0) is stamped');
  assert.deepEqual(pmd0.map((e) => e.attid), [...pmd0.map((e) => e.attid)].sort((a, b) => a - b), 'sorted by ATTRTYP');
  const usnChanged0 = Number(before.get('usnchanged')![0]!.toString());
  assert.ok(pmd0.every((e) => e.local_usn <= usnChanged0 && e.version >= 1));

  const mod = await run('ldapmodify', auth(), `dn: ${dn}\nchangetype: modify\nreplace: description\ndescription: stamped\n`);
  assert.equal(mod.code, 0, mod.stderr);
  const after = await read(dn, 'replPropertyMetaData', 'uSNChanged', 'description');
  const pmd1 = sambaPmd(after.get('replpropertymetadata')![0]!);
  const usnChanged1 = Number(after.get('usnchanged')![0]!.toString());
  assert.ok(usnChanged1 > usnChanged0);
  const descAttid = 13; // description, 2.5.4.13: prefix index 0
  const d0 = pmd0.find((e) => e.attid === descAttid);
  const d1 = pmd1.find((e) => e.attid === descAttid)!;
  assert.ok(d1, 'description is stamped after the modify');
  assert.equal(d1.version, (d0?.version ?? 0) + 1);
  assert.equal(d1.local_usn, usnChanged1);
  assert.equal(d1.originating_usn, usnChanged1, 'an originating update: usnOriginating = usnLocal');
  // the other attributes' stamps are untouched
  for (const e of pmd0) if (e.attid !== descAttid) assert.deepEqual(pmd1.find((x) => x.attid === e.attid), e);
});

test('msDS-ReplAttributeMetaData: XML and ;binary forms agree with replPropertyMetaData', { timeout: 60_000 }, async () => {
  const dn = `CN=Administrator,CN=Users,${f.baseDN}`;
  const m = await read(dn, 'msDS-ReplAttributeMetaData', 'replPropertyMetaData');
  const xml = m.get('msds-replattributemetadata')!.map((b) => b.toString('utf8'));
  const bin = (await read(dn, 'msDS-ReplAttributeMetaData;binary')).get('msds-replattributemetadata;binary')!;
  const pmd = sambaPmd(m.get('replpropertymetadata')![0]!);
  assert.equal(xml.length, pmd.length);
  assert.equal(bin.length, pmd.length);
  const names = xml.map((x) => /<pszAttributeName>([^<]*)</.exec(x)![1]);
  assert.ok(names.includes('objectClass') && names.includes('sAMAccountName'), names.join(','));
  xml.forEach((x, i) => {
    assert.match(x, /^<DS_REPL_ATTR_META_DATA>\n\t<pszAttributeName>/);
    assert.equal(Number(/<dwVersion>(\d+)</.exec(x)![1]), pmd[i]!.version);
    assert.equal(Number(/<usnLocalChange>(\d+)</.exec(x)![1]), pmd[i]!.local_usn);
    assert.equal(/<uuidLastOriginatingDsaInvocationID>([^<]+)</.exec(x)![1], pmd[i]!.originating_invocation_id);
    assert.match(x, /<pszLastOriginatingDsaDN>CN=NTDS Settings,CN=[^<]+<\/pszLastOriginatingDsaDN>/, 'this DC made the stamps');
    assert.equal(blobString(bin[i]!, 0), names[i]);
    assert.equal(bin[i]!.readUInt32LE(4), pmd[i]!.version);
    assert.equal(Number(bin[i]!.readBigUInt64LE(40)), pmd[i]!.local_usn);
  });
});

test('msDS-ReplValueMetaData on a group and msDS-NCReplCursors on the NC head', { timeout: 60_000 }, async () => {
  const g = await read(`CN=Domain Admins,CN=Users,${f.baseDN}`, 'msDS-ReplValueMetaData', 'member');
  const values = g.get('msds-replvaluemetadata')!.map((b) => b.toString('utf8'));
  assert.equal(values.length, g.get('member')!.length, 'one per present member value');
  assert.match(values[0]!, /<pszAttributeName>member<\/pszAttributeName>\n\t<pszObjectDn>CN=Administrator,CN=Users,/);
  assert.match(values[0]!, /<ftimeDeleted>1601-01-01T00:00:00Z<\/ftimeDeleted>/, 'a present value');
  const nc = await read(f.baseDN, 'msDS-NCReplCursors');
  const cursors = nc.get('msds-ncreplcursors')!.map((b) => b.toString('utf8'));
  assert.ok(cursors.length >= 1);
  assert.match(cursors[0]!, /^<DS_REPL_CURSOR>\n\t<uuidSourceDsaInvocationID>[0-9a-f-]{36}<\/uuidSourceDsaInvocationID>\n\t<usnAttributeFilter>\d+<\/usnAttributeFilter>/);
  const bin = (await read(f.baseDN, 'msDS-NCReplCursors;binary')).get('msds-ncreplcursors;binary')!;
  assert.equal(bin.length, cursors.length);
  assert.equal(bin[0]!.subarray(0, 16).toString('hex').length, 32);
  assert.match(blobString(bin[0]!, 32), /^CN=NTDS Settings,/);
  // negative control: not an NC head, no cursors
  const u = await read(`CN=Users,${f.baseDN}`, 'msDS-NCReplCursors', 'objectClass');
  assert.equal(u.has('msds-ncreplcursors'), false);
});
