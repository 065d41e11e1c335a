// String(NT-Sec-Desc): attributeSyntax 2.5.5.15, oMSyntax 66 (MS-ADTS 3.1.1.2.2.2). A
// Windows security descriptor in the binary, self-relative SECURITY_DESCRIPTOR form of
// MS-DTYP 2.4.6, otherwise encoded as String(Octet) (MS-ADTS 3.1.1.2.2.2.6).
// Comparison rule SecDesc (MS-ADTS 3.1.1.2.2.4.9): only "present" is supported in filters;
// normalize/compare are byte-wise and serve value deduplication only.
//
// Validation: the 20-byte header (Revision 1, SE_SELF_RELATIVE set), every non-zero offset
// inside the buffer and past the header; owner/group SIDs well formed and inside the buffer;
// SACL/DACL ACL headers (MS-DTYP 2.4.5: AclRevision 2 or 4, AclSize ≥ 8 and inside the
// buffer) and their ACE headers (MS-DTYP 2.4.4.1: AceSize ≥ 4, a multiple of 4, ACEs inside
// AclSize).
import { RULES } from './comparison.js';
import { sidLength, sidProblem } from './string-sid.js';
import type { Syntax } from './syntax.js';
import { view } from './common.js';
import { makeBytesSyntax } from './string-octet.js';

const NAME = 'String(NT-Sec-Desc)';
export const SE_SELF_RELATIVE = 0x8000;
export const SE_DACL_PRESENT = 0x0004;
export const SE_SACL_PRESENT = 0x0010;
const HEADER = 20;

function aclProblem(b: Buffer, off: number, what: string): string | undefined {
  if (off + 8 > b.length) return `${what} header extends past the end`;
  const rev = b[off]!;
  if (rev !== 2 && rev !== 4) return `${what} revision ${rev} (must be 2 or 4)`;
  const size = b.readUInt16LE(off + 2);
  const count = b.readUInt16LE(off + 4);
  if (size < 8 || off + size > b.length) return `${what} size ${size} does not fit the buffer`;
  let p = off + 8;
  const end = off + size;
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) return `${what} ACE ${i} extends past the ACL`;
    const aceSize = b.readUInt16LE(p + 2);
    if (aceSize < 4 || aceSize % 4 !== 0 || p + aceSize > end) return `${what} ACE ${i} has a bad size ${aceSize}`;
    p += aceSize;
  }
  return undefined;
}

/** Why the bytes are not a valid self-relative security descriptor, or undefined. */
export function securityDescriptorProblem(u: Uint8Array): string | undefined {
  const b = view(u);
  if (b.length < HEADER) return `shorter than the ${HEADER}-byte SECURITY_DESCRIPTOR header`;
  if (b[0] !== 1) return `revision ${b[0]} (must be 1)`;
  const control = b.readUInt16LE(2);
  if (!(control & SE_SELF_RELATIVE)) return 'SE_SELF_RELATIVE is not set (must be the self-relative form)';
  const parts: [string, number][] = [
    ['owner', b.readUInt32LE(4)],
    ['group', b.readUInt32LE(8)],
    ['SACL', b.readUInt32LE(12)],
    ['DACL', b.readUInt32LE(16)],
  ];
  for (const [what, off] of parts) {
    if (off === 0) continue;
    if (off < HEADER || off >= b.length) return `${what} offset ${off} is outside the buffer`;
    if (what === 'owner' || what === 'group') {
      const p = sidProblem(b, off);
      if (p) return `${what} SID: ${p}`;
      if (off + sidLength(b, off) > b.length) return `${what} SID extends past the end`;
    } else {
      const p = aclProblem(b, off, what);
      if (p) return p;
    }
  }
  return undefined;
}

export const stringNtSecDesc: Syntax = makeBytesSyntax({
  name: NAME,
  attributeSyntax: '2.5.5.15',
  oMSyntax: 66,
  ldapSyntaxOid: '1.2.840.113556.1.4.907',
  rule: RULES.SecDesc,
  problem: securityDescriptorProblem,
  substrings: false,
});
