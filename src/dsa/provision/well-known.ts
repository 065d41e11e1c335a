// The objects a new forest starts with, as data (MS-ADTS 6.1 "Special Objects and Forest
// Requirements", 6.1.1.x; domain RIDs of 2.2.15; well-known object GUIDs of 6.1.1.4 and 7.1.1.4).
// Values are LDAP strings (as in LDIF) or Buffers; "${name}" placeholders are filled from the
// forest's facts by provision.ts. Order matters only for readability: references between
// objects are resolved by name within the provisioning update.

/** Well-known object GUIDs (MS-ADTS 6.1.1.4, ntdsapi.h GUID_*_CONTAINER_W), as the hex of wellKnownObjects. */
export const WKGUID = {
  USERS: 'A9D1CA15768811D1ADED00C04FD8D5CD',
  COMPUTERS: 'AA312825768811D1ADED00C04FD8D5CD',
  SYSTEMS: 'AB1D30F3768811D1ADED00C04FD8D5CD',
  DOMAIN_CONTROLLERS: 'A361B2FFFFD211D1AA4B00C04FD7D83A',
  INFRASTRUCTURE: '2FBAC1870ADE11D297C400C04FD8D5CD',
  DELETED_OBJECTS: '18E2EA80684F11D2B9AA00C04F79F805',
  LOSTANDFOUND: 'AB8153B7768811D1ADED00C04FD8D5CD',
  FOREIGNSECURITYPRINCIPALS: '22B70C67D56E4EFB91E9300FCA3DC1AA',
  PROGRAM_DATA: '09460C08AE1E4A4EA0F64AEE7DAA1E5A',
  MICROSOFT_PROGRAM_DATA: 'F4BE92A4C777485E878E9421D53087DB',
  NTDS_QUOTAS: '6227F0AF1FC2410D8E3BB10615BB5B0F',
  MANAGED_SERVICE_ACCOUNTS: '1EB93889E40C45DF9F0C64D23BBB6237',
  KEYS: '683A24E2E8164BD3AF86AC3C2CF3F981',
} as const;

/** The two default GPOs every Windows domain has: their well-known GUIDs, in Windows' own spelling (the second has a lower-case f). */
export const DEFAULT_DOMAIN_POLICY = '{31B2F340-016D-11D2-945F-00C04FB984F9}';
export const DEFAULT_DOMAIN_CONTROLLERS_POLICY = '{6AC1786C-016F-11D2-945F-00C04fB984F9}';

/** The Recycle Bin optional feature (MS-ADTS 3.1.1.9.1, 2.2.17). */
export const RECYCLE_BIN_FEATURE_GUID = '766ddcd8-acd0-445e-f3b9-a7f9b6744f2a';

const wk = (guid: string, dn: string) => `B:32:${guid}:${dn}`;

/** systemFlags values the special objects carry (MS-ADTS 2.2.10). */
const SF_CRITICAL = String(0x8c000000 | 0); // DISALLOW_DELETE | DOMAIN_DISALLOW_RENAME | DOMAIN_DISALLOW_MOVE
const SF_BUILTIN_GROUP = String(-1946157056); // 0x8C000000 as a signed 32-bit integer

export type ProvisionValue = string | Buffer;
export interface ProvisionObject {
  dn: string;
  attrs: Record<string, ProvisionValue | ProvisionValue[]>;
  /** the head of an application NC this DC holds (MS-ADTS 3.1.1.1.5) */
  ncHead?: true;
}

/**
 * The application NCs a new Windows domain with AD-integrated DNS has: DomainDnsZones (the
 * domain's DNS zones) and ForestDnsZones (the forest's), each with its crossRef
 * (systemFlags FLAG_CR_NTDS_NC | FLAG_CR_NTDS_NOT_GC_REPLICATED) — [name, crossRef placeholder].
 */
export const APPLICATION_NCS: [string, string][] = [
  ['DomainDnsZones', 'domainDnsZonesCrossRef'],
  ['ForestDnsZones', 'forestDnsZonesCrossRef'],
];

