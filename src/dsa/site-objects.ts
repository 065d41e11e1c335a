// Objects of the sites tree added over LDAP (MS-ADTS 3.1.1.5.2.3 "special classes", 6.1.1.2.2):
// the systemFlags the DSA sets on new objects of some classes, and the name of a subnet object,
// which must be an IPv4 or IPv6 prefix in the form Windows accepts (else invalidDNSyntax). The
// rules are Windows' as Samba's tests record them (python/samba/tests/sites.py
// test_create_bad_ranges / test_create_good_ranges; samba-tool's subnets module maps the refusal
// to ERR_INVALID_DN_SYNTAX).
import type { StoredValue } from '../schema/syntaxes/syntax.js';
import type { AttrInfo, SchemaBinding } from './schema-binding.js';
import { AdError } from './errors.js';

const FLAG_CONFIG_ALLOW_RENAME = 0x40000000;
const FLAG_CONFIG_ALLOW_LIMITED_MOVE = 0x10000000;
const FLAG_DISALLOW_MOVE_ON_DELETE = 0x02000000;

/** systemFlags bits a new object of the class gets (MS-ADTS 2.2.10 flags; the classes as Windows sets them). */
const NEW_OBJECT_FLAGS: Record<string, number> = {
  site: FLAG_DISALLOW_MOVE_ON_DELETE,
  serverscontainer: FLAG_DISALLOW_MOVE_ON_DELETE,
  ntdsdsa: FLAG_DISALLOW_MOVE_ON_DELETE,
  server: FLAG_CONFIG_ALLOW_RENAME | FLAG_CONFIG_ALLOW_LIMITED_MOVE | FLAG_DISALLOW_MOVE_ON_DELETE,
  sitelink: FLAG_CONFIG_ALLOW_RENAME,
  sitelinkbridge: FLAG_CONFIG_ALLOW_RENAME,
  ntdsconnection: FLAG_CONFIG_ALLOW_RENAME,
  // subnets are renamed on Windows (Samba's sites.py test_rename_good_subnet_to_bad_subnet renames one), which a
  // configuration-NC object may only be with FLAG_CONFIG_ALLOW_RENAME (MS-ADTS 3.1.1.5.4.1.1)
  subnet: FLAG_CONFIG_ALLOW_RENAME,
};

/** Applies the rules to a new object of class `structural` (an originating add over LDAP). */
export function applySiteObjectRules(schema: SchemaBinding, structural: string, rdnValue: string, values: Map<AttrInfo, StoredValue[]>, place: string): void {
  const cls = structural.toLowerCase();
  if (cls === 'subnet' && !isValidSubnetName(rdnValue)) throw AdError.invalidDNSyntax(place, `${JSON.stringify(rdnValue)} is not a subnet in address/prefix-length form`);
  const bits = NEW_OBJECT_FLAGS[cls];
  if (bits === undefined) return;
  const info = schema.attr('systemFlags')!;
  const given = values.get(info)?.[0];
  values.set(info, [((typeof given === 'number' ? given : 0) | bits) | 0]);
}

/** Whether a subnet object's name is a prefix Windows accepts. */
export function isValidSubnetName(name: string): boolean {
  const m = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/.exec(name);
  if (!m) return false;
  const len = Number(m[2]);
  return m[1]!.includes(':') ? validIpv6(m[1]!, len) : validIpv4(m[1]!, len);
}

function validIpv4(a: string, len: number): boolean {
  if (len > 32) return false;
  const parts = a.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return false; // no leading zeros
  const ip = parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
  if (ip === 0) return false; // not the zero address
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  if ((ip & ~mask) >>> 0 !== 0) return false; // host bits must be zero
  return ip !== mask; // the address may not be the mask itself
}

function validIpv6(a: string, len: number): boolean {
  if (len < 1 || len > 128) return false;
  const words = parseIpv6(a);
  if (!words) return false;
  // the RFC 5952 form only (lower or upper case), and no embedded IPv4 form
  if (canonicalIpv6(words) !== a.toLowerCase()) return false;
  for (let bit = len; bit < 128; bit++) if ((words[bit >> 4]! >> (15 - (bit & 15))) & 1) return false;
  return true;
}

function parseIpv6(a: string): number[] | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(a)) return undefined;
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string) => (s === '' ? [] : s.split(':'));
  const head = group(halves[0]!);
  const tail = halves.length === 2 ? group(halves[1]!) : [];
  if ([...head, ...tail].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail].map((g) => parseInt(g, 16));
}

/** RFC 5952 4: lower case, no leading zeros, the longest run (≥ 2) of zero words as "::"; IPv4-embedding forms as inet_ntop writes them (with dots). */
function canonicalIpv6(w: number[]): string {
  let best = { base: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > best.len) best = { base: i, len: j - i };
    i = j;
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  // ::a.b.c.d and ::ffff:a.b.c.d are written with a dotted tail: never the name of a valid subnet
  if (best.base === 0 && (best.len === 6 || (best.len === 5 && w[5] === 0xffff))) return '\u0000embedded';
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best.base) {
      out += '::';
      i += best.len - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += w[i]!.toString(16);
  }
  return out;
}
