// Enumeration: attributeSyntax 2.5.5.9, oMSyntax 10 (MS-ADTS 3.1.1.2.2.2). Represented as
// an RFC 2252 6.16 INTEGER and compared with the Integer rule (MS-ADTS 3.1.1.2.2.4), so it
// behaves exactly as Integer (32-bit, see integer.ts).
import { makeInt32Syntax } from './integer.js';
import type { Syntax } from './syntax.js';

export const enumeration: Syntax = makeInt32Syntax('Enumeration', 10);
