// The top functions by self time of the V8 CPU profiles (node --cpu-prof) in a directory.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export function topFunctions(dir: string, n: number): string[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return [`(no profile in ${dir})`];
  }
  const self = new Map<string, number>();
  let all = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: ProfileNode[] };
    for (const node of p.nodes) {
      const hits = node.hitCount ?? 0;
      if (!hits) continue;
      const cf = node.callFrame;
      if (cf.functionName === '(idle)') continue;
      const where = cf.url ? `${cf.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${cf.lineNumber + 1}` : '';
      const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + hits);
      all += hits;
    }
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / all).toFixed(1).padStart(5)}%  ${k}`)
    .concat(files.length ? [`(${files.length} profile(s), ${all} samples, idle excluded; in ${dir})`] : [`(no profile in ${dir})`]);
}
