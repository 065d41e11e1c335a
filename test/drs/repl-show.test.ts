// forestd repl show: the partners and UTD vectors of a DC, from its replica state; and the CLI
// on a freshly provisioned DC (no partners yet: the negative control).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixture } from '../unit/dsa-fixture.js';
import type { Directory } from '../../src/dsa/directory.js';
import { formatReplShow, replShow } from '../../src/cli/repl-show.js';
import { runCli } from '../helpers/forestd.js';
import { tempDir } from '../helpers/tmp.js';
import { guidToString } from '../../src/util/guid.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
});
after(async () => {
  await close?.();
});

test('repl show lists each NC\'s inbound partner with its USNs and last success, and the UTD vector', async () => {
  const partnerDsa = Buffer.alloc(16, 0x42);
  const partnerInv = Buffer.alloc(16, 0x43);
  const before = replShow(d);
  assert.ok(before.ncs.every((n) => n.inbound.length === 0), 'a new forest has no partners');
  await d.store.write((w) =>
    w.setMeta(`repl:${d.forest.configNC.toString('hex')}`, {
      utd: [{ uuidDsa: partnerInv, usnHighPropUpdate: 777, timeLastSyncSuccess: 13_300_000_000 }],
      repsFrom: [{ uuidDsa: partnerDsa, uuidInvocId: partnerInv, usnvec: { usnHighObjUpdate: 770, usnReserved: 0, usnHighPropUpdate: 777 }, inCycle: false, timeLastSuccess: 13_300_000_000 }],
    }),
  );
  const s = replShow(d);
  const cfg = s.ncs.find((n) => n.nc === 'CN=Configuration,DC=example,DC=com')!;
  assert.equal(cfg.inbound.length, 1);
  assert.equal(cfg.inbound[0]!.usnAttributeFilter, 777n);
  assert.ok(s.ncs.filter((n) => n !== cfg).every((n) => n.inbound.length === 0));
  const text = formatReplShow(s);
  assert.match(text, new RegExp(`CN=Configuration,DC=example,DC=com\\n    ${guidToString(partnerDsa)} via ${guidToString(partnerDsa)}\\._msdcs\\.example\\.com\\n`));
  assert.match(text, /USNs: 770\/OU, 777\/PU\n        Last attempt @ 2022-\d\d-\d\d \d\d:\d\d:\d\d UTC was successful\./);
  assert.match(text, new RegExp(`${guidToString(partnerInv)} @ USN 777 @ Time 2022-`));
  assert.match(text, new RegExp(`DSA invocationID: ${guidToString(d.store.dc.invocationId)}`));
});

test('forestd repl show on a provisioned data directory', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir('forestd-replshow-');
  try {
    const data = join(dir, 'data');
    const p = await runCli(['provision', '--data', data, '--realm', 'example.org', '--netbios', 'EXORG', '--admin-password', 'Adm1n-Passw0rd!']);
    assert.equal(p.code, 0, p.stderr);
    const r = await runCli(['repl', 'show', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^DSA: CN=NTDS Settings,CN=[^,]+,CN=Servers,/);
    assert.match(r.stdout, /DC=example,DC=org\n    \(no inbound neighbors\)/);
    assert.match(r.stdout, /==== UP-TO-DATENESS VECTORS/);
    const j = await runCli(['repl', 'show', '--data', data, '--json']);
    assert.equal(j.code, 0, j.stderr);
    const parsed = JSON.parse(j.stdout) as { ncs: { nc: string; cursors: { uuidSourceDsaInvocationID: string }[] }[]; invocationId: string };
    assert.ok(parsed.ncs.some((n) => n.nc === 'DC=example,DC=org'));
    assert.equal(parsed.ncs[0]!.cursors[0]!.uuidSourceDsaInvocationID, parsed.invocationId, "this DC's own cursor first");
    const bad = await runCli(['repl', 'frobnicate']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown repl command "frobnicate"/);
  } finally {
    cleanup();
  }
});
