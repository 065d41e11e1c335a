// The DN ↔ GUID name cache (src/dsa/names.ts NameCache) and the store's naming epoch
// (src/store/store.ts "Naming epoch"): after a rename, a subtree move, a delete (DEL: mangling),
// an undelete, a removal and a replicated rename or name conflict, every read — over LDAP and
// through the Directory — sees the new names, while a snapshot begun before the change keeps the
// old ones and does not put them back into the cache. Negative controls: with the cache off its hit
// counter stays 0; with the epoch's move turned off the stale names are served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Control, NoSuchObjectError, InvalidCredentialsError } from 'ldapts';
import type { Directory } from '../../src/dsa/directory.js';
import { DsaService } from '../../src/dsa/service.js';
import { LdapServer } from '../../src/ldap/server.js';
import { silentLogger } from '../../src/ldap/logger.js';
import { modifyDN } from '../../src/dsa/modify-dn.js';
import { del } from '../../src/dsa/delete.js';
import { ReadContext } from '../../src/dsa/object-view.js';
import { DnDeriver, NAME_CACHE_ENTRIES } from '../../src/dsa/names.js';
import fc from 'fast-check';
import { propertyParams } from '../helpers/property.js';
import type { ReadTxn } from '../../src/store/store.js';
import { SHOW_DELETED_OID } from '../../src/ldap/controls/show-deleted.js';
import { guidToString } from '../../src/util/guid.js';
import { tempDir } from '../helpers/tmp.js';
import { DOMAIN, USERS, addObject, control, ctx, fixture, mod, pwd } from './dsa-fixture.js';
import { createNC, find, Network, openDCs, simSchema, Writer, type SimDC } from '../replication/sim.js';

let d: Directory;
let close: () => Promise<void>;
let server: LdapServer;
let url: string;
before(async () => {
  ({ d, close } = await fixture());
  server = new LdapServer({ directory: new DsaService(d), listeners: [{ host: '127.0.0.1', port: 0 }], logger: silentLogger });
  const [a] = await server.listen();
  url = `ldap://127.0.0.1:${a!.port}`;
});
after(async () => {
  await server.close();
  await close();
});

const ADMIN = `CN=Administrator,${USERS}`;
async function admin(): Promise<Client> {
  const c = new Client({ url });
  await c.bind(ADMIN, 'Passw0rd!');
  return c;
}
const mdn = (entry: string, newrdn: string, newSuperior?: string) => modifyDN(d, { type: 'modifyDNRequest', entry, newrdn, deleteoldrdn: true, ...(newSuperior !== undefined ? { newSuperior } : {}) }, ctx());
const ou = (dn: string) => addObject(d, dn, { objectClass: 'organizationalUnit' });
async function user(dn: string, sam: string, password?: string): Promise<Buffer> {
  await addObject(d, dn, { objectClass: 'user', sAMAccountName: sam });
  if (password) await mod(d, dn, [['replace', 'unicodePwd', [pwd(password)]], ['replace', 'userAccountControl', ['512']]]);
  return guidOf(dn)!;
}

