// forestd user add|list|show|disable|enable|unlock|set-password|delete
import { Attribute, Change } from 'ldapts';
import { attempt, connectionSettings, CONNECTION_USAGE, EXIT, AdminError, fileTime, first, keyValues, newPassword, parse, print, rdnValue, resolveName, Session, strs, table, unicodePwd, usage } from './common.js';

// MS-ADTS 2.2.16 userAccountControl bits
const UF_ACCOUNTDISABLE = 0x2;
const UF_NORMAL_ACCOUNT = 0x200;

export const USER_USAGE = `forestd user COMMAND [options]
  add NAME [--ou DN] [--given-name G] [--surname S] [--upn UPN] [--description D] [--mail M]
           [--new-password-file FILE] [--disabled]
      a user in CN=Users (or --ou); with a password (from the file, FORESTD_NEW_PASSWORD or a prompt)
      it is enabled, unless --disabled; without one (--no-password) it is created disabled
  list [--ou DN]               every user: name, enabled, locked, last logon
  show NAME                    one user's attributes (NAME: sAMAccountName or DN)
  disable NAME | enable NAME   userAccountControl ACCOUNTDISABLE off/on
  unlock NAME                  clears lockoutTime
  set-password NAME [--new-password-file FILE]   a reset (over ldaps:// or StartTLS)
  delete NAME
${CONNECTION_USAGE}`;

