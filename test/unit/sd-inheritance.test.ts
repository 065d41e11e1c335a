// MS-DTYP 2.5.3.4 CreateSecurityDescriptor / ComputeACL on a table of cases, and the
// descriptors of a new forest's special objects against python3-samba's (Windows' defaults).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parseSddl, formatSddl, binaryToSddl } from '../../src/security/sddl.js';
import { createSecurityDescriptor, reinherit } from '../../src/security/sd-inheritance.js';
import { sidFromString, sidToString } from '../../src/schema/syntaxes/string-sid.js';
import { fixture } from './dsa-fixture.js';
import { needTool, PYTHON } from '../helpers/tools.js';

const DOM = 'S-1-5-21-1-2-3';
const ctx = { domainSid: Buffer.from(sidFromString(DOM)) };
const USER = 'bf967aba-0de6-11d0-a285-00aa003049e2';
const GROUP = 'bf967a9c-0de6-11d0-a285-00aa003049e2';
const ALICE = `${DOM}-1105`;

interface Row {
  rule: string;
  parent?: string;
  creator?: string;
  objectType?: string;
  expect: string;
}

const ROWS: Row[] = [
  { rule: 'MS-DTYP 2.5.3.4.2: a CI ACE is inherited, marked ID, and stays inheritable', parent: 'O:DAG:DAD:(A;CI;RP;;;AU)', creator: 'D:(A;;RPWP;;;DA)', expect: `O:${ALICE}G:DUD:AI(A;;RPWP;;;DA)(A;CIID;RP;;;AU)` },
  { rule: 'MS-DTYP 2.5.3.4.2: a CIIO ACE takes effect on the child (IO cleared)', parent: 'O:DAG:DAD:(A;CIIO;WP;;;AU)', creator: 'D:', expect: `O:${ALICE}G:DUD:AI(A;CIID;WP;;;AU)` },
  { rule: 'MS-DTYP 2.5.3.4.2: NO_PROPAGATE_INHERIT reaches the child only', parent: 'O:DAG:DAD:(A;CINP;WP;;;AU)', creator: 'D:', expect: `O:${ALICE}G:DUD:AI(A;ID;WP;;;AU)` },
  { rule: 'MS-DTYP 2.5.3.4.2: an ACE without inheritance flags is not inherited', parent: 'O:DAG:DAD:(A;;WP;;;AU)', creator: 'D:', expect: `O:${ALICE}G:DUD:AI` },
  { rule: 'MS-DTYP 2.5.3.4.2: object-specific inheritance takes effect on the named class', parent: `O:DAG:DAD:(OA;CIIO;RP;;${USER};AU)`, creator: 'D:', objectType: USER, expect: `O:${ALICE}G:DUD:AI(OA;CIID;RP;;${USER};AU)` },
  { rule: 'MS-DTYP 2.5.3.4.2: on another class it passes through inherit-only', parent: `O:DAG:DAD:(OA;CIIO;RP;;${USER};AU)`, creator: 'D:', objectType: GROUP, expect: `O:${ALICE}G:DUD:AI(OA;CIIOID;RP;;${USER};AU)` },
  { rule: 'MS-DTYP 2.5.3.4.2: CREATOR OWNER becomes the owner, and stays inheritable as CO', parent: 'O:DAG:DAD:(A;CIIO;GA;;;CO)', creator: 'D:', expect: `O:${ALICE}G:DUD:AI(A;ID;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;${ALICE})(A;CIIOID;GA;;;CO)` },
  { rule: 'MS-DTYP 2.5.3.4.2: CREATOR GROUP becomes the group', parent: 'O:DAG:DAD:(A;CINP;RP;;;CG)', creator: 'D:', expect: `O:${ALICE}G:DUD:AI(A;ID;RP;;;DU)` },
  { rule: 'MS-DTYP 2.5.3.4.1: a protected creator DACL inherits nothing', parent: 'O:DAG:DAD:(A;CI;RP;;;AU)', creator: 'D:P(A;;RP;;;DA)', expect: `O:${ALICE}G:DUD:PAI(A;;RP;;;DA)` },
  { rule: 'MS-DTYP 2.5.3.4.1: the creator owner and group win over the defaults', parent: 'O:DAG:DAD:', creator: 'O:DAG:DAD:(A;;RP;;;AU)', expect: 'O:DAG:DAD:AI(A;;RP;;;AU)' },
  { rule: 'MS-DTYP 2.5.3.4.1: ACEs marked inherited in the creator descriptor are dropped', parent: 'O:DAG:DAD:', creator: 'D:(A;ID;WP;;;AU)(A;;RP;;;AU)', expect: `O:${ALICE}G:DUD:AI(A;;RP;;;AU)` },
  { rule: 'MS-DTYP 2.5.3.4.1: without a parent (an NC head) only the creator ACEs', creator: 'D:(A;CI;RP;;;AU)', expect: `O:${ALICE}G:DUD:AI(A;CI;RP;;;AU)` },
  { rule: 'MS-DTYP 2.5.3.4.2: an object-inherit-only ACE passes through a container inherit-only', parent: 'O:DAG:DAD:(A;OI;RP;;;AU)', creator: 'D:', expect: `O:${ALICE}G:DUD:AI(A;OIIOID;RP;;;AU)` },
  { rule: 'MS-DTYP 2.5.3.4.2: inherited SACL ACEs', parent: 'O:DAG:DAD:S:(AU;CISA;WP;;;WD)', creator: 'D:', expect: `O:${ALICE}G:DUD:AIS:AI(AU;CIIDSA;WP;;;WD)` },
];

