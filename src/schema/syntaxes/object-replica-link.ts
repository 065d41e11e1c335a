// Object(Replica-Link): attributeSyntax 2.5.5.10, oMSyntax 127, oMObjectClass
// 1.2.840.113556.1.1.1.6 (MS-ADTS 3.1.1.2.2.2). LDAP representation RFC 2252 6.2 (Binary);
// comparison rule Octet (MS-ADTS 3.1.1.2.2.4). The bytes (a REPS_FROM/REPS_TO blob, used by
// repsFrom/repsTo) are kept opaque here, as for String(Octet).
import { makeOctetSyntax } from './string-octet.js';
import type { Syntax } from './syntax.js';

export const objectReplicaLink: Syntax = makeOctetSyntax(
  'Object(Replica-Link)',
  '2.5.5.10',
  127,
  '1.3.6.1.4.1.1466.115.121.1.40',
  '2a864886f71401010106', // 0x2A 0x86 0x48 0x86 0xF7 0x14 0x01 0x01 0x01 0x06
);
