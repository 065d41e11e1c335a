// forestd fsmo show|transfer|seize: the five operations master roles (MS-ADTS 3.1.1.1.11), read
// from the fSMORoleOwner of each role object.
//  - transfer ROLE: the rootDSE operation becomeXxx (MS-ADTS 3.1.1.3.3.1–3.1.1.3.3.6) against the
//    DC that is to receive the role (--url); that DC asks the owner for it over DRS.
//  - seize ROLE: the transfer first; when the owner cannot be contacted (unavailable,
//    ERROR_DS_COULDNT_CONTACT_FSMO), fSMORoleOwner of the role object is written on the DC the
//    command talks to, naming that DC (MS-ADCAP 3.4.4.6.2.3.2 "Seizing a FSMO Role"; ntdsutil does
//    the same, Microsoft KB 2001165).
import { Attribute, Change } from 'ldapts';
import { attempt, connectionSettings, ldapError, CONNECTION_USAGE, EXIT, AdminError, first, parse, print, Session, table, usage, type Row } from './common.js';

export const FSMO_USAGE = `forestd fsmo COMMAND
  show                the owner of each role: schema, naming, pdc, rid, infrastructure
  transfer ROLE       move ROLE to the DC of --url (it asks the current owner; rootDSE becomeXxx)
  seize ROLE          transfer, or when the owner cannot be reached, take ROLE on the DC of --url
                      (only when the old owner is gone for good; a seized RID Master must not
                      come back: it could hand out RIDs twice)
ROLE is one of schema, naming, rid, pdc, infrastructure
${CONNECTION_USAGE}`;

type RoleName = 'schema' | 'naming' | 'pdc' | 'rid' | 'infrastructure';

/** Each role: its label in the table, and the rootDSE operation that moves it (MS-ADTS 3.1.1.3.3). */
const ROLES: Record<RoleName, { label: string; become: string }> = {
  schema: { label: 'schema', become: 'becomeSchemaMaster' },
  naming: { label: 'domain naming', become: 'becomeDomainMaster' },
  pdc: { label: 'PDC', become: 'becomePdc' },
  rid: { label: 'RID', become: 'becomeRidMaster' },
  infrastructure: { label: 'infrastructure', become: 'becomeInfrastructureMaster' },
};

/** The role object of each role (MS-ADTS 3.1.1.1.11, 6.1.5), from the rootDSE and the domain's rIDManagerReference. */
async function roleObjects(s: Session): Promise<Record<RoleName, string>> {
  const root = await s.root();
  const domain = String(root.defaultNamingContext);
  const config = String(root.configurationNamingContext);
  const d = await attempt(`reading ${domain}`, () => s.client.search(domain, { scope: 'base', filter: '(objectClass=*)', attributes: ['rIDManagerReference'] }));
  return {
    schema: String(root.schemaNamingContext),
    naming: `CN=Partitions,${config}`,
    pdc: domain,
    rid: first(d.searchEntries[0]?.rIDManagerReference) ?? `CN=RID Manager$,CN=System,${domain}`,
    infrastructure: `CN=Infrastructure,${domain}`,
  };
}

async function ownerRows(s: Session, only?: RoleName): Promise<Row[]> {
  const objects = await roleObjects(s);
  const rows: Row[] = [];
  for (const name of Object.keys(ROLES) as RoleName[]) {
    if (only && name !== only) continue;
    const dn = objects[name];
    const r = await attempt(`reading ${dn}`, () => s.client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['fSMORoleOwner'] }));
    const owner = first(r.searchEntries[0]?.fSMORoleOwner) ?? '';
    // the owner is a DC's nTDSDSA object, CN=NTDS Settings,CN=<server>,…: the server is its parent
    const server = /^CN=NTDS Settings,CN=([^,]+),/i.exec(owner)?.[1] ?? '';
    rows.push({ role: ROLES[name].label, server, owner, object: dn });
  }
  return rows;
}

function roleArg(rest: string[], sub: string): RoleName {
  if (rest.length !== 1) throw usage(`fsmo ${sub} takes one ROLE (schema, naming, rid, pdc, infrastructure)\n\n${FSMO_USAGE}`);
  const name = rest[0]!.toLowerCase();
  if (!Object.hasOwn(ROLES, name)) throw usage(`unknown role ${JSON.stringify(rest[0])}: one of schema, naming, rid, pdc, infrastructure`);
  return name as RoleName;
}

/** The rootDSE modify becomeXxx: 1 (becomePdc: the domain's SID, MS-ADTS 3.1.1.3.3.3). */
async function become(s: Session, role: RoleName): Promise<void> {
  let value: Buffer = Buffer.from('1');
  if (role === 'pdc') {
    const domain = await s.domainDN();
    const d = await attempt(`reading ${domain}`, () => s.client.search(domain, { scope: 'base', filter: '(objectClass=*)', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] }));
    const sid = d.searchEntries[0]?.objectSid;
    value = Buffer.isBuffer(sid) ? sid : Buffer.isBuffer((sid as Buffer[] | undefined)?.[0]) ? (sid as Buffer[])[0]! : Buffer.alloc(0);
  }
  await s.client.modify('', new Change({ operation: 'add', modification: new Attribute({ type: ROLES[role].become, values: [value] }) }));
}

/** ERROR_DS_COULDNT_CONTACT_FSMO (the 8 hex digits AD's diagnostic starts with): the owner did not answer. */
const COULDNT_CONTACT = /^000020AF:/i;

export async function fsmoCommand(args: string[]): Promise<number> {
  const [sub, ...argv] = args;
  const { values, positionals } = parse(argv, {});
  if (!sub || values.help) {
    process.stdout.write(FSMO_USAGE + '\n');
    return sub ? 0 : EXIT.usage;
  }
  if (sub !== 'show' && sub !== 'transfer' && sub !== 'seize') throw new AdminError(`unknown fsmo command ${JSON.stringify(sub)}\n\n${FSMO_USAGE}`, EXIT.usage, 'ERR_USAGE');
  const role = sub === 'show' ? undefined : roleArg(positionals, sub);
  const conn = await connectionSettings(values);
  const s = await Session.open(conn);
  try {
    if (!role) {
      const rows = await ownerRows(s);
      print(conn, () => table(rows, ['role', 'server', 'owner']), rows);
      return EXIT.ok;
    }
    let seized = false;
    try {
      await become(s, role);
    } catch (e) {
      const err = e as Error & { code?: number };
      // seize: only when the owner cannot be contacted (ntdsutil: "FSMO transfer failed; proceeding with seizure")
      if (sub !== 'seize' || err.code !== 52 || !COULDNT_CONTACT.test(err.message)) {
        const a = ldapError(e, `fsmo ${sub} ${role}`);
        throw COULDNT_CONTACT.test(err.message) ? new AdminError(a.message, a.exit, a.code, `the role owner cannot be reached; if it is gone for good: forestd fsmo seize ${role}`) : a;
      }
      const self = String((await s.root()).dsServiceName);
      const dn = (await roleObjects(s))[role];
      await attempt(`fsmo seize ${role}: writing fSMORoleOwner of ${dn}`, () => s.client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'fSMORoleOwner', values: [self] }) })));
      seized = true;
    }
    const rows = (await ownerRows(s, role)).map((r) => ({ ...r, seized }));
    print(conn, () => `${sub === 'seize' && seized ? 'seized' : 'transferred'}: ${ROLES[role].label} role\n` + table(rows, ['role', 'server', 'owner']), rows[0]);
    return EXIT.ok;
  } finally {
    await s.close();
  }
}
