#!/usr/bin/env node
// Regenerates data/schema/attributes.json, data/schema/classes.json and
// data/schema/NOTICE.txt from Microsoft's published AD DS schema LDF files.
//
// Usage: node scripts/gen-schema.mjs [ldfDir]   (default /work/shared/ad-schema)
//
// The LDF files are LDIF (RFC 2849): "attr: value", "attr:: base64", folded lines
// continue with a single leading space. Two records in the classes file contain
// lines folded WITHOUT the leading space (the account class's adminDescription and
// domainDNS's defaultSecurityDescriptor); a line that is not a valid "attr:" line
// is therefore treated as a continuation of the previous line (joined with nothing),
// which reproduces the same value as the correctly folded copy (domain's SD).
//
// Values are decoded by the syntax of the attribute that holds them (MS-ADTS
// 3.1.1.2.2.2), taken from the attributes LDF itself:
//   2.5.5.8 Boolean -> boolean; 2.5.5.9 Integer/Enumeration, 2.5.5.16 LargeInteger
//   -> number; 2.5.5.10 String(Octet) -> GUID text for schemaIDGUID and
//   attributeSecurityGUID (the LDF bytes are the MS-DTYP GUID packet form:
//   Data1..Data3 little-endian), lowercase hex otherwise (oMObjectClass);
//   2.5.5.1 DN -> string with the schema container replaced by <SchemaContainerDN>;
//   everything else -> string. Multi-valued attributes (isSingleValued FALSE) are
//   always arrays.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const ldfDir = process.argv[2] ?? '/work/shared/ad-schema';
const ATTR_FILE = 'AD_DS_Attributes_Windows_Server_v1903.ldf';
const CLASS_FILE = 'AD_DS_Classes_Windows_Server_v1903.ldf';
const EXPECTED_ATTRS = 1499;
const EXPECTED_CLASSES = 269;
/** The LDF files name the forest root DC=X; the schema NC is CN=Schema,CN=Configuration,<root>. */
const LDF_SCHEMA_SUFFIX = 'CN=Schema,CN=Configuration,DC=X';
const PLACEHOLDER = '<SchemaContainerDN>';

const ATTR_LINE = /^([A-Za-z][A-Za-z0-9-]*(?:;[A-Za-z0-9-]+)*)(::?)(?: |$)/;

/** @returns {{ header: string[], records: Array<{ dn: string, attrs: Array<[string, string | Buffer]> }>, anomalies: number }} */
function parseLdif(text) {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = [];
  let i = 0;
  // Leading comment block (notice + description), blank lines included.
  while (i < lines.length && (lines[i].startsWith('#') || lines[i].trim() === '')) {
    header.push(lines[i]);
    i++;
  }
  /** @type {string[][]} */
  const rawRecords = [];
  let cur = null;
  let anomalies = 0;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') {
      if (cur) rawRecords.push(cur);
      cur = null;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line.startsWith(' ')) {
      if (!cur) throw new Error(`continuation without record at line ${i + 1}`);
      cur[cur.length - 1] += line.slice(1);
      continue;
    }
    if (ATTR_LINE.test(line) || !cur) {
      if (!cur) cur = [];
      cur.push(line);
      continue;
    }
    // Malformed fold (no leading space): join verbatim.
    anomalies++;
    cur[cur.length - 1] += line;
  }
  if (cur) rawRecords.push(cur);

  const records = rawRecords.map((rec) => {
    const attrs = [];
    for (const l of rec) {
      const m = ATTR_LINE.exec(l);
      if (!m) throw new Error(`bad LDIF line: ${l.slice(0, 80)}`);
      const name = m[1];
      const rest = l.slice(m[0].length).replace(/^ +/, '');
      if (m[2] === '::') attrs.push([name, Buffer.from(rest, 'base64')]);
      else attrs.push([name, rest]);
    }
    const [first, ...others] = attrs;
    if (!first || first[0].toLowerCase() !== 'dn') throw new Error('record without dn');
    return { dn: String(first[1]), attrs: others.filter(([n]) => n.toLowerCase() !== 'changetype') };
  });
  return { header, records, anomalies };
}

/** MS-DTYP 2.3.4.2 GUID packet: Data1 (LE u32), Data2 (LE u16), Data3 (LE u16), Data4[8]. */
function guidFromBytes(b) {
  if (b.length !== 16) throw new Error(`GUID must be 16 bytes, got ${b.length}`);
  const h = (x) => x.toString(16).padStart(2, '0');
  const d1 = [b[3], b[2], b[1], b[0]].map(h).join('');
  const d2 = [b[5], b[4]].map(h).join('');
  const d3 = [b[7], b[6]].map(h).join('');
  const d4 = [b[8], b[9]].map(h).join('');
  const d5 = [...b.subarray(10, 16)].map(h).join('');
  return `${d1}-${d2}-${d3}-${d4}-${d5}`;
}

const GUID_ATTRS = new Set(['schemaidguid', 'attributesecurityguid']);

