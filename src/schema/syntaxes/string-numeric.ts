// String(Numeric): attributeSyntax 2.5.5.6, oMSyntax 18 (MS-ADTS 3.1.1.2.2.2). RFC 2252
// 6.23, values restricted to ASN.1 Numeric strings (footnote ††): the digits 0–9 and space.
// Comparison rule CaseString (MS-ADTS 3.1.1.2.2.4.8), see case-string.ts: compared as octets,
// so spaces are significant.
import { charTable, makeAsciiCaseSyntax } from './case-string.js';
import type { Syntax } from './syntax.js';

export const stringNumeric: Syntax = makeAsciiCaseSyntax(
  'String(Numeric)',
  '2.5.5.6',
  18,
  '1.3.6.1.4.1.1466.115.121.1.36',
  charTable([[0x30, 0x39], ' ']),
  'Numeric strings hold digits and space only',
);
