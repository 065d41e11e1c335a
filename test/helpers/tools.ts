// External tools the suite drives (real clients nobody here wrote), and what a test does when
// one is missing: with FORESTD_REQUIRE_ALL=1 (set by .ci/run) it FAILS; otherwise it skips
// with the tool's name as the reason. Never catch ENOENT in a test: call needTool() first.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export const REQUIRE_ALL = process.env.FORESTD_REQUIRE_ALL === '1';

/** The python with Debian's python3-* modules (the system one; .ci/run installs them there). */
export const PYTHON = process.env.FORESTD_PYTHON ?? '/usr/bin/python3';

/**
 * Every external tool the suite needs, with the Debian package .ci/run installs it from. A
 * name with a '/' is an absolute path; 'python:MOD' is a module of PYTHON. Add yours here (and
 * the package to .ci/run): test/unit/tools.test.ts checks each one under FORESTD_REQUIRE_ALL.
 */
export const TOOLS: Record<string, string> = {
  ldapsearch: 'ldap-utils',
  ldapadd: 'ldap-utils',
  ldapmodify: 'ldap-utils',
  ldapdelete: 'ldap-utils',
  ldapmodrdn: 'ldap-utils',
  ldapcompare: 'ldap-utils',
  ldapwhoami: 'ldap-utils',
  openssl: 'openssl',
  [PYTHON]: 'python3',
  'python:ldap3': 'python3-ldap3',
  'python:samba': 'python3-samba',
  'python:impacket': 'python3-impacket',
  'samba-tool': 'samba-common-bin',
  net: 'samba-common-bin',
  ldbsearch: 'ldb-tools',
  ldapdomaindump: 'python3-ldapdomaindump',
  ndrdump: 'samba-testsuite',
  adcli: 'adcli',
  strace: 'strace',
  curl: 'curl',
  chromium: 'chromium',
  '/usr/bin/script': 'bsdutils',
};

/** Whether `cmd` is an executable on PATH (or, with a '/', a file at that path: a script works too). */
export function onPath(cmd: string, path = process.env.PATH ?? ''): boolean {
  const candidates = cmd.includes('/') ? [cmd] : path.split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, cmd.includes('/') ? constants.R_OK : constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

const moduleCache = new Map<string, boolean>();
/** Whether PYTHON can import `mod`. */
export function pythonHas(mod: string): boolean {
  let ok = moduleCache.get(mod);
  if (ok === undefined) {
    ok = onPath(PYTHON) && spawnSync(PYTHON, ['-c', `import ${mod}`], { stdio: 'ignore', timeout: 30_000 }).status === 0;
    moduleCache.set(mod, ok);
  }
  return ok;
}

/** Whether a TOOLS entry is available. */
export function available(tool: string): boolean {
  return tool.startsWith('python:') ? pythonHas(tool.slice('python:'.length)) : onPath(tool);
}

/** The message for a missing tool. */
export function missingMessage(tool: string): string {
  const pkg = TOOLS[tool] ?? TOOLS[`python:${tool}`];
  return `${tool} is not available${pkg ? ` (Debian package ${pkg})` : ''}`;
}

/**
 * True when every tool is available. Otherwise: under FORESTD_REQUIRE_ALL=1 it throws (the
 * test fails); else it marks the test skipped with the reason and returns false:
 *   if (!needTool(t, 'ldapsearch')) return;
 */
export function needTool(t: TestContext, ...tools: string[]): boolean {
  const missing = tools.filter((x) => !available(x));
  if (missing.length === 0) return true;
  const why = missing.map(missingMessage).join('; ');
  if (REQUIRE_ALL) throw new Error(`${why}, and FORESTD_REQUIRE_ALL=1 forbids skipping`);
  t.skip(why);
  return false;
}

/**
 * For `test(name, skipUnless('ldapsearch'), fn)` or a describe(): a skip reason when a tool is
 * missing and FORESTD_REQUIRE_ALL is off; under FORESTD_REQUIRE_ALL the test runs (and fails).
 */
export function skipUnless(...tools: string[]): { skip: string | false } {
  const missing = tools.filter((x) => !available(x));
  return { skip: missing.length && !REQUIRE_ALL ? missing.map(missingMessage).join('; ') : false };
}
