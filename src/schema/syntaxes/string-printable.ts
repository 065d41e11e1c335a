// String(Printable): attributeSyntax 2.5.5.5, oMSyntax 19 (MS-ADTS 3.1.1.2.2.2). RFC 2252
// 6.29 Printable String — A–Z a–z 0–9 space ' ( ) + , - . / : ? = — with Active Directory's
// two differences (footnote ††††): the quote character " (0x22) is not allowed, and "@"
// (0x40) is.
// Comparison rule CaseString (MS-ADTS 3.1.1.2.2.4.8), see case-string.ts.
import { charTable, makeAsciiCaseSyntax } from './case-string.js';
import type { Syntax } from './syntax.js';

export const PRINTABLE_CHARS = charTable([[0x41, 0x5a], [0x61, 0x7a], [0x30, 0x39], " '()+,-./:?=@"]);

export const stringPrintable: Syntax = makeAsciiCaseSyntax(
  'String(Printable)',
  '2.5.5.5',
  19,
  '1.3.6.1.4.1.1466.115.121.1.44',
  PRINTABLE_CHARS,
  "Printable strings hold A-Z a-z 0-9 space ' ( ) + , - . / : ? = @",
);
