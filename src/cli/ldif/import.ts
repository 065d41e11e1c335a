// forestd ldif import: RFC 2849 records (content or changetype add/modify/delete/modrdn),
// pipelined over several bound connections. Each record is one LDAP operation, which the DC
// applies whole or not at all (one originating update, MS-ADTS 3.1.1.1.9), so a failed record
// leaves nothing half-applied. Ordering: a record waits for every earlier in-flight record
// that touches its DN, its parent, its new DN (modrdn) or a DN among its values (a link
// target), so a child is never sent before its parent and a link never before its target.
import { createReadStream, createWriteStream } from 'node:fs';
import { Attribute, Change, type Client } from 'ldapts';
import { Session, RawControl, type ConnectionSettings } from '../admin/common.js';
import { LdifReader, LdifSyntaxError, type LdifRecord } from './format.js';
import * as formatFns from './format.js';
import { ProgressBar } from './progress.js';

export interface ImportOptions {
  file?: string;
  connections: number;
  pipeline: number;
  continueOnError: boolean;
  /** failed records, as LDIF with the error in a comment before each */
  report?: string;
  quiet: boolean;
}

export interface Failure {
  index: number;
  line: number;
  dn: string;
  changetype: string;
  resultCode?: number;
  error: string;
}

export interface ImportSummary {
  records: number;
  applied: number;
  failed: number;
  byType: Record<string, number>;
  seconds: number;
  failures: Failure[];
  stoppedEarly: boolean;
}

/** A DN folded for comparison: case and the spaces around separators ignored. */
export function foldDN(dn: string): string {
  return dn.trim().replace(/\s*([,=+])\s*/g, '$1').toLowerCase();
}

/** The parent of a DN (after the first unescaped ','), or '' for a single RDN. */
export function parentDN(dn: string): string {
  for (let i = 0; i < dn.length; i++) {
    if (dn[i] === '\\') i++;
    else if (dn[i] === ',') return dn.slice(i + 1);
  }
  return '';
}

/** Counts the records of a file (lines starting with "dn:") for the ETA. */
async function countRecords(file: string): Promise<number> {
  let n = 0;
  let tail = '\n';
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    const t = tail + (chunk as string);
    n += (t.match(/\ndn::?/gi) ?? []).length;
    tail = t.slice(-4);
  }
  return n;
}

