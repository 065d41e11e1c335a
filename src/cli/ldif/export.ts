// forestd ldif export: a naming context, a subtree or a filter's entries as LDIF (RFC 2849),
// read with the paged-results control one page at a time, every value as the bytes it is.
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { attempt, type Session } from '../admin/common.js';
import { entryText, modifyText, type Attr } from './format.js';

export interface ExportOptions {
  base: string;
  scope: 'base' | 'one' | 'sub';
  filter: string;
  attributes: string[];
  pageSize: number;
  /** leave out what an add refuses or computes, and write forward links as later modify records */
  importable: boolean;
  out?: string;
}

/**
 * The rule for --importable (as Windows' ldifde -m does for the SAM): attributes an LDAP add
 * cannot carry are left out, so the file imports into another forest:
 * - the schema's systemOnly attributes (MS-ADTS 3.1.1.2.3: only the system writes them);
 * - constructed attributes (systemFlags FLAG_ATTR_IS_CONSTRUCTED, 0x4) and back links (odd
 *   linkID, MS-ADTS 3.1.1.1.6), which the DC derives;
 * - what the SAM assigns to a security principal (MS-SAMR 3.1.1.8): objectSid, sAMAccountType,
 *   the logon and lockout counters and times, pwdLastSet, and primaryGroupID;
 * - the object's identity and naming, which the new forest gives it: objectGUID,
 *   distinguishedName, name, nTSecurityDescriptor (the new forest's defaults apply), instanceType.
 * Forward links (even linkID, e.g. member, manager) are written as "changetype: modify" records
 * after every entry, so that each link's target exists when the link is added.
 */
export const SAM_ASSIGNED = ['objectSid', 'sAMAccountType', 'pwdLastSet', 'badPwdCount', 'badPasswordTime', 'lastLogon', 'lastLogoff', 'lastLogonTimestamp', 'logonCount', 'lockoutTime', 'primaryGroupID', 'objectGUID', 'distinguishedName', 'name', 'nTSecurityDescriptor', 'instanceType'];

export interface SchemaFacts {
  skip: Set<string>;
  forwardLinks: Set<string>;
}

export async function importRule(s: Session): Promise<SchemaFacts> {
  const root = await s.root();
  const schema = String(root.schemaNamingContext);
  const skip = new Set(SAM_ASSIGNED.map((a) => a.toLowerCase()));
  const forwardLinks = new Set<string>();
  const r = await attempt('reading the schema', () =>
    s.client.search(schema, { scope: 'one', filter: '(&(objectClass=attributeSchema)(|(systemOnly=TRUE)(linkID=*)(systemFlags:1.2.840.113556.1.4.803:=4)))', attributes: ['lDAPDisplayName', 'systemOnly', 'linkID', 'systemFlags'], paged: { pageSize: 1000 } }),
  );
  for (const e of r.searchEntries) {
    const name = String(e.lDAPDisplayName).toLowerCase();
    const link = e.linkID === undefined || (Array.isArray(e.linkID) && e.linkID.length === 0) ? undefined : Number(e.linkID);
    if (String(e.systemOnly).toUpperCase() === 'TRUE' || (Number(e.systemFlags ?? 0) & 4) !== 0 || (link !== undefined && link % 2 === 1)) skip.add(name);
    else if (link !== undefined && link % 2 === 0) forwardLinks.add(name);
  }
  // the naming attributes of entries (cn, ou, dc) are systemOnly in some classes' sense but an add needs them
  for (const keep of ['cn', 'ou', 'dc', 'objectclass']) skip.delete(keep);
  return { skip, forwardLinks };
}

/** Every value of every attribute as a Buffer (ldapts decodes to strings except for the names in this list). */
const ALL_AS_BUFFERS = Object.assign([] as string[], { includes: () => true });

export async function exportLdif(s: Session, o: ExportOptions): Promise<{ entries: number; links: number }> {
  const out: Writable = o.out ? createWriteStream(o.out) : process.stdout;
  const facts = o.importable ? await importRule(s) : undefined;
  const links: string[] = [];
  let entries = 0;
  const write = (t: string) => (out.write(t) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  let header = 'version: 1\n\n'; // written with the first page, so a refused search writes nothing
  const pages = s.client.searchPaginated(o.base, { scope: o.scope, filter: o.filter, attributes: o.attributes, paged: { pageSize: o.pageSize }, explicitBufferAttributes: ALL_AS_BUFFERS });
  try {
    for await (const page of pages) {
      let chunk = '';
      for (const e of page.searchEntries) {
        const attrs: Attr[] = [];
        const linkAttrs: Attr[] = [];
        for (const [type, v] of Object.entries(e)) {
          if (type === 'dn') continue;
          const values = (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'utf8')));
          if (values.length === 0) continue;
          const key = type.toLowerCase();
          if (facts?.skip.has(key)) continue;
          if (facts?.forwardLinks.has(key)) linkAttrs.push({ type, values });
          else attrs.push({ type, values });
        }
        // objectClass first, as an add reads best
        attrs.sort((a, b) => Number(b.type.toLowerCase() === 'objectclass') - Number(a.type.toLowerCase() === 'objectclass'));
        chunk += entryText(e.dn, attrs);
        entries++;
        if (linkAttrs.length) links.push(modifyText(e.dn, linkAttrs.map((a) => ({ op: 'add', type: a.type, values: a.values }))));
      }
      await write(header + chunk);
      header = '';
    }
  } catch (e) {
    throw (await import('../admin/common.js')).ldapError(e, `searching ${o.base}`);
  }
  if (header) await write(header);
  for (const l of links) await write(l);
  if (o.out) await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
  return { entries, links: links.length };
}
