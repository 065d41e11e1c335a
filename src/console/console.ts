// The web console (forestd serve --http-port N, at /): read-only pages of the forest, its
// replication, the directory tree with each object's attributes and replication metadata, and a
// live view of changes as they commit. Login is an LDAP simple bind through the DSA
// (DirectoryService.bind: the same account checks, lockout and errors as over LDAP); every
// directory read is a DSA search under the logged-in identity, so its access checks apply.
// Sessions live in this object (no module state): an opaque random token in a cookie that is
// HttpOnly and SameSite=Strict; credentials travel only in the POST body of /login.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Directory } from '../dsa/directory.js';
import type { DirectoryService, Identity, OperationContext, Session } from '../dsa/api.js';
import { SearchScope, DerefAliases, type OutgoingAttribute } from '../ldap/protocol/messages.js';
import { parseFilter } from '../ldap/protocol/filter-string.js';
import { LdapError } from '../ldap/protocol/result-codes.js';
import { ReadContext } from '../dsa/object-view.js';
import { replShow } from '../cli/repl-show.js';
import { filetimeXml } from '../drs/repl-info.js';
import { guidToString } from '../util/guid.js';
import { esc, href, page, table, type Cell } from './html.js';

export interface ConsoleOptions {
  dir: Directory;
  service: DirectoryService;
  /** idle time after which a session ends (default 8 hours) */
  sessionIdleMs?: number;
}

interface ConsoleSession {
  identity: Identity;
  lastSeen: number;
}

interface Entry {
  dn: string;
  attrs: Map<string, Buffer[]>;
}

const COOKIE = 'forestd_console';
const PAGES = new Set(['/', '/forest', '/replication', '/browse', '/object', '/live', '/events']);
const MAX_FORM = 8192;
const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
};

export class WebConsole {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly streams = new Set<ServerResponse>();
  private nextSessionId = 1;
  private readonly idleMs: number;

  constructor(private readonly o: ConsoleOptions) {
    this.idleMs = o.sessionIdleMs ?? 8 * 3600_000;
  }