/** The object `dn` names now (a fresh snapshot), or undefined. */
function guidOf(dn: string): Buffer | undefined {
  const r = d.store.snapshot();
  try {
    const res = d.tryResolve(r, dn);
    return res.found ? Buffer.from(res.guid) : undefined;
  } finally {
    r.done();
  }
}
/** The DN of `guid` now, as Directory.dnOf and as an operation's ReadContext derive it (both must agree). */
function dnOf(guid: Buffer): string {
  const r = d.store.snapshot();
  try {
    const a = d.dnOf(r, guid);
    const rc = new ReadContext(d, r);
    assert.equal(rc.view(guid)!.dn, a, 'ReadContext and Directory.dnOf derive the same DN');
    return a;
  } finally {
    r.done();
  }
}
/** The DN LDAP gives for a base read of `dn`, or undefined when LDAP says noSuchObject. */
async function ldapRead(c: Client, dn: string): Promise<string | undefined> {
  try {
    const { searchEntries } = await c.search(dn, { scope: 'base', attributes: ['distinguishedName'] });
    assert.equal(searchEntries.length, 1);
    assert.equal(searchEntries[0]!.dn, searchEntries[0]!.distinguishedName, 'the entry DN and distinguishedName agree');
    return searchEntries[0]!.dn;
  } catch (e) {
    if (e instanceof NoSuchObjectError) return undefined;
    throw e;
  }
}
/** The DN of the one entry a subtree search by sAMAccountName finds (the search path's result DNs). */
async function ldapFind(c: Client, sam: string, controls?: Control[]): Promise<string | undefined> {
  const { searchEntries } = await c.search(DOMAIN, { scope: 'sub', filter: `(sAMAccountName=${sam})`, attributes: ['cn'] }, controls);
  assert.ok(searchEntries.length <= 1);
  return searchEntries[0]?.dn;
}
/** Both reads of `dn` (old or new) over LDAP and through the Directory, after a change. */
async function sees(c: Client, dn: string, guid: Buffer, sam: string): Promise<void> {
  assert.equal(dnOf(guid), dn);
  assert.ok(guidOf(dn)?.equals(guid), `${dn} resolves to the object`);
  assert.equal(await ldapRead(c, dn), dn);
  assert.equal(await ldapFind(c, sam), dn);
}
async function gone(c: Client, dn: string): Promise<void> {
  assert.equal(guidOf(dn), undefined, `${dn} no longer resolves`);
  assert.equal(await ldapRead(c, dn), undefined, `${dn}: noSuchObject over LDAP`);
}

test('rename, subtree move, delete and undelete: every later read, over LDAP and through the Directory, sees the new names; the cache served reads', async () => {
  const c = await admin();
  try {
    await ou(`OU=NcA,${DOMAIN}`);
    await ou(`OU=NcB,${DOMAIN}`);
    const dn0 = `CN=Nc1,OU=NcA,${DOMAIN}`;
    const g = await user(dn0, 'nc1');
    const hits0 = d.names.cache.stats.hits;
    await sees(c, dn0, g, 'nc1');
    await sees(c, dn0, g, 'nc1');
    assert.ok(d.names.cache.stats.hits > hits0, 'the second round is answered from the cache');

    // rename over LDAP
    const dn1 = `CN=Nc1r,OU=NcA,${DOMAIN}`;
    await c.modifyDN(dn0, 'CN=Nc1r');
    await gone(c, dn0);
    await sees(c, dn1, g, 'nc1');

    // a case-only rename changes the DN string, not the DN index key
    const dn1c = `CN=NC1R,OU=NcA,${DOMAIN}`;
    await mdn(dn1, 'CN=NC1R');
    assert.equal(dnOf(g), dn1c);
    assert.equal(await ldapFind(c, 'nc1'), dn1c);

    // a move of the parent: the child's DN follows though its record did not change
    const dn2 = `CN=NC1R,OU=NcA,OU=NcB,${DOMAIN}`;
    await c.modifyDN(`OU=NcA,${DOMAIN}`, `OU=NcA,OU=NcB,${DOMAIN}`);
    await gone(c, dn1c);
    await gone(c, `OU=NcA,${DOMAIN}`);
    await sees(c, dn2, g, 'nc1');

    // delete: the tombstone is DEL:-mangled in Deleted Objects
    await del(d, { type: 'delRequest', entry: dn2 }, ctx());
    await gone(c, dn2);
    const tomb = dnOf(g);
    assert.equal(tomb, `CN=NC1R\\0ADEL:${guidToString(g)},CN=Deleted Objects,${DOMAIN}`);
    assert.equal(await ldapFind(c, 'nc1', [new Control(SHOW_DELETED_OID, { critical: true })]), tomb);

    // undelete (MS-ADTS 3.1.1.5.3.7) to yet another name
    const dn3 = `CN=Nc1u,OU=NcA,OU=NcB,${DOMAIN}`;
    await mod(d, `<GUID=${guidToString(g)}>`, [['delete', 'isDeleted', []], ['replace', 'distinguishedName', [dn3]]], [control(SHOW_DELETED_OID)]);
    assert.equal(guidOf(tomb), undefined);
    await sees(c, dn3, g, 'nc1');
  } finally {
    await c.unbind();
  }
});

