import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { type AddressInfo, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { TEST_CA_PEM, TEST_CERT_PEM, TEST_KEY_PEM } from '../testing/tls-fixture.ts';
import type { RequestAuthorizer } from './auth.ts';
import {
  closeServer,
  type ObservabilityHandlers,
  startHealthServer,
  startObservabilityServer,
} from './server.ts';

const portOf = (s: Server) => (s.address() as AddressInfo).port;

async function get(server: Server, path: string, method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${portOf(server)}${path}`, { method });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** GET over TLS, verifying the server against the test CA under the name herald-test.invalid. */
function getTls(server: Server, path: string, token?: string) {
  return new Promise<{ status: number; body: string; challenge?: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: portOf(server),
        path,
        ca: TEST_CA_PEM,
        servername: 'herald-test.invalid',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          body += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            ...(res.headers['www-authenticate']
              ? { challenge: String(res.headers['www-authenticate']) }
              : {}),
          }),
        );
      },
    );
    req.on('error', reject).end();
  });
}

describe('startObservabilityServer', () => {
  let ready = false;
  let failMetrics = false;
  const handlers: ObservabilityHandlers = {
    metrics: {
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      metrics: async () => {
        if (failMetrics) throw new Error('collect failed');
        return 'herald_up 1\n';
      },
    },
    ready: () => ready,
  };
  const servers: Server[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'herald-tls-'));
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, TEST_CERT_PEM);
  writeFileSync(keyFile, TEST_KEY_PEM);
  afterAll(async () => {
    for (const s of servers) await closeServer(s);
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (h: ObservabilityHandlers, o: Parameters<typeof startObservabilityServer>[2] = {}) => {
    const s = await startObservabilityServer('127.0.0.1:0', h, o);
    servers.push(s);
    return s;
  };

  it('serves /healthz, /readyz (503 until ready), /metrics, and 404 with the paths it has', async () => {
    const s = await start(handlers);
    expect(await get(s, '/healthz')).toEqual({ status: 200, type: 'text/plain', body: 'ok\n' });
    expect(await get(s, '/readyz')).toEqual({ status: 503, type: 'text/plain', body: 'not ready\n' });
    ready = true;
    expect(await get(s, '/readyz?verbose')).toEqual({ status: 200, type: 'text/plain', body: 'ok\n' });
    expect(await get(s, '/metrics')).toEqual({
      status: 200,
      type: 'text/plain; version=0.0.4; charset=utf-8',
      body: 'herald_up 1\n',
    });
    failMetrics = true;
    expect(await get(s, '/metrics')).toMatchObject({ status: 500, body: 'Error: collect failed\n' });
    failMetrics = false;
    expect(await get(s, '/status')).toEqual({
      status: 404,
      type: 'text/plain',
      body: 'not found: try /healthz /readyz /metrics\n',
    });
    expect(await get(s, '/healthz', 'POST')).toMatchObject({ status: 405, body: 'method not allowed\n' });
    expect((await get(s, '/healthz', 'HEAD')).status).toBe(200);
  });

  it('serves /status as JSON when the program has a status document', async () => {
    const s = await start({ ...handlers, status: () => ({ kind: 'HeraldSpeakerStatus', ready: true }) });
    const res = await get(s, '/status');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({ kind: 'HeraldSpeakerStatus', ready: true });
    expect((await get(s, '/nope')).body).toBe('not found: try /healthz /readyz /metrics /status\n');
  });

  it('refuses a bad address before listening, and reports a port in use', async () => {
    await expect(startObservabilityServer('::1:7472', handlers)).rejects.toThrow(/must be in brackets/);
    const s = await start(handlers);
    await expect(startObservabilityServer(`127.0.0.1:${portOf(s)}`, handlers)).rejects.toThrow(/EADDRINUSE/);
  });

  it('with TLS and an authorizer: probes open, /metrics and /status only for an authorized token', async () => {
    const asked: string[] = [];
    const authorizer: RequestAuthorizer = {
      async authorize(token, path) {
        asked.push(`${token ?? '-'} ${path}`);
        if (token === undefined) return { allowed: false, status: 401, reason: 'Unauthorized: no token' };
        if (token === 'reader' && path === 'metrics') return { allowed: true, user: 'reader' };
        if (token === 'admin') return { allowed: true, user: 'admin' };
        return { allowed: false, status: 403, reason: `Forbidden: ${token} ${path}` };
      },
    };
    const refused: string[] = [];
    const s = await start(
      { ...handlers, status: () => ({ kind: 'HeraldSpeakerStatus' }) },
      { tls: { certFile, keyFile }, authorizer, onRefused: (p, code) => refused.push(`${p} ${code}`) },
    );
    expect(await getTls(s, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect(await getTls(s, '/metrics')).toEqual({
      status: 401,
      body: 'Unauthorized: no token\n',
      challenge: 'Bearer',
    });
    expect((await getTls(s, '/metrics', 'reader')).body).toBe('herald_up 1\n');
    expect(await getTls(s, '/status', 'reader')).toEqual({ status: 403, body: 'Forbidden: reader status\n' });
    expect(JSON.parse((await getTls(s, '/status', 'admin')).body)).toEqual({ kind: 'HeraldSpeakerStatus' });
    expect(asked).toEqual(['- metrics', 'reader metrics', 'reader status', 'admin status']);
    expect(refused).toEqual(['/metrics 401', '/status 403']);
    // Plain HTTP to the TLS port gets no answer from the application.
    await expect(get(s, '/metrics')).rejects.toThrow();
  });

  it('an authorizer without TLS is refused: a token must never travel in plain text', async () => {
    const authorizer: RequestAuthorizer = { authorize: async () => ({ allowed: true, user: 'x' }) };
    await expect(startObservabilityServer('127.0.0.1:0', handlers, { authorizer })).rejects.toThrow(
      /needs TLS/,
    );
  });

  it('a client that sends headers slowly is cut off after headersTimeout (slowloris)', async () => {
    const s = await start(handlers, { limits: { headersTimeoutMs: 300, requestTimeoutMs: 300 } });
    const closedAfter = await new Promise<boolean>((resolve) => {
      const c = connect(portOf(s), '127.0.0.1', () => c.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'));
      c.on('data', () => undefined);
      c.on('close', () => resolve(true));
      // Keep dribbling a header byte now and then: the server must still close it.
      const t = setInterval(() => c.writable && c.write('X'), 50);
      c.on('close', () => clearInterval(t));
    });
    expect(closedAfter).toBe(true);
  });

  it('caps connections and header size', async () => {
    const s = await start(handlers, { limits: { maxConnections: 2, maxHeaderSize: 1024 } });
    const held = [0, 1].map(() => connect(portOf(s), '127.0.0.1'));
    await Promise.all(held.map((c) => new Promise((r) => c.once('connect', r))));
    /** What the server answers on a fresh connection to REQUEST, until it closes it. */
    const raw = (requestText: string) =>
      new Promise<string>((resolve) => {
        const c = connect(portOf(s), '127.0.0.1', () => c.write(requestText));
        let data = '';
        c.on('data', (d) => {
          data += d.toString();
        });
        c.on('error', () => undefined); // a reset is an answer too
        c.on('close', () => resolve(data));
      });
    // The third connection is accepted by the kernel and closed by Node at once, without a response.
    expect(await raw('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('');
    for (const c of held) c.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 431 /,
    );
  });
});

describe('startHealthServer', () => {
  it('answers only the probes', async () => {
    let ready = false;
    const s = await startHealthServer('127.0.0.1:0', () => ready);
    try {
      expect(await get(s, '/healthz')).toMatchObject({ status: 200 });
      expect(await get(s, '/readyz')).toMatchObject({ status: 503 });
      ready = true;
      expect(await get(s, '/readyz')).toMatchObject({ status: 200 });
      expect(await get(s, '/metrics')).toEqual({
        status: 404,
        type: 'text/plain',
        body: 'not found: try /healthz /readyz\n',
      });
    } finally {
      await closeServer(s);
    }
  });
});
