// The value constraints of the validated writes Validated-SPN and Validated-DNS-Host-Name
// (MS-ADTS 5.1.3.2.1 "validated writes", 3.1.1.5.3.1.1 "Validated Writes" of modify's security
// considerations): a requester that may not write the attribute (no WRITE_PROPERTY) but holds the
// validated write on a computer object may add or replace values only within these rules; a
// value outside them is refused with 19 constraintViolation, 0000202F (ERROR_DS_CONSTRAINT_VIOLATION)
// problem 1005 — as Samba's acl module answers the same case, whose tests run against Windows;
// no Windows capture of the exact extended error was found. Deleting values needs the right
// only. With WRITE_PROPERTY, none of this applies (the checks run only when WP is missing).
//
// servicePrincipalName (MS-ADTS 3.1.1.5.3.1.1.4): the object is a computer; the SPN is a two-part
// SPN "class/host[:port]", or a three-part SPN "class/host[:port]/service" on a domain
// controller's computer object whose service name is the domain's DNS or NetBIOS name; no
// ":instancename" (a port is digits); the host is the computer's dNSHostName, its
// sAMAccountName without the "$", or one of its msDS-AdditionalDnsHostName /
// msDS-AdditionalSamAccountName values. (The "<guid>._msdcs.<forest>" host form of DCs is not
// accepted here: forestd's own DC SPNs are written by the system, which is not checked.)
//
// dNSHostName (Validated-DNS-Host-Name: "a DNS host name compliant with the computer name and
// domain name"): the computer's sAMAccountName without the "$", a dot, and the domain's DNS
// name or one of the domain head's msDS-AllowedDNSSuffixes, case-insensitively.
import type { ObjectRecord } from '../../store/record.js';
import type { ReadTxn } from '../../store/store.js';
import type { Directory } from '../directory.js';
import { AdError } from '../errors.js';

const PLACE = 'dsa.access.validatedWrite';
/** userAccountControl bits of a DC's computer object (MS-ADTS 2.2.16: UF_SERVER_TRUST_ACCOUNT, UF_PARTIAL_SECRETS_ACCOUNT) */
const DC_ACCOUNT = 0x2000 | 0x4000000;

const fold = (s: string) => s.toLowerCase().replace(/\.$/, '');
const noDollar = (s: string) => (s.endsWith('$') ? s.slice(0, -1) : s);

function strings(dir: Directory, rec: ObjectRecord, name: string): string[] {
  const info = dir.schema.attr(name);
  if (!info) return [];
  return (rec.attrs.find((a) => a.id === info.id)?.values ?? []).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

/** Whether the object is a computer (its objectClass holds computer, or a subclass's chain does). */
export function isComputer(dir: Directory, rec: ObjectRecord): boolean {
  const computer = dir.schema.cls('computer');
  if (!computer) return false;
  return strings(dir, rec, 'objectClass').includes(computer.governsID);
}

/** MS-ADTS 3.1.1.5.3.1.1.4: may this SPN go on the computer `rec` through Validated-SPN alone? */
export function spnAllowedByValidatedWrite(dir: Directory, rec: ObjectRecord, spn: string): boolean {
  if (!isComputer(dir, rec)) return false;
  const parts = spn.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p.length === 0)) return false;
  const [, hostPort, service] = parts as [string, string, string | undefined];
  const colon = hostPort.indexOf(':');
  const host = colon < 0 ? hostPort : hostPort.slice(0, colon);
  // a port is digits; anything else after ":" is an instance name, which the validated write refuses
  if (colon >= 0 && !/^[0-9]{1,5}$/.test(hostPort.slice(colon + 1))) return false;
  const names = [
    ...strings(dir, rec, 'dNSHostName'),
    ...strings(dir, rec, 'sAMAccountName').map(noDollar),
    ...strings(dir, rec, 'msDS-AdditionalDnsHostName'),
    ...strings(dir, rec, 'msDS-AdditionalSamAccountName').map(noDollar),
  ].map(fold);
  if (!names.includes(fold(host))) return false;
  if (service === undefined) return true;
  // three-part SPNs: a DC's computer object, for its domain
  const uac = Number(strings(dir, rec, 'userAccountControl')[0] ?? 0);
  if (!(uac & DC_ACCOUNT)) return false;
  return [fold(dir.forest.realm), fold(dir.forest.netbios)].includes(fold(service));
}

/** Validated-DNS-Host-Name: sAMAccountName without "$" in the domain or one of its msDS-AllowedDNSSuffixes. */
export function dnsHostNameAllowedByValidatedWrite(dir: Directory, r: ReadTxn, rec: ObjectRecord, value: string): boolean {
  if (!isComputer(dir, rec)) return false;
  const sam = strings(dir, rec, 'sAMAccountName')[0];
  if (sam === undefined) return false;
  const v = fold(value);
  const prefix = `${fold(noDollar(sam))}.`;
  if (!v.startsWith(prefix)) return false;
  const suffix = v.slice(prefix.length);
  const head = r.getObject(rec.nc);
  const allowed = [dir.forest.realm, ...(head ? strings(dir, head, 'msDS-AllowedDNSSuffixes') : [])].map(fold);
  return allowed.includes(suffix);
}

/** Refuses the first value the validated write does not allow: 19 / 0000202F. */
export function checkValidatedWriteValues(dir: Directory, r: ReadTxn, rec: ObjectRecord, attr: 'servicePrincipalName' | 'dNSHostName', values: readonly Buffer[]): void {
  const info = dir.schema.attr(attr)!;
  for (const b of values) {
    const v = b.toString('utf8');
    const ok = attr === 'servicePrincipalName' ? spnAllowedByValidatedWrite(dir, rec, v) : dnsHostNameAllowedByValidatedWrite(dir, r, rec, v);
    if (!ok) throw AdError.constraintViolation(PLACE, info.id, info.name, undefined, `${attr} ${JSON.stringify(v)} is outside what the validated write allows`);
  }
}