export async function importLdif(settings: ConnectionSettings, o: ImportOptions): Promise<ImportSummary> {
  const t0 = Date.now();
  const total = o.file ? await countRecords(o.file) : undefined;
  const sessions: Session[] = [];
  try {
    for (let i = 0; i < o.connections; i++) sessions.push(await Session.open(settings));
  } catch (e) {
    await Promise.all(sessions.map((s) => s.close()));
    throw e;
  }
  const bar = new ProgressBar(process.stdout, total);
  const summary: ImportSummary = { records: 0, applied: 0, failed: 0, byType: {}, seconds: 0, failures: [], stoppedEarly: false };
  const report = o.report ? createWriteStream(o.report) : undefined;
  const last = new Map<string, Promise<void>>();
  const load = sessions.map(() => 0);
  const limit = o.connections * o.pipeline;
  let inFlight = 0;
  let slotWaiters: (() => void)[] = [];
  let stop = false;
  const all = new Set<Promise<void>>();

  const fail = (r: LdifRecord, err: unknown) => {
    const e = err as Error & { code?: number };
    const code = typeof e.code === 'number' ? e.code : undefined;
    const msg = (code !== undefined ? e.message.replace(/ Code: 0x[0-9a-f]+$/, '') : e.message).replace(/\s*\n\s*/g, ' ');
    const f: Failure = { index: r.index, line: r.line, dn: r.dn, changetype: r.kind, resultCode: code, error: msg };
    summary.failed++;
    summary.failures.push(f);
    if (!o.quiet) process.stderr.write(`${process.stdout.isTTY ? '\r\x1b[K' : ''}record ${r.index} (line ${r.line}) ${r.kind} ${r.dn}: ${code !== undefined ? `LDAP ${code}: ` : ''}${msg}\n`);
    report?.write(`# record ${r.index} (line ${r.line}): ${code !== undefined ? `LDAP ${code}: ` : ''}${msg.replace(/\n/g, ' ')}\n${recordText(r)}\n`);
    if (!o.continueOnError) stop = true;
  };

  const run = async (client: Client, r: LdifRecord): Promise<void> => {
    const controls = r.controls.map((c) => new RawControl(c.oid, c.value ?? Buffer.alloc(0), c.critical));
    switch (r.kind) {
      case 'add':
        return client.add(r.dn, r.attrs.map((a) => new Attribute({ type: a.type, values: a.values })), controls);
      case 'delete':
        return client.del(r.dn, controls);
      case 'modify': {
        const changes = r.mods.map((m) => {
          if (m.op === 'increment') throw Object.assign(new Error('increment: (RFC 4525) is not an operation AD offers; use replace:'), { code: undefined });
          return new Change({ operation: m.op, modification: new Attribute({ type: m.type, values: m.values }) });
        });
        return client.modify(r.dn, changes, controls);
      }
      case 'modrdn':
        // AD keeps one value of a naming attribute: the old RDN value goes (MS-ADTS 3.1.1.5.4.1.1)
        if (!r.deleteOldRdn) throw new Error('deleteoldrdn: 0 is not supported (AD keeps one RDN value); use deleteoldrdn: 1');
        return client.modifyDN(r.dn, `${r.newRdn},${r.newSuperior ?? parentDN(r.dn)}`, controls);
    }
  };

  const keysOf = (r: LdifRecord): { wait: string[]; own: string[] } => {
    const own = [foldDN(r.dn)];
    const wait = [foldDN(r.dn), foldDN(parentDN(r.dn))];
    if (r.kind === 'modrdn') {
      const sup = r.newSuperior ?? parentDN(r.dn);
      own.push(foldDN(`${r.newRdn},${sup}`));
      wait.push(foldDN(sup), own[1]!);
    }
    const values = r.kind === 'add' ? r.attrs.flatMap((a) => a.values) : r.kind === 'modify' ? r.mods.flatMap((m) => m.values) : [];
    for (const v of values) {
      if (v.length > 3 && v.length < 2048 && v.includes(0x3d)) {
        const k = foldDN(v.toString('utf8'));
        if (last.has(k)) wait.push(k);
      }
    }
    return { wait, own };
  };

  const submit = async (r: LdifRecord) => {
    while (inFlight >= limit) await new Promise<void>((res) => slotWaiters.push(res));
    inFlight++;
    summary.records++;
    const { wait, own } = keysOf(r);
    const deps = [...new Set(wait)].map((k) => last.get(k)).filter((p): p is Promise<void> => p !== undefined);
    const p: Promise<void> = (async () => {
      if (deps.length) await Promise.all(deps);
      if (stop) return;
      let i = 0;
      for (let j = 1; j < load.length; j++) if (load[j]! < load[i]!) i = j;
      load[i]!++;
      try {
        await run(sessions[i]!.client, r);
        summary.applied++;
        summary.byType[r.kind] = (summary.byType[r.kind] ?? 0) + 1;
      } catch (e) {
        fail(r, e);
      } finally {
        load[i]!--;
      }
    })().finally(() => {
      inFlight--;
      for (const k of own) if (last.get(k) === p) last.delete(k);
      all.delete(p);
      bar.update(summary.applied + summary.failed, summary.failed);
      const w = slotWaiters;
      slotWaiters = [];
      for (const f of w) f();
    });
    for (const k of own) last.set(k, p);
    all.add(p);
  };

  try {
    const reader = new LdifReader();
    const input = o.file ? createReadStream(o.file, { encoding: 'utf8' }) : process.stdin.setEncoding('utf8');
    try {
      for await (const chunk of input) {
        for (const r of reader.push(chunk as string)) {
          if (stop) break;
          await submit(r);
        }
        if (stop) break;
      }
      if (!stop) for (const r of reader.end()) await submit(r);
    } catch (e) {
      if (!(e instanceof LdifSyntaxError)) throw e;
      await Promise.all(all);
      throw e;
    }
    await Promise.all(all);
  } finally {
    bar.finish(summary.applied + summary.failed, summary.failed);
    await Promise.all(sessions.map((s) => s.close()));
    if (report) await new Promise<void>((r) => report.end(() => r()));
  }
  summary.stoppedEarly = stop;
  summary.seconds = (Date.now() - t0) / 1000;
  summary.failures.sort((a, b) => a.index - b.index);
  return summary;
}

function recordText(r: LdifRecord): string {
  const { entryText, modifyText, dnLine } = formatFns;
  switch (r.kind) {
    case 'add':
      return entryText(r.dn, r.attrs).replace(/\n\n$/, '\n').replace(/^(dn:.*\n)/, '$1changetype: add\n') + '\n';
    case 'modify':
      return modifyText(r.dn, r.mods.filter((m) => m.op !== 'increment') as never);
    case 'delete':
      return `${dnLine(r.dn)}\nchangetype: delete\n\n`;
    case 'modrdn':
      return `${dnLine(r.dn)}\nchangetype: modrdn\nnewrdn: ${r.newRdn}\ndeleteoldrdn: ${r.deleteOldRdn ? 1 : 0}\n${r.newSuperior ? `newsuperior: ${r.newSuperior}\n` : ''}\n`;
  }
}
