// The access decisions kept on a session's token (access.ts: by SD for attribute rights, by
// parent for LIST_CONTENTS) are bounded by TOKEN_MEMO_CAP: a session that walks many SDs or
// containers does not grow its token's memory without end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { searchFixture, addEntries, type Fixture } from '../helpers/search-fixture.js';
import { AccessContext, TOKEN_MEMO_CAP } from '../../src/dsa/access/access.js';
import { makeToken, type SecurityToken } from '../../src/security/token.js';
import { sidFromString } from '../../src/schema/syntaxes/index.js';
import { sddlToBinary } from '../../src/security/sddl.js';
import type { ObjectRecord } from '../../src/store/record.js';

let f: Fixture;
before(async () => {
  f = await searchFixture();
});
after(async () => {
  await f.close();
});

const userToken = () => makeToken(sidFromString('S-1-5-21-1-2-3-1104'), undefined, [], [sidFromString('S-1-1-0'), sidFromString('S-1-5-11')], []);

/** the sizes of the maps a token's memo holds (one level down: the DECISIONS entry is { schema, bySd }) */
function memoSizes(token: SecurityToken): number[] {
  return [...token.memo.values()].map((v) => (v instanceof Map ? v.size : (v as { bySd: Map<unknown, unknown> }).bySd.size));
}

test('decisions by SD: one entry per distinct SD, never more than TOKEN_MEMO_CAP', () => {
  const token = userToken();
  const admin = f.dir.resolve(f.dir.store.reader, `CN=Administrator,CN=Users,${f.baseDN}`, 'test');
  const sdId = f.dir.schema.attr('nTSecurityDescriptor')!.id;
  const desc = f.dir.schema.attr('description')!;
  const r = f.dir.store.snapshot();
  try {
    const rec = r.getObject(admin)!;
    const acc = new AccessContext(f.dir, r, token);
    const n = TOKEN_MEMO_CAP + 100;
    let granted = 0;
    for (let i = 0; i < n; i++) {
      // a record of its own SD: everyone may read properties; the owner differs per record, so every SD is distinct
      const sd = sddlToBinary(`O:S-1-5-21-1-2-3-${5000 + i}G:BAD:(A;;RPLC;;;WD)`);
      const clone: ObjectRecord = { ...rec, attrs: rec.attrs.map((a) => (a.id === sdId ? { ...a, values: [sd] } : a)) };
      if (acc.mayRead(clone, desc)) granted++;
      if (i === 9) assert.deepEqual(memoSizes(token), [10], 'the memo fills: one entry per SD seen (the control: without it nothing is bounded)');
    }
    assert.equal(granted, n, 'the decisions themselves are unchanged');
    const [size] = memoSizes(token);
    assert.ok(size! >= 1 && size! <= TOKEN_MEMO_CAP, `the memo holds ${size} SDs, at most ${TOKEN_MEMO_CAP}`);
    assert.equal(size, n - TOKEN_MEMO_CAP, 'it started again empty when it was full');
  } finally {
    r.done();
  }
});

test('LIST_CONTENTS by parent: one entry per container, never more than TOKEN_MEMO_CAP', () => {
  const n = TOKEN_MEMO_CAP + 50;
  const base = `OU=Memo,${f.baseDN}`;
  addEntries(f.dir, [{ dn: base, attrs: { objectClass: 'organizationalUnit' } }]);
  const children: Buffer[] = [];
  for (let made = 0; made < n; made += 500) {
    const k = Math.min(500, n - made);
    addEntries(f.dir, Array.from({ length: k }, (_, i) => ({ dn: `OU=c${made + i},${base}`, attrs: { objectClass: 'organizationalUnit' } })));
    children.push(...addEntries(f.dir, Array.from({ length: k }, (_, i) => ({ dn: `CN=x,OU=c${made + i},${base}`, attrs: { objectClass: 'contact' } }))));
  }
  const token = userToken();
  const r = f.dir.store.snapshot();
  try {
    let seen = 0;
    children.forEach((g, i) => {
      // a context per object, as one small search after another would make
      if (new AccessContext(f.dir, r, token).visible(g, r.readObject(g)!)) seen++;
      if (i === 9) assert.deepEqual(memoSizes(token), [10], 'the memo fills: one entry per parent seen');
    });
    assert.equal(seen, n, 'authenticated users list the contents of an OU (its default SD): the answers are unchanged');
    const [size] = memoSizes(token);
    assert.ok(size! <= TOKEN_MEMO_CAP, `the memo holds ${size} parents, at most ${TOKEN_MEMO_CAP}`);
    assert.equal(size, n - TOKEN_MEMO_CAP);
  } finally {
    r.done();
  }
});
