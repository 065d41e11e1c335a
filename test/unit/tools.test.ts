// Every external tool the suite drives is here: under FORESTD_REQUIRE_ALL=1 (.ci/run) a missing
// one fails this test (and the tests that use it); otherwise each missing one is a named skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TOOLS, available, needTool } from '../helpers/tools.js';

for (const [tool, pkg] of Object.entries(TOOLS)) {
  test(`tool: ${tool} (Debian ${pkg})`, (t) => {
    if (!needTool(t, tool)) return;
    assert.ok(available(tool));
  });
}
