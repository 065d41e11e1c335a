// Reads an `strace -f -y -xx` trace of forestd and pairs each LDAP response written on a socket
// with the request it answers, and with the syncs (fsync, fdatasync, msync) of the store's
// data file around them. Used by the durable-acknowledgement test to check that every write's
// success response leaves only after a sync that began after its request arrived has ended.

export interface SyncSpan {
  start: number;
  end: number;
}

export interface LdapIo {
  /** line index of the syscall's start (writes) or end (reads, when the data is known) */
  at: number;
  fd: string;
  messageId: number;
  /** the protocolOp's tag (RFC 4511 4.2: application tags, e.g. 0x68 addRequest, 0x69 addResponse) */
  tag: number;
}

export interface TraceIo {
  syncs: SyncSpan[];
  requests: LdapIo[];
  responses: LdapIo[];
}

const HEX = /"((?:\\x[0-9a-f]{2})*)"/g;

function bytesOf(s: string): Buffer[] {
  const out: Buffer[] = [];
  for (const [, hex] of s.matchAll(HEX)) out.push(Buffer.from(hex!.replace(/\\x/g, ''), 'hex'));
  return out;
}

/** The LDAPMessages (messageID and protocolOp tag) that start in `b`; a cut message is still reported if its head is there. */
export function ldapHeads(b: Buffer): { messageId: number; tag: number }[] {
  const out: { messageId: number; tag: number }[] = [];
  let p = 0;
  while (p + 2 <= b.length && b[p] === 0x30) {
    let len = b[p + 1]!;
    let q = p + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n > 4 || q + n > b.length) break;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[q + i]!;
      q += n;
    }
    const end = q + len;
    if (q + 2 > b.length || b[q] !== 0x02) break;
    const idLen = b[q + 1]!;
    if (idLen < 1 || idLen > 4 || q + 2 + idLen >= b.length) break;
    let id = 0;
    for (let i = 0; i < idLen; i++) id = id * 256 + b[q + 2 + i]!;
    out.push({ messageId: id, tag: b[q + 2 + idLen]! });
    p = end;
  }
  return out;
}

/** strace -xx writes the fd's path (-y) in \xHH escapes too */
function unescape(s: string): string {
  return s.includes('\\x') ? Buffer.from(s.replace(/\\x([0-9a-f]{2})/g, '$1'), 'hex').toString('latin1') : s;
}

export function parseTrace(text: string, dataFile = 'data.mdb'): TraceIo {
  const lines = text.split('\n');
  const syncs: SyncSpan[] = [];
  const requests: LdapIo[] = [];
  const responses: LdapIo[] = [];
  const open = new Map<string, { name: string; fd: string; start: number }>();
  const isSync = (n: string) => n === 'fsync' || n === 'fdatasync' || n === 'msync';
  const isRead = (n: string) => n === 'read' || n === 'readv' || n === 'recvfrom';
  const isWrite = (n: string) => n === 'write' || n === 'writev' || n === 'sendto' || n === 'sendmsg';
  lines.forEach((line, i) => {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) return;
    const [, pid, rest] = m as unknown as [string, string, string];
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      const o = open.get(pid);
      open.delete(pid);
      if (!o) return;
      if (isSync(o.name) && o.fd.endsWith(dataFile)) syncs.push({ start: o.start, end: i });
      if (isRead(o.name) && o.fd.startsWith('socket:')) for (const b of bytesOf(resumed[2]!)) for (const h of ldapHeads(b)) requests.push({ at: i, fd: o.fd, ...h });
      return;
    }
    const call = /^(\w+)\((\d+)<([^>]*)>(.*)$/.exec(rest);
    if (!call) return;
    const [, name, , rawFd, args] = call as unknown as [string, string, string, string, string];
    const fd = unescape(rawFd);
    const unfinished = args.endsWith('<unfinished ...>');
    if (unfinished) open.set(pid, { name, fd, start: i });
    if (isSync(name) && fd.endsWith(dataFile) && !unfinished) syncs.push({ start: i, end: i });
    if (!fd.startsWith('socket:')) return;
    if (isWrite(name)) {
      const data = Buffer.concat(bytesOf(args));
      for (const h of ldapHeads(data)) responses.push({ at: i, fd, ...h });
    } else if (isRead(name) && !unfinished) {
      for (const b of bytesOf(args)) for (const h of ldapHeads(b)) requests.push({ at: i, fd, ...h });
    }
  });
  return { syncs, requests, responses };
}

export interface AckCheck {
  /** responses of the asked tag matched with their request */
  checked: number;
  /** of those, responses that left with no sync begun after the request and ended before the response */
  early: number;
}

/** For each response with tag `responseTag`: was there a sync that began after its request was read and ended before it was written? */
export function checkAckAfterSync(t: TraceIo, requestTag: number, responseTag: number): AckCheck {
  let checked = 0;
  let early = 0;
  for (const r of t.responses) {
    if (r.tag !== responseTag) continue;
    let req: LdapIo | undefined;
    for (const q of t.requests) if (q.fd === r.fd && q.messageId === r.messageId && q.tag === requestTag && q.at < r.at) req = q;
    if (!req) continue;
    checked++;
    if (!t.syncs.some((s) => s.start > req!.at && s.end < r.at)) early++;
  }
  return { checked, early };
}
