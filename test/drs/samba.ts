// Runs Samba's NDR (python3-samba, through test/drs/py/samba_ndr.py) over a batch of cases: the
// outside oracle for forestd's NDR encodings. Missing python3-samba fails the test.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findPackageRoot } from '../../src/schema/bootstrap.js';
import { PYTHON } from '../helpers/forestd.js';

export interface SambaCase {
  kind: 'struct' | 'in' | 'out';
  module: 'drsuapi' | 'drsblobs';
  type: string;
  hex: string;
}
export interface SambaBuild {
  op: 'build';
  /** Python that sets `result` to packed bytes (names: drsuapi, drsblobs, misc, security, ndr_pack) */
  code: string;
}
export type SambaResult = { ok: true; hex: string; value?: unknown } | { ok: false; error: string };

const script = join(findPackageRoot(), 'test/drs/py/samba_ndr.py');

export function samba(cases: (SambaCase | SambaBuild)[]): SambaResult[] {
  const r = spawnSync(PYTHON, [script], { input: JSON.stringify(cases), maxBuffer: 512 * 1024 * 1024, timeout: 120_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`samba_ndr.py exited ${r.status}: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString()) as SambaResult[];
}
