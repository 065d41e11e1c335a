// The DC's HTTP listener (off unless `forestd serve --http-port N`): GET /metrics in the
// Prometheus text format, GET /healthz. node:http only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTENT_TYPE } from './registry.js';
import type { MetricsCollector } from './collector.js';

export interface HealthReport {
  ok: boolean;
  [k: string]: unknown;
}

export interface HttpListenerOptions {
  host: string;
  port: number;
  metrics: MetricsCollector;
  /** whether the DC can serve: the store opens a read transaction, the listeners are up */
  health: () => HealthReport | Promise<HealthReport>;
  /** the web console (src/console), served at every other path */
  console?: { handle(req: IncomingMessage, res: ServerResponse): void; close(): void };
}

export class MetricsHttpServer {
  private readonly server: Server;

  constructor(private readonly o: HttpListenerOptions) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (o.console && path !== '/metrics' && path !== '/healthz') {
        o.console.handle(req, res);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
        return;
      }
      if (path === '/metrics') {
        let body: string;
        try {
          body = o.metrics.render();
        } catch (e) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(e as Error).message}\n`);
          return;
        }
        res.writeHead(200, { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      if (path === '/healthz') {
        Promise.resolve()
          .then(() => o.health())
          .then(
            (h) => res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(h) + '\n'),
            (e: unknown) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: (e as Error).message }) + '\n'),
          );
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: /metrics and /healthz are served here\n');
    });
    this.server.on('clientError', (_e, socket) => socket.destroy());
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    this.o.console?.close();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
