// msDS-Auxiliary-Classes (MS-ADTS 3.1.1.4.5.18; MS-ADA2: "the list of auxiliary classes that
// have been dynamically attached to an object"): constructed from the objectClass values that
// are auxiliary classes. A user gets ipHost (an auxiliary class its class does not link) with a
// modify: the attribute lists it, and no longer once it is removed. Negative controls: a plain
// user, whose class links auxiliary classes statically (securityPrincipal, mailRecipient,
// posixAccount…), has none; it is constructed (absent from '*').
import test from 'node:test';
import assert from 'node:assert/strict';
import { fixture, addObject, mod, USERS } from './dsa-fixture.js';
import { request, run } from '../helpers/search-fixture.js';

test('MS-ADTS 3.1.1.4.5.18 msDS-Auxiliary-Classes: the auxiliary classes attached to the object with a modify, none on a plain user', async () => {
  const { d, close } = await fixture();
  try {
    const dn = `CN=aux1,${USERS}`;
    await addObject(d, dn, { objectClass: 'user', sAMAccountName: 'aux1' });
    const read = async (attrs: string[]) => (await run(d, request(dn, '(objectClass=*)', { scope: 0, attributes: attrs }))).entries[0]!.attrs;
    // the class links auxiliary classes statically; none of them is attached dynamically
    assert.ok(d.schema.snapshot.classByName('user')!.systemAuxiliaryClass.length > 0);
    assert.equal((await read(['msDS-Auxiliary-Classes'])).get('msds-auxiliary-classes'), undefined, 'none on a plain user');
    await mod(d, dn, [['add', 'objectClass', ['ipHost']]]);
    const after = await read(['msDS-Auxiliary-Classes', 'objectClass']);
    assert.deepEqual(after.get('msds-auxiliary-classes'), ['ipHost']);
    assert.ok(after.get('objectclass')!.includes('ipHost'));
    assert.equal((await read(['*'])).get('msds-auxiliary-classes'), undefined, "constructed: not in '*'");
    await mod(d, dn, [['delete', 'objectClass', ['ipHost']]]);
    assert.equal((await read(['msDS-Auxiliary-Classes'])).get('msds-auxiliary-classes'), undefined, 'gone with the class');
  } finally {
    await close();
  }
});
