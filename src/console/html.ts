// HTML for the web console: every text that reaches a page goes through esc() (or attr()),
// so directory data cannot inject markup. Pages are plain server-rendered HTML; the live view
// has one small inline script (EventSource, textContent only).

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** a query-string link: /path?k=v with v percent-encoded, then escaped for the attribute */
export function href(path: string, q: Record<string, string> = {}): string {
  const qs = new URLSearchParams(q).toString();
  return esc(qs ? `${path}?${qs}` : path);
}

export interface PageOptions {
  title: string;
  /** who is logged in (the nav bar is shown only then) */
  user?: string;
  body: string;
  script?: string;
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:0;color:#222}nav{background:#234;padding:.5em 1em}nav a,nav span{color:#fff;margin-right:1.2em;text-decoration:none}
nav form{display:inline}nav button{background:none;border:1px solid #fff;color:#fff;cursor:pointer}main{padding:1em}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#eef}code{font-size:12px}.err{color:#a00}.ok{color:#070}.note{color:#666}`;

export function page(o: PageOptions): string {
  const nav = o.user
    ? `<nav><a href="/forest">Forest</a><a href="/replication">Replication</a><a href="/browse">Directory</a><a href="/live">Live changes</a><span>${esc(o.user)}</span><form method="post" action="/logout"><button type="submit">Log out</button></form></nav>`
    : '<nav><span>forestd</span></nav>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(o.title)} · forestd</title><style>${STYLE}</style></head><body>${nav}<main><h1>${esc(o.title)}</h1>${o.body}</main>${o.script ? `<script>${o.script}</script>` : ''}</body></html>`;
}

/** a table: the header cells and rows are text (escaped here) unless given as { html } */
export type Cell = string | number | { html: string };
/** A table; `id` for a table that appears once on a page, `cls` for one repeated per section (ids are unique in HTML). */
export function table(head: string[], rows: Cell[][], id?: string, cls?: string): string {
  const cell = (c: Cell, tag: string) => `<${tag}>${typeof c === 'object' ? c.html : esc(c)}</${tag}>`;
  return `<table${id ? ` id="${esc(id)}"` : ''}${cls ? ` class="${esc(cls)}"` : ''}><thead><tr>${head.map((h) => cell(h, 'th')).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => cell(c, 'td')).join('')}</tr>`).join('')}</tbody></table>`;
}
