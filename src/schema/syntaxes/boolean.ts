// Boolean: attributeSyntax 2.5.5.8, oMSyntax 1 (MS-ADTS 3.1.1.2.2.2). LDAP representation
// RFC 2252 6.4: the strings "TRUE" and "FALSE". Output is upper case; input is accepted in
// any case, as AD's own parser and Samba's (AD-compatible) one do.
// Comparison rule Bool (MS-ADTS 3.1.1.2.2.4.1): true is greater than false.
import { RULES } from './comparison.js';
import { SyntaxValueError, type StoredValue, type Syntax } from './syntax.js';

const NAME = 'Boolean';
const KEY_FALSE = Buffer.from([0]);
const KEY_TRUE = Buffer.from([1]);

function parse(v: Uint8Array): boolean | undefined {
  // ASCII case-insensitive compare against TRUE / FALSE, without building a string
  if (v.length === 4) {
    if ((v[0]! | 0x20) === 0x74 && (v[1]! | 0x20) === 0x72 && (v[2]! | 0x20) === 0x75 && (v[3]! | 0x20) === 0x65) return true;
  } else if (v.length === 5) {
    if ((v[0]! | 0x20) === 0x66 && (v[1]! | 0x20) === 0x61 && (v[2]! | 0x20) === 0x6c && (v[3]! | 0x20) === 0x73 && (v[4]! | 0x20) === 0x65) return false;
  }
  return undefined;
}

export const boolean: Syntax = {
  name: NAME,
  attributeSyntax: '2.5.5.8',
  oMSyntax: 1,
  ldapSyntaxOid: '1.3.6.1.4.1.1466.115.121.1.7',
  rule: RULES.Bool,
  isReference: false,
  fromLdap(value) {
    const b = parse(value);
    if (b === undefined) throw new SyntaxValueError(NAME, 'expected TRUE or FALSE');
    return b;
  },
  toLdap(value) {
    return value ? 'TRUE' : 'FALSE';
  },
  normalize(value) {
    return value ? KEY_TRUE : KEY_FALSE;
  },
  compare(a: StoredValue, b: StoredValue) {
    return a === b ? 0 : a ? 1 : -1;
  },
  assertion(value) {
    return parse(value);
  },
};
