// forestd ou add|list
import { attempt, connectionSettings, CONNECTION_USAGE, EXIT, AdminError, first, parse, print, rdnValue, Session, table, usage } from './common.js';

export const OU_USAGE = `forestd ou COMMAND [options]
  add NAME [--parent DN] [--description D]   an organizational unit under the domain (or --parent)
  list [--parent DN]                          every OU below the domain (or --parent)
${CONNECTION_USAGE}`;

export async function ouCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, { parent: { type: 'string' }, description: { type: 'string' } });
  if (!sub || values.help) {
    process.stdout.write(OU_USAGE + '\n');
    return sub ? 0 : EXIT.usage;
  }
  if (sub === 'add' && positionals.length !== 1) throw usage('ou add needs one NAME');
  const conn = await connectionSettings(values);
  const s = await Session.open(conn);
  try {
    switch (sub) {
      case 'add': {
        const dn = `OU=${rdnValue(positionals[0]!)},${values.parent ?? (await s.domainDN())}`;
        const attrs: Record<string, string | string[]> = { objectClass: ['top', 'organizationalUnit'] };
        if (values.description) attrs.description = values.description;
        await attempt(`adding ${dn}`, () => s.client.add(dn, attrs));
        print(conn, () => `added ${dn}\n`, { dn });
        return EXIT.ok;
      }
      case 'list': {
        const base = values.parent ?? (await s.domainDN());
        const r = await attempt(`searching ${base}`, () => s.client.search(base, { scope: 'sub', filter: '(objectClass=organizationalUnit)', attributes: ['ou', 'description'], paged: { pageSize: 500 } }));
        const rows = r.searchEntries.map((e) => ({ name: first(e.ou) ?? '', description: first(e.description) ?? '', dn: e.dn })).sort((a, b) => a.dn.localeCompare(b.dn));
        print(conn, () => table(rows, ['name', 'description', 'dn']), rows);
        return EXIT.ok;
      }
      default:
        throw new AdminError(`unknown ou command ${JSON.stringify(sub)}\n\n${OU_USAGE}`, EXIT.usage, 'ERR_USAGE');
    }
  } finally {
    await s.close();
  }
}
