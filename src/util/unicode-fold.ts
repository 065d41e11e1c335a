// The case fold of String(Unicode) comparisons (MS-ADTS 3.1.1.2.2.4: case-insensitive), shared
// by the syntaxes and by DN comparison (RDN values are String(Unicode)).
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The String(Unicode) case fold (MS-ADTS 3.1.1.2.2.4.13: compared ignoring case).
 * NFC first, so precomposed and decomposed forms of a character compare equal; then the
 * locale-independent Unicode uppercase mapping of String.prototype.toUpperCase, restricted
 * to one-to-one mappings: characters whose full mapping expands (ß → SS, ﬁ → FI, ŉ → ʼN)
 * are kept as they are, as Windows' upcase table maps each character to one character.
 * ASCII strings take a fast path.
 */
export function foldUnicode(s: string): string {
  if (!NON_ASCII.test(s)) return s.toUpperCase();
  const n = s.normalize('NFC');
  const u = n.toUpperCase();
  if (u.length === n.length) return u; // no expanding mapping was used
  let out = '';
  for (const ch of n) {
    const c = ch.toUpperCase();
    out += c.length === ch.length ? c : ch;
  }
  return out;
}
