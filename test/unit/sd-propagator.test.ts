// The security descriptor propagator (MS-ADTS 3.1.1.6.3; src/dsa/access/sd-propagator.ts): an
// inheritable ACE written on an OU reaches a large subtree in background batches; the walk
// stops between batches, the store is closed and reopened, and the walk resumes from the
// queued position; while the job is pending, reads as a user already see the rights the
// subtree will have (and, with consistent reads turned off, the stale ones: the negative
// control); overlapping jobs merge.
import test from 'node:test';
import assert from 'node:assert/strict';
import { provision } from '../../src/dsa/provision/provision.js';
import { Directory } from '../../src/dsa/directory.js';
import { search } from '../../src/dsa/search/search.js';
import type { OperationContext, SearchSink } from '../../src/dsa/api.js';
import type { OutgoingAttribute } from '../../src/ldap/protocol/messages.js';
import { binaryToSddl, sddlToBinary } from '../../src/security/sddl.js';
import { sidToString } from '../../src/schema/syntaxes/string-sid.js';
import { pendingSdPropagation, resumeSdPropagation, sdPropagationIdle, sdPropagationSettings, stopSdPropagation } from '../../src/dsa/access/sd-propagator.js';
import { addObject, ctx, mod, read, values, DOMAIN, USERS } from './dsa-fixture.js';
import { request } from '../helpers/search-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const BIG = `OU=Big,${DOMAIN}`;
const DESCRIPTION = 'bf967950-0de6-11d0-a285-00aa003049e2'; // schemaIDGUID of description
const SUBS = 3;
const PER_SUB = 30;

