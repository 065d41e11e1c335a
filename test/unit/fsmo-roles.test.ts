// The DSA's side of the FSMO roles (src/dsa/fsmo-roles.ts) on one provisioned directory: with
// the Schema Master and Domain Naming Master roles given to another DC's nTDSDSA object, schema
// writes and crossRef adds are referred to it (MS-ADTS 3.1.1.5.1.8), the seizure (fSMORoleOwner
// alone on the role object) is not, and GetRoleScope (MS-DRSR 4.1.10.5.16) lists each role's objects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Directory } from '../../src/dsa/directory.js';
import { ReferralError } from '../../src/ldap/protocol/result-codes.js';
import { isNtdsDsa, roleHooksOf, roleObject, roleOwner } from '../../src/dsa/fsmo-roles.js';
import { CONFIG, DOMAIN, addObject, fixture, mod, read } from './dsa-fixture.js';
import { parseDiagnostic } from '../helpers/ad-errors.js';
import { createObject } from '../../src/dsa/add.js';
import { OriginatingUpdate } from '../../src/dsa/originating-update.js';
import { toStored } from '../../src/dsa/values.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
});
after(() => close());

const SCHEMA = `CN=Schema,${CONFIG}`;
const PARTITIONS = `CN=Partitions,${CONFIG}`;
const SITE = `CN=Servers,CN=Default-First-Site-Name,CN=Sites,${CONFIG}`;
const OTHER_DSA = `CN=NTDS Settings,CN=OTHERDC,${SITE}`;
let n = 0;
const attribute = () => {
  const k = ++n;
  return addObject(d, `CN=fsmo-unit-${k},${SCHEMA}`, { objectClass: 'attributeSchema', attributeID: `1.3.6.1.4.1.99999.10.5.${k}`, attributeSyntax: '2.5.5.12', oMSyntax: '64', isSingleValued: 'TRUE' });
};

async function referred(p: Promise<unknown>, host: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ReferralError, String(e));
    assert.equal(e.resultCode, 10);
    assert.equal(parseDiagnostic(e.diagnosticMessage).win32, 0x202b, e.diagnosticMessage);
    assert.equal(e.referral?.length, 1);
    assert.match(e.referral![0]!, new RegExp(`^ldap://${host.replace(/\./g, '\\.')}/`));
    return true;
  });
}

test('MS-ADTS 3.1.1.5.1.8: schema writes and crossRef adds on a DC that is not the owner are referred to the owner; the seizure is not', async () => {
  await addObject(d, `CN=OTHERDC,${SITE}`, { objectClass: 'server', dNSHostName: 'otherdc.example.com' });
  // nTDSDSA objects are the system's (as forestd join makes its own)
  await d.store.write((w) => {
    const u = new OriginatingUpdate(w, d.store.dc.invocationId, d.clock);
    const oc = d.schema.attr('objectClass')!;
    const values = new Map([[oc, toStored(oc, [Buffer.from('nTDSDSA')], d.syntaxContext(w), 'test')]]);
    createObject(d, u, { parent: d.resolve(w, `CN=OTHERDC,${SITE}`, 'test'), rdnType: d.schema.attr('cn')!, rdnValue: 'NTDS Settings', values } as never, { system: true, place: 'test' });
  });
  const other = read(d, OTHER_DSA).guid;
  assert.ok(isNtdsDsa(d, d.store.reader, other));
  // negative control: as the owner, this DC takes a schema write
  await attribute();
  // the roles go to the other DC (the seizure from the other side: fSMORoleOwner alone)
  await mod(d, SCHEMA, [['replace', 'fSMORoleOwner', [OTHER_DSA]]]);
  await mod(d, PARTITIONS, [['replace', 'fSMORoleOwner', [OTHER_DSA]]]);
  assert.ok(roleOwner(d, d.store.reader, roleObject(d, d.store.reader, 'schema')!)!.equals(other));
  await referred(attribute(), 'otherdc.example.com');
  await referred(mod(d, `CN=Description,${SCHEMA}`, [['replace', 'adminDescription', ['x']]]), 'otherdc.example.com');
  await referred(addObject(d, `CN=fsmo-ref,${PARTITIONS}`, { objectClass: 'crossRef', nCName: `DC=fsmoapp,${DOMAIN}`, dnsRoot: 'fsmoapp.example.com' }), 'otherdc.example.com');
  // a write outside any role is not referred
  await mod(d, `CN=Users,${DOMAIN}`, [['replace', 'description', ['not single-master']]]);
  // the seizure back: fSMORoleOwner alone on the role object is not referred, and the writes work again
  await mod(d, SCHEMA, [['replace', 'fSMORoleOwner', [d.forest.dsaDN]]]);
  await mod(d, PARTITIONS, [['replace', 'fSMORoleOwner', [d.forest.dsaDN]]]);
  await attribute();
});

test('MS-DRSR 4.1.10.5.16 GetRoleScope: the schema NC, Partitions and its children, the PDC role object alone', () => {
  const r = d.store.reader;
  const hooks = roleHooksOf(d);
  const schema = hooks.scope(r, roleObject(d, r, 'schema')!);
  assert.ok(schema[0]!.equals(d.forest.schemaNC), 'the role object first');
  assert.ok(schema.length > 1700, `${schema.length} schema objects`);
  const partitions = roleObject(d, r, 'naming')!;
  const naming = hooks.scope(r, partitions);
  assert.ok(naming[0]!.equals(partitions));
  assert.equal(naming.length, 1 + [...r.children(partitions)].length);
  assert.ok(naming.some((g) => g.equals(read(d, `CN=${d.forest.netbios},${PARTITIONS}`).guid)), 'the domain crossRef');
  assert.deepEqual(hooks.scope(r, roleObject(d, r, 'pdc')!).map((g) => g.toString('hex')), [d.forest.domainNC.toString('hex')]);
  assert.equal(hooks.isDsa(r, d.forest.dsaGuid), true);
  assert.equal(hooks.isDsa(r, read(d, `CN=Administrator,CN=Users,${DOMAIN}`).guid), false);
});
