// The state model's update port (src/dsa/model/update.ts), its DsError, and forest vs DC facts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../src/store/store.js';
import { encodeObject, type ObjectRecord } from '../../src/store/record.js';
import { UpdatePort } from '../../src/dsa/model/update.js';
import { DsError, DsWin32, LdapCode } from '../../src/dsa/model/ds-error.js';
import { renderDsError } from '../../src/dsa/errors.js';
import { splitFacts } from '../../src/dsa/model/forest.js';
import { conflictMangledRdn, deleteMangledRdn, unmangle } from '../../src/dsa/model/naming.js';
import { newGuid } from '../../src/util/guid.js';
import { tempDir } from '../helpers/tmp.js';

const clock = () => 13_000_000_000;
const DESC = { id: 13, replicated: true };
const MEMBER = { attid: 31, linkId: 2 };

async function withStore(fn: (s: Store) => void | Promise<void>) {
  const t = tempDir('forestd-port-');
  const s = Store.open(t.dir, { create: true });
  try {
    await fn(s);
  } finally {
    await s.close();
    t.cleanup();
  }
}

function mkObject(s: Store, guid: Buffer, parent: Buffer | null, nc: Buffer, name: string): void {
  s.writeSync((w) => {
    const u = new UpdatePort(w, s.dc.invocationId, clock);
    const rec: ObjectRecord = { parent, nc, rdnType: 3, name, usnCreated: u.usn, usnChanged: u.usn, whenChanged: u.time, attrs: [] };
    if (!parent) rec.ncName = 'DC=port,DC=test';
    w.putObject(guid, rec, undefined);
  });
}

test('a link value change touches its source object once per update, even when the caller does not', () =>
  withStore((s) => {
    const nc = newGuid();
    const g = newGuid();
    const t1 = newGuid();
    const t2 = newGuid();
    mkObject(s, nc, null, nc, 'port');
    for (const [x, n] of [[g, 'g'], [t1, 't1'], [t2, 't2']] as const) mkObject(s, x, nc, nc, n);
    const before = s.dc.usn - 1; // the last USN taken so far
    const usn = s.writeSync((w) => {
      const u = new UpdatePort(w, s.dc.invocationId, clock);
      u.addLinkValue(g, MEMBER.attid, MEMBER.linkId, t1);
      u.addLinkValue(g, MEMBER.attid, MEMBER.linkId, t2);
      return u.usn; // the caller never touches g itself
    });
    assert.ok(usn > before);
    assert.equal(s.reader.getHeader(g)!.usnChanged, usn, 'the group carries the update USN');
    assert.deepEqual([...s.reader.changedSince(nc, before)].map((e) => Buffer.from(e.guid)), [g], 'once in the USN index');
    // control: an update touching no link leaves the group where it was
    s.writeSync((w) => new UpdatePort(w, s.dc.invocationId, clock).touchObject(t1));
    assert.equal(s.reader.getHeader(g)!.usnChanged, usn);
  }));

test('an update that changes nothing takes no USN; a replicated value keeps its stamp and gets a local usnLocal', () =>
  withStore((s) => {
    const nc = newGuid();
    mkObject(s, nc, null, nc, 'port');
    const usn = s.dc.usn;
    s.writeSync((w) => void new UpdatePort(w, s.dc.invocationId, clock));
    assert.equal(s.dc.usn, usn, 'no USN for an empty update');
    const other = newGuid();
    const stamp = { dwVersion: 7, timeChanged: 12_999_999_999, uuidOriginating: other, usnOriginating: 4242 };
    s.writeSync((w) => {
      const u = new UpdatePort(w, s.dc.invocationId, clock);
      const prev = w.getObject(nc)!;
      const rec = { ...prev, attrs: [...prev.attrs] };
      u.applyAttribute(rec, DESC.id, ['from elsewhere'], stamp);
      u.touch(rec);
      w.putObject(nc, rec, prev);
    });
    const got = s.reader.getObject(nc)!.attrs.find((a) => a.id === DESC.id)!.stamp!;
    assert.deepEqual({ ...got, usnLocal: 0 }, { ...stamp, usnLocal: 0 });
    assert.equal(got.usnLocal, usn);
    // an originating change after it: version + 1, this DC's stamp
    s.writeSync((w) => {
      const u = new UpdatePort(w, s.dc.invocationId, clock);
      const prev = w.getObject(nc)!;
      const rec = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
      u.setAttribute(rec, DESC, ['mine']);
      u.touch(rec);
      w.putObject(nc, rec, prev);
    });
    const mine = s.reader.getObject(nc)!.attrs.find((a) => a.id === DESC.id)!.stamp!;
    assert.equal(mine.dwVersion, 8);
    assert.ok(mine.uuidOriginating.equals(s.dc.invocationId));
  }));