for (const row of ROWS) {
  test(row.rule, () => {
    const sd = createSecurityDescriptor({
      parent: row.parent ? parseSddl(row.parent, ctx) : undefined,
      creator: row.creator !== undefined ? parseSddl(row.creator, ctx) : undefined,
      defaultOwner: Buffer.from(sidFromString(ALICE)),
      defaultGroup: Buffer.from(sidFromString(`${DOM}-513`)),
      ...(row.objectType ? { objectType: row.objectType } : {}),
    });
    assert.equal(formatSddl(sd, ctx), formatSddl(parseSddl(row.expect, ctx), ctx));
  });
}

test('MS-ADTS 3.1.1.6.3: re-inheritance keeps explicit ACEs and recomputes inherited ones from the new parent', () => {
  const cur = parseSddl(`O:${ALICE}G:DUD:AI(A;;RP;;;DA)(A;CIID;WP;;;AU)`, ctx);
  const out = reinherit(cur, parseSddl('O:DAG:DAD:(A;CI;LC;;;WD)', ctx), USER);
  assert.equal(formatSddl(out, ctx), formatSddl(parseSddl(`O:${ALICE}G:DUD:AI(A;;RP;;;DA)(A;CIID;LC;;;WD)`, ctx), ctx));
});

// Windows' defaults through python3-samba (samba.descriptor / samba.schema): the explicit part
// of each special object's SD must be what Windows gives it.
const ORACLE = `
import sys
from samba import descriptor as d
from samba.schema import get_schema_descriptor
from samba.dcerpc import security
from samba.ndr import ndr_unpack
sid = security.dom_sid(sys.argv[1])
for name, f in [('domain', d.get_domain_descriptor), ('users', d.get_domain_users_descriptor), ('computers', d.get_domain_computers_descriptor), ('dcs', d.get_domain_controllers_descriptor), ('config', d.get_config_descriptor), ('schema', get_schema_descriptor), ('deleted', d.get_deletedobjects_descriptor), ('infra', d.get_domain_infrastructure_descriptor)]:
    print(name + ' ' + ndr_unpack(security.descriptor, f(sid)).as_sddl(sid))
`;

test('the special objects of a new forest carry Windows default SDs (python3-samba as the oracle)', { timeout: 120_000 }, async (t) => {
  if (!needTool(t, PYTHON, 'python:samba')) return;
  const { d, close } = await fixture();
  try {
    const dom = sidToString(d.forest.domainSid);
    const out = execFileSync(PYTHON, ['-c', ORACLE, dom], { encoding: 'utf8', timeout: 60_000 });
    const ref = new Map(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as const));
    const D = d.forest.domainDN;
    const objects: [string, string][] = [
      ['domain', D], ['users', `CN=Users,${D}`], ['computers', `CN=Computers,${D}`], ['dcs', `OU=Domain Controllers,${D}`], ['infra', `CN=Infrastructure,${D}`],
      ['config', d.forest.configDN], ['schema', d.forest.schemaDN], ['deleted', `CN=Deleted Objects,${D}`],
    ];
    const sdc = { domainSid: d.forest.domainSid };
    const sdInfo = d.schema.attr('nTSecurityDescriptor')!;
    for (const [name, dn] of objects) {
      const rec = d.store.reader.getObject(d.resolve(d.store.reader, dn, 'test'))!;
      const stored = parseSddl(binaryToSddl(rec.attrs.find((a) => a.id === sdInfo.id)!.values[0] as Uint8Array, sdc), sdc);
      const want = parseSddl(ref.get(name)!, sdc);
      const explicit = (acl: typeof stored.dacl) => (acl?.aces ?? []).filter((a) => !(a.flags & 0x10)).map((a) => JSON.stringify({ ...a, sid: sidToString(a.sid), flags: a.flags }));
      assert.deepEqual(explicit(stored.dacl), explicit(want.dacl), `${name}: DACL`);
      assert.deepEqual(explicit(stored.sacl), explicit(want.sacl), `${name}: SACL`);
      if (want.owner) assert.equal(sidToString(stored.owner!), sidToString(want.owner), `${name}: owner`);
    }
    // and a child inherits from them: CN=Users carries the domain head's CI ACEs marked inherited
    const users = d.store.reader.getObject(d.resolve(d.store.reader, `CN=Users,${D}`, 'test'))!;
    const u = parseSddl(binaryToSddl(users.attrs.find((a) => a.id === sdInfo.id)!.values[0] as Uint8Array, sdc), sdc);
    assert.ok(u.dacl!.aces.some((a) => a.flags & 0x10 && sidToString(a.sid) === `${dom}-519`), 'Enterprise Admins full control inherited from the domain head');
  } finally {
    await close();
  }
});
