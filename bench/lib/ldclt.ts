// ldclt (the 389 Directory Server project's load client) as the load generator of bench:ldap:
// the arguments of each case, one run, and what its log says (throughput per sample, errors).
//
// ldclt's pitfalls (found with the shared reference harness): it always chases referrals (so the
// search base must be below the naming-context head), it counts a search that finds nothing as
// a success (the preflight checks that the key range exists), and its XXXX masks are fixed
// width (LOW and HIGH must have the same number of digits).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { childrenCpuSeconds } from './servers.js';

export type CaseName = 'search' | 'read' | 'bind' | 'modify' | 'add';
export const CASES: CaseName[] = ['search', 'read', 'bind', 'modify', 'add'];

/** What a target (one server with its data) looks like to the load generator and the probe. */
export interface Target {
  name: string;
  url: string;
  host: string;
  port: number;
  pids: () => number[];
  bindDN: string;
  bindPW: string;
  /** base of the subtree search: below the NC head (ldclt chases continuation references) */
  searchBase: string;
  filterAttr: string;
  /** user entries: RDN template with {N}, and their container */
  userRdn: string;
  userBase: string;
  /** the name a user binds with ({N}), and its password */
  userBind: string;
  userPW: string;
  addBase: string;
  /** ldclt object template of the add case (attributes besides the RDN) */
  addTemplate: string;
  /** the same entry for the probe and the preflight (attributes besides the RDN) */
  addAttrs: Record<string, string[]>;
  low: number;
  high: number;
}

export interface LdcltResult {
  opsPerSec: number;
  samples: number;
  /** operations of the whole run (warm-up sample included) */
  total: number;
  errors: number;
  /** the first failing requests as ldclt reports them (which request, which result code) */
  errorLines: string[];
  exit: string;
  wallS: number;
  ldcltCpuS: number;
}

const mask = (t: Target) => 'X'.repeat(String(t.high).length);
export const fill = (tmpl: string, n: string | number) => tmpl.replaceAll('{N}', String(n));

export function ldcltArgs(t: Target, c: CaseName, conc: number, o: { samples: number; sampleS: number; attrs: string; tag: string; templateFile: string }): string[] {
  const m = mask(t);
  const common = ['-H', t.url, '-n', String(conc), '-N', String(o.samples + 1), '-t', '30'];
  const al = o.attrs ? `,attrlist=${o.attrs.replaceAll(',', ':')}` : '';
  const admin = ['-D', t.bindDN, '-w', t.bindPW];
  const range = ['-r', String(t.low), '-R', String(t.high)];
  switch (c) {
    case 'search':
      return [...common, ...admin, '-b', t.searchBase, '-s', 'subtree', '-e', `esearch,random,sampinterval=${o.sampleS}${al}`, ...range, '-f', `${t.filterAttr}=user${m}`];
    case 'read':
      return [...common, ...admin, '-b', `${fill(t.userRdn, m)},${t.userBase}`, '-s', 'base', '-e', `esearch,randombase,randombaselow=${t.low},randombasehigh=${t.high},sampinterval=${o.sampleS}${al}`, '-f', 'objectClass=*'];
    case 'bind':
      return [...common, '-D', fill(t.userBind, m), '-w', fill(t.userPW, m), '-e', `bindeach,bindonly,randombinddn,randombinddnlow=${t.low},randombinddnhigh=${t.high},sampinterval=${o.sampleS}`];
    case 'modify':
      return [...common, ...admin, '-b', t.userBase, '-e', `attreplace=description:bench XXXXXXXX,random,sampinterval=${o.sampleS}`, ...range, '-f', fill(t.userRdn, m)];
    case 'add':
      return [...common, ...admin, '-b', t.addBase, '-e', `add,incr,commoncounter,noloop,object=${o.templateFile},sampinterval=${o.sampleS}`, '-r', '0', '-R', '999999', '-f', `cn=${o.tag}XXXXXX`];
  }
}

/**
 * Runs ldclt; `cpus` (a taskset CPU list, e.g. '1') pins it: taskset execs ldclt in the same
 * process, so its CPU is still counted as a child's.
 */
export async function runLdclt(ldclt: string, args: string[], logFile: string, timeoutS: number, cpus?: string): Promise<LdcltResult> {
  const cpu0 = childrenCpuSeconds();
  const t0 = performance.now();
  const child = cpus ? spawn('taskset', ['-c', cpus, ldclt, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(ldclt, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
  await new Promise((r) => child.once('close', r));
  clearTimeout(timer);
  const wallS = (performance.now() - t0) / 1000;
  const ldcltCpuS = childrenCpuSeconds() - cpu0;
  writeFileSync(logFile, `# ldclt ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}\n${log}`);
  const rates: number[] = [];
  let total = 0;
  let errors = 0;
  const errorLines: string[] = [];
  let exit = child.signalCode ? `killed (${child.signalCode}) after ${timeoutS} s` : '?';
  for (const line of log.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /Global average rate:.*total:\s*(\d+)/.exec(line))) total = Number(m[1]);
    else if ((m = /Average rate:.*\(\s*([\d.]+)\/sec\)/.exec(line))) rates.push(Number(m[1]));
    else if ((m = /Global error (\d+) \(([^)]*)\) occurs\s+(\d+) times/.exec(line))) errors += Number(m[3]);
    else if ((m = /Exit status (\d+ - .*)/.exec(line))) exit = m[1]!.trim();
    else if (/error=\d+|Cannot /.test(line) && errorLines.length < 3) {
      const e = line.replace(/^ldclt\[\d+\]: T\d+: /, '');
      if (!errorLines.includes(e)) errorLines.push(e);
    }
  }
  const measured = rates.slice(1); // the first sample is the warm-up
  return { opsPerSec: measured.length ? measured.reduce((a, b) => a + b, 0) / measured.length : 0, samples: measured.length, total, errors, errorLines, exit, wallS, ldcltCpuS };
}
