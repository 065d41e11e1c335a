#!/usr/bin/env node
// The test lint: the suite's standards, in code (test/README.md explains each rule).
//   wall-clock  Date.now(), performance.now(), process.hrtime in a test: no assertions on time
//   sleep       a setTimeout/setImmediate/setInterval that resolves a wait, timers/promises:
//               wait on an event (a diagnostics_channel, a promise, a hook), never on time.
//               A timer whose callback fails the test or kills a process (a safety deadline)
//               is fine: setTimeout(() => reject(new Error('…')), ms).
//   skip        test.skip/it.skip/describe.skip/.todo/.only, t.skip(), { skip: <not a reason> }:
//               a skip names its reason; a missing tool goes through needTool()/skipUnless()
//               (test/helpers/tools.ts), which fail under FORESTD_REQUIRE_ALL=1.
//   no-assert   a test()/it() whose body reaches no assertion (assert*, expect*, check*,
//               verify*, or a function of the same file that does).
// An exception is one comment on the line or the line above, with a reason:
//   // test-lint-allow sleep: simulated directory latency; no outcome depends on it
// Usage: node scripts/lint-tests.mjs [--root DIR] [files...]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const RULES = ['wall-clock', 'sleep', 'skip', 'no-assert'];
/** Named, justified exceptions by file. */
const ALLOW_FILES = {
  'test/helpers/tools.ts': { skip: 'the one place that skips for a missing tool, and fails instead under FORESTD_REQUIRE_ALL=1' },
};

/**
 * Blanks out comments and the contents of string, template and regex literals (keeping the
 * quotes, `${…}` expressions and newlines), so that the rules see code only.
 */
export function mask(src) {
  const out = src.split('');
  const blank = (i) => {
    if (out[i] !== '\n') out[i] = ' ';
  };
  let i = 0;
  const n = src.length;
  const stack = []; // template nesting: brace depth at each `${`
  let depth = 0;
  let prev = ''; // last significant character (for regex detection)
  let prevWord = '';
  while (i < n) {
    const c = src[i];
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      while (i < n && src[i] !== '\n') blank(i++);
      continue;
    }
    if (c === '/' && d === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      while (i < stop) blank(i++);
      continue;
    }
    if (c === "'" || c === '"') {
      i++;
      while (i < n && src[i] !== c && src[i] !== '\n') {
        if (src[i] === '\\') blank(i++);
        blank(i++);
      }
      i++;
      prev = c;
      continue;
    }
    if (c === '`' || (c === '}' && stack.length && stack[stack.length - 1] === depth)) {
      if (c === '}') stack.pop();
      i++;
      while (i < n && src[i] !== '`') {
        if (src[i] === '\\') {
          blank(i++);
          blank(i++);
          continue;
        }
        if (src[i] === '$' && src[i + 1] === '{') {
          stack.push(depth);
          i += 2;
          break;
        }
        blank(i++);
      }
      if (src[i] === '`') i++;
      prev = '`';
      continue;
    }
    if (c === '/') {
      const regexAllowed = prev === '' || '(,=:[!&|?{};+-*%<>~^'.includes(prev) || ['return', 'typeof', 'case', 'of', 'in', 'void', 'yield', 'await'].includes(prevWord);
      if (regexAllowed) {
        i++;
        let cls = false;
        while (i < n && src[i] !== '\n') {
          if (src[i] === '\\') {
            blank(i++);
            blank(i++);
            continue;
          }
          if (src[i] === '[') cls = true;
          else if (src[i] === ']') cls = false;
          else if (src[i] === '/' && !cls) break;
          blank(i++);
        }
        i++;
        prev = '/';
        prevWord = '';
        continue;
      }
    }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    if (/[A-Za-z0-9_$]/.test(c)) {
      let j = i;
      while (j < n && /[A-Za-z0-9_$]/.test(src[j])) j++;
      prevWord = src.slice(i, j);
      prev = 'a';
      i = j;
      continue;
    }
    if (!/\s/.test(c)) {
      prev = c;
      prevWord = '';
    }
    i++;
  }
  return out.join('');
}

/** Index just past the bracket that closes the one at `open` (in masked code). */
function closing(code, open) {
  const pairs = { '(': ')', '[': ']', '{': '}' };
  const want = [];
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (pairs[c]) want.push(pairs[c]);
    else if (c === want[want.length - 1]) {
      want.pop();
      if (want.length === 0) return i + 1;
    }
  }
  return code.length;
}

