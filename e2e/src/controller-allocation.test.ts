// herald-controller against a real kube-apiserver: allocation rules, Events for every failure cause, sharing,
// loadBalancerClass, type changes, deletes that move nothing, invalid and shrinking configs.

import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  type ControllerEnv,
  createLB,
  eventsFor,
  HERALD_NS,
  ingressIPs,
  metricsPort,
  metricValue,
  readService,
  scrape,
  startControllerEnv,
  waitFor,
  waitForEvent,
  waitForIPs,
} from './controller-harness.ts';
import { requireInfra } from './kube/index.ts';

const CONFIG = `
addressPools:
  - name: lab
    addresses: ["198.51.100.0/26"]
  - name: tiny
    addresses: ["198.51.100.128/31"]
    autoAssign: false
  - name: team
    addresses: ["198.51.100.144/28", "2001:db8:100::/64"]
    serviceAllocation:
      namespaces: [team]
      priority: 1
`;

const run = requireInfra({ binaries: ['kube-apiserver', 'etcd'] }, 'controller allocation e2e');
(run ? describe : describe.skip)('herald-controller allocation (real apiserver)', () => {
  let env: ControllerEnv;
  let port: number;

  beforeAll(async () => {
    env = await startControllerEnv(CONFIG);
    for (const ns of ['team', 'other']) await env.core.createNamespace({ body: { metadata: { name: ns } } });
    const proc = await env.startController([
      '--lease-duration',
      '4s',
      '--renew-deadline',
      '3s',
      '--retry-period',
      '500ms',
    ]);
    port = await metricsPort(proc);
  }, 120_000);
  afterAll(async () => {
    await env?.stop();
  });

  test('lowest free address, IPAllocated Event, pool annotation, written by herald-controller', async () => {
    await createLB(env.core, { name: 'first' });
    expect(await waitForIPs(env.core, 'first')).toEqual(['198.51.100.0']);
    const svc = await readService(env.core, 'first');
    expect(svc?.metadata?.annotations?.['herald.dev/ip-allocated-from-pool']).toBe('lab');
    const managers = (svc?.metadata?.managedFields ?? [])
      .filter((f) => f.subresource === 'status')
      .map((f) => f.manager);
    expect(managers).toEqual(['herald-controller']);
    const ev = await waitForEvent(env.core, 'default', 'first', 'IPAllocated', '198.51.100.0');
    expect(ev.reportingComponent).toBe('herald.dev/controller');
  });

  test('dual-stack Services get one address per family; pool choice by serviceAllocation', async () => {
    await createLB(env.core, {
      name: 'dual',
      namespace: 'team',
      spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'], ports: [{ port: 80 }] },
    });
    expect(await waitForIPs(env.core, 'dual', 'team', 2)).toEqual(['198.51.100.144', '2001:db8:100::']);
    await createLB(env.core, {
      name: 'v6first',
      namespace: 'team',
      spec: { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6', 'IPv4'], ports: [{ port: 80 }] },
    });
    expect(await waitForIPs(env.core, 'v6first', 'team', 2)).toEqual(['2001:db8:100::1', '198.51.100.145']);
  });

  test('requested address, requested pool, spec.loadBalancerIP', async () => {
    await createLB(env.core, {
      name: 'pinned',
      annotations: { 'herald.dev/loadBalancerIPs': '198.51.100.42' },
    });
    await createLB(env.core, {
      name: 'legacy',
      spec: { loadBalancerIP: '198.51.100.43', ports: [{ port: 80 }] },
    });
    await createLB(env.core, { name: 'from-tiny', annotations: { 'herald.dev/address-pool': 'tiny' } });
    expect(await waitForIPs(env.core, 'pinned')).toEqual(['198.51.100.42']);
    expect(await waitForIPs(env.core, 'legacy')).toEqual(['198.51.100.43']);
    expect(await waitForIPs(env.core, 'from-tiny')).toEqual(['198.51.100.128']);
  });

  test('every bad request gives AllocationFailed naming its cause, and the Service stays pending', async () => {
    const cases: [string, Parameters<typeof createLB>[1], string][] = [
      [
        'MalformedIP',
        { name: 'bad-ip', annotations: { 'herald.dev/loadBalancerIPs': '198.51.100.300' } },
        '198.51.100.300',
      ],
      [
        'NotInAnyPool',
        { name: 'outside', annotations: { 'herald.dev/loadBalancerIPs': '203.0.113.9' } },
        '203.0.113.9',
      ],
      ['UnknownPool', { name: 'no-pool', annotations: { 'herald.dev/address-pool': 'nope' } }, '"nope"'],
      [
        'FamilyMismatch',
        { name: 'wrong-family', annotations: { 'herald.dev/loadBalancerIPs': '2001:db8:100::99' } },
        'IPv6',
      ],
      [
        'IPInUse',
        { name: 'taken', annotations: { 'herald.dev/loadBalancerIPs': '198.51.100.0' } },
        'default/first',
      ],
      ['PoolNotAllowed', { name: 'not-team', annotations: { 'herald.dev/address-pool': 'team' } }, '"team"'],
      [
        'NoPoolMatches',
        {
          name: 'v6-outsider',
          spec: { ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 80 }] },
        },
        'IPv6',
      ],
      [
        'ConflictingRequest',
        {
          name: 'both-ways',
          annotations: { 'herald.dev/loadBalancerIPs': '198.51.100.50' },
          spec: { loadBalancerIP: '198.51.100.51', ports: [{ port: 80 }] },
        },
        'disagree',
      ],
    ];
    // Exhaust the 2-address pool "tiny" (from-tiny holds one).
    await createLB(env.core, { name: 'tiny-2', annotations: { 'herald.dev/address-pool': 'tiny' } });
    await waitForIPs(env.core, 'tiny-2');
    cases.push([
      'PoolExhausted',
      { name: 'tiny-3', annotations: { 'herald.dev/address-pool': 'tiny' } },
      '"tiny"',
    ]);
    for (const [, spec] of cases) await createLB(env.core, spec);
    for (const [cause, spec, mention] of cases) {
      const ev = await waitForEvent(env.core, 'default', spec.name, 'AllocationFailed', `${cause}:`);
      expect(ev.type).toBe('Warning');
      expect(ev.message).toContain(mention);
      expect(ingressIPs(await readService(env.core, spec.name))).toEqual([]);
    }
    expect(
      metricValue(await scrape(port), 'herald_allocation_failures_total{cause="IPInUse"}'),
    ).toBeGreaterThan(0);
  });

  test('a bad annotation on a Service that has an address keeps the address', async () => {
    await env.core.patchNamespacedService(
      {
        name: 'first',
        namespace: 'default',
        body: { metadata: { annotations: { 'herald.dev/loadBalancerIPs': 'garbage' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitForEvent(env.core, 'default', 'first', 'AllocationFailed', 'MalformedIP');
    expect(ingressIPs(await readService(env.core, 'first'))).toEqual(['198.51.100.0']);
  });

  test('sharing: same key and disjoint ports share; an overlapping port does not', async () => {
    const shared = (name: string, port: number, protocol = 'TCP') =>
      createLB(env.core, {
        name,
        annotations: { 'herald.dev/allow-shared-ip': 'dns', 'herald.dev/loadBalancerIPs': '198.51.100.53' },
        spec: { ports: [{ port, protocol }] },
      });
    await shared('dns-tcp', 53);
    await shared('dns-udp', 53, 'UDP');
    await shared('dns-clash', 53);
    expect(await waitForIPs(env.core, 'dns-tcp')).toEqual(['198.51.100.53']);
    expect(await waitForIPs(env.core, 'dns-udp')).toEqual(['198.51.100.53']);
    await waitForEvent(env.core, 'default', 'dns-clash', 'AllocationFailed', 'IPInUse');
    expect(ingressIPs(await readService(env.core, 'dns-clash'))).toEqual([]);
  });

  test('loadBalancerClass: a Service of another class is left alone', async () => {
    await createLB(env.core, {
      name: 'foreign',
      spec: { loadBalancerClass: 'example.com/other', ports: [{ port: 80 }] },
    });
    await createLB(env.core, { name: 'after-foreign' });
    await waitForIPs(env.core, 'after-foreign');
    expect(ingressIPs(await readService(env.core, 'foreign'))).toEqual([]);
    expect(await eventsFor(env.core, 'default', 'foreign')).toEqual([]);
  });

  test('deleting Services in the middle of the pool moves no other address; type change releases', async () => {
    const before = new Map<string, string[]>();
    for (let i = 0; i < 6; i++) await createLB(env.core, { name: `row-${i}` });
    for (let i = 0; i < 6; i++) before.set(`row-${i}`, await waitForIPs(env.core, `row-${i}`));
    await env.core.deleteNamespacedService({ name: 'row-2', namespace: 'default' });
    await env.core.deleteNamespacedService({ name: 'row-3', namespace: 'default' });
    await env.core.patchNamespacedService(
      { name: 'row-4', namespace: 'default', body: { spec: { type: 'ClusterIP' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitForEvent(env.core, 'default', 'row-4', 'IPReleased');
    await waitFor('annotation removed from row-4', async () => {
      const s = await readService(env.core, 'row-4');
      return s?.metadata?.annotations?.['herald.dev/ip-allocated-from-pool'] === undefined;
    });
    expect(ingressIPs(await readService(env.core, 'row-4'))).toEqual([]);
    // The freed addresses are reused lowest first; nobody else moved.
    await createLB(env.core, { name: 'refill' });
    expect(await waitForIPs(env.core, 'refill')).toEqual(before.get('row-2'));
    for (const i of [0, 1, 5])
      expect(ingressIPs(await readService(env.core, `row-${i}`))).toEqual(before.get(`row-${i}`));
  });

  test('invalid ConfigMap: every error in one Event, stale metric, last good config still allocates', async () => {
    await env.setConfig(`
addressPools:
  - name: lab
    addresses: ["198.51.100.0/33", "198.51.100.7/24"]
    autoAsign: false
  - name: lab
    addresses: ["198.51.100.30-198.51.100.20"]
`);
    const ev = await waitForEvent(env.core, HERALD_NS, 'herald-config', 'ConfigInvalid');
    expect(ev.type).toBe('Warning');
    expect(ev.message).toContain('addressPools[0].addresses[0]');
    expect(ev.message).toContain('addressPools[0].addresses[1]');
    expect(ev.message).toContain('autoAsign');
    expect(ev.message).toContain('addressPools[1].addresses[0]');
    expect(ev.message).toContain('duplicate');
    expect(ev.message).toContain('last good configuration stays in force');
    await waitFor(
      'herald_config_stale 1',
      async () => metricValue(await scrape(port), 'herald_config_stale') === 1,
    );
    await createLB(env.core, { name: 'during-invalid' });
    expect((await waitForIPs(env.core, 'during-invalid'))[0]).toMatch(/^198\.51\.100\.\d+$/);
    await env.setConfig(CONFIG);
    await waitFor(
      'herald_config_stale 0',
      async () => metricValue(await scrape(port), 'herald_config_stale') === 0,
    );
  });

  test('a config change leaving an address outside every pool keeps it, with IPOutsidePools; autoAssign:false only', async () => {
    const ip = ingressIPs(await readService(env.core, 'first'))[0]!;
    expect(ip).toBe('198.51.100.0');
    await env.setConfig(`
addressPools:
  - name: lab
    addresses: ["198.51.100.1-198.51.100.63"]
    autoAssign: false
`);
    await waitForEvent(env.core, 'default', 'first', 'IPOutsidePools', '198.51.100.0');
    expect(ingressIPs(await readService(env.core, 'first'))).toEqual(['198.51.100.0']);
    await waitFor('herald_addresses_outside_pools >= 1', async () => {
      const v = metricValue(await scrape(port), 'herald_addresses_outside_pools');
      return v !== undefined && v >= 1;
    });
    await createLB(env.core, { name: 'manual-only' });
    await waitForEvent(env.core, 'default', 'manual-only', 'AllocationFailed', 'AutoAssignDisabled');
    await createLB(env.core, {
      name: 'wants-orphan',
      annotations: { 'herald.dev/loadBalancerIPs': '198.51.100.0' },
    });
    await waitForEvent(env.core, 'default', 'wants-orphan', 'AllocationFailed', 'NotInAnyPool');
    // Back to the original config: the address is in a pool again and still held by "first".
    await env.setConfig(CONFIG);
    expect(await waitForIPs(env.core, 'manual-only')).not.toContain('198.51.100.0');
    expect(ingressIPs(await readService(env.core, 'first'))).toEqual(['198.51.100.0']);
  });
});
