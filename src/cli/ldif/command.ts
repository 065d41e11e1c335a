// forestd ldif export|import
import { connectionSettings, CONNECTION_USAGE, EXIT, AdminError, parse, print, Session, usage } from '../admin/common.js';
import { LdifSyntaxError } from './format.js';
import { FilterParser } from 'ldapts';

export const LDIF_USAGE = `forestd ldif COMMAND [options]
  export [--base DN] [--scope base|one|sub] [--filter F] [--attributes a,b,...] [--page-size N]
         [--importable] [--out FILE]
      entries as LDIF (RFC 2849), paged; --base defaults to the domain NC (or give the
      configuration or schema NC, or any subtree). --importable leaves out what an add refuses
      (systemOnly, constructed and back-link attributes, the SAM's own: objectSid, pwdLastSet, …,
      objectGUID, name, distinguishedName, nTSecurityDescriptor, instanceType) and writes forward
      links (member, manager, …) as modify records at the end, so the file imports into a new forest.
  import [FILE] [--connections N] [--pipeline N] [--continue] [--report FILE] [--quiet]
      applies the records (content records are adds; changetype add, modify, delete, modrdn) over
      N connections (default 4) with up to --pipeline (default 8) operations in flight on each.
      A progress bar (rate, ETA) is drawn when stdout is a terminal. Without --continue the
      first failed record stops the import; with it every failed record is reported (stderr,
      and as LDIF with the reason in --report FILE) and the exit code is 1 if any failed.
${CONNECTION_USAGE}`;

export async function ldifCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, {
    base: { type: 'string' },
    scope: { type: 'string' },
    filter: { type: 'string' },
    attributes: { type: 'string' },
    'page-size': { type: 'string' },
    importable: { type: 'boolean' },
    out: { type: 'string', short: 'o' },
    connections: { type: 'string' },
    pipeline: { type: 'string' },
    continue: { type: 'boolean' },
    report: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (!sub || values.help) {
    process.stdout.write(LDIF_USAGE + '\n');
    return sub ? 0 : EXIT.usage;
  }
  const int = (v: string | undefined, name: string, def: number, max: number) => {
    if (v === undefined) return def;
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw usage(`--${name} is a number from 1 to ${max}, not ${JSON.stringify(v)}`);
    return Number(v);
  };
  if (sub === 'export') {
    const scope = (values.scope ?? 'sub') as 'base' | 'one' | 'sub';
    if (!['base', 'one', 'sub'].includes(scope)) throw usage(`--scope is base, one or sub, not ${JSON.stringify(values.scope)}`);
    const pageSize = int(values['page-size'], 'page-size', 500, 1000);
    if (positionals.length) throw usage('ldif export takes no file name: use --out FILE (default: stdout)');
    try {
      FilterParser.parseString(values.filter ?? '(objectClass=*)');
    } catch (e) {
      throw usage(`--filter is not an RFC 4515 filter: ${(e as Error).message}`);
    }
    const conn = await connectionSettings(values);
    const s = await Session.open(conn);
    try {
      const { exportLdif } = await import('./export.js');
      const base = values.base ?? (await s.domainDN());
      const r = await exportLdif(s, { base, scope, filter: values.filter ?? '(objectClass=*)', attributes: values.attributes ? values.attributes.split(',').map((a) => a.trim()).filter(Boolean) : ['*'], pageSize, importable: values.importable === true, out: values.out });
      if (values.out) print(conn, () => `exported ${r.entries} entries${r.links ? ` and ${r.links} link records` : ''} to ${values.out}\n`, { base, ...r, out: values.out });
      return EXIT.ok;
    } finally {
      await s.close();
    }
  }
  if (sub === 'import') {
    if (positionals.length > 1) throw usage('ldif import reads one FILE (or stdin)');
    const connections = int(values.connections, 'connections', 4, 64);
    const pipeline = int(values.pipeline, 'pipeline', 8, 256);
    const conn = await connectionSettings(values);
    const { importLdif } = await import('./import.js');
    let summary;
    try {
      summary = await importLdif(conn, { file: positionals[0], connections, pipeline, continueOnError: values.continue === true, report: values.report, quiet: values.quiet === true });
    } catch (e) {
      if (e instanceof LdifSyntaxError) throw new AdminError(`${positionals[0] ?? 'stdin'}: ${e.message}`, EXIT.usage, e.code, 'fix the LDIF (RFC 2849); the records before it were applied');
      throw e;
    }
    const rate = summary.seconds > 0 ? Math.round(summary.applied / summary.seconds) : summary.applied;
    const types = Object.entries(summary.byType).map(([k, v]) => `${v} ${k}`).join(', ');
    if (!values.quiet || conn.json)
      print(conn, () => `imported ${summary.applied} of ${summary.records} records${types ? ` (${types})` : ''}, ${summary.failed} failed, in ${summary.seconds.toFixed(1)} s (${rate}/s)${summary.stoppedEarly ? '; stopped at the first failure (--continue goes on)' : ''}\n`, summary);
    return summary.failed ? EXIT.refused : EXIT.ok;
  }
  throw new AdminError(`unknown ldif command ${JSON.stringify(sub)}\n\n${LDIF_USAGE}`, EXIT.usage, 'ERR_USAGE');
}
