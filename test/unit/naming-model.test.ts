// Naming as a model-based property (MS-ADTS 3.1.1.5.2 add, 3.1.1.5.4 Modify DN, 3.1.1.5.5 delete):
// random adds, renames, moves and deletes in a tree of OUs and users, applied to the DSA and to a
// model kept by the test. The DSA's verdict on each step (success, or AD's error) is the model's;
// afterwards every object has the DN the model derives and is found by it, and an object's
// uSNChanged moved only when it was itself renamed, moved or created ("a rename or move rewrites
// one record whatever the size of the subtree"). Fresh state per run: a new root OU, a new model.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Directory } from '../../src/dsa/directory.js';
import { modifyDN } from '../../src/dsa/modify-dn.js';
import { del } from '../../src/dsa/delete.js';
import { LdapError } from '../../src/ldap/protocol/result-codes.js';
import { DOMAIN, addObject, ctx, fixture } from './dsa-fixture.js';
import { propertyParams } from '../helpers/property.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
});
after(() => close());

interface Node {
  guid: Buffer;
  kind: 'ou' | 'user';
  name: string;
  parent: Node | null; // null: the run's root OU
  usn: number; // uSNChanged when it was last touched itself
}

/** Result code of a step, 0 for success. */
async function verdict(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    assert.ok(e instanceof LdapError, String(e));
    return e.resultCode;
  }
}

test('naming: the DSA agrees with a model on every add, rename, move and delete; DNs follow; subtrees are not rewritten', async () => {
  const name = fc.constantFrom('a', 'b', 'c', 'd');
  const step = fc.oneof(
    fc.record({ t: fc.constant('add' as const), kind: fc.constantFrom('ou' as const, 'user' as const), parent: fc.nat(), name }),
    fc.record({ t: fc.constant('rename' as const), i: fc.nat(), name }),
    fc.record({ t: fc.constant('move' as const), i: fc.nat(), to: fc.nat() }),
    fc.record({ t: fc.constant('delete' as const), i: fc.nat() }),
  );
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
      const rootDN = `OU=M${++run},${DOMAIN}`;
      await addObject(d, rootDN, { objectClass: 'organizationalUnit' });
      const nodes: Node[] = [];
      let sam = 0;
      const rdn = (n: { kind: 'ou' | 'user'; name: string }) => `${n.kind === 'ou' ? 'OU' : 'CN'}=${n.name}`;
      const dnOf = (n: Node | null): string => (n === null ? rootDN : `${rdn(n)},${dnOf(n.parent)}`);
      const children = (p: Node | null) => nodes.filter((x) => x.parent === p);
      const taken = (p: Node | null, n: { kind: 'ou' | 'user'; name: string }, except?: Node) =>
        children(p).some((x) => x !== except && x.name === n.name); // cn and ou share the name (RDN value) space of a parent
      const within = (x: Node | null, anc: Node): boolean => x !== null && (x === anc || within(x.parent, anc));
      const usnOf = (g: Buffer) => d.store.reader.getObject(g)!.usnChanged;
      const pick = (i: number) => (nodes.length ? nodes[i % nodes.length]! : undefined);
      // a parent: the root or any node (users too: the DSA must refuse those, possSuperiors)
      const parentAt = (i: number): Node | null => (i % (nodes.length + 1) === nodes.length ? null : nodes[i % (nodes.length + 1)]!);

      for (const s of steps) {
        if (s.t === 'add') {
          const parent = parentAt(s.parent);
          const n = { kind: s.kind, name: s.name };
          const want = parent?.kind === 'user' ? 64 : taken(parent, n) ? 68 : 0;
          const dn = `${rdn(n)},${dnOf(parent)}`;
          const attrs: Record<string, string> = s.kind === 'ou' ? { objectClass: 'organizationalUnit' } : { objectClass: 'user', sAMAccountName: `nm${run}x${++sam}` };
          assert.equal(await verdict(addObject(d, dn, attrs)), want, `add ${dn}`);
          if (want === 0) {
            const guid = d.resolve(d.store.reader, dn, 'test');
            nodes.push({ guid, kind: s.kind, name: s.name, parent, usn: usnOf(guid) });
          }
        } else if (s.t === 'rename') {
          const x = pick(s.i);
          if (!x) continue;
          const want = x.name === s.name ? 0 : taken(x.parent, { kind: x.kind, name: s.name }, x) ? 68 : 0;
          const got = await verdict(modifyDN(d, { type: 'modifyDNRequest', entry: dnOf(x), newrdn: rdn({ kind: x.kind, name: s.name }), deleteoldrdn: true }, ctx()));
          assert.equal(got, want, `rename ${dnOf(x)} to ${s.name}`);
          if (want === 0 && x.name !== s.name) {
            x.name = s.name;
            x.usn = usnOf(x.guid);
          }
        } else if (s.t === 'move') {
          const x = pick(s.i);
          if (!x) continue;
          const to = parentAt(s.to);
          if (to === x.parent) continue; // not a move
          const want = within(to, x) ? 64 : to?.kind === 'user' ? 64 : taken(to, x, x) ? 68 : 0;
          const got = await verdict(modifyDN(d, { type: 'modifyDNRequest', entry: dnOf(x), newrdn: rdn(x), deleteoldrdn: true, newSuperior: dnOf(to) }, ctx()));
          assert.equal(got, want, `move ${dnOf(x)} under ${dnOf(to)}`);
          if (want === 0) {
            x.parent = to;
            x.usn = usnOf(x.guid);
          }
        } else {
          const x = pick(s.i);
          if (!x) continue;
          const want = children(x).length > 0 ? 66 : 0;
          assert.equal(await verdict(del(d, { type: 'delRequest', entry: dnOf(x) }, ctx())), want, `delete ${dnOf(x)}`);
          if (want === 0) nodes.splice(nodes.indexOf(x), 1);
        }
      }
      // every live object: the model's DN, found by it, its record rewritten only when it was touched
      for (const x of nodes) {
        assert.equal(d.dnOf(d.store.reader, x.guid), dnOf(x));
        assert.ok(d.resolve(d.store.reader, dnOf(x), 'test').equals(x.guid));
        assert.equal(usnOf(x.guid), x.usn, `${dnOf(x)} was rewritten by a change to another object`);
      }
      // and nothing else is left under the run's root than the model's objects
      const under = (g: Buffer): number => [...d.store.reader.children(g)].reduce((a, c) => a + 1 + under(Buffer.from(c)), 0);
      assert.equal(under(d.resolve(d.store.reader, rootDN, 'test')), nodes.length);
    }),
    propertyParams(60),
  );
});
