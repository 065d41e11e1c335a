// String(IA5): attributeSyntax 2.5.5.5, oMSyntax 22 (MS-ADTS 3.1.1.2.2.2). RFC 2252 6.15,
// values restricted to ASN.1 IA5 strings (footnote †): 7-bit characters 0x00–0x7F.
// Comparison rule CaseString (MS-ADTS 3.1.1.2.2.4.8), see case-string.ts.
import { charTable, makeAsciiCaseSyntax } from './case-string.js';
import type { Syntax } from './syntax.js';

export const stringIa5: Syntax = makeAsciiCaseSyntax(
  'String(IA5)',
  '2.5.5.5',
  22,
  '1.3.6.1.4.1.1466.115.121.1.26',
  charTable([[0x00, 0x7f]]),
  'IA5 strings are 7-bit, 0x00-0x7F',
);
