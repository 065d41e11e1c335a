// String(Printable): attributeSyntax 2.5.5.5, oMSyntax 19 (MS-ADTS 3.1.1.2.2.2). RFC 2252
// 6.29 Printable String is A–Z a–z 0–9 space ' ( ) + , - . / : ? =, but Windows accepts every
// printable ASCII character (0x20–0x7E) in a String(Printable) attribute — values with
// " | } @ ! are stored (issue 13, item 4, observed against Windows) — and refuses control
// characters and non-ASCII. forestd accepts what Windows accepts.
// Comparison rule CaseString (MS-ADTS 3.1.1.2.2.4.8), see case-string.ts.
import { charTable, makeAsciiCaseSyntax } from './case-string.js';
import type { Syntax } from './syntax.js';

export const PRINTABLE_CHARS = charTable([[0x20, 0x7e]]);

export const stringPrintable: Syntax = makeAsciiCaseSyntax(
  'String(Printable)',
  '2.5.5.5',
  19,
  '1.3.6.1.4.1.1466.115.121.1.44',
  PRINTABLE_CHARS,
  'Printable strings hold printable ASCII characters (0x20-0x7E)',
);
