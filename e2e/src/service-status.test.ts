// Where operators and GitOps tools look: the Service itself. herald-controller against a real kube-apiserver
// writes the herald.dev/AddressAllocated condition (metav1.Condition semantics) in the same status write as the
// address, sets ipMode explicitly (VIP, or Proxy on request — KEP-1860), leaves other writers' conditions alone,
// and reports unknown or invalid herald.dev/ annotations with one InvalidAnnotation Event.

import {
  PatchStrategy,
  setHeaderOptions,
  type V1Condition,
  type V1Service,
  Watch,
} from '@kubernetes/client-node';
import { eventually } from './eventually.ts';
import { describeWith } from './kube/index.ts';
import {
  createService,
  type HeraldSystem,
  readService,
  startSystem,
  valuesWithConfig,
  waitForEvent,
  waitForIngress,
} from './system/index.ts';

const CONFIG = `
addressPools:
  - name: lab
    addresses: ["198.51.100.0/28"]
  - name: single
    addresses: ["198.51.100.200/32"]
    autoAssign: false
`;

const ALLOCATED = 'herald.dev/AddressAllocated';

const condition = (svc: V1Service | undefined): V1Condition | undefined =>
  svc?.status?.conditions?.find((c) => c.type === ALLOCATED);

describeWith(
  { binaries: ['kube-apiserver', 'etcd', 'helm'] },
  'Service status written by herald-controller',
  () => {
    let sys: HeraldSystem;
    const read = (name: string) => readService(sys.core, name);
    const waitForCondition = (name: string, status: string, reason: string) =>
      eventually(`${name}: ${ALLOCATED} ${status}/${reason}`, async () => {
        const c = condition(await read(name));
        return c?.status === status && c.reason === reason && c;
      });
    const annotate = (name: string, annotations: Record<string, string | null>) =>
      sys.core.patchNamespacedService(
        { name, namespace: 'default', body: { metadata: { annotations } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );

    beforeAll(async () => {
      sys = await startSystem({ nodes: 0, controllers: 1, values: valuesWithConfig(CONFIG) });
    }, 120_000);
    afterAll(async () => {
      await sys?.stop();
    });

    test('address, ipMode VIP and AddressAllocated arrive in one write: no version shows one without the other', async () => {
      const versions: V1Service[] = [];
      const watch = await new Watch(sys.cp.kubeConfig).watch(
        '/api/v1/namespaces/default/services',
        { fieldSelector: 'metadata.name=atomic' },
        (_type: string, obj: V1Service) => versions.push(obj),
        () => undefined,
      );
      try {
        await createService(sys.core, 'atomic');
        await waitForCondition('atomic', 'True', 'Allocated');
        await eventually('the watch saw the allocated version', () =>
          versions.some((v) => (v.status?.loadBalancer?.ingress ?? []).length > 0),
        );
      } finally {
        watch.abort();
      }
      const withAddress = versions.filter((v) => (v.status?.loadBalancer?.ingress ?? []).length > 0);
      expect(withAddress.map((v) => condition(v)?.status)).toEqual(withAddress.map(() => 'True'));
      const svc = (await read('atomic'))!;
      expect(svc.status?.loadBalancer?.ingress).toEqual([{ ip: '198.51.100.0', ipMode: 'VIP' }]);
      const c = condition(svc)!;
      expect(c).toMatchObject({
        status: 'True',
        reason: 'Allocated',
        message: 'Assigned 198.51.100.0 from pool "lab"',
      });
      expect(c.lastTransitionTime).toBeInstanceOf(Date);
      // kube-apiserver keeps no metadata.generation for Services, so there is no generation to observe: the
      // optional observedGeneration is left out rather than invented.
      expect(svc.metadata?.generation).toBeUndefined();
      expect(c.observedGeneration).toBeUndefined();
    });

    test('False with the failure cause while pending, True when an address frees up; the transition time moves only with the status', async () => {
      const pinned = { annotations: { 'herald.dev/address-pool': 'single' } };
      await createService(sys.core, 'holder', pinned);
      await waitForCondition('holder', 'True', 'Allocated');
      await createService(sys.core, 'waiter', pinned);
      const pending = await waitForCondition('waiter', 'False', 'PoolExhausted');
      expect(pending.message).toMatch(/^PoolExhausted: .*\(the Service stays pending\)$/);
      expect((await read('waiter'))?.status?.loadBalancer?.ingress ?? []).toEqual([]);

      // Another writer's condition on the same Service survives every write of ours (strategic merge by type).
      await sys.core.patchNamespacedServiceStatus(
        {
          name: 'waiter',
          namespace: 'default',
          body: {
            status: {
              conditions: [
                {
                  type: 'example.com/Reviewed',
                  status: 'True',
                  reason: 'Manual',
                  message: 'looked at it',
                  lastTransitionTime: '2026-01-01T00:00:00Z',
                },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      // Another failure while still False (a pool that does not exist): reason and message change, the
      // transition time does not.
      await annotate('waiter', { 'herald.dev/address-pool': 'singel' });
      const unknown = await waitForCondition('waiter', 'False', 'UnknownPool');
      expect(unknown.message).toBe(
        'UnknownPool: herald.dev/address-pool: address pool "singel" does not exist; did you mean "single"? (the Service stays pending)',
      );
      expect(unknown.lastTransitionTime).toEqual(pending.lastTransitionTime);
      await annotate('waiter', { 'herald.dev/address-pool': 'single' });
      await waitForCondition('waiter', 'False', 'PoolExhausted');

      // Transition times have whole seconds: let one pass so the transition below is visible in them.
      await eventually('a new second', () => Date.now() >= pending.lastTransitionTime.getTime() + 1000);
      await sys.core.deleteNamespacedService({ name: 'holder', namespace: 'default' });
      const allocated = await waitForCondition('waiter', 'True', 'Allocated');
      expect(allocated.lastTransitionTime.getTime()).toBeGreaterThanOrEqual(
        pending.lastTransitionTime.getTime(),
      );
      expect(allocated.message).toBe('Assigned 198.51.100.200 from pool "single"');
      const types = (await read('waiter'))?.status?.conditions?.map((c) => c.type).sort();
      expect(types).toEqual(['example.com/Reviewed', ALLOCATED]);

      // No longer a LoadBalancer: our condition goes, the other stays.
      await sys.core.patchNamespacedService(
        { name: 'waiter', namespace: 'default', body: { spec: { type: 'ClusterIP' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await eventually('AddressAllocated removed, the other condition kept', async () => {
        const svc = await read('waiter');
        return (svc?.status?.conditions ?? []).map((c) => c.type).join() === 'example.com/Reviewed';
      });
    });

    test('herald.dev/ip-mode: Proxy is written and accepted by the apiserver; an invalid value is reported and changes nothing', async () => {
      await createService(sys.core, 'proxied', { annotations: { 'herald.dev/ip-mode': 'Proxy' } });
      const [ip] = await waitForIngress(sys.core, 'proxied');
      expect((await read('proxied'))?.status?.loadBalancer?.ingress).toEqual([{ ip, ipMode: 'Proxy' }]);

      await annotate('proxied', { 'herald.dev/ip-mode': 'proxy' });
      const ev = await waitForEvent(sys.core, 'default', 'proxied', 'InvalidAnnotation', 'ip-mode');
      expect(ev.type).toBe('Warning');
      expect(ev.message).toBe('herald.dev/ip-mode: "proxy" is not one of VIP, Proxy; did you mean "Proxy"?');
      expect((await read('proxied'))?.status?.loadBalancer?.ingress).toEqual([{ ip, ipMode: 'Proxy' }]);

      await annotate('proxied', { 'herald.dev/ip-mode': null });
      await eventually('ipMode back to VIP', async () => {
        const ingress = (await read('proxied'))?.status?.loadBalancer?.ingress;
        return ingress?.[0]?.ipMode === 'VIP';
      });
    });

    test('an unknown herald.dev/ key gets a Warning naming the closest known key; the Service is served meanwhile', async () => {
      await createService(sys.core, 'typo', { annotations: { 'herald.dev/adress-pool': 'single' } });
      const ev = await waitForEvent(sys.core, 'default', 'typo', 'InvalidAnnotation');
      expect(ev).toMatchObject({
        type: 'Warning',
        reportingComponent: 'herald.dev/controller',
        message:
          'herald.dev/adress-pool: unknown annotation, ignored; did you mean "herald.dev/address-pool"?',
      });
      // Ignored means ignored: the address comes from the default choice, and the condition says so.
      await waitForCondition('typo', 'True', 'Allocated');
      expect(condition(await read('typo'))?.message).toMatch(/from pool "lab"$/);
    });
  },
);