test('bind: after a rename the old DN no longer binds (52e like any unknown name), the new one does', async () => {
  const dn0 = `CN=NcBind,${USERS}`;
  await user(dn0, 'ncbind', 'B1nd-pass!');
  for (let i = 0; i < 2; i++) {
    const c = new Client({ url });
    await c.bind(dn0, 'B1nd-pass!');
    await c.unbind();
  }
  await mdn(dn0, 'CN=NcBind2');
  const old = new Client({ url });
  await assert.rejects(old.bind(dn0, 'B1nd-pass!'), (e) => e instanceof InvalidCredentialsError && /data 52e,/.test(e.message));
  await old.unbind();
  const c = new Client({ url });
  await c.bind(`CN=NcBind2,${USERS}`, 'B1nd-pass!');
  await c.unbind();
});

test('a snapshot begun before a rename keeps the old names, and what it derives is not served to later readers', async () => {
  const dn0 = `CN=NcSnap,${USERS}`;
  const dn1 = `CN=NcSnap2,${USERS}`;
  const g = await user(dn0, 'ncsnap');
  assert.equal(dnOf(g), dn0); // cached under the current epoch
  const old = d.store.snapshot();
  try {
    assert.equal(d.dnOf(old, g), dn0);
    await mdn(dn0, 'CN=NcSnap2');
    // a new reader fills the cache with the new names …
    assert.equal(dnOf(g), dn1);
    assert.equal(guidOf(dn0), undefined);
    // … the old snapshot still sees its own, through the Directory and an operation's ReadContext
    assert.equal(d.dnOf(old, g), dn0);
    assert.equal(new ReadContext(d, old).dnOf(g), dn0);
    const res = d.tryResolve(old, dn0);
    assert.ok(res.found && res.guid.equals(g));
    assert.equal(d.tryResolve(old, dn1).found, false);
    // … and nothing it derived reached the cache
    assert.equal(dnOf(g), dn1);
    assert.equal(guidOf(dn0), undefined);
    assert.ok(guidOf(dn1)?.equals(g));
  } finally {
    old.done();
  }
});

test('a write transaction reads its own renames; one that fails leaves the cache serving the committed names', async () => {
  const dn0 = `CN=NcTxn,${USERS}`;
  const g = await user(dn0, 'nctxn');
  assert.equal(dnOf(g), dn0);
  await assert.rejects(
    d.store.write((w) => {
      assert.equal(d.dnOf(w, g), dn0);
      const rec = w.getObject(g)!;
      w.putObject(g, { ...rec, name: 'NcTxnX' }, rec);
      assert.equal(d.dnOf(w, g), `CN=NcTxnX,${USERS}`, 'the transaction sees its own rename');
      assert.equal(d.tryResolve(w, dn0).found, false);
      throw new Error('abort');
    }),
    /abort/,
  );
  assert.equal(dnOf(g), dn0);
  assert.ok(guidOf(dn0)?.equals(g));
  assert.equal(guidOf(`CN=NcTxnX,${USERS}`), undefined);
  // the next rename, committed, is seen
  await mdn(dn0, 'CN=NcTxnY');
  assert.equal(dnOf(g), `CN=NcTxnY,${USERS}`);
});

