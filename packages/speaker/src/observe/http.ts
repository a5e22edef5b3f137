// /healthz, /readyz, /metrics and /status on the metrics address.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HttpHandlers {
  readonly registry: Registry;
  /** Ready: caches synced and a valid config in force. */
  readonly ready: () => boolean;
  readonly status: () => unknown;
}

export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid listen address "${text}": expected host:port, e.g. 0.0.0.0:7473 or [::]:7473`);
  }
  return { host: m[1] || '0.0.0.0', port };
}

export async function startHttpServer(address: string, h: HttpHandlers): Promise<Server> {
  const { host, port } = parseListenAddress(address);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    switch (path) {
      case '/healthz':
        return send(200, 'text/plain', 'ok\n');
      case '/readyz':
        return h.ready() ? send(200, 'text/plain', 'ok\n') : send(503, 'text/plain', 'not ready\n');
      case '/metrics':
        h.registry
          .metrics()
          .then((text) => send(200, h.registry.contentType, text))
          .catch((err: unknown) => send(500, 'text/plain', `${String(err)}\n`));
        return;
      case '/status':
        return send(200, 'application/json', `${JSON.stringify(h.status(), null, 2)}\n`);
      default:
        return send(404, 'text/plain', 'not found: try /healthz /readyz /metrics /status\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
