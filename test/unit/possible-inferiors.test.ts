// possibleInferiors (MS-ADTS 3.1.1.4.5.21), constructed on classSchema objects: checked for every
// class of the schema against the set computed here from the classSchema objects as a search
// returns them (lDAPDisplayName, subClassOf, possSuperiors, systemPossSuperiors, systemOnly,
// objectClassCategory), by the rule Windows follows: the possible superiors of a class C are
// its possSuperiors and systemPossSuperiors, those of its superclasses, and every subclass of
// those; possibleInferiors(X) is every class C, not systemOnly, neither abstract (2) nor
// auxiliary (3), whose possible superiors hold X. Negative controls: no value on an object that
// is not a classSchema object; systemOnly and abstract classes are left out even where their
// possSuperiors name the class.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { searchFixture, request, run, type Fixture } from '../helpers/search-fixture.js';

let f: Fixture;
let schemaNC: string;
before(async () => {
  f = await searchFixture();
  schemaNC = `CN=Schema,CN=Configuration,${f.baseDN}`;
});
after(async () => {
  await f.close();
});

interface ClassRow {
  name: string;
  sup: string;
  poss: string[];
  systemOnly: boolean;
  category: number;
}

async function classRows(): Promise<Map<string, ClassRow>> {
  const r = await run(f.dir, request(schemaNC, '(objectClass=classSchema)', { scope: 1, attributes: ['lDAPDisplayName', 'subClassOf', 'possSuperiors', 'systemPossSuperiors', 'systemOnly', 'objectClassCategory', 'isDefunct'] }));
  const rows = new Map<string, ClassRow>();
  for (const e of r.entries) {
    if (e.attrs.get('isdefunct')?.[0] === 'TRUE') continue;
    const name = e.attrs.get('ldapdisplayname')![0]!;
    rows.set(name.toLowerCase(), {
      name,
      sup: e.attrs.get('subclassof')![0]!.toLowerCase(),
      poss: [...(e.attrs.get('posssuperiors') ?? []), ...(e.attrs.get('systemposssuperiors') ?? [])].map((x) => x.toLowerCase()),
      systemOnly: e.attrs.get('systemonly')?.[0] === 'TRUE',
      category: Number(e.attrs.get('objectclasscategory')?.[0] ?? 0),
    });
  }
  return rows;
}

/** The possible inferiors of every class, by the rule above (independent of src/). */
function expected(rows: Map<string, ClassRow>): Map<string, string[]> {
  const subclasses = new Map<string, Set<string>>();
  for (const k of rows.keys()) subclasses.set(k, new Set());
  for (const [k, row] of rows) {
    // every superclass above k has k as a subclass
    for (let s = row.sup; s !== k && rows.has(s); ) {
      subclasses.get(s)!.add(k);
      const next = rows.get(s)!.sup;
      if (next === s) break;
      s = next;
    }
  }
  const superiorsOf = (c: string): Set<string> => {
    const out = new Set<string>();
    for (let k = c; rows.has(k); ) {
      for (const p of rows.get(k)!.poss) {
        out.add(p);
        for (const sub of subclasses.get(p) ?? []) out.add(sub);
      }
      const next = rows.get(k)!.sup;
      if (next === k) break;
      k = next;
    }
    return out;
  };
  const result = new Map<string, string[]>();
  for (const k of rows.keys()) result.set(k, []);
  for (const [c, row] of rows) {
    if (row.systemOnly || row.category === 2 || row.category === 3) continue;
    for (const x of superiorsOf(c)) result.get(x)?.push(row.name.toLowerCase());
  }
  for (const v of result.values()) v.sort();
  return result;
}

test('MS-ADTS 3.1.1.4.5.21: possibleInferiors of every classSchema object is the set Windows computes', async () => {
  const rows = await classRows();
  assert.ok(rows.size > 200, `the schema's classes (${rows.size})`);
  const want = expected(rows);
  const r = await run(f.dir, request(schemaNC, '(objectClass=classSchema)', { scope: 1, attributes: ['lDAPDisplayName', 'possibleInferiors'] }));
  let compared = 0;
  let nonEmpty = 0;
  for (const e of r.entries) {
    const name = e.attrs.get('ldapdisplayname')![0]!.toLowerCase();
    if (!want.has(name)) continue;
    const got = (e.attrs.get('possibleinferiors') ?? []).map((x) => x.toLowerCase()).sort();
    assert.deepEqual(got, want.get(name), `possibleInferiors of ${name}`);
    compared++;
    if (got.length > 0) nonEmpty++;
  }
  assert.equal(compared, rows.size);
  assert.ok(nonEmpty > 20, `classes with possible inferiors (${nonEmpty})`);
  // well-known cases: users, groups and OUs go under an OU; nothing under a user but what its possSuperiors allow
  const ou = want.get('organizationalunit')!;
  for (const c of ['user', 'group', 'organizationalunit', 'computer', 'contact']) assert.ok(ou.includes(c), `${c} under organizationalUnit`);
});

test('possibleInferiors: a subclass of a possible superior holds the inferiors too; systemOnly and abstract classes are left out', async () => {
  const rows = await classRows();
  const inferiors = async (cls: string) => {
    const r = await run(f.dir, request(schemaNC, `(&(objectClass=classSchema)(lDAPDisplayName=${cls}))`, { scope: 1, attributes: ['possibleInferiors'] }));
    return (r.entries[0]!.attrs.get('possibleinferiors') ?? []).map((x) => x.toLowerCase());
  };
  // domainDNS is a subclass of domain: what may go under a domain may go under a domainDNS
  assert.equal(rows.get('domaindns')!.sup, 'domain');
  const underDomain = await inferiors('domain');
  const underDomainDns = await inferiors('domainDNS');
  assert.ok(underDomain.length > 0);
  for (const c of underDomain) assert.ok(underDomainDns.includes(c), `${c} under domainDNS too`);
  // nTDSDSA (systemOnly) names server among its possible superiors, and is not a possible inferior of server
  assert.equal(rows.get('ntdsdsa')!.systemOnly, true);
  assert.ok(rows.get('ntdsdsa')!.poss.includes('server'));
  assert.ok(!(await inferiors('server')).includes('ntdsdsa'), 'systemOnly left out');
  // abstract and auxiliary classes are never possible inferiors
  const all = new Set<string>();
  for (const row of rows.values()) for (const c of await inferiors(row.name)) all.add(c);
  for (const c of all) assert.ok(rows.get(c)!.category !== 2 && rows.get(c)!.category !== 3, `${c} is instantiable`);
});

test('negative control: possibleInferiors is constructed on classSchema objects only (none on an organizationalUnit or an attributeSchema object)', async () => {
  const ou = await run(f.dir, request(`OU=Domain Controllers,${f.baseDN}`, '(objectClass=*)', { scope: 0, attributes: ['possibleInferiors', 'allowedChildClasses'] }));
  assert.ok(ou.entries[0]!.attrs.get('allowedchildclasses')!.length > 0, 'the OU has allowed child classes');
  assert.equal(ou.entries[0]!.attrs.get('possibleinferiors'), undefined);
  const attr = await run(f.dir, request(schemaNC, '(&(objectClass=attributeSchema)(lDAPDisplayName=cn))', { scope: 1, attributes: ['possibleInferiors'] }));
  assert.equal(attr.entries.length, 1);
  assert.equal(attr.entries[0]!.attrs.get('possibleinferiors'), undefined);
});
