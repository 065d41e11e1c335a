// LDIF (RFC 2849): writing entries and change records, and reading both, one record at a time.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Value = Buffer;

export interface Attr {
  type: string;
  values: Value[];
}

export interface Mod {
  op: 'add' | 'delete' | 'replace' | 'increment';
  type: string;
  values: Value[];
}

export interface LdifControl {
  oid: string;
  critical: boolean;
  value?: Buffer;
}

interface Base {
  dn: string;
  /** 1-based line of the record's dn: line */
  line: number;
  /** 1-based ordinal of the record in the file */
  index: number;
  controls: LdifControl[];
}
export type LdifRecord =
  | (Base & { kind: 'add'; attrs: Attr[] })
  | (Base & { kind: 'delete' })
  | (Base & { kind: 'modify'; mods: Mod[] })
  | (Base & { kind: 'modrdn'; newRdn: string; deleteOldRdn: boolean; newSuperior?: string });

export class LdifSyntaxError extends Error {
  readonly code = 'ERR_LDIF_SYNTAX';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'LdifSyntaxError';
  }
}

// ---------------------------------------------------------------------------------------- writing

/**
 * RFC 2849 SAFE-STRING: SAFE-CHARs (%x01-09 / %x0B-0C / %x0E-7F), not starting with SP, ':' or
 * '<'. The RFC's note 8 adds: values that end with a space SHOULD be base64 too.
 */
export function isSafeString(b: Buffer): boolean {
  if (b.length === 0) return true;
  const c0 = b[0]!;
  if (c0 === 0x20 || c0 === 0x3a || c0 === 0x3c) return false;
  if (b[b.length - 1] === 0x20) return false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0 || c === 0x0a || c === 0x0d || c > 0x7f) return false;
  }
  return true;
}

/** One "type: value" or "type:: base64" line, folded at 76 columns (RFC 2849 note 2). */
export function valueLine(type: string, v: Buffer): string {
  const line = isSafeString(v) ? (v.length ? `${type}: ${v.toString('latin1')}` : `${type}:`) : `${type}:: ${v.toString('base64')}`;
  return fold(line);
}

export function fold(line: string, width = 76): string {
  if (line.length <= width) return line;
  const parts = [line.slice(0, width)];
  for (let i = width; i < line.length; i += width - 1) parts.push(' ' + line.slice(i, i + width - 1));
  return parts.join('\n');
}

export function dnLine(dn: string): string {
  return valueLine('dn', Buffer.from(dn, 'utf8'));
}

export function entryText(dn: string, attrs: Attr[]): string {
  const lines = [dnLine(dn)];
  for (const a of attrs) for (const v of a.values) lines.push(valueLine(a.type, v));
  return lines.join('\n') + '\n\n';
}

export function modifyText(dn: string, mods: Mod[]): string {
  const lines = [dnLine(dn), 'changetype: modify'];
  for (const m of mods) {
    lines.push(`${m.op}: ${m.type}`);
    for (const v of m.values) lines.push(valueLine(m.type, v));
    lines.push('-');
  }
  return lines.join('\n') + '\n\n';
}

// ---------------------------------------------------------------------------------------- reading

/** Splits LDIF text into records (unfolded lines with their numbers), streaming by chunks. */
export class LdifReader {
  private pending = '';
  private lineNo = 0;
  private lines: { text: string; line: number }[] = [];
  private index = 0;
  private sawVersion = false;

  /** Feeds text; returns the complete records it ended. */
  push(chunk: string): LdifRecord[] {
    this.pending += chunk;
    const out: LdifRecord[] = [];
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      let raw = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      if (raw.endsWith('\r')) raw = raw.slice(0, -1);
      this.line(raw, out);
    }
    return out;
  }

  /** Ends the input; returns the last record if any. */
  end(): LdifRecord[] {
    const out: LdifRecord[] = [];
    if (this.pending) this.line(this.pending.replace(/\r$/, ''), out);
    this.pending = '';
    this.flush(out);
    return out;
  }

  private line(raw: string, out: LdifRecord[]): void {
    this.lineNo++;
    if (raw === '') return this.flush(out);
    const last = this.lines[this.lines.length - 1];
    if (raw.startsWith(' ')) {
      if (!last) throw new LdifSyntaxError('a continuation line with nothing to continue', this.lineNo);
      last.text += raw.slice(1);
      return;
    }
    this.lines.push({ text: raw, line: this.lineNo });
  }

  private flush(out: LdifRecord[]): void {
    // comments (with their continuations, already joined) go
    const lines = this.lines.filter((l) => !l.text.startsWith('#'));
    this.lines = [];
    if (lines.length === 0) return;
    if (!this.sawVersion && this.index === 0 && /^version:/i.test(lines[0]!.text)) {
      const v = lines.shift()!;
      if (!/^version:\s*1\s*$/i.test(v.text)) throw new LdifSyntaxError(`unsupported LDIF ${v.text} (version: 1 only)`, v.line);
      this.sawVersion = true;
      if (lines.length === 0) return;
    }
    out.push(parseRecord(lines, ++this.index));
  }
}

interface Spec {
  type: string;
  value: Buffer;
  line: number;
}

