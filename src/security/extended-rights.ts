// The control access rights and validated writes the DSA checks (MS-ADTS 5.1.3.2.1 "Control
// Access Rights", 5.1.3.2.2 "Validated Writes"): the rightsGuid of each CN=Extended-Rights object.
export const ControlAccessRight = {
  USER_FORCE_CHANGE_PASSWORD: '00299570-246d-11d0-a768-00aa006e0529',
  USER_CHANGE_PASSWORD: 'ab721a53-1e2f-11d0-9819-00aa0040529b',
  DS_REPLICATION_GET_CHANGES: '1131f6aa-9c07-11d1-f79f-00c04fc2dcd2',
  DS_REPLICATION_GET_CHANGES_ALL: '1131f6ad-9c07-11d1-f79f-00c04fc2dcd2',
  DS_REPLICATION_GET_CHANGES_IN_FILTERED_SET: '89e95b76-444d-4c62-991a-0facbeda640c',
  REANIMATE_TOMBSTONES: '45ec5156-db7e-47bb-b53f-dbeb2d03c40f',
  UPDATE_SCHEMA_CACHE: 'be2bb760-7f46-11d2-b9ad-00c04f79f805',
  CHANGE_SCHEMA_MASTER: 'e12b56b6-0a95-11d1-adbb-00c04fd8d5cd',
  CHANGE_RID_MASTER: 'd58d5f36-0a98-11d1-adbb-00c04fd8d5cd',
  CHANGE_PDC: 'bae50096-4752-11d1-9052-00c04fc2d4cf',
  CHANGE_INFRASTRUCTURE_MASTER: 'cc17b1fb-33d9-11d2-97d4-00c04fd8d5cd',
  CHANGE_DOMAIN_MASTER: '014bf69c-7b3b-11d1-85f6-08002be74fab',
  DO_GARBAGE_COLLECTION: 'fec364e0-0a98-11d1-adbb-00c04fd8d5cd',
  RECALCULATE_HIERARCHY: '0bc1554e-0a99-11d1-adbb-00c04fd8d5cd',
  RECALCULATE_SECURITY_INHERITANCE: '62dd28a8-7f46-11d2-b9ad-00c04f79f805',
  MANAGE_OPTIONAL_FEATURES: '7c0e2a7c-a419-48e4-a995-10180aad54dd',
  DUMP_DATABASE: '2f16c4a5-b98e-432c-952a-cb388ba33f2e',
} as const;

/** Validated writes (RIGHT_DS_WRITE_PROPERTY_EXTENDED with these ObjectTypes). */
export const ValidatedWrite = {
  SELF_MEMBERSHIP: 'bf9679c0-0de6-11d0-a285-00aa003049e2',
  VALIDATED_SPN: 'f3a64788-5306-11d1-a9c5-0000f80367c1',
  VALIDATED_DNS_HOST_NAME: '72e39547-7b18-11d1-adef-00c04fd8d5cd',
} as const;

/**
 * The control access rights of a fresh forest, for CN=Extended-Rights (MS-ADTS 5.1.3.2.1):
 * [cn, rightsGuid, validAccesses (0x100 control access, 0x8 validated write, 0x30 property set)].
 */
export const EXTENDED_RIGHTS_OBJECTS: readonly [string, string, number][] = [
  ['User-Force-Change-Password', ControlAccessRight.USER_FORCE_CHANGE_PASSWORD, 0x100],
  ['User-Change-Password', ControlAccessRight.USER_CHANGE_PASSWORD, 0x100],
  ['DS-Replication-Get-Changes', ControlAccessRight.DS_REPLICATION_GET_CHANGES, 0x100],
  ['DS-Replication-Get-Changes-All', ControlAccessRight.DS_REPLICATION_GET_CHANGES_ALL, 0x100],
  ['DS-Replication-Get-Changes-In-Filtered-Set', ControlAccessRight.DS_REPLICATION_GET_CHANGES_IN_FILTERED_SET, 0x100],
  ['Reanimate-Tombstones', ControlAccessRight.REANIMATE_TOMBSTONES, 0x100],
  ['Update-Schema-Cache', ControlAccessRight.UPDATE_SCHEMA_CACHE, 0x100],
  ['Change-Schema-Master', ControlAccessRight.CHANGE_SCHEMA_MASTER, 0x100],
  ['Change-Rid-Master', ControlAccessRight.CHANGE_RID_MASTER, 0x100],
  ['Change-PDC', ControlAccessRight.CHANGE_PDC, 0x100],
  ['Change-Infrastructure-Master', ControlAccessRight.CHANGE_INFRASTRUCTURE_MASTER, 0x100],
  ['Change-Domain-Master', ControlAccessRight.CHANGE_DOMAIN_MASTER, 0x100],
  ['Do-Garbage-Collection', ControlAccessRight.DO_GARBAGE_COLLECTION, 0x100],
  ['Recalculate-Hierarchy', ControlAccessRight.RECALCULATE_HIERARCHY, 0x100],
  ['Recalculate-Security-Inheritance', ControlAccessRight.RECALCULATE_SECURITY_INHERITANCE, 0x100],
  ['Manage-Optional-Features', ControlAccessRight.MANAGE_OPTIONAL_FEATURES, 0x100],
  ['Self-Membership', ValidatedWrite.SELF_MEMBERSHIP, 0x8],
  ['Validated-SPN', ValidatedWrite.VALIDATED_SPN, 0x8],
  ['Validated-DNS-Host-Name', ValidatedWrite.VALIDATED_DNS_HOST_NAME, 0x8],
  ['General-Information', '59ba2f42-79a2-11d0-9020-00c04fc2d3cf', 0x30],
  ['Personal-Information', '77b5b886-944a-11d1-aebd-0000f80367c1', 0x30],
  ['Public-Information', 'e48d0154-bcf8-11d1-8702-00c04fb96050', 0x30],
  ['User-Account-Restrictions', '4c164200-20c0-11d0-a768-00aa006e0529', 0x30],
  ['User-Logon', '5f202010-79a5-11d0-9020-00c04fc2d4cf', 0x30],
  ['Membership', 'bc0ac240-79a9-11d0-9020-00c04fc2d4cf', 0x30],
  ['Web-Information', 'e45795b3-9455-11d1-aebd-0000f80367c1', 0x30],
  ['Email-Information', 'e45795b2-9455-11d1-aebd-0000f80367c1', 0x30],
  ['RAS-Information', '037088f8-0ae1-11d2-b422-00a0c968f939', 0x30],
];