test('Store.reader inside a write body reads the uncommitted state: nothing it derives is kept (two renames in one update)', async () => {
  const dn0 = `CN=NcIn,${USERS}`;
  const g = await user(dn0, 'ncin');
  assert.equal(dnOf(g), dn0);
  await d.store.write((w) => {
    const rec = w.getObject(g)!;
    w.putObject(g, { ...rec, name: 'NcInX' }, rec);
    // lmdb-js answers a read without a snapshot from the write transaction here
    assert.equal(d.dnOf(d.store.reader, g), `CN=NcInX,${USERS}`);
    const again = w.getObject(g)!;
    w.putObject(g, { ...again, name: 'NcInY' }, again);
  });
  assert.equal(dnOf(g), `CN=NcInY,${USERS}`, 'the name the update committed, not the one read half-way');
  assert.equal(guidOf(`CN=NcInX,${USERS}`), undefined);
});

test('the naming epoch moves with each rename and reads back whatever its stored size (ReadTxn.namingEpoch)', async () => {
  const dn0 = `CN=NcEpoch,${USERS}`;
  await user(dn0, 'ncepoch');
  const epoch = () => {
    const r = d.store.snapshot();
    try {
      return r.namingEpoch();
    } finally {
      r.done();
    }
  };
  const e0 = epoch();
  await mod(d, dn0, [['replace', 'description', ['no naming change']]]);
  assert.equal(epoch(), e0, 'a modify of other attributes leaves it');
  let name = dn0;
  for (const top of [126, 127, 255, 65_535, 2 ** 32 - 2, 2 ** 40]) {
    d.store._epochTop = top;
    const next = `CN=NcEpoch${top},${USERS}`;
    await mdn(name, `CN=NcEpoch${top}`);
    name = next;
    assert.equal(epoch(), top + 1);
    assert.equal(dnOf(guidOf(name)!), name);
  }
});

test('an object removed for good (garbage collection, WriteTxn.removeObject) no longer resolves', async () => {
  const dn0 = `CN=NcGone,${USERS}`;
  const g = await user(dn0, 'ncgone');
  assert.ok(guidOf(dn0)?.equals(g));
  await d.store.write((w) => w.removeObject(g, w.getObject(g)!));
  assert.equal(guidOf(dn0), undefined);
  const r = d.store.snapshot();
  try {
    assert.throws(() => d.dnOf(r, g), /missing/);
  } finally {
    r.done();
  }
});

test('a schema swap empties the cache (DNs spell RDN attributes by the schema in force)', async () => {
  const g = guidOf(ADMIN)!;
  const once = () => {
    const r = d.store.snapshot();
    try {
      return d.dnOf(r, g);
    } finally {
      r.done();
    }
  };
  assert.equal(once(), ADMIN);
  let hits = d.names.cache.stats.hits;
  assert.equal(once(), ADMIN);
  assert.equal(d.names.cache.stats.hits, hits + 1, 'cached');
  d.setSchema(d.schema.snapshot);
  hits = d.names.cache.stats.hits;
  assert.equal(once(), ADMIN);
  assert.equal(d.names.cache.stats.hits, hits, 'nothing kept under the old schema is served');
  assert.equal(once(), ADMIN);
  assert.equal(d.names.cache.stats.hits, hits + 1, 'cached again under the new one');
});

test('the cache is bounded: entries per map stay within the setting', async () => {
  d.names.cache.resize(8);
  try {
    await ou(`OU=NcMany,${DOMAIN}`);
    const gs: Buffer[] = [];
    for (let i = 0; i < 20; i++) gs.push(await user(`CN=NcMany${i},OU=NcMany,${DOMAIN}`, `ncmany${i}`));
    for (let i = 0; i < 20; i++) assert.equal(dnOf(gs[i]!), `CN=NcMany${i},OU=NcMany,${DOMAIN}`);
    assert.ok(d.names.cache.size <= 3 * 8, `size ${d.names.cache.size}`);
  } finally {
    d.names.cache.resize(NAME_CACHE_ENTRIES);
  }
});