  /** Serves one request; never throws (a failure is a 500 page). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, HEADERS);
      res.end(page({ title: 'Error', body: `<p class="err">${esc((e as Error).message)}</p>` }));
    });
  }

  close(): void {
    for (const s of this.streams) s.end();
    this.streams.clear();
    this.sessions.clear();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    if (path === '/login' && req.method === 'POST') return this.login(req, res);
    if (path === '/logout' && req.method === 'POST') return this.logout(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...HEADERS, allow: 'GET, HEAD' }).end(page({ title: 'Method not allowed', body: '' }));
      return;
    }
    if (path === '/login') return this.send(res, 200, page({ title: 'Log in', body: loginForm() }));
    if (!PAGES.has(path)) return this.send(res, 404, page({ title: 'Not found', body: `<p>${esc(path)} is not a page of the console.</p>` }));
    const s = this.session(req);
    if (!s) {
      res.writeHead(303, { ...HEADERS, location: '/login' }).end();
      return;
    }
    const user = s.identity.dn;
    switch (path) {
      case '/':
        res.writeHead(303, { ...HEADERS, location: '/forest' }).end();
        return;
      case '/forest':
        return this.send(res, 200, page({ title: 'Forest', user, body: await this.forestPage(s) }));
      case '/replication':
        return this.send(res, 200, page({ title: 'Replication', user, body: this.replicationPage() }));
      case '/browse':
        return this.send(res, 200, page({ title: 'Directory', user, body: await this.browsePage(s, url.searchParams.get('dn')) }));
      case '/object': {
        const dn = url.searchParams.get('dn') ?? '';
        const body = await this.objectPage(s, dn);
        return this.send(res, body ? 200 : 404, page({ title: dn || 'Object', user, body: body ?? `<p class="err">no such object (or not visible to you): ${esc(dn)}</p>` }));
      }
      case '/live':
        return this.send(res, 200, page({ title: 'Live changes', user, body: LIVE_BODY, script: LIVE_SCRIPT }));
      case '/events':
        return this.events(req, res, s);
      default:
        return this.send(res, 404, page({ title: 'Not found', user, body: '' }));
    }
  }

  private send(res: ServerResponse, status: number, html: string): void {
    res.writeHead(status, HEADERS).end(html);
  }

  // ---- sessions -----------------------------------------------------------------------

  private token(req: IncomingMessage): string | undefined {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, v] = part.trim().split('=', 2);
      if (k === COOKIE && v) return v;
    }
    return undefined;
  }

  private session(req: IncomingMessage): ConsoleSession | undefined {
    const t = this.token(req);
    const s = t ? this.sessions.get(t) : undefined;
    if (!s) return undefined;
    const now = Date.now();
    if (now - s.lastSeen > this.idleMs) {
      this.sessions.delete(t!);
      return undefined;
    }
    s.lastSeen = now;
    return s;
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let form: URLSearchParams;
    try {
      form = new URLSearchParams(await readBody(req, MAX_FORM));
    } catch {
      return this.send(res, 413, page({ title: 'Log in', body: `<p class="err">the form is too large</p>${loginForm()}` }));
    }
    const name = form.get('user') ?? '';
    const password = form.get('password') ?? '';
    const fail = (status: number, why: string) => this.send(res, status, page({ title: 'Log in', body: `<p class="err" id="login-error">${esc(why)}</p>${loginForm(name)}` }));
    if (!name || !password) return fail(401, 'a user name and a password are needed (the console does not serve anonymous users)');
    let identity: Identity | null;
    try {
      // the DSA's own bind: the account checks, lockout and error codes of an LDAP simple bind
      const r = await this.o.service.bind({ type: 'bindRequest', version: 3, name, authentication: { method: 'simple', password: Buffer.from(password, 'utf8') } }, this.ctx(null, req.socket.remoteAddress ?? ''));
      identity = r.identity;
    } catch (e) {
      if (e instanceof LdapError) return fail(401, `LDAP result ${e.resultCode}: ${e.diagnosticMessage}`);
      throw e;
    }
    if (!identity) return fail(401, 'the bind gave no identity');
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(token, { identity, lastSeen: Date.now() });
    res.writeHead(303, { ...HEADERS, location: '/forest', 'set-cookie': `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict` }).end();
  }

  private async logout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await readBody(req, MAX_FORM).catch(() => '');
    const t = this.token(req);
    if (t) this.sessions.delete(t);
    res.writeHead(303, { ...HEADERS, location: '/login', 'set-cookie': `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` }).end();
  }

  // ---- directory reads, as the logged-in identity ---------------------------------------

  private ctx(identity: Identity | null, remoteAddress = ''): OperationContext {
    const session: Session = { id: this.nextSessionId++, identity, encrypted: false, globalCatalog: false, remoteAddress };
    return { session, controls: [], signal: AbortSignal.timeout(30_000) };
  }

  private async search(s: ConsoleSession, base: string, scope: SearchScope, filter: string, attributes: string[], sizeLimit = 0): Promise<{ entries: Entry[]; truncated: boolean }> {
    const entries: Entry[] = [];
    const collect = (dn: string, attrs: OutgoingAttribute[]) => {
      const m = new Map<string, Buffer[]>();
      for (const a of attrs) m.set(a.type, a.values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v)));
      entries.push({ dn, attrs: m });
    };
    try {
      await this.o.service.search(
        { type: 'searchRequest', baseObject: base, scope, derefAliases: DerefAliases.neverDerefAliases, sizeLimit, timeLimit: 0, typesOnly: false, filter: parseFilter(filter), attributes },
        this.ctx(s.identity),
        { entry: (dn, attrs) => collect(dn, attrs), reference: () => {} },
      );
    } catch (e) {
      // sizeLimitExceeded (4): what came is shown; noSuchObject (32): nothing
      if (e instanceof LdapError && e.resultCode === 4) return { entries, truncated: true };
      if (e instanceof LdapError && e.resultCode === 32) return { entries: [], truncated: false };
      throw e;
    }
    return { entries, truncated: false };
  }

  private async first(s: ConsoleSession, dn: string, attributes: string[]): Promise<Entry | undefined> {
    return (await this.search(s, dn, SearchScope.baseObject, '(objectClass=*)', attributes)).entries[0];
  }

  // ---- pages --------------------------------------------------------------------------

  private async forestPage(s: ConsoleSession): Promise<string> {
    const f = this.o.dir.forest;
    const root = await this.first(s, '', ['namingContexts', 'dsServiceName', 'dnsHostName', 'highestCommittedUSN', 'forestFunctionality', 'domainControllerFunctionality']);
    const txt = (e: Entry | undefined, a: string) => (e?.attrs.get(a) ?? []).map((v) => v.toString('utf8'));
    const sitesDN = `CN=Sites,${f.configDN}`;
    const servers = (await this.search(s, sitesDN, SearchScope.wholeSubtree, '(objectClass=server)', ['dNSHostName'])).entries;
    const dsas = (await this.search(s, sitesDN, SearchScope.wholeSubtree, '(objectClass=nTDSDSA)', ['invocationId', 'options'])).entries;
    const sites = (await this.search(s, sitesDN, SearchScope.singleLevel, '(objectClass=site)', ['name'])).entries;
    const dcRows: Cell[][] = dsas.map((d) => {
      const serverDN = d.dn.slice(d.dn.indexOf(',') + 1);
      const server = servers.find((x) => x.dn.toLowerCase() === serverDN.toLowerCase());
      const site = /,CN=Servers,CN=([^,]+),CN=Sites,/i.exec(d.dn)?.[1] ?? '';
      const inv = d.attrs.get('invocationId')?.[0];
      return [{ html: `<a href="${href('/object', { dn: d.dn })}">${esc(serverDN.split(',')[0]!.replace(/^CN=/i, ''))}</a>` }, txt(server, 'dNSHostName').join(', '), site, inv && inv.length === 16 ? guidToString(inv) : ''];
    });
    const roles: [string, string][] = [
      ['Schema master', f.schemaDN],
      ['Domain naming master', `CN=Partitions,${f.configDN}`],
      ['PDC emulator', f.domainDN],
      ['RID master', `CN=RID Manager$,CN=System,${f.domainDN}`],
      ['Infrastructure master', `CN=Infrastructure,${f.domainDN}`],
    ];
    const fsmoRows: Cell[][] = [];
    for (const [role, dn] of roles) {
      const owner = txt(await this.first(s, dn, ['fSMORoleOwner']), 'fSMORoleOwner')[0] ?? '';
      fsmoRows.push([role, { html: `<a href="${href('/object', { dn })}">${esc(dn)}</a>` }, owner]);
    }
    return `<p>Forest <b>${esc(f.realm)}</b> (${esc(f.rootDomainDN)}), served by <b>${esc(txt(root, 'dnsHostName')[0] ?? f.dnsHostName)}</b>, highest committed USN <span id="usn">${esc(txt(root, 'highestCommittedUSN')[0] ?? '')}</span>.</p>
<h2>Domain controllers</h2>${table(['DC', 'DNS host name', 'Site', 'invocationId'], dcRows, 'dcs')}
<h2>Sites</h2>${table(['Site'], sites.map((x) => [{ html: `<a href="${href('/object', { dn: x.dn })}">${esc(txt(x, 'name')[0] ?? x.dn)}</a>` }]), 'sites')}
<h2>Naming contexts</h2>${table(['NC'], txt(root, 'namingContexts').map((nc) => [{ html: `<a href="${href('/browse', { dn: nc })}">${esc(nc)}</a>` }]), 'ncs')}
<h2>FSMO roles</h2>${table(['Role', 'Held on', 'Owner (nTDSDSA)'], fsmoRows, 'fsmo')}`;
  }

  private replicationPage(): string {
    const rs = replShow(this.o.dir);
    const t = (ft: bigint) => (ft === 0n ? 'never' : filetimeXml(ft));
    const partners = rs.ncs.reduce((n, nc) => n + nc.inbound.length + nc.outbound.length, 0);
    const parts = [
      `<p>This DC: <a href="${href('/object', { dn: rs.dsa })}">${esc(rs.dsa)}</a>, invocationId <code id="invocation-id">${esc(rs.invocationId)}</code>, highest committed USN ${esc(rs.highestUsn)}.</p>`,
      partners === 0 ? '<p class="note" id="single-dc">This DC has no replication partners: the page shows its own state only (its up-to-dateness vector per naming context).</p>' : '',
    ];
    for (const nc of rs.ncs) {
      // one section per NC, named by its DN, so a reader (or a test) can pick an NC's tables
      parts.push(`<section class="nc" data-nc="${esc(nc.nc)}"><h2>${esc(nc.nc)}</h2><h3>Inbound neighbors (repsFrom)</h3>`);
      parts.push(
        table(
          ['Source DSA', 'Address', 'Last success', 'Last attempt', 'Last result', 'Consecutive failures', 'USN synced'],
          nc.inbound.map((n) => [n.pszSourceDsaDN || guidToString(n.uuidSourceDsaObjGuid), n.pszSourceDsaAddress, t(n.ftimeLastSyncSuccess), t(n.ftimeLastSyncAttempt), { html: `<span class="${n.dwLastSyncResult === 0 ? 'ok' : 'err'}">${esc(n.dwLastSyncResult === 0 ? '0 (success)' : `${n.dwLastSyncResult} (0x${n.dwLastSyncResult.toString(16).padStart(8, '0')})`)}</span>` }, n.cNumConsecutiveSyncFailures, String(n.usnLastObjChangeSynced)]),
          undefined,
          'inbound',
        ),
      );
      if (nc.outbound.length) parts.push('<h3>Outbound neighbors (repsTo)</h3>' + table(['Destination DSA', 'Address'], nc.outbound.map((n) => [n.pszSourceDsaDN, n.pszSourceDsaAddress])));
      parts.push('<h3>Up-to-dateness vector</h3>' + table(['DSA', 'invocationId', 'USN', 'Last sync'], nc.cursors.map((c) => [c.pszSourceDsaDN, guidToString(c.uuidSourceDsaInvocationID), String(c.usnAttributeFilter), t(c.ftimeLastSyncSuccess)]), undefined, 'cursors') + '</section>');
    }
    return parts.join('\n');
  }

  private async browsePage(s: ConsoleSession, dn: string | null): Promise<string> {
    if (!dn) {
      const root = await this.first(s, '', ['namingContexts']);
      const ncs = (root?.attrs.get('namingContexts') ?? []).map((v) => v.toString('utf8'));
      return `<p>Naming contexts:</p><ul id="children">${ncs.map((nc) => `<li><a href="${href('/browse', { dn: nc })}">${esc(nc)}</a></li>`).join('')}</ul>`;
    }
    const { entries, truncated } = await this.search(s, dn, SearchScope.singleLevel, '(objectClass=*)', ['objectClass'], 1000);
    entries.sort((a, b) => a.dn.localeCompare(b.dn));
    const parent = dn.includes(',') ? dn.slice(dn.indexOf(',') + 1) : '';
    return `<p><a href="${href('/object', { dn })}" id="open-object">Attributes of ${esc(dn)}</a>${parent ? ` · <a href="${href('/browse', { dn: parent })}">up</a>` : ` · <a href="/browse">naming contexts</a>`}</p>
<ul id="children">${entries.map((e) => `<li><a href="${href('/browse', { dn: e.dn })}">${esc(e.dn.split(',')[0])}</a> <span class="note">${esc((e.attrs.get('objectClass') ?? []).map((v) => v.toString()).pop() ?? '')}</span> · <a href="${href('/object', { dn: e.dn })}">attributes</a></li>`).join('')}</ul>${entries.length === 0 ? '<p class="note">no children</p>' : ''}${truncated ? '<p class="note">the first 1000 children are shown</p>' : ''}`;
  }

  private async objectPage(s: ConsoleSession, dn: string): Promise<string | undefined> {
    if (!dn) return undefined;
    const e = await this.first(s, dn, ['*', 'msDS-ReplAttributeMetaData']);
    if (!e) return undefined;
    const meta = (e.attrs.get('msDS-ReplAttributeMetaData') ?? []).map((v) => parseMetaXml(v.toString('utf8')));
    e.attrs.delete('msDS-ReplAttributeMetaData');
    const names = [...e.attrs.keys()].sort((a, b) => a.localeCompare(b));
    const rows: Cell[][] = names.map((n) => [n, { html: (e.attrs.get(n) ?? []).map((v) => esc(showValue(v))).join('<br>') }]);
    meta.sort((a, b) => (a.pszAttributeName ?? '').localeCompare(b.pszAttributeName ?? ''));
    const metaRows: Cell[][] = meta.map((m) => [m.pszAttributeName ?? '', m.dwVersion ?? '', m.pszLastOriginatingDsaDN || m.uuidLastOriginatingDsaInvocationID || '', m.ftimeLastOriginatingChange ?? '', m.usnOriginatingChange ?? '', m.usnLocalChange ?? '']);
    const parent = dn.includes(',') ? dn.slice(dn.indexOf(',') + 1) : '';
    return `<p><a href="${href('/browse', { dn })}">children</a>${parent ? ` · <a href="${href('/browse', { dn: parent })}">parent</a>` : ''}</p>
<h2>Attributes</h2>${table(['Attribute', 'Values'], rows, 'attributes')}
<h2>Replication metadata (msDS-ReplAttributeMetaData)</h2>${table(['Attribute', 'Version', 'Originating DC', 'Originating time', 'Originating USN', 'Local USN'], metaRows, 'metadata')}`;
  }

  // ---- live changes: server-sent events from the store's commit hook ---------------------

  private events(req: IncomingMessage, res: ServerResponse, s: ConsoleSession): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.write(': forestd live changes\n\n');
    this.streams.add(res);
    const token = this.token(req);
    let queue = Promise.resolve();
    const off = this.o.dir.store.onCommit((changed) => {
      const guids = changed.map((g) => Buffer.from(g));
      queue = queue.then(() => this.sendChanges(res, s, token, guids)).catch(() => {});
    });
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    beat.unref();
    const end = () => {
      off();
      clearInterval(beat);
      this.streams.delete(res);
    };
    req.on('close', end);
    res.on('close', end);
  }

  private async sendChanges(res: ServerResponse, s: ConsoleSession, token: string | undefined, guids: Buffer[]): Promise<void> {
    if (!token || this.sessions.get(token) !== s) {
      res.end();
      return;
    }
    const r = this.o.dir.store.snapshot();
    let dns: string[];
    try {
      const rc = new ReadContext(this.o.dir, r);
      dns = guids.filter((g) => r.hasObject(g)).map((g) => rc.dnOf(g));
    } finally {
      r.done();
    }
    for (const dn of dns) {
      // shown only when the user may see the object
      const e = await this.first(s, dn, ['uSNChanged', 'whenChanged', 'objectClass']);
      if (!e) continue;
      const v = (a: string) => e.attrs.get(a)?.at(-1)?.toString('utf8') ?? '';
      res.write(`data: ${JSON.stringify({ dn: e.dn, usn: v('uSNChanged'), whenChanged: v('whenChanged'), objectClass: v('objectClass') })}\n\n`);
    }
  }
}

function loginForm(user = ''): string {
  return `<form method="post" action="/login" id="login"><p><label>User (DN, UPN or DOMAIN\\name)<br><input name="user" id="user" autocomplete="username" value="${esc(user)}" size="50"></label></p>
<p><label>Password<br><input name="password" id="password" type="password" autocomplete="current-password" size="30"></label></p><p><button type="submit" id="submit">Log in</button></p></form>`;
}

const LIVE_BODY = `<p>Changes appear here as they commit (<span id="state">connecting</span>).</p><table id="changes"><thead><tr><th>USN</th><th>When changed</th><th>Class</th><th>Object</th></tr></thead><tbody></tbody></table>`;
const LIVE_SCRIPT = `(function(){var es=new EventSource('/events');var st=document.getElementById('state');var tb=document.querySelector('#changes tbody');
es.onopen=function(){st.textContent='connected';document.body.setAttribute('data-live','open');};es.onerror=function(){st.textContent='disconnected';};
es.onmessage=function(m){var d=JSON.parse(m.data);var tr=document.createElement('tr');[d.usn,d.whenChanged,d.objectClass].forEach(function(v){var td=document.createElement('td');td.textContent=v;tr.appendChild(td);});
var td=document.createElement('td');var a=document.createElement('a');a.href='/object?dn='+encodeURIComponent(d.dn);a.textContent=d.dn;td.appendChild(a);tr.appendChild(td);tb.insertBefore(tr,tb.firstChild);};})();`;

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** a value as text: UTF-8 when it is printable, else hex (GUIDs of 16 bytes as GUIDs) */
function showValue(v: Buffer): string {
  const s = v.toString('utf8');
  if (!s.includes('\uFFFD') && !/[\x00-\x08\x0e-\x1f]/.test(s)) return s;
  return v.length === 16 ? `{${guidToString(v)}}` : `0x${v.toString('hex')}`;
}

/** the fields of a DS_REPL_ATTR_META_DATA XML value (msDS-ReplAttributeMetaData, an MS-ADTS 3.1.1.4.5 constructed attribute) */
function parseMetaXml(x: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, k, v] of x.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) out[k!] = v!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return out;
}
