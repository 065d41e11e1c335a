// forestd computer add|list
import { attempt, connectionSettings, CONNECTION_USAGE, EXIT, AdminError, first, parse, print, rdnValue, Session, table, usage } from './common.js';

// MS-ADTS 2.2.16: a workstation's account
const UF_WORKSTATION_TRUST_ACCOUNT = 0x1000;

export const COMPUTER_USAGE = `forestd computer COMMAND [options]
  add NAME [--ou DN] [--dns-host-name FQDN] [--description D]   an account NAME$ in CN=Computers (or --ou)
  list [--ou DN]
${CONNECTION_USAGE}`;

export async function computerCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, { ou: { type: 'string' }, 'dns-host-name': { type: 'string' }, description: { type: 'string' } });
  if (!sub || values.help) {
    process.stdout.write(COMPUTER_USAGE + '\n');
    return sub ? 0 : EXIT.usage;
  }
  if (sub === 'add' && positionals.length !== 1) throw usage('computer add needs one NAME');
  const conn = await connectionSettings(values);
  const s = await Session.open(conn);
  try {
    switch (sub) {
      case 'add': {
        const name = positionals[0]!.replace(/\$$/, '');
        if (!/^[A-Za-z0-9-]{1,15}$/.test(name)) throw usage(`a computer name is 1 to 15 letters, digits or '-' (a NetBIOS name), not ${JSON.stringify(name)}`);
        const domain = await s.domainDN();
        const dn = `CN=${rdnValue(name)},${values.ou ?? `CN=Computers,${domain}`}`;
        const realm = domain.replace(/^DC=/i, '').split(/,DC=/i).join('.').toLowerCase();
        const attrs: Record<string, string | string[]> = {
          objectClass: ['top', 'person', 'organizationalPerson', 'user', 'computer'],
          sAMAccountName: `${name.toUpperCase()}$`,
          userAccountControl: String(UF_WORKSTATION_TRUST_ACCOUNT),
          dNSHostName: values['dns-host-name'] ?? `${name.toLowerCase()}.${realm}`,
        };
        if (values.description) attrs.description = values.description;
        await attempt(`adding ${dn}`, () => s.client.add(dn, attrs));
        print(conn, () => `added ${dn}\n`, { dn, sAMAccountName: attrs.sAMAccountName, dNSHostName: attrs.dNSHostName });
        return EXIT.ok;
      }
      case 'list': {
        const base = values.ou ?? (await s.domainDN());
        const r = await attempt(`searching ${base}`, () => s.client.search(base, { scope: 'sub', filter: '(objectClass=computer)', attributes: ['sAMAccountName', 'dNSHostName', 'operatingSystem'], paged: { pageSize: 500 } }));
        const rows = r.searchEntries.map((e) => ({ name: first(e.sAMAccountName) ?? '', dNSHostName: first(e.dNSHostName) ?? '', operatingSystem: first(e.operatingSystem) ?? '', dn: e.dn })).sort((a, b) => a.name.localeCompare(b.name));
        print(conn, () => table(rows, ['name', 'dNSHostName', 'operatingSystem', 'dn']), rows);
        return EXIT.ok;
      }
      default:
        throw new AdminError(`unknown computer command ${JSON.stringify(sub)}\n\n${COMPUTER_USAGE}`, EXIT.usage, 'ERR_USAGE');
    }
  } finally {
    await s.close();
  }
}
