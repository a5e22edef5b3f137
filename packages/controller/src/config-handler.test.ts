import { configDigest } from '@herald/kube';
import { createLogger } from '@herald/kube/process';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { ConfigHandler } from './config-handler.ts';
import { createMetrics } from './metrics.ts';

const VALID_A = 'addressPools:\n  - name: a\n    addresses: [198.51.100.0/28]\n';
const VALID_B =
  'addressPools:\n  - name: b\n    addresses: [198.51.100.16/28]\n  - name: c\n    addresses: [198.51.100.32/28]\n';
const INVALID = 'addressPools:\n  - name: a\n    addresses: [198.51.100.0/33]\n';

function setup() {
  let cm: V1ConfigMap | undefined;
  let leading = false;
  let rv = 0;
  const applied: string[][] = [];
  const events: string[] = [];
  const metrics = createMetrics();
  const handler = new ConfigHandler({
    namespace: 'herald-system',
    name: 'herald-config',
    key: 'config.yaml',
    configMap: () => cm,
    leading: () => leading,
    applyPools: (pools) => applied.push(pools.map((p) => p.name)),
    recordEvent: (target, type, reason, message, action) =>
      events.push(`${target.kind} ${target.name} ${type} ${reason} ${action}: ${message}`),
    metrics,
    log: createLogger({ level: 'silent' }),
    now: () => 1_700_000_000_000,
  });
  const gauge = async (name: string) =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value;
  return {
    handler,
    applied,
    events,
    gauge,
    setText: (text: string | undefined) => {
      rv++;
      cm = {
        metadata: {
          name: 'herald-config',
          namespace: 'herald-system',
          uid: 'cm-uid',
          resourceVersion: String(rv),
        },
        data: text === undefined ? {} : { 'config.yaml': text },
      };
    },
    remove: () => {
      cm = undefined;
    },
    lead: () => {
      leading = true;
    },
  };
}

describe('ConfigHandler', () => {
  it('a standby loads and validates (ready), but only the leader applies pools and writes Events', async () => {
    const t = setup();
    t.setText(VALID_A);
    t.handler.reconcile();
    expect(t.handler.hasValidConfig).toBe(true);
    expect(t.applied).toEqual([]);
    expect(t.events).toEqual([]);
    expect(await t.gauge('herald_config_stale')).toBe(0);
    expect(await t.gauge('herald_config_loaded_timestamp_seconds')).toBe(1_700_000_000);

    // Standby saw two more versions; on becoming leader it converges to the one in force, once.
    t.setText(VALID_B);
    t.handler.reconcile();
    t.lead();
    t.handler.reconcile();
    t.handler.reconcile();
    expect(t.applied).toEqual([['b', 'c']]);
    expect(t.events).toEqual([]); // taking over is not a configuration change
  });

  it('the leader applies each new valid text once with ConfigLoaded; metadata-only updates do nothing', () => {
    const t = setup();
    t.lead();
    t.setText(VALID_A);
    t.handler.reconcile();
    t.setText(VALID_A); // new resourceVersion, same text (labels, annotations)
    t.handler.reconcile();
    t.setText(VALID_B);
    t.handler.reconcile();
    expect(t.applied).toEqual([['a'], ['b', 'c']]);
    expect(t.events).toEqual([
      'ConfigMap herald-config Normal ConfigLoaded Configure: configuration loaded: 1 address pool(s)',
      'ConfigMap herald-config Normal ConfigLoaded Configure: configuration loaded: 2 address pool(s)',
    ]);
  });

  it('an invalid, keyless or deleted ConfigMap keeps the last good configuration and is reported', async () => {
    const t = setup();
    t.lead();
    t.setText(INVALID);
    t.handler.reconcile();
    expect(t.handler.hasValidConfig).toBe(false);
    expect(t.events.at(-1)).toMatch(
      /^ConfigMap herald-config Warning ConfigInvalid Allocate: 1 error\(s\); no configuration in force yet: addressPools\[0\]\.addresses\[0\]: /,
    );
    expect(await t.gauge('herald_config_stale')).toBe(1);

    t.setText(VALID_A);
    t.handler.reconcile();
    t.setText(INVALID);
    t.handler.reconcile();
    expect(t.events.at(-1)).toContain('the last good configuration stays in force');
    t.setText(undefined);
    t.handler.reconcile();
    expect(t.events.at(-1)).toBe(
      'ConfigMap herald-config Warning ConfigInvalid Allocate: 1 error(s); the last good configuration stays in force: data.config.yaml: key missing from the ConfigMap',
    );
    const eventsBefore = t.events.length;
    t.remove();
    t.handler.reconcile(); // no object to put an Event on: log and metric only
    expect(t.events).toHaveLength(eventsBefore);
    expect(t.applied).toEqual([['a']]);
    expect(t.handler.hasValidConfig).toBe(true);
    expect(await t.gauge('herald_config_stale')).toBe(1);
  });

  it('status: the digest of the text in force; an invalid ConfigMap makes it stale with its errors', () => {
    const t = setup();
    expect(t.handler.status).toEqual({
      loaded: false,
      stale: false,
      errors: [],
      loadedAt: null,
      digest: null,
    });
    t.setText(VALID_A);
    t.handler.reconcile();
    expect(t.handler.status).toEqual({
      loaded: true,
      stale: false,
      errors: [],
      loadedAt: '2023-11-14T22:13:20.000Z',
      digest: configDigest(VALID_A),
    });
    t.setText(INVALID);
    t.handler.reconcile();
    expect(t.handler.status).toMatchObject({ loaded: true, stale: true, digest: configDigest(VALID_A) });
    expect(t.handler.status.errors).toEqual([expect.stringMatching(/^addressPools\[0\]\.addresses\[0\]: /)]);
  });
});
