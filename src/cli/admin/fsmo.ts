// forestd fsmo show|transfer|seize: the five operations master roles (MS-ADTS 3.1.1.1.11), read
// from the fSMORoleOwner of each role object.
import { attempt, connectionSettings, CONNECTION_USAGE, EXIT, AdminError, first, parse, print, Session, table, type Row } from './common.js';

export const FSMO_USAGE = `forestd fsmo COMMAND
  show                the owner of each role: schema, domain naming, PDC, RID, infrastructure
  transfer ROLE DC | seize ROLE DC   not supported yet (exit 5)
${CONNECTION_USAGE}`;

export async function fsmoCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parse(rest, {});
  if (!sub || values.help) {
    process.stdout.write(FSMO_USAGE + '\n');
    return sub ? 0 : EXIT.usage;
  }
  if (sub === 'transfer' || sub === 'seize')
    // a transfer is the new holder's IDL_DRSGetNCChanges with EXOP_FSMO_REQ_ROLE to the old one (MS-DRSR 4.1.10.4.3, served
    // per 4.1.10.5.12 ProcessFsmoRoleRequest), or an LDAP becomeXxxMaster rootDSE write (MS-ADTS 3.1.1.3.3); forestd serves neither yet
    throw new AdminError(`fsmo ${sub} is not supported until replication lands role transfers (MS-DRSR EXOP_FSMO_REQ_ROLE); the roles stay where they are`, EXIT.notSupported, 'ERR_NOT_SUPPORTED', 'forestd fsmo show lists the holders');
  if (sub !== 'show') throw new AdminError(`unknown fsmo command ${JSON.stringify(sub)}\n\n${FSMO_USAGE}`, EXIT.usage, 'ERR_USAGE');
  const conn = await connectionSettings(values);
  const s = await Session.open(conn);
  try {
    const root = await s.root();
    const domain = String(root.defaultNamingContext);
    const config = String(root.configurationNamingContext);
    // MS-ADTS 3.1.1.1.11: the objects whose fSMORoleOwner names each role's holder
    const roles: [string, string][] = [
      ['schema', String(root.schemaNamingContext)],
      ['domain naming', `CN=Partitions,${config}`],
      ['PDC', domain],
      ['RID', `CN=RID Manager$,CN=System,${domain}`],
      ['infrastructure', `CN=Infrastructure,${domain}`],
    ];
    const rows: Row[] = [];
    for (const [role, dn] of roles) {
      const r = await attempt(`reading ${dn}`, () => s.client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['fSMORoleOwner'] }));
      const owner = first(r.searchEntries[0]?.fSMORoleOwner) ?? '';
      // the owner is a DC's nTDSDSA object, CN=NTDS Settings,CN=<server>,…: the server is its parent
      const server = /^CN=NTDS Settings,CN=([^,]+),/i.exec(owner)?.[1] ?? '';
      rows.push({ role, server, owner, object: dn });
    }
    print(conn, () => table(rows, ['role', 'server', 'owner']), rows);
    return EXIT.ok;
  } finally {
    await s.close();
  }
}
