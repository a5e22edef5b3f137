import type { V1ConfigMap } from '@kubernetes/client-node';
import { FakeClock } from '../testing/fake-clock.ts';
import { configDigest, configMapReflector, loadConfigMap, missingConfigMapMessage } from './source.ts';

const cm = (text: string | undefined): V1ConfigMap => ({
  metadata: { namespace: 'herald-system', name: 'herald-config', resourceVersion: '3' },
  data: text === undefined ? {} : { 'config.yaml': text },
});

describe('loadConfigMap', () => {
  it('parses and validates config.yaml into the typed config, with warnings as `path: reason (line N)`', () => {
    const r = loadConfigMap(cm('addressPools:\n  - name: main\n    addresses: [198.51.100.0/24]\n'));
    if (r.kind !== 'valid') throw new Error(JSON.stringify(r));
    expect(r.config.addressPools.map((p) => p.name)).toEqual(['main']);
    // No advertisement announces the pool: a warning, not an error.
    expect(r.warnings.length).toBeGreaterThan(0);
    for (const w of r.warnings) expect(w).toMatch(/^\S+: .+/);
    // The digest names the exact text: doctor compares it with what the programs say they run.
    expect(r.digest).toBe(configDigest('addressPools:\n  - name: main\n    addresses: [198.51.100.0/24]\n'));
    expect(r.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(configDigest('a: 1\n')).not.toBe(configDigest('a: 1 # same\n'));
  });

  it('reports every error with its path and line, and keeps missing apart from invalid', () => {
    const r = loadConfigMap(
      cm('addressPools:\n  - name: a\n    addresses: ["198.51.100.0/33"]\n  - name: a\n    addresses: []\n'),
    );
    if (r.kind !== 'invalid') throw new Error(JSON.stringify(r));
    expect(r.errors.some((e) => /^addressPools\[0\]\.addresses\[0\]: .* \(line 3\)$/.test(e))).toBe(true);
    expect(r.errors.some((e) => e.startsWith('addressPools[1]'))).toBe(true);
    expect(loadConfigMap(cm(undefined))).toEqual({
      kind: 'invalid',
      errors: ['data.config.yaml: key missing from the ConfigMap'],
    });
    expect(loadConfigMap(undefined)).toEqual({ kind: 'missing' });
    expect(missingConfigMapMessage('herald-system', 'herald-config')).toBe(
      'ConfigMap herald-system/herald-config does not exist',
    );
  });

  it('turns a throwing parser into an invalid config instead of a crash', () => {
    const r = loadConfigMap(cm('x'), 'config.yaml', () => {
      throw new Error('boom');
    });
    expect(r).toEqual({ kind: 'invalid', errors: ['config parser failed: boom'] });
  });
});

describe('configMapReflector', () => {
  it('lists and watches exactly the one ConfigMap, by field selector (what the RBAC resourceNames allow)', async () => {
    const lists: { path: string; req: unknown }[] = [];
    const watches: { path: string; query: Record<string, unknown> }[] = [];
    const r = configMapReflector({
      api: {
        list: async <T>(path: string, req: unknown) => {
          lists.push({ path, req });
          return { items: [cm('peers: []\n') as T], metadata: { resourceVersion: '3' } };
        },
      },
      namespace: 'herald-system',
      name: 'herald-config',
      watcher: {
        watch: async (path, query) => {
          watches.push({ path, query });
          return new AbortController();
        },
      },
      log: { debug: () => {}, warn: () => {} },
      clock: new FakeClock(),
    });
    r.start();
    await r.whenSynced();
    await new Promise((resolve) => setImmediate(resolve));
    r.stop();
    expect(lists).toEqual([
      {
        path: '/api/v1/namespaces/herald-system/configmaps',
        req: { limit: 500, continue: undefined, fieldSelector: 'metadata.name=herald-config' },
      },
    ]);
    expect(watches).toEqual([
      {
        path: '/api/v1/namespaces/herald-system/configmaps',
        query: expect.objectContaining({
          fieldSelector: 'metadata.name=herald-config',
          resourceVersion: '3',
        }),
      },
    ]);
    expect(r.get('herald-system/herald-config')?.data?.['config.yaml']).toBe('peers: []\n');
  });
});
