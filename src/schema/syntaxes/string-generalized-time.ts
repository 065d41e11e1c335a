// String(Generalized-Time): attributeSyntax 2.5.5.11, oMSyntax 24 (MS-ADTS 3.1.1.2.2.2).
// RFC 2252 6.14 Generalized Time, at one-second granularity (footnote †††††); returned in
// AD's form YYYYMMDDHHMMSS.0Z. Comparison rule Time (MS-ADTS 3.1.1.2.2.4.14). See time.ts.
import type { Syntax } from './syntax.js';
import { makeTimeSyntax } from './time.js';

export const stringGeneralizedTime: Syntax = makeTimeSyntax('String(Generalized-Time)', 24, '1.3.6.1.4.1.1466.115.121.1.24', true);
