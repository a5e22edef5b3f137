// herald-controller against a real kube-apiserver: allocation rules, Events for every failure cause, sharing,
// loadBalancerClass, type changes, deletes that move nothing, invalid and shrinking configs.

import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { CONFIG_MAP, HERALD_NAMESPACE } from './constants.ts';
import { eventually } from './eventually.ts';
import { describeWith } from './kube/index.ts';
import {
  createNamespace,
  createService,
  eventsFor,
  type HeraldSystem,
  ingressIPs,
  readService,
  type ServiceInput,
  startSystem,
  valuesWithConfig,
  waitForEvent,
  waitForIngress,
  withLeaderElection,
} from './system/index.ts';

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

/** One value of a Prometheus text exposition, by name with labels (`name{label="v"}`). */
function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describeWith(
  { binaries: ['kube-apiserver', 'etcd', 'helm'] },
  'herald-controller allocation (real apiserver)',
  () => {
    let sys: HeraldSystem;
    const scrape = () => sys.controllerMetrics(sys.controllers[0]!.index);

    beforeAll(async () => {
      const timings = { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '500ms' };
      sys = await startSystem({
        nodes: 0,
        controllers: 1,
        values: withLeaderElection(valuesWithConfig(CONFIG), timings),
      });
      for (const ns of ['team', 'other']) await createNamespace(sys.core, ns);
    }, 120_000);
    afterAll(async () => {
      await sys?.stop();
    });

    test('lowest free address, IPAllocated Event, pool annotation, written by herald-controller', async () => {
      await createService(sys.core, 'first');
      expect(await waitForIngress(sys.core, 'first')).toEqual(['198.51.100.0']);
      const svc = await readService(sys.core, 'first');
      expect(svc?.metadata?.annotations?.['herald.dev/ip-allocated-from-pool']).toBe('lab');
      const managers = (svc?.metadata?.managedFields ?? [])
        .filter((f) => f.subresource === 'status')
        .map((f) => f.manager);
      expect(managers).toEqual(['herald-controller']);
      const ev = await waitForEvent(sys.core, 'default', 'first', 'IPAllocated', '198.51.100.0');
      expect(ev.reportingComponent).toBe('herald.dev/controller');
    });

    test('dual-stack Services get one address per family; pool choice by serviceAllocation', async () => {
      await createService(sys.core, 'dual', {
        namespace: 'team',
        spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'], ports: [{ port: 80 }] },
      });
      expect(await waitForIngress(sys.core, 'dual', { namespace: 'team', count: 2 })).toEqual([
        '198.51.100.144',
        '2001:db8:100::',
      ]);
      await createService(sys.core, 'v6first', {
        namespace: 'team',
        spec: { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6', 'IPv4'], ports: [{ port: 80 }] },
      });
      expect(await waitForIngress(sys.core, 'v6first', { namespace: 'team', count: 2 })).toEqual([
        '2001:db8:100::1',
        '198.51.100.145',
      ]);
    });

    test('requested address, requested pool, spec.loadBalancerIP', async () => {
      await createService(sys.core, 'pinned', {
        annotations: { 'herald.dev/loadBalancerIPs': '198.51.100.42' },
      });
      await createService(sys.core, 'legacy', {
        spec: { loadBalancerIP: '198.51.100.43', ports: [{ port: 80 }] },
      });
      await createService(sys.core, 'from-tiny', { annotations: { 'herald.dev/address-pool': 'tiny' } });
      expect(await waitForIngress(sys.core, 'pinned')).toEqual(['198.51.100.42']);
      expect(await waitForIngress(sys.core, 'legacy')).toEqual(['198.51.100.43']);
      expect(await waitForIngress(sys.core, 'from-tiny')).toEqual(['198.51.100.128']);
    });

    test('every bad request gives AllocationFailed naming its cause, and the Service stays pending', async () => {
      const cases: [string, { name: string } & ServiceInput, string][] = [
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
        [
          'PoolNotAllowed',
          { name: 'not-team', annotations: { 'herald.dev/address-pool': 'team' } },
          '"team"',
        ],
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
      await createService(sys.core, 'tiny-2', { annotations: { 'herald.dev/address-pool': 'tiny' } });
      await waitForIngress(sys.core, 'tiny-2');
      cases.push([
        'PoolExhausted',
        { name: 'tiny-3', annotations: { 'herald.dev/address-pool': 'tiny' } },
        '"tiny"',
      ]);
      for (const [, { name, ...input }] of cases) await createService(sys.core, name, input);
      for (const [cause, spec, mention] of cases) {
        const ev = await waitForEvent(sys.core, 'default', spec.name, 'AllocationFailed', `${cause}:`);
        expect(ev.type).toBe('Warning');
        expect(ev.message).toContain(mention);
        expect(ingressIPs(await readService(sys.core, spec.name))).toEqual([]);
      }
      expect(
        metricValue(await scrape(), 'herald_allocation_failures_total{cause="IPInUse"}'),
      ).toBeGreaterThan(0);
    });

    test('a bad annotation on a Service that has an address keeps the address', async () => {
      await sys.core.patchNamespacedService(
        {
          name: 'first',
          namespace: 'default',
          body: { metadata: { annotations: { 'herald.dev/loadBalancerIPs': 'garbage' } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await waitForEvent(sys.core, 'default', 'first', 'AllocationFailed', 'MalformedIP');
      expect(ingressIPs(await readService(sys.core, 'first'))).toEqual(['198.51.100.0']);
    });

    test('sharing: same key and disjoint ports share; an overlapping port does not', async () => {
      const shared = (name: string, port: number, protocol = 'TCP') =>
        createService(sys.core, name, {
          annotations: { 'herald.dev/allow-shared-ip': 'dns', 'herald.dev/loadBalancerIPs': '198.51.100.53' },
          spec: { ports: [{ port, protocol }] },
        });
      await shared('dns-tcp', 53);
      await shared('dns-udp', 53, 'UDP');
      await shared('dns-clash', 53);
      expect(await waitForIngress(sys.core, 'dns-tcp')).toEqual(['198.51.100.53']);
      expect(await waitForIngress(sys.core, 'dns-udp')).toEqual(['198.51.100.53']);
      await waitForEvent(sys.core, 'default', 'dns-clash', 'AllocationFailed', 'IPInUse');
      expect(ingressIPs(await readService(sys.core, 'dns-clash'))).toEqual([]);
    });

    test('loadBalancerClass: a Service of another class is left alone', async () => {
      await createService(sys.core, 'foreign', {
        spec: { loadBalancerClass: 'example.com/other', ports: [{ port: 80 }] },
      });
      await createService(sys.core, 'after-foreign');
      await waitForIngress(sys.core, 'after-foreign');
      expect(ingressIPs(await readService(sys.core, 'foreign'))).toEqual([]);
      // Herald says nothing about it. (The apiserver's own ClusterIP repair loop may report on any Service.)
      const herald = (await eventsFor(sys.core, 'default', 'foreign')).filter(
        (e) => e.source?.component === 'herald-controller',
      );
      expect(herald).toEqual([]);
    });

    test('deleting Services in the middle of the pool moves no other address; type change releases', async () => {
      const before = new Map<string, string[]>();
      for (let i = 0; i < 6; i++) await createService(sys.core, `row-${i}`);
      for (let i = 0; i < 6; i++) before.set(`row-${i}`, await waitForIngress(sys.core, `row-${i}`));
      await sys.core.deleteNamespacedService({ name: 'row-2', namespace: 'default' });
      await sys.core.deleteNamespacedService({ name: 'row-3', namespace: 'default' });
      await sys.core.patchNamespacedService(
        { name: 'row-4', namespace: 'default', body: { spec: { type: 'ClusterIP' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await waitForEvent(sys.core, 'default', 'row-4', 'IPReleased');
      await eventually('annotation removed from row-4', async () => {
        const s = await readService(sys.core, 'row-4');
        return s?.metadata?.annotations?.['herald.dev/ip-allocated-from-pool'] === undefined;
      });
      expect(ingressIPs(await readService(sys.core, 'row-4'))).toEqual([]);
      // The freed addresses are reused lowest first; nobody else moved.
      await createService(sys.core, 'refill');
      expect(await waitForIngress(sys.core, 'refill')).toEqual(before.get('row-2'));
      for (const i of [0, 1, 5])
        expect(ingressIPs(await readService(sys.core, `row-${i}`))).toEqual(before.get(`row-${i}`));
    });

    test('invalid ConfigMap: every error in one Event, stale metric, last good config still allocates', async () => {
      await sys.setConfig(`
addressPools:
  - name: lab
    addresses: ["198.51.100.0/33", "198.51.100.7/24"]
    autoAsign: false
  - name: lab
    addresses: ["198.51.100.30-198.51.100.20"]
`);
      const ev = await waitForEvent(sys.core, HERALD_NAMESPACE, CONFIG_MAP, 'ConfigInvalid');
      expect(ev.type).toBe('Warning');
      expect(ev.message).toContain('addressPools[0].addresses[0]');
      expect(ev.message).toContain('addressPools[0].addresses[1]');
      expect(ev.message).toContain('autoAsign');
      expect(ev.message).toContain('addressPools[1].addresses[0]');
      expect(ev.message).toContain('duplicate');
      expect(ev.message).toContain('last good configuration stays in force');
      await eventually(
        'herald_config_stale 1',
        async () => metricValue(await scrape(), 'herald_config_stale') === 1,
      );
      await createService(sys.core, 'during-invalid');
      expect((await waitForIngress(sys.core, 'during-invalid'))[0]).toMatch(/^198\.51\.100\.\d+$/);
      await sys.setConfig(CONFIG);
      await eventually(
        'herald_config_stale 0',
        async () => metricValue(await scrape(), 'herald_config_stale') === 0,
      );
    });

    test('a config change leaving an address outside every pool keeps it, with IPOutsidePools; autoAssign:false only', async () => {
      const ip = ingressIPs(await readService(sys.core, 'first'))[0]!;
      expect(ip).toBe('198.51.100.0');
      await sys.setConfig(`
addressPools:
  - name: lab
    addresses: ["198.51.100.1-198.51.100.63"]
    autoAssign: false
`);
      await waitForEvent(sys.core, 'default', 'first', 'IPOutsidePools', '198.51.100.0');
      expect(ingressIPs(await readService(sys.core, 'first'))).toEqual(['198.51.100.0']);
      await eventually('herald_addresses_outside_pools >= 1', async () => {
        const v = metricValue(await scrape(), 'herald_addresses_outside_pools');
        return v !== undefined && v >= 1;
      });
      await createService(sys.core, 'manual-only');
      await waitForEvent(sys.core, 'default', 'manual-only', 'AllocationFailed', 'AutoAssignDisabled');
      await createService(sys.core, 'wants-orphan', {
        annotations: { 'herald.dev/loadBalancerIPs': '198.51.100.0' },
      });
      await waitForEvent(sys.core, 'default', 'wants-orphan', 'AllocationFailed', 'NotInAnyPool');
      // Back to the original config: the address is in a pool again and still held by "first".
      await sys.setConfig(CONFIG);
      expect(await waitForIngress(sys.core, 'manual-only')).not.toContain('198.51.100.0');
      expect(ingressIPs(await readService(sys.core, 'first'))).toEqual(['198.51.100.0']);
    });
  },
);
