// forestd group add|members|add-member|remove-member
import { Attribute, Change } from 'ldapts';
import { attempt, connectionSettings, CONNECTION_USAGE, EXIT, AdminError, first, parse, print, rdnValue, resolveName, Session, strs, table, usage, type Row } from './common.js';

// MS-ADTS 2.2.12 groupType bits
const GROUP_TYPE = { global: 0x2, 'domain-local': 0x4, universal: 0x8 } as const;
const GROUP_TYPE_SECURITY_ENABLED = 0x80000000;

export const GROUP_USAGE = `forestd group COMMAND [options]
  add NAME [--ou DN] [--scope global|domain-local|universal] [--type security|distribution] [--description D]
  members GROUP                     the members (GROUP: sAMAccountName or DN)
  add-member GROUP MEMBER...        MEMBER: a sAMAccountName (user, group or computer) or a DN
  remove-member GROUP MEMBER...
${CONNECTION_USAGE}`;

export async function groupCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, { ou: { type: 'string' }, scope: { type: 'string' }, type: { type: 'string' }, description: { type: 'string' } });
  if (!sub || values.help) {
    process.stdout.write(GROUP_USAGE + '\n');
    return sub ? 0 : EXIT.usage;
  }
  if (sub === 'add' && positionals.length !== 1) throw usage('group add needs one NAME');
  if (sub === 'members' && positionals.length !== 1) throw usage('group members needs one GROUP');
  if ((sub === 'add-member' || sub === 'remove-member') && positionals.length < 2) throw usage(`group ${sub} needs GROUP and at least one MEMBER`);
  const scope = (values.scope ?? 'global') as keyof typeof GROUP_TYPE;
  if (!(scope in GROUP_TYPE)) throw usage(`--scope is global, domain-local or universal, not ${JSON.stringify(values.scope)}`);
  const kind = values.type ?? 'security';
  if (kind !== 'security' && kind !== 'distribution') throw usage(`--type is security or distribution, not ${JSON.stringify(kind)}`);
  const conn = await connectionSettings(values);
  const s = await Session.open(conn);
  try {
    switch (sub) {
      case 'add': {
        const name = positionals[0]!;
        const dn = `CN=${rdnValue(name)},${values.ou ?? `CN=Users,${await s.domainDN()}`}`;
        const groupType = (GROUP_TYPE[scope] | (kind === 'security' ? GROUP_TYPE_SECURITY_ENABLED : 0)) | 0; // signed 32-bit, as AD stores it
        const attrs: Record<string, string | string[]> = { objectClass: ['top', 'group'], sAMAccountName: name, groupType: String(groupType) };
        if (values.description) attrs.description = values.description;
        await attempt(`adding ${dn}`, () => s.client.add(dn, attrs));
        print(conn, () => `added ${dn}\n`, { dn, sAMAccountName: name, scope, type: kind, groupType });
        return EXIT.ok;
      }
      case 'members': {
        const dn = await resolveName(s, positionals[0]!, 'group');
        const r = await attempt(`reading ${dn}`, () => s.client.search(dn, { scope: 'base', filter: '(objectClass=group)', attributes: ['member'] }));
        if (r.searchEntries.length === 0) throw new AdminError(`${dn} is not a group`, EXIT.notFound, 'ERR_NOT_FOUND');
        const members = strs(r.searchEntries[0]!.member);
        const rows: Row[] = [];
        for (const m of members) {
          const e = await attempt(`reading ${m}`, () => s.client.search(m, { scope: 'base', filter: '(objectClass=*)', attributes: ['sAMAccountName', 'objectClass'] }));
          const oc = strs(e.searchEntries[0]?.objectClass);
          rows.push({ name: first(e.searchEntries[0]?.sAMAccountName) ?? '', class: oc[oc.length - 1] ?? '', dn: m });
        }
        rows.sort((a, b) => String(a.name).localeCompare(String(b.name)));
        print(conn, () => table(rows, ['name', 'class', 'dn']), rows);
        return EXIT.ok;
      }
      case 'add-member':
      case 'remove-member': {
        const dn = await resolveName(s, positionals[0]!, 'group');
        const members: string[] = [];
        for (const m of positionals.slice(1)) members.push(await resolveName(s, m, '*', true).catch(() => resolveName(s, m, '*')));
        // one modify: all the members or none
        await attempt(`${sub === 'add-member' ? 'adding members to' : 'removing members from'} ${dn}`, () =>
          s.client.modify(dn, new Change({ operation: sub === 'add-member' ? 'add' : 'delete', modification: new Attribute({ type: 'member', values: members }) })),
        );
        print(conn, () => `${sub === 'add-member' ? 'added' : 'removed'} ${members.length} member(s) ${sub === 'add-member' ? 'to' : 'from'} ${dn}\n`, { dn, [sub === 'add-member' ? 'added' : 'removed']: members });
        return EXIT.ok;
      }
      default:
        throw new AdminError(`unknown group command ${JSON.stringify(sub)}\n\n${GROUP_USAGE}`, EXIT.usage, 'ERR_USAGE');
    }
  } finally {
    await s.close();
  }
}