const ASSERTING = /(?<![\w$])(?:assert\w*|expect\w*|check[A-Z]\w*|verify\w*)\s*[.(]|\bt\.assert\b|\bassert\b/;

/** Names of functions in the file whose bodies reach an assertion (transitively). */
function assertingFunctions(code) {
  const defs = [];
  const fnRe = /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\(/g;
  for (let m; (m = fnRe.exec(code)); ) {
    const paramsEnd = closing(code, m.index + m[0].length - 1);
    const open = code.indexOf('{', paramsEnd);
    if (open >= 0) defs.push({ name: m[1], body: code.slice(open, closing(code, open)) });
  }
  const arrowRe = /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s*)?(?:\(|[A-Za-z_$][\w$]*\s*=>)/g;
  for (let m; (m = arrowRe.exec(code)); ) {
    const arrow = code.indexOf('=>', m.index + m[0].length - 1);
    if (arrow < 0) continue;
    let k = arrow + 2;
    while (/\s/.test(code[k] ?? '')) k++;
    let end;
    if (code[k] === '{' || code[k] === '(') end = closing(code, k);
    else {
      end = k;
      let depth = 0;
      for (; end < code.length; end++) {
        const c = code[end];
        if ('([{'.includes(c)) depth++;
        else if (')]}'.includes(c)) {
          if (depth === 0) break;
          depth--;
        } else if ((c === ';' || c === '\n') && depth === 0) break;
      }
    }
    defs.push({ name: m[1], body: code.slice(k, end) });
  }
  // class methods: name(…) { … } at the start of a line
  const methodRe = /^[ \t]+(?:async\s+|static\s+|private\s+|readonly\s+|public\s+)*([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\(/gm;
  for (let m; (m = methodRe.exec(code)); ) {
    if (['if', 'for', 'while', 'switch', 'catch', 'return', 'function', 'await', 'test', 'it', 'describe'].includes(m[1])) continue;
    const paramsEnd = closing(code, m.index + m[0].length - 1);
    const rest = code.slice(paramsEnd, paramsEnd + 200);
    const mm = /^\s*(?::\s*[^{;]+)?\{/.exec(rest);
    if (!mm) continue;
    const open = paramsEnd + mm[0].length - 1;
    defs.push({ name: m[1], body: code.slice(open, closing(code, open)) });
  }
  const names = new Set();
  for (let changed = true; changed; ) {
    changed = false;
    for (const d of defs) {
      if (names.has(d.name)) continue;
      if (ASSERTING.test(d.body) || callsAny(d.body, names)) {
        names.add(d.name);
        changed = true;
      }
    }
  }
  return names;
}

function callsAny(text, names) {
  for (const name of names) {
    if (new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}\\b`).test(text)) return true;
  }
  return false;
}

function lineOf(code, index) {
  let line = 1;
  for (let i = 0; i < index; i++) if (code[i] === '\n') line++;
  return line;
}

/** Lints one file's text; returns [{ line, rule, message }]. `importedAsserting(module, name)`
 * says whether a name imported from a relative module is an asserting function there. */
export function lintSource(src, file = '<input>', importedAsserting = () => false) {
  const code = mask(src);
  const rawLines = src.split('\n');
  const fileAllow = ALLOW_FILES[file.replace(/\\/g, '/')] ?? {};
  const problems = [];
  const allowed = (line, rule) => {
    if (fileAllow[rule]) return true;
    for (const l of [rawLines[line - 1] ?? '', rawLines[line - 2] ?? '']) {
      const m = /test-lint-allow ([\w-]+)\s*:\s*(.*)$/.exec(l);
      if (m && m[1] === rule) {
        if (m[2].trim().length < 8) {
          problems.push({ line, rule, message: `test-lint-allow ${rule} needs a reason` });
        }
        return true;
      }
    }
    return false;
  };
  const report = (index, rule, message) => {
    const line = lineOf(code, index);
    if (!allowed(line, rule)) problems.push({ line, rule, message });
  };
  const scan = (re, rule, message) => {
    for (let m; (m = re.exec(code)); ) report(m.index, rule, typeof message === 'function' ? message(m) : message);
  };

  // wall-clock
  scan(/\b(Date\.now|performance\.now|process\.hrtime)\b/g, 'wall-clock', (m) => `${m[1]} in a test: no assertions or waits on wall time (timing belongs in bench/)`);

  // sleep
  const timer = '(?:setTimeout|setImmediate|setInterval)';
  scan(new RegExp(`(?<![\\w$.])(${timer})\\(\\s*[A-Za-z_$][\\w$]*\\s*[,)]`, 'g'), 'sleep', (m) => `${m[1]}(resolve, …) is a wait on time: wait on an event instead`);
  scan(new RegExp(`(?<![\\w$.])(${timer})\\(\\s*(?:async\\s*)?\\(\\s*\\)\\s*=>\\s*(?:\\{\\s*)?[A-Za-z_$][\\w$]*\\(\\s*\\)\\s*;?\\s*\\}?\\s*[,)]`, 'g'), 'sleep', (m) => `${m[1]}(() => resolve(), …) is a wait on time: wait on an event instead`);
  scan(/(?<![\w$.])setInterval\(/g, 'sleep', 'setInterval in a test is polling: wait on an event instead');
  // module names are masked in `code`: find the import in code, read the name from src
  for (let m, re = /\b(?:from\s*|import\s*|require\(\s*)(['"])/g; (m = re.exec(code)); ) {
    const start = m.index + m[0].length;
    const name = src.slice(start, src.indexOf(m[1], start));
    if (/^(node:)?timers\/promises$/.test(name)) report(m.index, 'sleep', 'timers/promises in a test is a wait on time: wait on an event instead');
  }

  // skip
  scan(/(?<![\w$.])(test|it|describe|suite)\.(skip|todo|only)\s*\(/g, 'skip', (m) => `${m[1]}.${m[2]}(): give a reason ({ skip: 'why' }) or, for a missing tool, needTool()/skipUnless()`);
  scan(/(?<![\w$])(?:t|ctx|context|s)\.(skip|todo)\s*\(/g, 'skip', (m) => `t.${m[1]}() in a test: a missing tool goes through needTool(t, …) (fails under FORESTD_REQUIRE_ALL); other skips are { skip: 'why' }`);
  scan(/(?<![\w$.])(skip|todo)\s*:(?!\s*(?:['"`]|false\b))/g, 'skip', (m) => `${m[1]}: must be a string reason (or skipUnless(…))`);

  // no-assert
  const asserting = assertingFunctions(code);
  for (const { name, from } of importedNames(src)) {
    if (/^(assert|expect|check[A-Z]|verify)/.test(name) || /^(node:)?assert(\/strict)?$/.test(from) || importedAsserting(from, name)) asserting.add(name);
  }
  const testRe = /(?<![\w$.])(test|it)\s*\(|(?<![\w$])(?:t|s)\.test\s*\(/g;
  for (let m; (m = testRe.exec(code)); ) {
    const open = m.index + m[0].length - 1;
    const end = closing(code, open);
    const call = code.slice(open, end);
    if (!ASSERTING.test(call) && !callsAny(call, asserting)) report(m.index, 'no-assert', 'this test reaches no assertion');
  }
  return problems.sort((a, b) => a.line - b.line);
}

function importedNames(src) {
  const names = [];
  for (const m of src.matchAll(/\bimport\s*(?:type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
    for (const part of m[1].split(',')) {
      const [orig, alias] = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).map((x) => x.trim());
      if (orig) names.push({ name: alias ?? orig, orig, from: m[2] });
    }
  }
  return names;
}

/** Asserting function names per file, for resolving imports between test files and helpers. */
function importResolver(files) {
  const cache = new Map();
  const of = (path) => {
    if (!cache.has(path)) {
      let names = new Set();
      try {
        names = assertingFunctions(mask(readFileSync(path, 'utf8')));
      } catch {
        // not a file we can read
      }
      cache.set(path, names);
    }
    return cache.get(path);
  };
  return (file) => (from, name) => {
    if (!from.startsWith('.')) return false;
    const base = join(dirname(file), from).replace(/\.js$/, '');
    return ['.ts', '.mts', '.js', '.mjs'].some((ext) => of(base + ext).has(name));
  };
}

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  let root = '.';
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root') root = argv[++i];
    else files.push(argv[i]);
  }
  const targets = files.length ? files : walk(join(root, 'test'), []);
  let count = 0;
  const resolver = importResolver(targets);
  for (const f of targets) {
    const rel = relative(root, f);
    for (const p of lintSource(readFileSync(f, 'utf8'), rel, resolver(f))) {
      console.error(`${rel}:${p.line}: [${p.rule}] ${p.message}`);
      count++;
    }
  }
  if (count) {
    console.error(`test lint: ${count} problem${count === 1 ? '' : 's'} (rules: ${RULES.join(', ')}; see test/README.md)`);
    process.exit(1);
  }
  console.log(`test lint: ${targets.length} files clean`);
}