function asText(v) {
  return typeof v === 'string' ? v : v.toString('utf8');
}

function decodeValue(attrName, def, v) {
  const syntax = def.attributeSyntax;
  switch (syntax) {
    case '2.5.5.8': {
      const s = asText(v);
      if (s !== 'TRUE' && s !== 'FALSE') throw new Error(`${attrName}: bad boolean ${s}`);
      return s === 'TRUE';
    }
    case '2.5.5.9':
    case '2.5.5.16': {
      const s = asText(v).trim();
      if (!/^-?\d+$/.test(s)) throw new Error(`${attrName}: bad integer ${s}`);
      const n = Number(s);
      if (!Number.isSafeInteger(n)) throw new Error(`${attrName}: integer out of range ${s}`);
      return n;
    }
    case '2.5.5.10': {
      const buf = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
      if (GUID_ATTRS.has(attrName.toLowerCase())) return guidFromBytes(buf);
      return buf.toString('hex');
    }
    case '2.5.5.1': {
      const s = asText(v);
      if (s.endsWith(LDF_SCHEMA_SUFFIX)) return s.slice(0, s.length - LDF_SCHEMA_SUFFIX.length) + PLACEHOLDER;
      return s;
    }
    default:
      return asText(v);
  }
}

function buildObjects(records, defs, kind) {
  const out = [];
  for (const rec of records) {
    /** @type {Record<string, unknown>} */
    const obj = {};
    for (const [rawName, v] of rec.attrs) {
      const def = defs.get(rawName.toLowerCase());
      if (!def) throw new Error(`${rec.dn}: unknown attribute ${rawName}`);
      const name = def.lDAPDisplayName;
      const value = decodeValue(name, def, v);
      if (def.isSingleValued) {
        if (name in obj) throw new Error(`${rec.dn}: single-valued ${name} repeated`);
        obj[name] = value;
      } else {
        const arr = /** @type {unknown[]} */ (obj[name] ??= []);
        arr.push(value);
      }
    }
    const oc = /** @type {string[]} */ (obj.objectClass ?? []);
    if (!oc.includes(kind)) throw new Error(`${rec.dn}: expected objectClass ${kind}`);
    const rdn = rec.dn.split(',')[0];
    if (rdn !== `CN=${obj.cn}`) throw new Error(`${rec.dn}: RDN does not match cn ${obj.cn}`);
    if (!rec.dn.endsWith(LDF_SCHEMA_SUFFIX)) throw new Error(`${rec.dn}: not in schema container`);
    out.push(obj);
  }
  return out;
}

function main() {
  const attrText = readFileSync(join(ldfDir, ATTR_FILE), 'utf8');
  const classText = readFileSync(join(ldfDir, CLASS_FILE), 'utf8');
  const a = parseLdif(attrText);
  const c = parseLdif(classText);

  // Syntax table for decoding, from the attributes LDF itself.
  const defs = new Map();
  for (const rec of a.records) {
    const get = (n) => {
      const e = rec.attrs.find(([k]) => k.toLowerCase() === n.toLowerCase());
      return e ? asText(e[1]) : undefined;
    };
    const name = get('lDAPDisplayName');
    if (!name) throw new Error(`${rec.dn}: no lDAPDisplayName`);
    defs.set(name.toLowerCase(), {
      lDAPDisplayName: name,
      attributeSyntax: get('attributeSyntax'),
      isSingleValued: get('isSingleValued') === 'TRUE',
    });
  }

  const attributes = buildObjects(a.records, defs, 'attributeSchema');
  const classes = buildObjects(c.records, defs, 'classSchema');
  if (attributes.length !== EXPECTED_ATTRS) throw new Error(`expected ${EXPECTED_ATTRS} attributes, got ${attributes.length}`);
  if (classes.length !== EXPECTED_CLASSES) throw new Error(`expected ${EXPECTED_CLASSES} classes, got ${classes.length}`);

  // Header notice: the comment block at the top of each file (identical notice text).
  const strip = (h) => h.map((l) => l.replace(/^# ?/, '')).join('\n').trim();
  const notice = [
    'The files attributes.json and classes.json in this directory are derived from',
    `Microsoft's published schema files ${ATTR_FILE} and`,
    `${CLASS_FILE}, generated by scripts/gen-schema.mjs.`,
    'Their header reads:',
    '',
    `--- ${ATTR_FILE} ---`,
    strip(a.header),
    '',
    `--- ${CLASS_FILE} ---`,
    strip(c.header),
    '',
  ].join('\n');

  const outDir = join(root, 'data', 'schema');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'attributes.json'), JSON.stringify(attributes, null, 1) + '\n');
  writeFileSync(join(outDir, 'classes.json'), JSON.stringify(classes, null, 1) + '\n');
  writeFileSync(join(outDir, 'NOTICE.txt'), notice);
  console.log(
    `gen-schema: ${attributes.length} attributes, ${classes.length} classes` +
      ` (${a.anomalies + c.anomalies} unindented continuation lines joined)`,
  );
}

main();
