// Error expectations as data: what Active Directory answers, never forestd's wording. Each row
// is the LDAP result code (RFC 4511 4.1.9), the Win32 error (MS-ERREF 2.2; the 8 hex digits that
// start AD's diagnostic message) and the DSID problem number, with the spec section that says
// which error the rule returns. Tables of expected behaviour (e.g. the access-control matrix)
// name their rows from here.
import assert from 'node:assert/strict';

export interface AdErrorRow {
  /** LDAP result code */
  ldap: number;
  /** Win32 error code (MS-ERREF 2.2) */
  win32: number;
  /** the problem number after "problem" in the diagnostic (SvcErr 5xxx, UpdErr 6xxx, NameErr 2xxx, AtrErr 1xxx) */
  problem: number;
  /** where the rule and its error come from */
  spec: string;
}

export const AD = {
  ENTRY_EXISTS: { ldap: 68, win32: 0x2071, problem: 6005, spec: 'MS-ADTS 3.1.1.5.4.2 (Modify DN: new name in use) / ERROR_DS_OBJ_STRING_NAME_EXISTS' },
  NAMING_VIOLATION: { ldap: 64, win32: 0x2037, problem: 2005, spec: 'MS-ADTS 3.1.1.5.1.2 naming constraints / ERROR_DS_NAMING_VIOLATION' },
  ILLEGAL_SUPERIOR: { ldap: 64, win32: 0x2099, problem: 2005, spec: 'MS-ADTS 3.1.1.5.2.2, 3.1.1.5.4.2 possSuperiors / ERROR_DS_ILLEGAL_SUPERIOR' },
  CANT_DELETE: { ldap: 53, win32: 0x20ce, problem: 5003, spec: 'MS-ADTS 3.1.1.5.5.3 delete constraints (FLAG_DISALLOW_DELETE, isCriticalSystemObject) / ERROR_DS_CANT_DELETE' },
  OBJ_CLASS_VIOLATION: { ldap: 65, win32: 0x2014, problem: 6002, spec: 'MS-ADTS 3.1.1.5.3.2 / 3.1.1.2 mustContain / ERROR_DS_OBJ_CLASS_VIOLATION' },
  UPN_NOT_UNIQUE: { ldap: 19, win32: 0x21c8, problem: 1005, spec: 'MS-ADTS 3.1.1.5.1.3 uniqueness constraints / ERROR_DS_UPN_VALUE_NOT_UNIQUE_IN_FOREST' },
  NO_RIDS_ALLOCATED: { ldap: 53, win32: 0x2010, problem: 5003, spec: 'MS-ADTS 6.1.5.3, MS-SAMR 3.1.1.9.1: a DC with no RID left refuses the create / ERROR_DS_NO_RIDS_ALLOCATED (unwillingToPerform: Samba answers so; Windows unverified)' },
  VALIDATED_WRITE_VALUE: { ldap: 19, win32: 0x202f, problem: 1005, spec: 'MS-ADTS 3.1.1.5.3.1.1.4 validated writes (a value outside Validated-SPN / Validated-DNS-Host-Name) / ERROR_DS_CONSTRAINT_VIOLATION, as Samba answers it (no Windows capture found)' },
  SCHEMA_REFUSED: { ldap: 53, win32: 0x2035, problem: 5003, spec: 'MS-ADTS 3.1.1.2.5 schema modifications / ERROR_DS_UNWILLING_TO_PERFORM' },
} as const satisfies Record<string, AdErrorRow>;

/** The 8-hex-digit Win32 code and the problem number of an AD diagnostic message. */
export function parseDiagnostic(diagnostic: string): { win32: number; problem: number | undefined } {
  const m = /^([0-9A-F]{8}): /.exec(diagnostic);
  assert.ok(m, `not an AD diagnostic (no Win32 code first): ${JSON.stringify(diagnostic)}`);
  const p = /problem (\d{4}) /.exec(diagnostic);
  return { win32: parseInt(m[1]!, 16), problem: p ? Number(p[1]) : undefined };
}

/** Asserts that a result code and diagnostic are the row's. */
export function expectAdError(resultCode: number, diagnostic: string, row: AdErrorRow): void {
  const d = parseDiagnostic(diagnostic);
  assert.deepEqual(
    { ldap: resultCode, win32: d.win32.toString(16).padStart(8, '0'), problem: d.problem },
    { ldap: row.ldap, win32: row.win32.toString(16).padStart(8, '0'), problem: row.problem },
    `${row.spec}: ${diagnostic}`,
  );
}

/** The result code and "additional info" of an OpenLDAP client's failure (ldapadd, ldapmodify, …). */
export function ldapToolError(r: { code: number | null; stderr: string }): { code: number; diagnostic: string } {
  const info = /additional info: (.*)$/m.exec(r.stderr);
  assert.ok(info, `no additional info in: ${r.stderr}`);
  return { code: r.code ?? -1, diagnostic: info[1]! };
}
