import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Reflector } from '../reflector/reflector.ts';
import { apiErrorCode, KubeApiError, KubeClient } from './client.ts';
import type { KubeConnection } from './connection.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A plain-HTTP stand-in for the apiserver on 127.0.0.1 (port chosen by the kernel). */
/** A fake apiserver's handler that refuses every request with a metav1.Status. */
const answerStatus =
  (code: number, reason: string, message: string) => (_req: IncomingMessage, res: ServerResponse) =>
    json(res, code, { kind: 'Status', reason, message, code });

async function apiserver(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: Seen[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const connection: KubeConnection = {
    server: new URL(`http://127.0.0.1:${port}`),
    tls: { rejectUnauthorized: true },
    credentials: async () => ({ headers: { Authorization: 'Bearer t0ken' } }),
    source: 'test',
  };
  return {
    seen,
    connections: () => connections,
    connection,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, code: number, body: unknown) => {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('KubeClient requests', () => {
  it('GETs a list page with its query and credentials, reusing one connection', async () => {
    const s = await apiserver((_req, res) => json(res, 200, { items: [{ metadata: { name: 'a' } }] }));
    const kube = new KubeClient(s.connection, { userAgent: 'herald-test' });
    try {
      const page = await kube.list<{ metadata: { name: string } }>('/api/v1/services', {
        limit: 500,
        continue: 'abc',
        fieldSelector: 'metadata.name=x',
      });
      await kube.get('/api/v1/namespaces/a');
      expect(page.items[0]!.metadata.name).toBe('a');
      expect(s.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
        'GET /api/v1/services?limit=500&continue=abc&fieldSelector=metadata.name%3Dx',
        'GET /api/v1/namespaces/a',
      ]);
      expect(s.seen[0]!.headers.authorization).toBe('Bearer t0ken');
      expect(s.seen[0]!.headers['user-agent']).toBe('herald-test');
      expect(s.connections()).toBe(1);
    } finally {
      kube.close();
      await s.close();
    }
  });

  it('sends a merge patch with its content type and query, and a create as JSON', async () => {
    const s = await apiserver((_req, res, body) => json(res, 200, JSON.parse(body)));
    const kube = new KubeClient(s.connection);
    try {
      const patched = await kube.mergePatch(
        '/api/v1/namespaces/a/services/b/status',
        { status: { x: 1 } },
        {
          fieldManager: 'herald-controller',
        },
      );
      const created = await kube.create('/api/v1/namespaces/a/events', { metadata: { name: 'e' } });
      // A patch's answer is not decoded (nobody reads it); a create's is.
      expect(patched).toBeUndefined();
      expect(created).toEqual({ metadata: { name: 'e' } });
      expect(s.seen[0]).toMatchObject({
        method: 'PATCH',
        url: '/api/v1/namespaces/a/services/b/status?fieldManager=herald-controller',
        body: '{"status":{"x":1}}',
      });
      expect(s.seen[0]!.headers['content-type']).toBe('application/merge-patch+json');
      expect(s.seen[1]).toMatchObject({ method: 'POST', body: '{"metadata":{"name":"e"}}' });
      expect(s.seen[1]!.headers['content-type']).toBe('application/json');
    } finally {
      kube.close();
      await s.close();
    }
  });

  it('sends a strategic merge patch with its content type (Service conditions merge by type)', async () => {
    const s = await apiserver((_req, res, body) => json(res, 200, JSON.parse(body)));
    const kube = new KubeClient(s.connection);
    try {
      const body = { status: { conditions: [{ type: 'herald.dev/AddressAllocated', status: 'True' }] } };
      await kube.strategicMergePatch('/api/v1/namespaces/a/services/b/status', body, {
        fieldManager: 'herald-controller',
      });
      expect(s.seen[0]).toMatchObject({
        method: 'PATCH',
        url: '/api/v1/namespaces/a/services/b/status?fieldManager=herald-controller',
        body: JSON.stringify(body),
      });
      expect(s.seen[0]!.headers['content-type']).toBe('application/strategic-merge-patch+json');
    } finally {
      kube.close();
      await s.close();
    }
  });

  it('turns a non-2xx answer into a KubeApiError with the Status code, reason and message', async () => {
    const s = await apiserver(
      answerStatus(403, 'Forbidden', 'services is forbidden: User "x" cannot list resource "services"'),
    );
    const kube = new KubeClient(s.connection);
    try {
      const err = await kube.get('/api/v1/services?x=1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect(apiErrorCode(err)).toBe(403);
      expect((err as KubeApiError).reason).toBe('Forbidden');
      expect((err as Error).message).toBe(
        'GET /api/v1/services: 403 Forbidden: services is forbidden: User "x" cannot list resource "services"',
      );
      expect(apiErrorCode(new Error('x'))).toBeUndefined();
    } finally {
      kube.close();
      await s.close();
    }
  });

  it('still decodes the Status of a patch the apiserver refuses (the controller retries a 409 Conflict)', async () => {
    const s = await apiserver(answerStatus(409, 'Conflict', 'the object has been modified'));
    const kube = new KubeClient(s.connection);
    try {
      const err = await kube
        .strategicMergePatch('/api/v1/namespaces/a/services/b/status', { metadata: { resourceVersion: '1' } })
        .catch((e: unknown) => e);
      expect(apiErrorCode(err)).toBe(409);
      expect((err as KubeApiError).reason).toBe('Conflict');
      // The connection went back to the pool: the next request reuses it.
      await kube.mergePatch('/api/v1/namespaces/a/services/b/status', {}).catch(() => undefined);
      expect(s.connections()).toBe(1);
    } finally {
      kube.close();
      await s.close();
    }
  });

  it('fails a request whose connection is refused (no hang)', async () => {
    const s = await apiserver(() => undefined);
    const connection = s.connection;
    await s.close();
    const kube = new KubeClient(connection);
    await expect(kube.get('/api')).rejects.toThrow(/ECONNREFUSED/);
    kube.close();
  });
});

describe('KubeClient watch', () => {
  const event = (type: string, name: string) =>
    `${JSON.stringify({ type, object: { metadata: { name } } })}\n`;

  it('delivers events in order even when a line is split across chunks, then done(null) when the server ends', async () => {
    const s = await apiserver((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const text = event('ADDED', 'a') + event('MODIFIED', 'b') + event('DELETED', 'c');
      res.write(text.slice(0, 30));
      setTimeout(() => {
        res.write(text.slice(30, 70));
        setTimeout(() => res.end(text.slice(70)), 10);
      }, 10);
    });
    const kube = new KubeClient(s.connection);
    try {
      const got: string[] = [];
      const ended = new Promise<unknown>((resolve) => {
        void kube.watch(
          '/api/v1/services',
          { resourceVersion: '5', allowWatchBookmarks: true },
          (type, obj) => got.push(`${type} ${(obj as { metadata: { name: string } }).metadata.name}`),
          resolve,
        );
      });
      expect(await ended).toBeNull();
      expect(got).toEqual(['ADDED a', 'MODIFIED b', 'DELETED c']);
      expect(s.seen[0]!.url).toBe('/api/v1/services?resourceVersion=5&allowWatchBookmarks=true&watch=true');
    } finally {
      kube.close();
      await s.close();
    }
  });

  it('ends with done(null) when aborted by its owner', async () => {
    const s = await apiserver((_req, res) => {
      res.writeHead(200);
      res.write(event('ADDED', 'a'));
    });
    const kube = new KubeClient(s.connection);
    try {
      let resolveDone: (e: unknown) => void = () => undefined;
      const ended = new Promise<unknown>((r) => {
        resolveDone = r;
      });
      const got: string[] = [];
      const handle = await kube.watch('/api/v1/services', {}, (type) => got.push(type), resolveDone);
      while (got.length === 0) await new Promise((r) => setTimeout(r, 5));
      handle.abort();
      expect(await ended).toBeNull();
    } finally {
      kube.close();
      await s.close();
    }
  });

  it('reports a refused watch with its HTTP code (410 Gone: the reflector relists)', async () => {
    const s = await apiserver((_req, res) =>
      json(res, 410, { kind: 'Status', reason: 'Expired', message: 'too old' }),
    );
    const kube = new KubeClient(s.connection);
    try {
      const err = await new Promise<unknown>(
        (resolve) => void kube.watch('/api/v1/services', {}, () => {}, resolve),
      );
      expect(apiErrorCode(err)).toBe(410);
    } finally {
      kube.close();
      await s.close();
    }
  });

  it('ends a silent watch after the inactivity timeout with a TimeoutError', async () => {
    const s = await apiserver((_req, res) => {
      res.writeHead(200);
      res.write(event('ADDED', 'a'));
    });
    const kube = new KubeClient(s.connection, { watchInactivityMs: 100 });
    try {
      const got: string[] = [];
      const err = await new Promise<unknown>(
        (resolve) => void kube.watch('/api/v1/services', {}, (t) => got.push(t), resolve),
      );
      expect(got).toEqual(['ADDED']);
      expect((err as Error).name).toBe('TimeoutError');
    } finally {
      kube.close();
      await s.close();
    }
  });
});

describe('KubeClient under a Reflector', () => {
  it("follows the apiserver's continue tokens through every page, then watches from the list's resourceVersion", async () => {
    const pages: Record<string, unknown> = {
      '': { items: [svc('a'), svc('b')], metadata: { continue: 'p2', resourceVersion: '10' } },
      p2: { items: [svc('c'), svc('d')], metadata: { continue: 'p3', resourceVersion: '10' } },
      p3: { items: [svc('e')], metadata: { resourceVersion: '10' } },
    };
    const s = await apiserver((req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200);
        return;
      }
      json(res, 200, pages[url.searchParams.get('continue') ?? '']);
    });
    const kube = new KubeClient(s.connection);
    const r = new Reflector<{ metadata: { name: string; namespace: string; resourceVersion: string } }>({
      resource: 'services',
      path: '/api/v1/services',
      list: (page) => kube.list('/api/v1/services', page),
      watcher: kube,
      pageSize: 2,
      log: { debug: () => {}, warn: () => {} },
    });
    try {
      r.start();
      await r.whenSynced();
      expect([...r.values()].map((o) => o.metadata.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
      while (!s.seen.some((q) => q.url.includes('watch=true'))) await new Promise((w) => setTimeout(w, 5));
      expect(s.seen.map((q) => q.url.replace(/timeoutSeconds=\d+/, 'timeoutSeconds=T'))).toEqual([
        '/api/v1/services?limit=2',
        '/api/v1/services?limit=2&continue=p2',
        '/api/v1/services?limit=2&continue=p3',
        '/api/v1/services?resourceVersion=10&allowWatchBookmarks=true&timeoutSeconds=T&watch=true',
      ]);
    } finally {
      r.stop();
      kube.close();
      await s.close();
    }
  });
});

function svc(name: string) {
  return { metadata: { name, namespace: 'ns', resourceVersion: '1' } };
}