test('negative controls: with the cache off no read is a hit; with the naming epoch not moved, a rename leaves stale names served', async () => {
  const c = await admin();
  try {
    const dn0 = `CN=NcCtl,${USERS}`;
    const g = await user(dn0, 'ncctl');
    d.names.cache.resize(0);
    try {
      const hits = d.names.cache.stats.hits;
      await sees(c, dn0, g, 'ncctl');
      await sees(c, dn0, g, 'ncctl');
      assert.equal(d.names.cache.stats.hits, hits, 'the cache off: no hit');
    } finally {
      d.names.cache.resize(NAME_CACHE_ENTRIES);
    }
    const hits = d.names.cache.stats.hits;
    await sees(c, dn0, g, 'ncctl');
    await sees(c, dn0, g, 'ncctl');
    assert.ok(d.names.cache.stats.hits > hits, 'the cache on: hits');

    // the epoch is what keeps the cache right: without its move the old names stay cached
    d.store._bumpNamingEpoch = false;
    try {
      await mdn(dn0, 'CN=NcCtl2');
      assert.equal(dnOf(g), dn0, 'stale: the old DN is served for the renamed object');
      assert.ok(guidOf(dn0)?.equals(g), 'stale: the old DN still resolves');
      assert.equal(await ldapFind(c, 'ncctl'), dn0, 'stale over LDAP too');
    } finally {
      d.store._bumpNamingEpoch = true;
      d.names.cache.resize(NAME_CACHE_ENTRIES); // forget the stale entries
    }
    assert.equal(dnOf(g), `CN=NcCtl2,${USERS}`);
    assert.equal(guidOf(dn0), undefined);
  } finally {
    await c.unbind();
  }
});

test('property: after random renames, moves and deletes, every snapshot kept (old and new) derives and resolves as a DnDeriver without a cache does', async () => {
  // the oracle: the same derivation and resolution with no name cache at all
  const oracle = new DnDeriver({ nameOf: (id) => d.schema.attrById(id)?.name ?? `${id}`, idOf: (t) => d.schema.attr(t)?.id }, { cacheEntries: 0 });
  const step = fc.oneof(
    fc.record({ t: fc.constant('rename' as const), i: fc.nat(), name: fc.constantFrom('a', 'b', 'C', 'c') }),
    fc.record({ t: fc.constant('move' as const), i: fc.nat(), to: fc.nat() }),
    fc.record({ t: fc.constant('delete' as const), i: fc.nat() }),
    fc.record({ t: fc.constant('keep' as const) }),
  );
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
      const root = `OU=NcP${++run},${DOMAIN}`;
      await ou(root);
      await ou(`OU=x,${root}`);
      await ou(`OU=y,OU=x,${root}`);
      await ou(`OU=z,${root}`);
      await user(`CN=u,OU=y,OU=x,${root}`, `ncp${run}u`);
      await user(`CN=v,OU=z,${root}`, `ncp${run}v`);
      const guids = [`OU=x,${root}`, `OU=y,OU=x,${root}`, `OU=z,${root}`, `CN=u,OU=y,OU=x,${root}`, `CN=v,OU=z,${root}`].map((dn) => guidOf(dn)!);
      const parents = [guidOf(root)!, guids[0]!, guids[1]!, guids[2]!]; // the root and the OUs (moves into its own subtree are refused)
      const kept: ReadTxn[] = [];
      const check = (r: ReadTxn) => {
        for (const g of guids) {
          let want: string | undefined;
          try {
            want = oracle.dnOf(r, g);
          } catch {
            want = undefined;
          }
          if (want === undefined) continue;
          assert.equal(d.dnOf(r, g), want);
          assert.equal(new ReadContext(d, r).dnOf(g), want);
          const res = d.tryResolve(r, want);
          assert.ok(res.found && res.guid.equals(g), `${want} resolves to its object`);
          const o = oracle.resolve(r, want);
          assert.ok(o.found && o.guid.equals(g));
        }
      };
      try {
        for (const s of steps) {
          const r0 = d.store.snapshot();
          const dnOfNow = (g: Buffer) => oracle.dnOf(r0, g);
          try {
            if (s.t === 'keep') {
              kept.push(d.store.snapshot());
            } else if (s.t === 'rename') {
              const g = guids[s.i % guids.length]!;
              const dn = dnOfNow(g);
              await modifyDN(d, { type: 'modifyDNRequest', entry: dn, newrdn: `${dn.slice(0, 2)}=${s.name}`, deleteoldrdn: true }, ctx()).catch(() => {});
            } else if (s.t === 'move') {
              const g = guids[s.i % guids.length]!;
              const dn = dnOfNow(g);
              const to = dnOfNow(parents[s.to % parents.length]!);
              await modifyDN(d, { type: 'modifyDNRequest', entry: dn, newrdn: dn.split(',')[0]!, deleteoldrdn: true, newSuperior: to }, ctx()).catch(() => {});
            } else {
              const g = guids[s.i % guids.length]!;
              await del(d, { type: 'delRequest', entry: dnOfNow(g) }, ctx()).catch(() => {});
            }
          } finally {
            r0.done();
          }
          const now = d.store.snapshot();
          try {
            check(now);
            for (const r of kept) check(r);
          } finally {
            now.done();
          }
        }
      } finally {
        for (const r of kept) r.done();
      }
    }),
    propertyParams(25),
  );
});

