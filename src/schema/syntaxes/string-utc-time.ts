// String(UTC-Time): attributeSyntax 2.5.5.11, oMSyntax 23 (MS-ADTS 3.1.1.2.2.2). RFC 2252
// 6.31 UTC Time (two-digit year: 50–99 → 19xx, 00–49 → 20xx), at one-second granularity
// (footnote †††††); returned as YYMMDDHHMMSSZ. Comparison rule Time (MS-ADTS 3.1.1.2.2.4.14).
// See time.ts.
import type { Syntax } from './syntax.js';
import { makeTimeSyntax } from './time.js';

export const stringUtcTime: Syntax = makeTimeSyntax('String(UTC-Time)', 23, '1.3.6.1.4.1.1466.115.121.1.53', false);
