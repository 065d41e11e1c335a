// Attributes of SAM objects that cannot lose their values (MS-SAMR 3.1.1.8.1 gives users and
// computers these attributes when absent; MS-SAMR 3.1.1.9 maintains objectSid): a modify that
// removes all values of one of them — replace with no values, or delete — is refused with
// unwillingToPerform, as Windows does (Samba's sam.py, test_sam_attributes "Delete
// protection tests", run against Windows). nTSecurityDescriptor is never removed, on any
// object (MS-ADTS 3.1.1.5.3.1: an object always has a security descriptor).
const ALL_OBJECTS = ['nTSecurityDescriptor'];
const SAM_OBJECTS = ['objectSid', 'sAMAccountType', 'sAMAccountName'];
const GROUPS = ['groupType'];
const ACCOUNTS = ['primaryGroupID', 'userAccountControl', 'accountExpires', 'badPasswordTime', 'badPwdCount', 'codePage', 'countryCode', 'lastLogoff', 'lastLogon', 'logonCount', 'pwdLastSet'];

/** The attributes whose values the object cannot lose (lDAPDisplayNames). */
export function undeletableAttributes(kind: { user: boolean; group: boolean }): string[] {
  const out = [...ALL_OBJECTS];
  if (kind.user || kind.group) out.push(...SAM_OBJECTS);
  if (kind.group) out.push(...GROUPS);
  if (kind.user) out.push(...ACCOUNTS);
  return out;
}
