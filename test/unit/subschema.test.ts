import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBootstrapSchema } from '../../src/schema/bootstrap.js';
import { SchemaSnapshot } from '../../src/schema/snapshot.js';
import {
  guidToByteHex,
  ldapSyntaxOid,
  renderSubschema,
  subschemaEntry,
  type SubschemaOptions,
} from '../../src/schema/subschema.js';

const boot = loadBootstrapSchema();
const s = new SchemaSnapshot(boot.attributes, boot.classes, boot.prefixTable);

// ---- a small RFC 4512 (section 4.1) description tokenizer/parser ----------------

type Tok = { t: '(' | ')' | '$' } | { t: 'word'; v: string } | { t: 'q'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === ' ') {
      i++;
    } else if (ch === '(' || ch === ')' || ch === '$') {
      out.push({ t: ch });
      i++;
    } else if (ch === "'") {
      const j = src.indexOf("'", i + 1);
      if (j < 0) throw new Error(`unterminated quote in ${src}`);
      out.push({ t: 'q', v: src.slice(i + 1, j) });
      i = j + 1;
    } else {
      const m = /^[A-Za-z0-9.;-]+/.exec(src.slice(i));
      if (!m) throw new Error(`bad character ${JSON.stringify(ch)} in ${src}`);
      out.push({ t: 'word', v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

const DESCR = /^[A-Za-z][A-Za-z0-9-]*$/;
const NUMERICOID = /^(0|[1-9]\d*)(\.(0|[1-9]\d*))+$/;

/** Parse "( numericoid KEY value ... )" into { oid, fields }. Values: string | string[] | true. */
function parseDescription(src: string, opts: { allowQuotedOid: boolean }): { oid: string; fields: Map<string, string | string[] | true> } {
  const toks = tokenize(src);
  let p = 0;
  const next = (): Tok => {
    const t = toks[p++];
    if (!t) throw new Error(`unexpected end: ${src}`);
    return t;
  };
  const open = next();
  assert.equal(open.t, '(', src);
  const oidTok = next();
  assert.ok(oidTok.t === 'word' && NUMERICOID.test(oidTok.v), `numericoid in ${src}`);
  const fields = new Map<string, string | string[] | true>();
  const oidsValue = (): string | string[] => {
    const t = next();
    if (t.t === 'word') return t.v;
    if (t.t === 'q' && opts.allowQuotedOid) return t.v;
    assert.equal(t.t, '(', `oids in ${src}`);
    const list: string[] = [];
    for (;;) {
      const w = next();
      assert.equal(w.t, 'word', `oid in list in ${src}`);
      list.push((w as { v: string }).v);
      const sep = next();
      if (sep.t === ')') break;
      assert.equal(sep.t, '$', `separator in ${src}`);
    }
    return list;
  };
  for (;;) {
    const k = next();
    if (k.t === ')') break;
    assert.equal(k.t, 'word', `keyword in ${src}`);
    const key = (k as { v: string }).v;
    assert.ok(!fields.has(key), `duplicate ${key} in ${src}`);
    switch (key) {
      case 'NAME': {
        const v = next();
        assert.equal(v.t, 'q', `NAME qdescr in ${src}`);
        assert.match((v as { v: string }).v, DESCR);
        fields.set(key, (v as { v: string }).v);
        break;
      }
      case 'SYNTAX': {
        const v = next();
        assert.ok(v.t === 'word' || (opts.allowQuotedOid && v.t === 'q'), `SYNTAX in ${src}`);
        fields.set(key, (v as { v: string }).v);
        break;
      }
      case 'SUP':
      case 'MUST':
      case 'MAY':
      case 'AUX':
        fields.set(key, oidsValue());
        break;
      case 'RANGE-LOWER':
      case 'RANGE-UPPER':
      case 'PROPERTY-GUID':
      case 'PROPERTY-SET-GUID':
      case 'CLASS-GUID': {
        const v = next();
        assert.equal(v.t, 'q', `${key} in ${src}`);
        fields.set(key, (v as { v: string }).v);
        break;
      }
      case 'SINGLE-VALUE':
      case 'NO-USER-MODIFICATION':
      case 'STRUCTURAL':
      case 'ABSTRACT':
      case 'AUXILIARY':
      case 'INDEXED':
      case 'SYSTEM-ONLY':
        fields.set(key, true);
        break;
      default:
        throw new Error(`unknown keyword ${key} in ${src}`);
    }
  }
  assert.equal(p, toks.length, `trailing tokens in ${src}`);
  return { oid: oidTok.v, fields };
}

const asList = (v: string | string[] | true | undefined): string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v === true ? [] : v;

// ----------------------------------------------------------------------------------

test('LDAP syntax OIDs per attribute syntax', () => {
  assert.equal(ldapSyntaxOid(s.attributeByName('cn')!), '1.3.6.1.4.1.1466.115.121.1.15');
  assert.equal(ldapSyntaxOid(s.attributeByName('member')!), '1.3.6.1.4.1.1466.115.121.1.12');
  assert.equal(ldapSyntaxOid(s.attributeByName('objectSid')!), '1.3.6.1.4.1.1466.115.121.1.40');
  assert.equal(ldapSyntaxOid(s.attributeByName('accountExpires')!), '1.2.840.113556.1.4.906');
  assert.equal(ldapSyntaxOid(s.attributeByName('nTSecurityDescriptor')!), '1.2.840.113556.1.4.907');
  assert.equal(ldapSyntaxOid(s.attributeByName('whenCreated')!), '1.3.6.1.4.1.1466.115.121.1.24');
  assert.equal(ldapSyntaxOid(s.attributeByName('isDeleted')!), '1.3.6.1.4.1.1466.115.121.1.7');
  assert.equal(ldapSyntaxOid(s.attributeByName('userAccountControl')!), '1.3.6.1.4.1.1466.115.121.1.27');
  assert.equal(ldapSyntaxOid(s.attributeByName('wellKnownObjects')!), '1.2.840.113556.1.4.903');
  assert.equal(ldapSyntaxOid(s.attributeByName('objectClass')!), '1.3.6.1.4.1.1466.115.121.1.38');
  for (const a of s.attributes) assert.ok(ldapSyntaxOid(a), `syntax for ${a.lDAPDisplayName}`);
});

test('AD-style strings for well-known definitions', () => {
  const r = renderSubschema(s);
  assert.ok(r.attributeTypes.includes("( 2.5.4.3 NAME 'cn' SYNTAX '1.3.6.1.4.1.1466.115.121.1.15' SINGLE-VALUE )"));
  const user = r.objectClasses.find((x) => x.startsWith('( 1.2.840.113556.1.5.9 '))!;
  assert.match(user, /^\( 1\.2\.840\.113556\.1\.5\.9 NAME 'user' SUP organizationalPerson STRUCTURAL MAY \(/);
  const top = r.objectClasses.find((x) => x.startsWith('( 2.5.6.0 '))!;
  assert.match(top, /^\( 2\.5\.6\.0 NAME 'top' ABSTRACT MUST \(/);
  assert.equal(guidToByteHex('bf967aba-0de6-11d0-a285-00aa003049e2'), 'BA7A96BFE60DD011A28500AA003049E2');
  assert.ok(r.extendedClassInfo.includes("( 1.2.840.113556.1.5.9 NAME 'user' CLASS-GUID 'BA7A96BFE60DD011A28500AA003049E2' )"));
  const cnInfo = r.extendedAttributeInfo.find((x) => x.startsWith('( 2.5.4.3 '))!;
  assert.match(cnInfo, /RANGE-LOWER '1' RANGE-UPPER '64' PROPERTY-GUID '3F7996BFE60DD011A28500AA003049E2'/);
  const rule = r.dITContentRules.find((x) => x.startsWith('( 1.2.840.113556.1.5.9 '))!;
  assert.match(rule, /AUX \(.*securityPrincipal/);
  assert.match(rule, /MUST \(sAMAccountName \$ objectSid \)/);
  assert.equal(renderSubschema(s), r, 'cached');
});

for (const style of ['ad', 'rfc'] as const) {
  test(`subSchema values parse as RFC 4512 descriptions (${style} style) and reference existing names`, () => {
    const opts: SubschemaOptions = { style };
    const r = renderSubschema(s, opts);
    const allowQuotedOid = style === 'ad';
    assert.equal(r.attributeTypes.length, 1498); // 1499 minus one defunct
    assert.equal(r.objectClasses.length, 269);
    assert.equal(r.extendedAttributeInfo.length, r.attributeTypes.length);
    assert.equal(r.extendedClassInfo.length, r.objectClasses.length);
    const attrOids = new Set<string>();
    const attrNames = new Set<string>();
    for (const v of r.attributeTypes) {
      const { oid, fields } = parseDescription(v, { allowQuotedOid });
      assert.ok(!attrOids.has(oid), `duplicate ${oid}`);
      attrOids.add(oid);
      const name = fields.get('NAME') as string;
      attrNames.add(name.toLowerCase());
      assert.equal(s.attributeByName(name)!.attributeID, oid);
      assert.match(fields.get('SYNTAX') as string, NUMERICOID);
      if (style === 'rfc') assert.ok(!v.includes("SYNTAX '"));
    }
    const classNames = new Set(r.objectClasses.map((v) => (parseDescription(v, { allowQuotedOid }).fields.get('NAME') as string).toLowerCase()));
    for (const v of r.objectClasses) {
      const { oid, fields } = parseDescription(v, { allowQuotedOid });
      const c = s.classByName(fields.get('NAME') as string)!;
      assert.equal(c.governsID, oid);
      for (const sup of asList(fields.get('SUP'))) assert.ok(classNames.has(sup.toLowerCase()), `SUP ${sup} in ${v}`);
      for (const a of [...asList(fields.get('MUST')), ...asList(fields.get('MAY'))]) {
        assert.ok(attrNames.has(a.toLowerCase()), `attribute ${a} in ${c.lDAPDisplayName}`);
      }
      const kinds = ['STRUCTURAL', 'ABSTRACT', 'AUXILIARY'].filter((k) => fields.has(k));
      assert.ok(kinds.length <= 1);
    }
    for (const v of r.dITContentRules) {
      const { fields } = parseDescription(v, { allowQuotedOid });
      for (const aux of asList(fields.get('AUX'))) {
        assert.ok(classNames.has(aux.toLowerCase()), aux);
        assert.equal(s.classByName(aux)!.objectClassCategory, 3, `${aux} is auxiliary`);
      }
      for (const a of [...asList(fields.get('MUST')), ...asList(fields.get('MAY'))]) assert.ok(attrNames.has(a.toLowerCase()), a);
    }
    for (const v of [...r.extendedAttributeInfo, ...r.extendedClassInfo]) {
      const { fields } = parseDescription(v, { allowQuotedOid });
      for (const k of ['PROPERTY-GUID', 'PROPERTY-SET-GUID', 'CLASS-GUID']) {
        if (fields.has(k)) assert.match(fields.get(k) as string, /^[0-9A-F]{32}$/);
      }
    }
  });
}

test('subSchema entry', () => {
  const e = subschemaEntry(s, 'CN=Schema,CN=Configuration,DC=example,DC=com');
  assert.equal(e.dn, 'CN=Aggregate,CN=Schema,CN=Configuration,DC=example,DC=com');
  assert.deepEqual(e.attributes.objectClass, ['top', 'subSchema']);
  assert.equal(e.attributes.objectClasses!.length, 269);
  // Every attribute it returns is allowed on subSchema objects (or on top).
  const allowed = s.classInfo('subSchema')!.allowedAttributes;
  for (const k of Object.keys(e.attributes)) assert.ok(allowed.has(k), k);
});
