// A headless Debian chromium driven over the Chrome DevTools Protocol on
// --remote-debugging-pipe (fd 3: commands in, fd 4: responses and events out, each message
// JSON ended by a NUL byte). Just what the console test needs: one page, navigate, evaluate,
// screenshots, cookies.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { tempDir } from './tmp.js';

type Msg = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(m: Msg) => void>();
  private sessionId = '';
  private constructor(
    private readonly child: ChildProcess,
    private readonly cleanup: () => void,
  ) {
    const out = child.stdio[4] as Readable;
    let buf = Buffer.alloc(0);
    out.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let i = buf.indexOf(0); i >= 0; i = buf.indexOf(0)) {
        const m = JSON.parse(buf.subarray(0, i).toString('utf8')) as Msg;
        buf = buf.subarray(i + 1);
        if (m.id !== undefined) {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (m.error) p?.reject(new Error(m.error.message));
          else p?.resolve(m.result ?? {});
        } else for (const l of [...this.listeners]) l(m);
      }
    });
    child.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error('chromium exited'));
      this.pending.clear();
    });
  }

  static async launch(): Promise<Browser> {
    const { dir, cleanup } = tempDir('forestd-chromium-');
    const child = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', `--user-data-dir=${dir}`, '--remote-debugging-pipe', '--window-size=1280,900', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    child.stderr!.resume();
    const b = new Browser(child, cleanup);
    const { targetId } = (await b.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await b.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    b.sessionId = sessionId;
    await b.send('Page.enable');
    await b.send('Runtime.enable');
    await b.send('Network.enable');
    return b;
  }

  send(method: string, params: Record<string, unknown> = {}, browserLevel = false): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const msg: Msg = { id, method, params, ...(this.sessionId && !browserLevel ? { sessionId: this.sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.child.stdio[3] as Writable).write(JSON.stringify(msg) + '\0');
    });
  }

  /** the next event `method` of the page */
  once(method: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      const l = (m: Msg) => {
        if (m.method === method && m.sessionId === this.sessionId) {
          this.listeners.delete(l);
          resolve(m.params ?? {});
        }
      };
      this.listeners.add(l);
    });
  }

  async goto(url: string): Promise<void> {
    const loaded = this.once('Page.loadEventFired');
    await this.send('Page.navigate', { url });
    await loaded;
  }

  /** runs `fn` (a function expression) in the page, awaiting what it returns */
  async eval<T>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })) as { result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } };
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value;
  }

  /** runs `expression` (which starts a navigation, e.g. a form submit) and waits for the new page's load */
  async navigating(expression: string): Promise<void> {
    const loaded = this.once('Page.loadEventFired');
    await this.eval(expression);
    await loaded;
  }

  async screenshot(path: string): Promise<void> {
    const { data } = (await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true })) as { data: string };
    writeFileSync(path, Buffer.from(data, 'base64'));
  }

  async cookies(): Promise<{ name: string; value: string; httpOnly: boolean; sameSite?: string; path: string }[]> {
    const r = (await this.send('Network.getAllCookies')) as { cookies: { name: string; value: string; httpOnly: boolean; sameSite?: string; path: string }[] };
    return r.cookies;
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.send('Browser.close', {}, true).catch(() => {});
      const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    this.cleanup();
  }
}