test('replicated attributes with equal stamps share one stored stamp; the record is stored as with a stamp object each', () =>
  withStore((s) => {
    const nc = newGuid();
    mkObject(s, nc, null, nc, 'port');
    const other = newGuid();
    const stamp = { dwVersion: 1, timeChanged: 12_999_999_999, uuidOriginating: Buffer.from(other), usnOriginating: 4242 };
    const later = { ...stamp, usnOriginating: 4243 };
    let shared: ObjectRecord | undefined;
    s.writeSync((w) => {
      const u = new UpdatePort(w, s.dc.invocationId, clock);
      const prev = w.getObject(nc)!;
      const rec = { ...prev, attrs: [...prev.attrs] };
      // the same stamp fields in separate objects (as each attribute's metadata arrives), one that differs, then the first again
      u.applyAttribute(rec, 13, ['a'], { ...stamp, uuidOriginating: Buffer.from(other) });
      u.applyAttribute(rec, 42, ['b'], { ...stamp });
      const by = (id: number) => rec.attrs.find((a) => a.id === id)!;
      assert.equal(by(42).stamp, by(13).stamp, 'equal stamps in a row: one object');
      u.applyAttribute(rec, 4, ['c'], later);
      u.applyAttribute(rec, 3, ['d'], { ...later });
      u.applyAttribute(rec, 13, ['a2'], { ...stamp });
      assert.equal(rec.attrs.filter((a) => a.id === 13).length, 1, 'an attribute applied twice is replaced, not repeated');
      assert.deepEqual(by(13).values, ['a2']);
      assert.equal(by(3).stamp, by(4).stamp);
      assert.notEqual(by(4).stamp, by(42).stamp, 'a different stamp: its own object');
      assert.deepEqual({ ...by(4).stamp! }, { ...later, usnLocal: u.usn });
      assert.deepEqual({ ...by(42).stamp! }, { ...stamp, usnLocal: u.usn });
      // control: the same record with a stamp object per attribute stores the same bytes
      const unshared = { ...rec, attrs: rec.attrs.map((a) => (a.stamp ? { ...a, stamp: { ...a.stamp } } : a)) };
      assert.equal(encodeObject(unshared, s).toString('hex'), encodeObject(rec, s).toString('hex'));
      u.touch(rec);
      w.putObject(nc, rec, prev);
      shared = rec;
    });
    const got = s.reader.getObject(nc)!;
    for (const id of [13, 42, 4, 3]) assert.deepEqual(got.attrs.find((a) => a.id === id), shared!.attrs.find((a) => a.id === id));
  }));

test('DsError renders as AD renders LDAP errors: result code, 8-hex-digit Win32 code, problem, DSID', () => {
  const e = DsError.entryAlreadyExists('model.test');
  const l = renderDsError(e);
  assert.equal(l.resultCode, LdapCode.entryAlreadyExists);
  assert.match(l.diagnosticMessage, /^00002071: UpdErr: DSID-[0-9A-F]{8}, problem 6005 \(ENTRY_EXISTS\), data 0/);
  assert.ok(l.diagnosticMessage.includes(e.dsid));
  const m = renderDsError(DsError.missingParent('drs.test', 'x'));
  assert.equal(m.resultCode, LdapCode.noSuchObject);
  assert.ok(m.diagnosticMessage.startsWith((DsWin32.ERROR_DS_DRA_MISSING_PARENT >>> 0).toString(16).toUpperCase().padStart(8, '0')));
});

test('naming: DEL: and CNF: manglings stay within 255 characters and unmangle back', () => {
  const g = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  assert.equal(deleteMangledRdn('Bob', g), 'Bob\nDEL:33221100-5544-7766-8899-aabbccddeeff');
  assert.equal(conflictMangledRdn('Bob', g), 'Bob\nCNF:33221100-5544-7766-8899-aabbccddeeff');
  assert.equal(unmangle(conflictMangledRdn('Bob', g)), 'Bob');
  const long = 'x'.repeat(255);
  assert.equal([...deleteMangledRdn(long, g)].length, 255);
  assert.equal(deleteMangledRdn(conflictMangledRdn('Bob', g), g), 'Bob\nDEL:33221100-5544-7766-8899-aabbccddeeff');
});

test('forest facts and DC facts are apart: two DCs of one forest share the first, not the second', () => {
  const forest = { realm: 'r', netbios: 'R', rootDomainDN: 'DC=r', domainDN: 'DC=r', configDN: 'CN=Configuration,DC=r', schemaDN: 'CN=Schema,CN=Configuration,DC=r', domainNC: newGuid(), configNC: newGuid(), schemaNC: newGuid(), domainSid: Buffer.alloc(24) };
  const dc = (n: string) => ({ ...forest, serverDN: `CN=${n}`, dsaDN: `CN=NTDS Settings,CN=${n}`, dnsHostName: `${n}.r`, hostname: n, dsaGuid: newGuid(), computerGuid: newGuid() });
  const a = splitFacts(dc('DC1'), newGuid());
  const b = splitFacts(dc('DC2'), newGuid());
  assert.deepEqual(a.forest, b.forest);
  assert.notDeepEqual(a.dc, b.dc);
  // each DC's computer object, whose RID Set holds its RID pool (MS-ADTS 6.1.5.3, src/dsa/rid-set.ts)
  assert.ok(!a.dc.computerGuid.equals(b.dc.computerGuid));
});
