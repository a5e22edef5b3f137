import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { inClusterConnection, KubeconfigError, kubeconfigConnection } from './connection.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'herald-kubeconfig-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const file = join(dir, 'config');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'lab',
      contexts: [
        { name: 'other', context: { cluster: 'nope', user: 'nope' } },
        { name: 'lab', context: { cluster: 'c', user: 'u' } },
      ],
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
      users: [{ name: 'u', user }],
    }),
  );
  return file;
}

describe('kubeconfigConnection', () => {
  it('reads the current context: server, CA data, token', async () => {
    const c = kubeconfigConnection(
      kubeconfig(
        { token: 'abc' },
        { 'certificate-authority-data': Buffer.from('CA PEM').toString('base64') },
      ),
    );
    expect(c.server.href).toBe('https://127.0.0.1:6443/');
    expect(c.tls).toEqual({ ca: Buffer.from('CA PEM'), rejectUnauthorized: true, servername: undefined });
    expect(await c.credentials()).toEqual({
      headers: { Authorization: 'Bearer abc' },
      cert: undefined,
      key: undefined,
    });
    expect(c.source).toContain('(context lab)');
  });

  it('resolves certificate and token files relative to the kubeconfig, and honours insecure-skip-tls-verify', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    writeFileSync(join(dir, 'client.crt'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const c = kubeconfigConnection(
      kubeconfig(
        { 'client-certificate': 'client.crt', 'client-key': 'client.key', tokenFile: 'token' },
        {
          'certificate-authority': 'ca.crt',
          'insecure-skip-tls-verify': true,
          'tls-server-name': 'kubernetes',
        },
      ),
    );
    expect(c.tls).toEqual({ ca: Buffer.from('CA'), rejectUnauthorized: false, servername: 'kubernetes' });
    expect(await c.credentials()).toEqual({
      headers: { Authorization: 'Bearer from-file' },
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
    });
  });

  it('a named context overrides current-context', () => {
    expect(() => kubeconfigConnection(kubeconfig({ token: 'x' }), 'other')).toThrow(
      /clusters: no entry named "nope"/,
    );
  });

  it('refuses what it does not implement, naming the field, instead of connecting differently', () => {
    expect(() => kubeconfigConnection(kubeconfig({ 'auth-provider': { name: 'oidc' } }))).toThrow(
      new KubeconfigError(
        `${join(dir, 'config')} (context lab): user.auth-provider is not supported by Herald's programs`,
      ),
    );
    expect(() => kubeconfigConnection(kubeconfig({ token: 'x' }, { 'proxy-url': 'http://p' }))).toThrow(
      /cluster\.proxy-url is not supported/,
    );
    expect(() => kubeconfigConnection(kubeconfig({ 'client-certificate-data': 'QQ==' }))).toThrow(
      /both a client certificate and a client key/,
    );
  });

  it('runs an exec credential plugin once and keeps its token until it expires', async () => {
    const plugin = join(dir, 'plugin.sh');
    const calls = join(dir, 'calls');
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    writeFileSync(
      plugin,
      `#!/bin/sh\necho "$KUBERNETES_EXEC_INFO $PLUGIN_ENV" >> ${calls}\n` +
        `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-tok","expirationTimestamp":"${expires}"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const c = kubeconfigConnection(
      kubeconfig({
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: plugin,
          env: [{ name: 'PLUGIN_ENV', value: 'set' }],
        },
      }),
    );
    const [a, b] = await Promise.all([c.credentials(), c.credentials()]);
    expect(a.headers).toEqual({ Authorization: 'Bearer exec-tok' });
    expect(b).toBe(a);
    expect((await c.credentials()).headers).toEqual({ Authorization: 'Bearer exec-tok' });
    const lines = readFileSync(calls, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"kind":"ExecCredential"');
    expect(lines[0]).toContain('"server":"https://127.0.0.1:6443/"');
    expect(lines[0]).toMatch(/ set$/);
  });

  it('reports an exec plugin that prints no credential', async () => {
    const c = kubeconfigConnection(
      kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'true' } }),
    );
    await expect(c.credentials()).rejects.toThrow(/exec plugin printed no ExecCredential status/);
  });
});

describe('inClusterConnection', () => {
  it('uses the service account token and CA, with an IPv6 service host in brackets', async () => {
    writeFileSync(join(dir, 'token'), 'sa-token');
    writeFileSync(join(dir, 'ca.crt'), 'SA CA');
    const c = inClusterConnection(
      { KUBERNETES_SERVICE_HOST: '2001:db8:ffff::1', KUBERNETES_SERVICE_PORT: '443' },
      dir,
    );
    expect(c.server.href).toBe('https://[2001:db8:ffff::1]/');
    expect(c.tls.ca).toEqual(Buffer.from('SA CA'));
    expect((await c.credentials()).headers).toEqual({ Authorization: 'Bearer sa-token' });
  });

  it('says what to do outside a cluster', () => {
    expect(() => inClusterConnection({}, dir)).toThrow(/give a kubeconfig with --kubeconfig/);
  });
});