export async function userCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, {
    ou: { type: 'string' },
    'given-name': { type: 'string' },
    surname: { type: 'string' },
    upn: { type: 'string' },
    description: { type: 'string' },
    mail: { type: 'string' },
    'new-password-file': { type: 'string' },
    'no-password': { type: 'boolean' },
    disabled: { type: 'boolean' },
  });
  if (!sub || values.help) {
    process.stdout.write(USER_USAGE + '\n');
    return sub ? 0 : EXIT.usage;
  }
  const needName = () => {
    if (positionals.length !== 1) throw usage(`user ${sub} needs one NAME (sAMAccountName or DN)`);
    return positionals[0]!;
  };
  const conn = await connectionSettings(values);
  const secret = sub === 'set-password' || (sub === 'add' && !values['no-password']);
  // the new password is read before connecting: a prompt after a connection would hold it open
  const pw = secret ? await newPassword(values['new-password-file']) : undefined;
  const s = await Session.open(conn, { secret });
  try {
    switch (sub) {
      case 'add': {
        const name = needName();
        const parent = values.ou ?? `CN=Users,${await s.domainDN()}`;
        const dn = `CN=${rdnValue(name)},${parent}`;
        const attrs: Record<string, string | string[] | Buffer[]> = { objectClass: ['top', 'person', 'organizationalPerson', 'user'], sAMAccountName: name };
        if (values['given-name']) attrs.givenName = values['given-name'];
        if (values.surname) attrs.sn = values.surname;
        if (values.description) attrs.description = values.description;
        if (values.mail) attrs.mail = values.mail;
        attrs.userPrincipalName = values.upn ?? `${name}@${(await s.domainDN()).replace(/^DC=/i, '').split(/,DC=/i).join('.')}`;
        // one add, so that a refused password leaves no account behind (MS-ADTS 3.1.1.3.1.5)
        if (pw !== undefined) {
          attrs.unicodePwd = [unicodePwd(pw)];
          attrs.userAccountControl = String(UF_NORMAL_ACCOUNT | (values.disabled ? UF_ACCOUNTDISABLE : 0));
        } else attrs.userAccountControl = String(UF_NORMAL_ACCOUNT | UF_ACCOUNTDISABLE);
        await attempt(`adding ${dn}`, () => s.client.add(dn, Object.entries(attrs).map(([type, v]) => new Attribute({ type, values: (Array.isArray(v) ? v : [v]) as string[] }))));
        print(conn, () => `added ${dn}\n`, { dn, sAMAccountName: name, enabled: pw !== undefined && !values.disabled });
        return EXIT.ok;
      }
      case 'list': {
        const base = values.ou ?? (await s.domainDN());
        const r = await attempt(`searching ${base}`, () =>
          s.client.search(base, { scope: 'sub', filter: '(&(objectCategory=person)(objectClass=user))', attributes: ['sAMAccountName', 'userAccountControl', 'lockoutTime', 'lastLogonTimestamp', 'displayName', 'description'], paged: { pageSize: 500 } }),
        );
        const rows = r.searchEntries
          .map((e) => ({
            name: first(e.sAMAccountName) ?? '',
            enabled: (Number(first(e.userAccountControl) ?? 0) & UF_ACCOUNTDISABLE) === 0,
            locked: BigInt(first(e.lockoutTime) ?? '0') !== 0n,
            lastLogon: fileTime(first(e.lastLogonTimestamp)) || 'never',
            dn: e.dn,
          }))
          .sort((a, b) => a.name.localeCompare(b.name));
        print(conn, () => table(rows, ['name', 'enabled', 'locked', 'lastLogon', 'dn']), rows);
        return EXIT.ok;
      }
      case 'show': {
        const dn = await resolveName(s, needName(), 'user');
        const r = await attempt(`reading ${dn}`, () => s.client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['*', 'memberOf', 'msDS-User-Account-Control-Computed'] }));
        const e = r.searchEntries[0]!;
        const obj: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(e)) if (k !== 'dn' && k !== '*' && strs(v).length && !/^(objectGUID|objectSid|nTSecurityDescriptor)$/i.test(k)) obj[k] = strs(v);
        const uac = Number(obj.userAccountControl?.[0] ?? 0);
        const summary = { dn: e.dn, enabled: (uac & UF_ACCOUNTDISABLE) === 0, locked: BigInt(obj.lockoutTime?.[0] ?? '0') !== 0n, attributes: obj };
        print(conn, () => keyValues([['dn', e.dn], ['enabled', String(summary.enabled)], ['locked', String(summary.locked)], ...Object.entries(obj).sort(([a], [b]) => a.localeCompare(b))]), summary);
        return EXIT.ok;
      }
      case 'disable':
      case 'enable': {
        const dn = await resolveName(s, needName(), 'user');
        const r = await attempt(`reading ${dn}`, () => s.client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['userAccountControl'] }));
        const uac = Number(first(r.searchEntries[0]?.userAccountControl) ?? UF_NORMAL_ACCOUNT);
        const next = sub === 'disable' ? uac | UF_ACCOUNTDISABLE : uac & ~UF_ACCOUNTDISABLE;
        if (next !== uac) await attempt(`${sub === 'disable' ? 'disabling' : 'enabling'} ${dn}`, () => s.client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [String(next)] }) })));
        print(conn, () => `${sub}d ${dn}\n`, { dn, enabled: sub === 'enable', changed: next !== uac });
        return EXIT.ok;
      }
      case 'unlock': {
        const dn = await resolveName(s, needName(), 'user');
        // MS-ADTS 3.1.1.5.3.1.2 (MS-SAMR 3.1.1.8.11): writing lockoutTime 0 unlocks the account
        await attempt(`unlocking ${dn}`, () => s.client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'lockoutTime', values: ['0'] }) })));
        print(conn, () => `unlocked ${dn}\n`, { dn, locked: false });
        return EXIT.ok;
      }
      case 'set-password': {
        const dn = await resolveName(s, needName(), 'user');
        // a reset: one replace of unicodePwd (MS-ADTS 3.1.1.3.1.5.2)
        await attempt(`setting the password of ${dn}`, () => s.client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(pw!)] }) })));
        print(conn, () => `password set for ${dn}\n`, { dn, passwordSet: true });
        return EXIT.ok;
      }
      case 'delete': {
        const dn = await resolveName(s, needName(), 'user');
        await attempt(`deleting ${dn}`, () => s.client.del(dn));
        print(conn, () => `deleted ${dn}\n`, { dn, deleted: true });
        return EXIT.ok;
      }
      default:
        throw new AdminError(`unknown user command ${JSON.stringify(sub)}\n\n${USER_USAGE}`, EXIT.usage, 'ERR_USAGE');
    }
  } finally {
    await s.close();
  }
}
