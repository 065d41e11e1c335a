// Shared by the dsa-modify / dsa-modify-dn / dsa-delete tests: a provisioned directory and
// small helpers to drive the DSA's operations directly (no LDAP server).
import assert from 'node:assert/strict';
import { provision } from '../../src/dsa/provision/provision.js';
import type { Directory } from '../../src/dsa/directory.js';
import type { OperationContext } from '../../src/dsa/api.js';
import type { Control } from '../../src/ldap/protocol/messages.js';
import { ModifyOperation } from '../../src/ldap/protocol/messages.js';
import { add } from '../../src/dsa/add.js';
import { modify } from '../../src/dsa/modify.js';
import type { ObjectRecord, StoredAttribute } from '../../src/store/record.js';
import { LdapError } from '../../src/ldap/protocol/result-codes.js';
import { tempDir } from '../helpers/tmp.js';
import { expectAdError, type AdErrorRow } from '../helpers/ad-errors.js';
import { binaryToSddl, sddlToBinary } from '../../src/security/sddl.js';

export const DOMAIN = 'DC=example,DC=com';
export const USERS = `CN=Users,${DOMAIN}`;
export const CONFIG = `CN=Configuration,${DOMAIN}`;

export async function fixture(): Promise<{ d: Directory; close: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  const { directory } = await provision({ dataDir: dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
  return {
    d: directory,
    close: async () => {
      await directory.close();
      cleanup();
    },
  };
}

export function ctx(controls: Control[] = [], encrypted = true): OperationContext {
  return { session: { id: 1, identity: null, encrypted, globalCatalog: false, remoteAddress: 'test' }, controls, signal: new AbortController().signal };
}
export const control = (type: string, critical = true): Control => ({ type, critical });

export const b = (s: string) => Buffer.from(s, 'utf8');
export const pwd = (s: string) => Buffer.from(`"${s}"`, 'utf16le');

type Attrs = Record<string, string | string[]>;
export async function addObject(d: Directory, dn: string, attrs: Attrs): Promise<void> {
  await add(d, { type: 'addRequest', entry: dn, attributes: Object.entries(attrs).map(([type, v]) => ({ type, values: (Array.isArray(v) ? v : [v]).map(b) })) }, ctx());
}

export type Op = 'add' | 'delete' | 'replace' | 'increment';
export function mod(d: Directory, dn: string, changes: [Op, string, (string | Buffer)[]][], controls: Control[] = [], encrypted = true) {
  return modify(
    d,
    { type: 'modifyRequest', object: dn, changes: changes.map(([op, type, values]) => ({ operation: ModifyOperation[op], modification: { type, values: values.map((v) => (Buffer.isBuffer(v) ? v : b(v))) } })) },
    ctx(controls, encrypted),
  );
}

/** The record of `dn` and its GUID, read now. */
export function read(d: Directory, dn: string): { guid: Buffer; rec: ObjectRecord } {
  const r = d.store.reader;
  const guid = d.resolve(r, dn, 'test');
  return { guid, rec: r.getObject(guid)! };
}
export function readGuid(d: Directory, guid: Buffer): ObjectRecord {
  return d.store.reader.getObject(guid)!;
}
export function attr(d: Directory, rec: ObjectRecord, name: string): StoredAttribute | undefined {
  const id = d.schema.attr(name)!.id;
  return rec.attrs.find((a) => a.id === id);
}
export function values(d: Directory, rec: ObjectRecord, name: string): unknown[] {
  return attr(d, rec, name)?.values ?? [];
}

/** The context of a request by the account `dn` (not an administrator), session 9. */
export function as(d: Directory, dn: string): OperationContext {
  const guid = read(d, dn).guid;
  return { session: { id: 9, identity: { dn, guid, isAdmin: false }, encrypted: true, globalCatalog: false, remoteAddress: 'test' }, controls: [], signal: new AbortController().signal };
}

/** `dn`'s SD with `ace` first in its DACL. */
export function withAce(d: Directory, dn: string, ace: string): Buffer {
  const sctx = { domainSid: d.forest.domainSid };
  const sddl = binaryToSddl(values(d, read(d, dn).rec, 'nTSecurityDescriptor')[0] as Uint8Array, sctx);
  const i = sddl.indexOf('(', sddl.indexOf('D:'));
  return sddlToBinary(`${sddl.slice(0, i)}${ace}${sddl.slice(i)}`, sctx);
}

/** Asserts that `p` rejects with the AD error of a row (result code, Win32 code, problem). */
export async function rejectsAd(p: Promise<unknown>, row: AdErrorRow): Promise<LdapError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LdapError, `expected an LdapError, got ${String(e)}`);
    expectAdError(e.resultCode, e.diagnosticMessage, row);
    return e;
  }
  assert.fail(`expected ${row.spec}, the operation succeeded`);
}

/** Asserts that `p` rejects with an LdapError of `code` whose diagnosticMessage matches `text`. */
export async function rejects(p: Promise<unknown>, code: number, text?: RegExp): Promise<LdapError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LdapError, `expected an LdapError, got ${String(e)}`);
    assert.equal(e.resultCode, code, `result code ${e.resultCode} (${e.message})`);
    if (text) assert.match(e.diagnosticMessage, text);
    return e;
  }
  assert.fail(`expected result code ${code}, the operation succeeded`);
}
