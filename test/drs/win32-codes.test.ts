// The Win32 codes forestd's replication answers with (MS-ERREF 2.2), held to python3-samba's
// werror table (generated from MS-ERREF), a list nobody here wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DsWin32 } from '../../src/dsa/model/ds-error.js';
import { REPSYNC_ERROR } from '../../src/drs/repl-sync.js';
import { UPDREFS_ERROR } from '../../src/drs/update-refs.js';
import { REPDEL_ERROR } from '../../src/drs/replica-del.js';
import { ERROR_DS_DRA_ACCESS_DENIED } from '../../src/drs/peer-identity.js';
import { ERROR_DS_REPL_LIFETIME_EXCEEDED } from '../../src/dsa/replica/strict-consistency.js';
import { ERROR_DS_DRA_SCHEMA_MISMATCH } from '../../src/drs/schema-first.js';
import { PYTHON } from '../helpers/forestd.js';

test('replication Win32 codes equal python3-samba\'s werror values', { timeout: 60_000 }, () => {
  const ours: Record<string, number> = { ...DsWin32, ...REPSYNC_ERROR, ...UPDREFS_ERROR, ...REPDEL_ERROR, ERROR_DS_DRA_ACCESS_DENIED, ERROR_DS_REPL_LIFETIME_EXCEEDED, ERROR_DS_DRA_SCHEMA_MISMATCH };
  // not in Samba's table
  delete ours.ERROR_DS_DRA_MISSING_KRBTGT_SECRET;
  const r = spawnSync(PYTHON, ['-c', 'import json, sys\nfrom samba import werror\nprint(json.dumps({n: getattr(werror, "WERR_" + n[6:], None) for n in json.load(sys.stdin)}))'], { input: JSON.stringify(Object.keys(ours)), timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr?.toString());
  const samba = JSON.parse(r.stdout.toString()) as Record<string, number | null>;
  for (const [name, value] of Object.entries(ours)) assert.equal(`${name} 0x${value.toString(16)}`, `${name} 0x${(samba[name] ?? -1).toString(16)}`);
  assert.equal(ERROR_DS_REPL_LIFETIME_EXCEEDED, 8614);
});
