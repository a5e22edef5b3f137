// The speaker's Secret cache against a fake apiserver: one watch per named Secret, with its field selector;
// passwords resolve from what was read; onChange fires when a resolution may change, not on every retry.
import { KubeApiError, type ListPage, type Watcher } from '@herald/kube';
import { describe, expect, test } from '@jest/globals';
import type { V1Secret } from '@kubernetes/client-node';
import { PeerSecrets } from './secrets.ts';

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

const b64 = (s: string) => Buffer.from(s).toString('base64');

function fakeApi() {
  const secrets = new Map<string, V1Secret>();
  const forbidden = new Set<string>();
  const lists: string[] = [];
  const watches: {
    path: string;
    fieldSelector: unknown;
    send: (phase: string, o: unknown) => void;
    abort: AbortController;
  }[] = [];
  const api = {
    list: async <T>(path: string, req: { fieldSelector?: string }): Promise<ListPage<T>> => {
      const namespace = /^\/api\/v1\/namespaces\/([^/]+)\/secrets$/.exec(path)?.[1];
      lists.push(`${namespace} ${req.fieldSelector}`);
      const name = req.fieldSelector?.replace('metadata.name=', '') ?? '';
      if (forbidden.has(name))
        throw new KubeApiError(
          'GET',
          '/api/v1/namespaces/herald/secrets',
          403,
          'Forbidden',
          'forbidden',
          `secrets "${name}" is forbidden`,
        );
      const s = secrets.get(name);
      return { items: (s ? [s] : []) as T[], metadata: { resourceVersion: '10' } };
    },
  };
  const watcher: Watcher = {
    watch: async (path, query, callback) => {
      const abort = new AbortController();
      watches.push({ path, fieldSelector: query.fieldSelector, send: callback, abort });
      return abort;
    },
  };
  const secret = (name: string, rv: string, data: Record<string, string>): V1Secret => ({
    metadata: { name, namespace: 'herald', resourceVersion: rv, annotations: { big: 'x' } },
    data,
    type: 'Opaque',
  });
  return { api, watcher, secrets, forbidden, lists, watches, secret };
}

describe('PeerSecrets', () => {
  test('watches exactly the named Secrets, by field selector, and resolves their keys', async () => {
    const f = fakeApi();
    f.secrets.set('a', f.secret('a', '5', { password: b64('alpha') }));
    let changes = 0;
    const s = new PeerSecrets({
      api: f.api,
      watcher: f.watcher,
      namespace: 'herald',
      log: { debug() {}, warn() {} },
      onChange: () => changes++,
    });
    s.watch(['a', 'b']);
    expect(s.password('a', 'password')).toMatchObject({ state: 'blocked', problem: 'secret-pending' });
    await settle();
    expect(f.lists.sort()).toEqual(['herald metadata.name=a', 'herald metadata.name=b']);
    expect(f.watches.map((w) => [w.path, w.fieldSelector])).toEqual([
      ['/api/v1/namespaces/herald/secrets', 'metadata.name=a'],
      ['/api/v1/namespaces/herald/secrets', 'metadata.name=b'],
    ]);
    const a = s.password('a', 'password');
    expect(a.state === 'ready' && a.key.bytes.toString()).toBe('alpha');
    expect(s.password('a', 'other')).toMatchObject({ problem: 'key-not-found' });
    expect(s.password('b', 'password')).toMatchObject({ problem: 'secret-not-found' });
    const afterSync = changes;
    expect(afterSync).toBeGreaterThanOrEqual(2);

    // A new value arrives on the watch: one change, and the new key.
    f.watches[0]!.send('MODIFIED', f.secret('a', '6', { password: b64('beta') }));
    expect(changes).toBe(afterSync + 1);
    const b = s.password('a', 'password');
    expect(b.state === 'ready' && b.key.bytes.toString()).toBe('beta');
    // The same object again (a bookmark-like repeat) changes nothing.
    f.watches[0]!.send('MODIFIED', f.secret('a', '6', { password: b64('beta') }));
    expect(changes).toBe(afterSync + 1);

    // No longer named: its watch ends and it is forgotten.
    s.watch(['b']);
    expect(f.watches[0]!.abort.signal.aborted).toBe(true);
    expect(s.password('a', 'password')).toMatchObject({ problem: 'secret-pending' });
    expect(s.statuses().map((x) => x.resource)).toEqual(['secrets/b']);
    s.stop();
  });

  test('a Secret the speaker may not read is reported as an RBAC problem', async () => {
    const f = fakeApi();
    f.forbidden.add('c');
    let errors = 0;
    const s = new PeerSecrets({
      api: f.api,
      watcher: f.watcher,
      namespace: 'herald',
      log: { debug() {}, warn() {} },
      onChange: () => undefined,
      onError: () => errors++,
    });
    s.watch(['c']);
    await settle();
    expect(errors).toBe(1);
    expect(s.password('c', 'password')).toMatchObject({
      state: 'blocked',
      problem: 'secret-unreadable',
      message: expect.stringContaining('(403 Forbidden)'),
    });
    s.stop();
  });
});