function spec(l: { text: string; line: number }): Spec {
  const i = l.text.indexOf(':');
  if (i <= 0) throw new LdifSyntaxError(`expected "attribute: value", got ${JSON.stringify(l.text.slice(0, 60))}`, l.line);
  const type = l.text.slice(0, i);
  if (!/^[A-Za-z0-9][A-Za-z0-9.;-]*$/.test(type)) throw new LdifSyntaxError(`${JSON.stringify(type)} is not an attribute description`, l.line);
  const rest = l.text.slice(i + 1);
  if (rest.startsWith(':')) {
    const b64 = rest.slice(1).trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new LdifSyntaxError(`${type}:: is not base64`, l.line);
    return { type, value: Buffer.from(b64, 'base64'), line: l.line };
  }
  if (rest.startsWith('<')) {
    const url = rest.slice(1).trim();
    if (!url.startsWith('file://')) throw new LdifSyntaxError(`${type}:< takes a file:// URL`, l.line);
    try {
      return { type, value: readFileSync(fileURLToPath(url)), line: l.line };
    } catch (e) {
      throw new LdifSyntaxError(`${type}:< ${url}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, l.line);
    }
  }
  // SAFE-STRING after optional spaces (RFC 2849 value-spec); kept as the UTF-8 bytes of the text
  return { type, value: Buffer.from(rest.replace(/^ +/, ''), 'utf8'), line: l.line };
}

const text = (s: Spec) => s.value.toString('utf8');

function parseRecord(lines: { text: string; line: number }[], index: number): LdifRecord {
  const first = spec(lines[0]!);
  if (first.type.toLowerCase() !== 'dn') throw new LdifSyntaxError('a record starts with dn:', first.line);
  const base = { dn: text(first), line: first.line, index, controls: [] as LdifControl[] };
  let i = 1;
  for (; i < lines.length; i++) {
    const s = spec(lines[i]!);
    if (s.type.toLowerCase() !== 'control') break;
    const m = /^\s*([0-9.]+)(?:\s+(true|false))?\s*(?::(:?)\s*(.*))?$/.exec(lines[i]!.text.slice(lines[i]!.text.indexOf(':') + 1));
    if (!m) throw new LdifSyntaxError('control: OID [true|false] [: value]', s.line);
    base.controls.push({ oid: m[1]!, critical: m[2] === 'true', value: m[4] === undefined ? undefined : m[3] ? Buffer.from(m[4], 'base64') : Buffer.from(m[4], 'utf8') });
  }
  let changetype = 'add';
  let content = true;
  if (i < lines.length) {
    const s = spec(lines[i]!);
    if (s.type.toLowerCase() === 'changetype') {
      changetype = text(s).trim().toLowerCase();
      content = false;
      i++;
    }
  }
  const rest = lines.slice(i);
  switch (changetype) {
    case 'add': {
      const attrs: Attr[] = [];
      const byType = new Map<string, Attr>();
      for (const l of rest) {
        const s = spec(l);
        const key = s.type.toLowerCase();
        let a = byType.get(key);
        if (!a) byType.set(key, (a = { type: s.type, values: [] })) && attrs.push(a);
        a.values.push(s.value);
      }
      if (attrs.length === 0) throw new LdifSyntaxError(content ? 'an entry needs at least one attribute' : 'changetype: add needs attributes', first.line);
      return { ...base, kind: 'add', attrs };
    }
    case 'delete':
      if (rest.length) throw new LdifSyntaxError('changetype: delete takes nothing after it', rest[0]!.line);
      return { ...base, kind: 'delete' };
    case 'modrdn':
    case 'moddn': {
      const f = new Map(rest.map((l) => {
        const s = spec(l);
        return [s.type.toLowerCase(), s] as const;
      }));
      const newRdn = f.get('newrdn');
      const del = f.get('deleteoldrdn');
      if (!newRdn || !del) throw new LdifSyntaxError('changetype: modrdn needs newrdn: and deleteoldrdn:', first.line);
      const d = text(del).trim();
      if (d !== '0' && d !== '1') throw new LdifSyntaxError('deleteoldrdn: is 0 or 1', del.line);
      const sup = f.get('newsuperior');
      return { ...base, kind: 'modrdn', newRdn: text(newRdn), deleteOldRdn: d === '1', newSuperior: sup ? text(sup) : undefined };
    }
    case 'modify': {
      const mods: Mod[] = [];
      let cur: Mod | undefined;
      for (const l of rest) {
        if (l.text === '-') {
          if (!cur) throw new LdifSyntaxError('"-" without a modification before it', l.line);
          mods.push(cur);
          cur = undefined;
          continue;
        }
        const s = spec(l);
        if (!cur) {
          const op = s.type.toLowerCase();
          if (op !== 'add' && op !== 'delete' && op !== 'replace' && op !== 'increment') throw new LdifSyntaxError(`expected add:, delete:, replace: or increment:, got ${s.type}:`, s.line);
          cur = { op, type: text(s).trim(), values: [] };
          continue;
        }
        if (s.type.toLowerCase() !== cur.type.toLowerCase()) throw new LdifSyntaxError(`a value of ${s.type} inside the ${cur.op}: ${cur.type} block`, s.line);
        cur.values.push(s.value);
      }
      if (cur) mods.push(cur); // the last "-" is optional in practice
      if (mods.length === 0) throw new LdifSyntaxError('changetype: modify with no modification', first.line);
      return { ...base, kind: 'modify', mods };
    }
    default:
      throw new LdifSyntaxError(`unknown changetype ${JSON.stringify(changetype)} (add, delete, modify, modrdn, moddn)`, lines[i - 1]!.line);
  }
}