/** The application NCs: heads (with the standard containers) and the objects under them. */
export function applicationNcObjects(): ProvisionObject[] {
  const out: ProvisionObject[] = [];
  for (const [name] of APPLICATION_NCS) {
    const N = `DC=${name},\${domainDN}`;
    out.push(
      {
        dn: N,
        ncHead: true,
        attrs: {
          objectClass: 'domainDNS',
          wellKnownObjects: [wk(WKGUID.DELETED_OBJECTS, `CN=Deleted Objects,${N}`), wk(WKGUID.INFRASTRUCTURE, `CN=Infrastructure,${N}`), wk(WKGUID.LOSTANDFOUND, `CN=LostAndFound,${N}`), wk(WKGUID.NTDS_QUOTAS, `CN=NTDS Quotas,${N}`)],
          'msDS-NcType': '0',
        },
      },
      { dn: `CN=Deleted Objects,${N}`, attrs: { objectClass: 'container', isDeleted: 'TRUE', isCriticalSystemObject: 'TRUE', systemFlags: String(0x8c000000 | 0), showInAdvancedViewOnly: 'TRUE' } },
      { dn: `CN=Infrastructure,${N}`, attrs: { objectClass: 'infrastructureUpdate', fSMORoleOwner: '${dsaDN}', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
      { dn: `CN=LostAndFound,${N}`, attrs: { objectClass: 'lostAndFound', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
      { dn: `CN=NTDS Quotas,${N}`, attrs: { objectClass: 'msDS-QuotaContainer', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
      { dn: `CN=MicrosoftDNS,${N}`, attrs: { objectClass: 'container', showInAdvancedViewOnly: 'TRUE' } },
    );
  }
  return out;
}

/**
 * RID pools of a new domain (MS-ADTS 6.1.5.3; LargeInteger: high 32 bits the last RID, low 32
 * bits the first): the first DC's pool 1100-1599 (Windows' and Samba's provisioning both give
 * the first DC this block; the well-known RIDs lie below 1100), and rIDAvailablePool, the
 * rest of the RID space (1600 to 2^30 - 1) on RID Manager$.
 */
export const FIRST_RID_POOL = ((1599n << 32n) | 1100n).toString();
export const FIRST_AVAILABLE_RID_POOL = ((0x3fffffffn << 32n) | 1600n).toString();

/** Domain groups: [name, RID, groupType (signed), description]. */
export const DOMAIN_GROUPS: [string, number, number, string][] = [
  ['Domain Admins', 512, -2147483646, 'Designated administrators of the domain'],
  ['Domain Users', 513, -2147483646, 'All domain users'],
  ['Domain Guests', 514, -2147483646, 'All domain guests'],
  ['Domain Computers', 515, -2147483646, 'All workstations and servers joined to the domain'],
  ['Domain Controllers', 516, -2147483646, 'All domain controllers in the domain'],
  ['Cert Publishers', 517, -2147483644, 'Members of this group are permitted to publish certificates to the directory'],
  ['Schema Admins', 518, -2147483640, 'Designated administrators of the schema'],
  ['Enterprise Admins', 519, -2147483640, 'Designated administrators of the enterprise'],
  ['Group Policy Creator Owners', 520, -2147483646, 'Members in this group can modify group policy for the domain'],
  ['Read-only Domain Controllers', 521, -2147483646, 'Members of this group are Read-Only Domain Controllers in the domain'],
  ['Cloneable Domain Controllers', 522, -2147483646, 'Members of this group that are domain controllers may be cloned.'],
  ['Protected Users', 525, -2147483646, 'Members of this group are afforded additional protections against authentication security threats.'],
  ['Key Admins', 526, -2147483646, 'Members of this group can perform administrative actions on key objects within the domain.'],
  ['Enterprise Key Admins', 527, -2147483640, 'Members of this group can perform administrative actions on key objects within the forest.'],
  ['Enterprise Read-only Domain Controllers', 498, -2147483640, 'Members of this group are Read-Only Domain Controllers in the enterprise'],
  ['RAS and IAS Servers', 553, -2147483644, 'Servers in this group can access remote access properties of users'],
  ['Allowed RODC Password Replication Group', 571, -2147483644, 'Members in this group can have their passwords replicated to all read-only domain controllers in the domain'],
  ['Denied RODC Password Replication Group', 572, -2147483644, 'Members in this group cannot have their passwords replicated to any read-only domain controllers in the domain'],
  // created with the DNS server role on a new Windows domain; the first RIDs after the well-known ones
  ['DnsAdmins', 1101, -2147483644, 'DNS Administrators Group'],
  ['DnsUpdateProxy', 1102, -2147483646, 'DNS clients who are permitted to perform dynamic updates on behalf of some other clients (such as DHCP servers).'],
];

/**
 * The protected groups of a new domain (the groups AdminSDHolder/SDProp protects) and their
 * members: adminCount 1, as SDProp leaves them on a fresh Windows Server
 * 2016 domain. Relative DNs.
 */
export const ADMIN_COUNT: string[] = [
  'CN=Administrator,CN=Users',
  'CN=krbtgt,CN=Users',
  'CN=Administrators,CN=Builtin',
  'CN=Account Operators,CN=Builtin',
  'CN=Server Operators,CN=Builtin',
  'CN=Print Operators,CN=Builtin',
  'CN=Backup Operators,CN=Builtin',
  'CN=Replicator,CN=Builtin',
  'CN=Domain Admins,CN=Users',
  'CN=Schema Admins,CN=Users',
  'CN=Enterprise Admins,CN=Users',
  'CN=Domain Controllers,CN=Users',
  'CN=Read-only Domain Controllers,CN=Users',
  'CN=Key Admins,CN=Users',
  'CN=Enterprise Key Admins,CN=Users',
];

/** Builtin groups (S-1-5-32-RID): [name, RID, description]. groupType 0x80000005. */
export const BUILTIN_GROUPS: [string, number, string][] = [
  ['Administrators', 544, 'Administrators have complete and unrestricted access to the computer/domain'],
  ['Users', 545, 'Users are prevented from making accidental or intentional system-wide changes and can run most applications'],
  ['Guests', 546, 'Guests have the same access as members of the Users group by default, except for the Guest account which is further restricted'],
  ['Account Operators', 548, 'Members can administer domain user and group accounts'],
  ['Server Operators', 549, 'Members can administer domain servers'],
  ['Print Operators', 550, 'Members can administer printers installed on domain controllers'],
  ['Backup Operators', 551, 'Backup Operators can override security restrictions for the sole purpose of backing up or restoring files'],
  ['Replicator', 552, 'Supports file replication in a domain'],
  ['Pre-Windows 2000 Compatible Access', 554, 'A backward compatibility group which allows read access on all users and groups in the domain'],
  ['Remote Desktop Users', 555, 'Members in this group are granted the right to logon remotely'],
  ['Network Configuration Operators', 556, 'Members in this group can have some administrative privileges to manage configuration of networking features'],
  ['Incoming Forest Trust Builders', 557, 'Members of this group can create incoming, one-way trusts to this forest'],
  ['Performance Monitor Users', 558, 'Members of this group can access performance counter data locally and remotely'],
  ['Performance Log Users', 559, 'Members of this group may schedule logging of performance counters, enable trace providers, and collect event traces'],
  ['Windows Authorization Access Group', 560, 'Members of this group have access to the computed tokenGroupsGlobalAndUniversal attribute on User objects'],
  ['Terminal Server License Servers', 561, 'Members of this group can update user accounts in Active Directory with information about license issuance'],
  ['Distributed COM Users', 562, 'Members are allowed to launch, activate and use Distributed COM objects on this machine.'],
  ['IIS_IUSRS', 568, 'Built-in group used by Internet Information Services.'],
  ['Cryptographic Operators', 569, 'Members are authorized to perform cryptographic operations.'],
  ['Event Log Readers', 573, 'Members of this group can read event logs from local machine'],
  ['Certificate Service DCOM Access', 574, 'Members of this group are allowed to connect to Certification Authorities in the enterprise'],
  ['RDS Remote Access Servers', 575, 'Servers in this group enable users of RemoteApp programs and personal virtual desktops access to these resources.'],
  ['RDS Endpoint Servers', 576, 'Servers in this group run virtual machines and host sessions where users RemoteApp programs and personal virtual desktops run.'],
  ['RDS Management Servers', 577, 'Servers in this group can perform routine administrative actions on servers running Remote Desktop Services.'],
  ['Hyper-V Administrators', 578, 'Members of this group have complete and unrestricted access to all features of Hyper-V.'],
  ['Access Control Assistance Operators', 579, 'Members of this group can remotely query authorization attributes and permissions for resources on this computer.'],
  ['Remote Management Users', 580, 'Members of this group can access WMI resources over management protocols (such as WS-Management via the Windows Remote Management service).'],
  ['Storage Replica Administrators', 582, 'Members of this group have complete and unrestricted access to all features of Storage Replica.'],
];

/** Group memberships a new domain has: [group DN (relative), member DNs (relative)]. */
export const MEMBERSHIPS: [string, string[]][] = [
  ['CN=Administrators,CN=Builtin', ['CN=Administrator,CN=Users', 'CN=Domain Admins,CN=Users', 'CN=Enterprise Admins,CN=Users']],
  ['CN=Users,CN=Builtin', ['CN=Domain Users,CN=Users', 'CN=S-1-5-4,CN=ForeignSecurityPrincipals', 'CN=S-1-5-11,CN=ForeignSecurityPrincipals']],
  ['CN=Guests,CN=Builtin', ['CN=Guest,CN=Users', 'CN=Domain Guests,CN=Users']],
  ['CN=Pre-Windows 2000 Compatible Access,CN=Builtin', ['CN=S-1-5-11,CN=ForeignSecurityPrincipals']],
  ['CN=Windows Authorization Access Group,CN=Builtin', ['CN=S-1-5-9,CN=ForeignSecurityPrincipals']],
  ['CN=IIS_IUSRS,CN=Builtin', ['CN=S-1-5-17,CN=ForeignSecurityPrincipals']],
  ['CN=Domain Admins,CN=Users', ['CN=Administrator,CN=Users']],
  ['CN=Enterprise Admins,CN=Users', ['CN=Administrator,CN=Users']],
  ['CN=Schema Admins,CN=Users', ['CN=Administrator,CN=Users']],
  ['CN=Group Policy Creator Owners,CN=Users', ['CN=Administrator,CN=Users']],
  [
    'CN=Denied RODC Password Replication Group,CN=Users',
    ['CN=krbtgt,CN=Users', 'CN=Domain Controllers,CN=Users', 'CN=Schema Admins,CN=Users', 'CN=Enterprise Admins,CN=Users', 'CN=Cert Publishers,CN=Users', 'CN=Domain Admins,CN=Users', 'CN=Group Policy Creator Owners,CN=Users', 'CN=Read-only Domain Controllers,CN=Users'],
  ],
];


/** The domain NC: its head and the objects under it. */
export function domainObjects(): ProvisionObject[] {
  const D = '${domainDN}';
  const objs: ProvisionObject[] = [
    {
      dn: D,
      attrs: {
        objectClass: 'domainDNS',
        objectSid: '${domainSidBytes}',
        wellKnownObjects: [
          wk(WKGUID.USERS, `CN=Users,${D}`),
          wk(WKGUID.COMPUTERS, `CN=Computers,${D}`),
          wk(WKGUID.SYSTEMS, `CN=System,${D}`),
          wk(WKGUID.DOMAIN_CONTROLLERS, `OU=Domain Controllers,${D}`),
          wk(WKGUID.INFRASTRUCTURE, `CN=Infrastructure,${D}`),
          wk(WKGUID.DELETED_OBJECTS, `CN=Deleted Objects,${D}`),
          wk(WKGUID.LOSTANDFOUND, `CN=LostAndFound,${D}`),
          wk(WKGUID.FOREIGNSECURITYPRINCIPALS, `CN=ForeignSecurityPrincipals,${D}`),
          wk(WKGUID.PROGRAM_DATA, `CN=Program Data,${D}`),
          wk(WKGUID.MICROSOFT_PROGRAM_DATA, `CN=Microsoft,CN=Program Data,${D}`),
          wk(WKGUID.NTDS_QUOTAS, `CN=NTDS Quotas,${D}`),
        ],
        otherWellKnownObjects: [wk(WKGUID.MANAGED_SERVICE_ACCOUNTS, `CN=Managed Service Accounts,${D}`), wk(WKGUID.KEYS, `CN=Keys,${D}`)],
        fSMORoleOwner: '${dsaDN}',
        rIDManagerReference: `CN=RID Manager$,CN=System,${D}`,
        'msDS-Behavior-Version': '7',
        'msDS-AllUsersTrustQuota': '1000',
        'msDS-PerUserTrustQuota': '1',
        'msDS-PerUserTrustTombstonesQuota': '10',
        'ms-DS-MachineAccountQuota': '10',
        minPwdLength: '7',
        minPwdAge: '-864000000000',
        maxPwdAge: '-36288000000000',
        pwdHistoryLength: '24',
        pwdProperties: '1',
        lockoutThreshold: '0',
        lockoutDuration: '-18000000000',
        lockOutObservationWindow: '-18000000000',
        forceLogoff: '-9223372036854775808',
        nextRid: '1000',
        serverState: '1',
        uASCompat: '1',
        modifiedCount: '1',
        modifiedCountAtLastProm: '0',
        nTMixedDomain: '0', // native mode (MS-ADTS 6.1.4.1: 0 once the domain is past DS_BEHAVIOR_WIN2000 mixed)
        creationTime: '${nowFiletime}',
        oEMInformation: 'Provisioned by forestd ${version}',
        auditingPolicy: Buffer.from([0x00, 0x01]),
        'msDS-NcType': '0',
        gPLink: `[LDAP://CN=${DEFAULT_DOMAIN_POLICY},CN=Policies,CN=System,${D};0]`,
        isCriticalSystemObject: 'TRUE',
        systemFlags: SF_CRITICAL,
      },
    },
    container('Users', 'Default container for upgraded user accounts'),
    container('Computers', 'Default container for upgraded computer accounts'),
    { dn: `OU=Domain Controllers,${D}`, attrs: { objectClass: 'organizationalUnit', description: 'Default container for domain controllers', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'FALSE', gPLink: `[LDAP://CN=${DEFAULT_DOMAIN_CONTROLLERS_POLICY},CN=Policies,CN=System,${D};0]` } },
    container('System', 'Builtin system settings', true),
    { dn: `CN=Builtin,${D}`, attrs: { objectClass: 'builtinDomain', objectSid: '${builtinSidBytes}', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'FALSE', creationTime: '0', forceLogoff: '-9223372036854775808', lockoutDuration: '-18000000000', lockOutObservationWindow: '-18000000000', lockoutThreshold: '0', maxPwdAge: '-37108517437440', minPwdAge: '0', minPwdLength: '0', modifiedCountAtLastProm: '0', nextRid: '1000', pwdProperties: '0', pwdHistoryLength: '0', serverState: '1', uASCompat: '1', modifiedCount: '1' } },
    { dn: `CN=Deleted Objects,${D}`, attrs: { objectClass: 'container', description: 'Default container for deleted objects', isDeleted: 'TRUE', isCriticalSystemObject: 'TRUE', systemFlags: String(0x8c000000 | 0), showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=LostAndFound,${D}`, attrs: { objectClass: 'lostAndFound', description: 'Default container for orphaned objects', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Infrastructure,${D}`, attrs: { objectClass: 'infrastructureUpdate', fSMORoleOwner: '${dsaDN}', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
    container('ForeignSecurityPrincipals', 'Default container for security identifiers (SIDs) associated with objects from external, trusted domains'),
    container('Program Data', 'Default location for storage of application data.'),
    container('Microsoft', 'Default location for storage of Microsoft application data.', false, `CN=Program Data,${D}`),
    { dn: `CN=NTDS Quotas,${D}`, attrs: { objectClass: 'msDS-QuotaContainer', description: 'Quota specifications container', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
    container('Managed Service Accounts', 'Default container for managed service accounts'),
    container('Keys', 'Default container for key credential objects'),
    { dn: `CN=RID Manager$,CN=System,${D}`, attrs: { objectClass: 'rIDManager', fSMORoleOwner: '${dsaDN}', rIDAvailablePool: FIRST_AVAILABLE_RID_POOL, isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=AdminSDHolder,CN=System,${D}`, attrs: { objectClass: 'container', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Policies,CN=System,${D}`, attrs: { objectClass: 'container', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Domain System Volume (SYSVOL share),CN=System,${D}`, attrs: { objectClass: 'nTFRSSettings', showInAdvancedViewOnly: 'TRUE' } },
    // fine-grained password policies (msDS-PasswordSettings objects) live here
    { dn: `CN=Password Settings Container,CN=System,${D}`, attrs: { objectClass: 'msDS-PasswordSettingsContainer', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
    ...gpo(DEFAULT_DOMAIN_POLICY, 'Default Domain Policy', '[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{53D6AB1B-2488-11D1-A28C-00C04FB94F17}][{827D319E-6EAC-11D2-A4EA-00C04F79F83A}{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}][{B1BE8D72-6EAC-11D2-A4EA-00C04F79F83A}{53D6AB1B-2488-11D1-A28C-00C04FB94F17}]', '3'),
    ...gpo(DEFAULT_DOMAIN_CONTROLLERS_POLICY, 'Default Domain Controllers Policy', '[{827D319E-6EAC-11D2-A4EA-00C04F79F83A}{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}]', '1'),
  ];
  for (const sid of ['S-1-5-4', 'S-1-5-9', 'S-1-5-11', 'S-1-5-17']) {
    objs.push({ dn: `CN=${sid},CN=ForeignSecurityPrincipals,${D}`, attrs: { objectClass: 'foreignSecurityPrincipal', objectSid: `\${sid:${sid}}` } });
  }
  // principals
  objs.push(
    user('Administrator', 500, 0x10200, 'Built-in account for administering the computer/domain', { isCriticalSystemObject: 'TRUE' }),
    user('Guest', 501, 0x10222, 'Built-in account for guest access to the computer/domain', { isCriticalSystemObject: 'TRUE', primaryGroupID: '514' }),
    // krbtgt's password is set (randomly) when the domain is made: pwdLastSet is that time
    user('krbtgt', 502, 0x202, 'Key Distribution Center Service Account', { isCriticalSystemObject: 'TRUE', showInAdvancedViewOnly: 'TRUE', servicePrincipalName: 'kadmin/changepw', pwdLastSet: '${nowFiletime}' }),
  );
  for (const [name, rid, gt, desc] of DOMAIN_GROUPS) {
    objs.push({ dn: `CN=${name},CN=Users,${D}`, attrs: { objectClass: 'group', sAMAccountName: name, objectSid: `\${rid:${rid}}`, groupType: String(gt), description: desc, isCriticalSystemObject: 'TRUE' } });
  }
  for (const [name, rid, desc] of BUILTIN_GROUPS) {
    objs.push({ dn: `CN=${name},CN=Builtin,${D}`, attrs: { objectClass: 'group', sAMAccountName: name, objectSid: `\${sid:S-1-5-32-${rid}}`, groupType: String(-2147483643), description: desc, isCriticalSystemObject: 'TRUE', systemFlags: SF_BUILTIN_GROUP } });
  }
  // this DC's computer account
  objs.push({
    dn: `CN=\${hostname},OU=Domain Controllers,${D}`,
    attrs: {
      objectClass: 'computer',
      sAMAccountName: '${hostname}$',
      objectSid: '${rid:1000}',
      userAccountControl: String(0x82000),
      primaryGroupID: '516',
      dNSHostName: '${dnsHostName}',
      operatingSystem: 'forestd',
      operatingSystemVersion: '${version}',
      servicePrincipalName: ['ldap/${dnsHostName}', 'ldap/${dnsHostName}/${realm}', 'ldap/${hostname}', 'ldap/${dnsHostName}/${netbios}', 'HOST/${dnsHostName}', 'HOST/${hostname}', 'GC/${dnsHostName}/${realm}'],
      'msDS-SupportedEncryptionTypes': '28', // RC4_HMAC | AES128 | AES256 (MS-KILE 2.2.7), as a new 2016 DC has
      localPolicyFlags: '0',
      isCriticalSystemObject: 'TRUE',
      rIDSetReferences: `CN=RID Set,CN=\${hostname},OU=Domain Controllers,${D}`,
    },
  });
  // its RID Set (MS-ADTS 6.1.5.3): the first pool, 1100-1599, as a new Windows domain's first DC
  // has it; DnsAdmins and DnsUpdateProxy took 1101 and 1102 from it, so the next RID is 1103
  objs.push({ dn: `CN=RID Set,CN=\${hostname},OU=Domain Controllers,${D}`, attrs: { objectClass: 'rIDSet', rIDAllocationPool: FIRST_RID_POOL, rIDPreviousAllocationPool: FIRST_RID_POOL, rIDNextRID: '1102', rIDUsedPool: '0', showInAdvancedViewOnly: 'TRUE' } });
  for (const rel of ADMIN_COUNT) {
    const o = objs.find((x) => x.dn === `${rel},${D}`);
    if (o) o.attrs.adminCount = '1';
  }
  return objs;

  /** A groupPolicyContainer with its User and Machine containers ([MS-GPOL] 2.3). */
  function gpo(guid: string, displayName: string, machineExtensions: string, version: string): ProvisionObject[] {
    const dn = `CN=${guid},CN=Policies,CN=System,${D}`;
    return [
      {
        dn,
        attrs: {
          objectClass: 'groupPolicyContainer',
          displayName,
          gPCFileSysPath: `\\\\\${realm}\\sysvol\\\${realm}\\Policies\\${guid}`,
          gPCFunctionalityVersion: '2',
          gPCMachineExtensionNames: machineExtensions,
          versionNumber: version,
          flags: '0',
          isCriticalSystemObject: 'TRUE',
          systemFlags: SF_BUILTIN_GROUP,
          showInAdvancedViewOnly: 'TRUE',
        },
      },
      { dn: `CN=User,${dn}`, attrs: { objectClass: 'container', isCriticalSystemObject: 'TRUE', systemFlags: SF_BUILTIN_GROUP, showInAdvancedViewOnly: 'TRUE' } },
      { dn: `CN=Machine,${dn}`, attrs: { objectClass: 'container', isCriticalSystemObject: 'TRUE', systemFlags: SF_BUILTIN_GROUP, showInAdvancedViewOnly: 'TRUE' } },
    ];
  }
  function container(name: string, description: string, advanced = false, parent = D): ProvisionObject {
    return { dn: `CN=${name},${parent}`, attrs: { objectClass: 'container', description, isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: advanced ? 'TRUE' : 'FALSE' } };
  }
  function user(name: string, rid: number, uac: number, description: string, extra: Record<string, string>): ProvisionObject {
    return { dn: `CN=${name},CN=Users,${D}`, attrs: { objectClass: 'user', sAMAccountName: name, objectSid: `\${rid:${rid}}`, userAccountControl: String(uac), description, ...extra } };
  }
}

/** The configuration NC. */
export function configObjects(): ProvisionObject[] {
  const C = '${configDN}';
  const site = `CN=Default-First-Site-Name,CN=Sites,${C}`;
  return [
    {
      dn: C,
      attrs: {
        objectClass: 'configuration',
        wellKnownObjects: [wk(WKGUID.DELETED_OBJECTS, `CN=Deleted Objects,${C}`), wk(WKGUID.LOSTANDFOUND, `CN=LostAndFoundConfig,${C}`), wk(WKGUID.NTDS_QUOTAS, `CN=NTDS Quotas,${C}`)],
        showInAdvancedViewOnly: 'TRUE',
      },
    },
    { dn: `CN=Deleted Objects,${C}`, attrs: { objectClass: 'container', isDeleted: 'TRUE', isCriticalSystemObject: 'TRUE', systemFlags: String(0x8c000000 | 0), showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=LostAndFoundConfig,${C}`, attrs: { objectClass: 'lostAndFound', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=NTDS Quotas,${C}`, attrs: { objectClass: 'msDS-QuotaContainer', isCriticalSystemObject: 'TRUE', systemFlags: SF_CRITICAL, showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Partitions,${C}`, attrs: { objectClass: 'crossRefContainer', fSMORoleOwner: '${dsaDN}', 'msDS-Behavior-Version': '7', systemFlags: String(0x80000000 | 0), showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=\${netbios},CN=Partitions,${C}`, attrs: { objectClass: 'crossRef', nCName: '${domainDN}', dnsRoot: '${realm}', nETBIOSName: '${netbios}', systemFlags: '3', showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Enterprise Configuration,CN=Partitions,${C}`, attrs: { objectClass: 'crossRef', nCName: C, dnsRoot: '${realm}', systemFlags: '1', showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Enterprise Schema,CN=Partitions,${C}`, attrs: { objectClass: 'crossRef', nCName: '${schemaDN}', dnsRoot: '${realm}', systemFlags: '1', showInAdvancedViewOnly: 'TRUE' } },
    // application NCs: crossRefs named by a GUID, as Windows names them
    ...APPLICATION_NCS.map(([n, ref]): ProvisionObject => ({
      dn: `CN=\${${ref}},CN=Partitions,${C}`,
      attrs: { objectClass: 'crossRef', nCName: `DC=${n},\${domainDN}`, dnsRoot: `${n}.\${realm}`, systemFlags: '5', 'msDS-NC-Replica-Locations': '${dsaDN}', showInAdvancedViewOnly: 'TRUE' },
    })),
    { dn: `CN=Sites,${C}`, attrs: { objectClass: 'sitesContainer', systemFlags: String(0x82000000 | 0), showInAdvancedViewOnly: 'TRUE' } },
    { dn: site, attrs: { objectClass: 'site', systemFlags: String(0x82000000 | 0), showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Servers,${site}`, attrs: { objectClass: 'serversContainer', systemFlags: String(0x82000000 | 0), showInAdvancedViewOnly: 'TRUE' } },
    { dn: '${serverDN}', attrs: { objectClass: 'server', dNSHostName: '${dnsHostName}', serverReference: '${computerDN}', systemFlags: String(0x52000000), showInAdvancedViewOnly: 'TRUE' } },
    {
      dn: '${dsaDN}',
      attrs: {
        objectClass: 'nTDSDSA',
        invocationId: '${invocationIdBytes}',
        options: '1', // NTDSDSA_OPT_IS_GC
        'msDS-Behavior-Version': '7',
        dMDLocation: '${schemaDN}',
        hasMasterNCs: ['${domainDN}', C, '${schemaDN}'],
        'msDS-hasMasterNCs': ['${domainDN}', C, '${schemaDN}', ...APPLICATION_NCS.map(([n]) => `DC=${n},\${domainDN}`)],
        'msDS-HasDomainNCs': '${domainDN}',
        systemFlags: String(0x2000000),
        showInAdvancedViewOnly: 'TRUE',
      },
    },
    { dn: `CN=Inter-Site Transports,CN=Sites,${C}`, attrs: { objectClass: 'interSiteTransportContainer', systemFlags: String(0x82000000 | 0), showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Subnets,CN=Sites,${C}`, attrs: { objectClass: 'subnetContainer', systemFlags: String(0x82000000 | 0), showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Services,${C}`, attrs: { objectClass: 'container', systemFlags: String(0x80000000 | 0), showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Windows NT,CN=Services,${C}`, attrs: { objectClass: 'container', showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Directory Service,CN=Windows NT,CN=Services,${C}`, attrs: { objectClass: 'nTDSService', tombstoneLifetime: '180', showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=Query-Policies,CN=Directory Service,CN=Windows NT,CN=Services,${C}`, attrs: { objectClass: 'container', showInAdvancedViewOnly: 'TRUE' } },
    {
      dn: `CN=Default Query Policy,CN=Query-Policies,CN=Directory Service,CN=Windows NT,CN=Services,${C}`,
      attrs: {
        objectClass: 'queryPolicy',
        lDAPAdminLimits: ['MaxValRange=1500', 'MaxReceiveBuffer=10485760', 'MaxDatagramRecv=4096', 'MaxPoolThreads=4', 'MaxResultSetSize=262144', 'MaxTempTableSize=10000', 'MaxQueryDuration=120', 'MaxPageSize=1000', 'MaxNotificationPerConn=5', 'MaxActiveQueries=20', 'MaxConnIdleTime=900', 'InitRecvTimeout=120', 'MaxConnections=5000'],
        showInAdvancedViewOnly: 'TRUE',
      },
    },
    { dn: `CN=Optional Features,CN=Directory Service,CN=Windows NT,CN=Services,${C}`, attrs: { objectClass: 'container', showInAdvancedViewOnly: 'TRUE' } },
    {
      dn: `CN=Recycle Bin Feature,CN=Optional Features,CN=Directory Service,CN=Windows NT,CN=Services,${C}`,
      attrs: { objectClass: 'msDS-OptionalFeature', 'msDS-OptionalFeatureGUID': '${recycleBinGuidBytes}', 'msDS-OptionalFeatureFlags': '1', 'msDS-RequiredForestBehaviorVersion': '4', showInAdvancedViewOnly: 'TRUE' },
    },
    { dn: `CN=Extended-Rights,${C}`, attrs: { objectClass: 'container', showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=DisplaySpecifiers,${C}`, attrs: { objectClass: 'container', showInAdvancedViewOnly: 'TRUE' } },
    { dn: `CN=WellKnown Security Principals,${C}`, attrs: { objectClass: 'container', showInAdvancedViewOnly: 'TRUE' } },
  ];
}