async function forest(): Promise<{ d: Directory; path: string; cleanup: () => void }> {
  const { dir, cleanup } = tempDir('forestd-sdprop-');
  const { directory } = await provision({ dataDir: dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
  return { d: directory, path: dir, cleanup };
}

async function bigSubtree(d: Directory): Promise<void> {
  await addObject(d, BIG, { objectClass: 'organizationalUnit' });
  for (let s = 0; s < SUBS; s++) {
    await addObject(d, `OU=S${s},${BIG}`, { objectClass: 'organizationalUnit' });
    for (let u = 0; u < PER_SUB; u++) await addObject(d, `CN=u${s}-${u},OU=S${s},${BIG}`, { objectClass: 'user', sAMAccountName: `u${s}x${u}` });
  }
  await addObject(d, `CN=alice,${USERS}`, { objectClass: 'user', sAMAccountName: 'alice' });
}

/** The OU's SD with an inheritable ACE granting alice WRITE_PROPERTY on description. */
function sdWithAce(d: Directory, dn: string, sid: string): Buffer {
  const ctx = { domainSid: d.forest.domainSid };
  const sddl = binaryToSddl(values(d, read(d, dn).rec, 'nTSecurityDescriptor')[0] as Uint8Array, ctx);
  const i = sddl.indexOf('(', sddl.indexOf('D:'));
  return sddlToBinary(`${sddl.slice(0, i)}(OA;CI;WP;${DESCRIPTION};;${sid})${sddl.slice(i)}`, ctx);
}

const aliceSid = (d: Directory) => sidToString(values(d, read(d, `CN=alice,${USERS}`).rec, 'objectSid')[0] as Uint8Array);
const hasAce = (d: Directory, dn: string, sid: string) => binaryToSddl(values(d, read(d, dn).rec, 'nTSecurityDescriptor')[0] as Uint8Array, { domainSid: d.forest.domainSid }).includes(`;${sid})`);

/** allowedAttributesEffective of `dn` as alice reads it (MS-ADTS 3.1.1.4.5.7: the attributes she may write). */
async function aliceMayWrite(d: Directory, dn: string): Promise<string[]> {
  const alice = read(d, `CN=alice,${USERS}`).guid;
  const ctx: OperationContext = { session: { id: 7, identity: { dn: `CN=alice,${USERS}`, guid: alice, isAdmin: false }, encrypted: true, globalCatalog: false, remoteAddress: 'test' }, controls: [], signal: new AbortController().signal };
  const got: OutgoingAttribute[][] = [];
  const sink: SearchSink = { entry: (_n, attrs) => void got.push(attrs), reference: () => {} };
  await search(d, request(dn, '(objectClass=*)', { scope: 0, attributes: ['allowedAttributesEffective'] }), ctx, sink);
  assert.equal(got.length, 1, `alice sees ${dn}`);
  return (got[0]!.find((a) => a.type.toLowerCase() === 'allowedattributeseffective')?.values ?? []).map((v) => Buffer.from(v).toString('utf8').toLowerCase());
}

/** nTSecurityDescriptor of `dn` as a search returns it (the system's read), as SDDL. */
async function readSd(d: Directory, dn: string): Promise<string> {
  const got: OutgoingAttribute[][] = [];
  await search(d, request(dn, '(objectClass=*)', { scope: 0, attributes: ['nTSecurityDescriptor'] }), ctx(), { entry: (_n, attrs) => void got.push(attrs), reference: () => {} });
  const v = got[0]?.find((a) => a.type.toLowerCase() === 'ntsecuritydescriptor')?.values[0];
  assert.ok(v, `${dn} returns its nTSecurityDescriptor`);
  return binaryToSddl(Buffer.from(v), { domainSid: d.forest.domainSid });
}

const total = SUBS * (PER_SUB + 1);

test('MS-ADTS 3.1.1.6.3: a propagation stopped between batches survives a close and reopen and finishes from where it stopped; reads in between see the effective SD (stale with consistent reads off)', { timeout: 300_000 }, async () => {
  const f = await forest();
  let d = f.d;
  try {
    await bigSubtree(d);
    const sid = aliceSid(d);
    const last = `CN=u${SUBS - 1}-${PER_SUB - 1},OU=S${SUBS - 1},${BIG}`;
    assert.ok(!(await aliceMayWrite(d, last)).includes('description'), 'before: alice may not write description');

    const lastUsn = read(d, last).rec.usnChanged;
    const s = sdPropagationSettings(d);
    s.inlineMax = 0;
    s.batchSize = 20;
    let stopped: Promise<void> | undefined;
    s.afterBatch = (n) => {
      if (n === 2) stopped = stopSdPropagation(d);
    };
    await mod(d, BIG, [['replace', 'nTSecurityDescriptor', [sdWithAce(d, BIG, sid)]]]);
    assert.ok(hasAce(d, BIG, sid), 'the OU itself has the ACE at once');
    await resumeSdPropagation(d);
    assert.ok(stopped, 'the walk stopped after two batches');
    await stopped;

    // two batches of 20 done: some of the subtree carries the ACE, the rest not yet
    const dns: string[] = [];
    for (let i = 0; i < SUBS; i++) {
      dns.push(`OU=S${i},${BIG}`);
      for (let u = 0; u < PER_SUB; u++) dns.push(`CN=u${i}-${u},OU=S${i},${BIG}`);
    }
    const done = dns.filter((dn) => hasAce(d, dn, sid)).length;
    assert.equal(done, 40, 'two batches of 20 objects were stored');
    assert.ok(!hasAce(d, last, sid), 'the last object is not propagated yet');
    assert.equal(pendingSdPropagation(d.store.reader).length, 1, 'one job queued');

    await d.close();
    d = Directory.open(f.path);
    // the queue is in the store: still pending after the reopen, not started by itself
    assert.equal(pendingSdPropagation(d.store.reader).length, 1, 'the job survived the reopen');
    assert.ok(!hasAce(d, last, sid));
    // reads see the effective SD while the job is pending
    assert.ok((await aliceMayWrite(d, last)).includes('description'), 'pending: alice already may write description');
    assert.ok((await readSd(d, last)).includes(`;${sid})`), 'pending: nTSecurityDescriptor as read carries the inherited ACE');
    // negative control: without consistent reads, the stored (stale) SD answers
    sdPropagationSettings(d).consistentReads = false;
    assert.ok(!(await aliceMayWrite(d, last)).includes('description'), 'consistent reads off: the stale SD');
    assert.ok(!(await readSd(d, last)).includes(`;${sid})`), 'consistent reads off: the stored nTSecurityDescriptor');
    sdPropagationSettings(d).consistentReads = true;

    let batches = 0;
    sdPropagationSettings(d).batchSize = 20;
    sdPropagationSettings(d).afterBatch = () => void batches++;
    await sdPropagationIdle(d);
    assert.equal(batches, Math.ceil((total - 40) / 20), 'resumed from the saved position (no batch walks the done part again)');
    for (const dn of dns) assert.ok(hasAce(d, dn, sid), `${dn} carries the inherited ACE`);
    assert.equal(pendingSdPropagation(d.store.reader).length, 0);
    assert.ok((await aliceMayWrite(d, last)).includes('description'));
    // the propagator's writes are local: no USN, no stamp (MS-ADTS 3.1.1.6.3)
    assert.equal(read(d, last).rec.usnChanged, lastUsn, 'uSNChanged of a propagated object unchanged');
  } finally {
    await d.close();
    f.cleanup();
  }
});

test('MS-ADTS 3.1.1.6.3: a job on an ancestor covers a queued job below it; a small subtree is propagated in the write itself', { timeout: 300_000 }, async () => {
  const f = await forest();
  const d = f.d;
  try {
    await bigSubtree(d);
    const sid = aliceSid(d);
    const s = sdPropagationSettings(d);
    s.inlineMax = 0;
    s.paused = true; // look at the queue before the background task runs
    await mod(d, `OU=S0,${BIG}`, [['replace', 'nTSecurityDescriptor', [sdWithAce(d, `OU=S0,${BIG}`, sid)]]]);
    assert.deepEqual(pendingSdPropagation(d.store.reader), [read(d, `OU=S0,${BIG}`).guid]);
    await mod(d, BIG, [['replace', 'nTSecurityDescriptor', [sdWithAce(d, BIG, sid)]]]);
    assert.deepEqual(pendingSdPropagation(d.store.reader), [read(d, BIG).guid], 'the job on OU=Big replaced the one on OU=S0');
    s.paused = false;
    await sdPropagationIdle(d);
    assert.ok(hasAce(d, `CN=u0-0,OU=S0,${BIG}`, sid) && hasAce(d, `CN=u2-0,OU=S2,${BIG}`, sid));

    // inline: a subtree within inlineMax is done in the write, nothing queued
    s.inlineMax = 500;
    const ctxSddl = { domainSid: d.forest.domainSid };
    const plain = binaryToSddl(values(d, read(d, BIG).rec, 'nTSecurityDescriptor')[0] as Uint8Array, ctxSddl).replace(`(OA;CI;WP;${DESCRIPTION};;${sid})`, '');
    await mod(d, BIG, [['replace', 'nTSecurityDescriptor', [sddlToBinary(plain, ctxSddl)]]]);
    assert.equal(pendingSdPropagation(d.store.reader).length, 0, 'nothing queued');
    assert.ok(!hasAce(d, `CN=u2-0,OU=S2,${BIG}`, sid), 'the removal reached the whole subtree in the write');
  } finally {
    await d.close();
    f.cleanup();
  }
});