test('replication: a replicated rename and a name-conflict (CNF) rename are seen by the destination DC\'s cached names', async () => {
  simSchema();
  const world = { time: 13_100_000_000 };
  const root = tempDir('forestd-name-cache-');
  const dcs = openDCs(root.dir, 2, world);
  try {
    const [d0, d1] = dcs as [SimDC, SimDC];
    const nc = createNC(d0, 7);
    const net = new Network(dcs, nc, 0);
    net.fullCycle(1, 0);
    world.time++;
    const b = find(d0, nc, 'B')!.guid;
    const dnOn = (dc: SimDC, g: Buffer) => {
      const r = dc.store.snapshot();
      try {
        return dc.ctx.names.dnOf(r, g);
      } finally {
        r.done();
      }
    };
    const resolvesOn = (dc: SimDC, dn: string) => {
      const r = dc.store.snapshot();
      try {
        const res = dc.ctx.names.resolve(r, dn);
        return res.found ? Buffer.from(res.guid) : undefined;
      } finally {
        r.done();
      }
    };
    const before = dnOn(d1, b);
    assert.equal(dnOn(d1, b), before);
    assert.ok(resolvesOn(d1, before)?.equals(b));
    const hits = d1.ctx.names.cache.stats.hits;
    assert.ok(resolvesOn(d1, before)?.equals(b));
    assert.ok(d1.ctx.names.cache.stats.hits > hits, 'd1 answers from its cache');

    // a rename on d0, replicated to d1
    assert.ok(new Writer(d0, nc).modifyDNObj(b, 'B2', nc.name.Guid));
    net.quiesce();
    const after = dnOn(d1, b);
    assert.notEqual(after, before);
    assert.match(after, /^OU=B2,/);
    assert.equal(resolvesOn(d1, before), undefined);
    assert.ok(resolvesOn(d1, after)?.equals(b));

    // the same name made on both DCs: replication apply on d0 renames d0's own object, the
    // loser (smaller stamp on name), to RDN\nCNF:<guid> (MS-DRSR 4.1.10.6 name conflicts)
    const a = find(d0, nc, 'A')!.guid;
    const first = new Writer(d0, nc).addAt(a, 'dup', 'ou')!;
    const dupDn = dnOn(d0, first);
    assert.ok(resolvesOn(d0, dupDn)?.equals(first));
    assert.ok(resolvesOn(d0, dupDn)?.equals(first), 'cached on d0');
    world.time++;
    const second = new Writer(d1, nc).addAt(a, 'dup', 'ou')!;
    net.quiesce();
    assert.ok(resolvesOn(d0, dupDn)?.equals(second), 'the name is the winner\'s now');
    const loser = dnOn(d0, first);
    assert.ok(loser.includes(`\\0ACNF:${guidToString(first)}`), loser);
    assert.ok(resolvesOn(d0, loser)?.equals(first));
  } finally {
    for (const x of dcs) await x.store.close();
    root.cleanup();
  }
});
