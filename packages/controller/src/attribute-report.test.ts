import { annotations, type HeraldConfig, validateConfig } from '@herald/config';
import { parseAddressRange } from '@herald/inet';
import { createLogger } from '@herald/kube/process';
import type { V1Service } from '@kubernetes/client-node';
import { Allocator } from './allocator/index.ts';
import { AttributeRefusalReporter } from './attribute-report.ts';
import { createMetrics } from './metrics.ts';
import { Reconciler } from './reconciler.ts';
import { applyStatusPatch } from './testing/status-patch.ts';

function config(): HeraldConfig {
  const r = validateConfig({
    addressPools: [{ name: 'main', addresses: ['198.51.100.0/30'] }],
    peers: [{ name: 'tor', peerAddress: '203.0.113.1', peerASN: 64500, myASN: 64501 }],
    bgpAdvertisements: [{ name: 'tors', serviceAttributes: { communities: ['64501:*'] } }],
  });
  if (!r.ok) throw new Error('config');
  return r.config;
}

const service = (anns: Record<string, string>): V1Service => ({
  metadata: { namespace: 'shop', name: 'web', uid: 'u', resourceVersion: '1', annotations: anns },
  spec: { type: 'LoadBalancer', ipFamilies: ['IPv4'], ports: [{ port: 80, protocol: 'TCP' }] },
  status: { loadBalancer: {} },
});

/** A Reconciler with the reporter wired as controller.ts wires it, over an in-memory Service. */
function setup(loaded = true) {
  const cfg: HeraldConfig | undefined = loaded ? config() : undefined;
  let svc = service({});
  const events: string[] = [];
  const allocator = new Allocator();
  const reconciler = new Reconciler({
    allocator,
    getService: () => svc,
    namespaceLabels: () => ({}),
    writeStatus: async (_s, patch) => {
      svc = applyStatusPatch(svc, patch);
    },
    recordEvent: () => {},
    metrics: createMetrics(),
    log: createLogger({ level: 'silent' }),
    loadBalancerClass: undefined,
    onAddressesFreed: () => {},
    attributes: new AttributeRefusalReporter({
      config: () => cfg,
      recordEvent: (target, type, reason, message) =>
        events.push(`${target.name} ${type} ${reason}: ${message}`),
    }),
  });
  const r = parseAddressRange('198.51.100.0/30');
  if (!r.ok) throw new Error(r.reason);
  reconciler.applyPools([
    {
      name: 'main',
      addresses: [r.range],
      autoAssign: true,
      avoidBuggyIPs: false,
      serviceAllocation: undefined,
    },
  ]);
  return {
    events,
    reconcile: () => reconciler.reconcile('shop/web'),
    annotate: (anns: Record<string, string>) => {
      svc = { ...svc, metadata: { ...svc.metadata, annotations: anns } };
    },
  };
}

describe('BGPAttributesRefused', () => {
  it('is written once per change of what is refused, on the Service, naming each value and why', async () => {
    const t = setup();
    await t.reconcile();
    expect(t.events).toEqual([]);
    t.annotate({ [annotations.bgpCommunities]: '64501:7,65000:1', [annotations.bgpLocalPref]: '200' });
    await t.reconcile();
    await t.reconcile(); // the same refusal again: no new Event
    expect(t.events).toEqual([
      'web Warning BGPAttributesRefused: not sent to any router (the Service\'s routes are announced without them): herald.dev/bgp-communities 65000:1: not allowed by bgpAdvertisement "tors" (serviceAttributes.communities: 64501:*); herald.dev/bgp-local-pref 200: not allowed by bgpAdvertisement "tors" (it has no serviceAttributes.localPref)',
    ]);
    t.annotate({ [annotations.bgpCommunities]: '64501:7' }); // all allowed now: nothing to say
    await t.reconcile();
    t.annotate({ [annotations.bgpCommunities]: 'nonsense' });
    await t.reconcile();
    expect(t.events).toHaveLength(2);
    expect(t.events[1]).toMatch(/bgp-communities nonsense: not a community/);
  });

  it('says nothing before a configuration is in force', async () => {
    const t = setup(false);
    t.annotate({ [annotations.bgpCommunities]: '65000:1' });
    await t.reconcile();
    expect(t.events).toEqual([]);
  });
});
