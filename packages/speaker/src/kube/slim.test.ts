import { buildNodeContext, decideService } from '../announce/decide.ts';
import { poolRange } from '../testing/pool-range.ts';
import { slimEndpointSlice, slimService } from './slim.ts';

describe('slim objects', () => {
  it('keep every field the decision reads: same decision before and after slimming', () => {
    const svc = {
      metadata: {
        name: 's',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '7',
        annotations: { big: 'x'.repeat(1000), 'herald.dev/bgp-communities': '64512:7' },
        managedFields: [{ manager: 'kubectl' }],
      },
      spec: {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        publishNotReadyAddresses: true,
        ports: [{ port: 80 }],
      },
      status: { loadBalancer: { ingress: [{ ip: '198.51.100.1', ipMode: 'VIP' }] } },
    };
    const slice = {
      metadata: {
        name: 's-1',
        namespace: 'ns',
        resourceVersion: '8',
        labels: { 'kubernetes.io/service-name': 's', other: 'y' },
      },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.0.0.1'], nodeName: 'n1', conditions: { ready: false }, targetRef: { kind: 'Pod' } },
      ],
      ports: [{ port: 8080 }],
    };
    const ctx = buildNodeContext({
      nodeName: 'n1',
      node: { metadata: { name: 'n1' } },
      config: {
        pools: [{ name: 'p', ranges: [poolRange('198.51.100.0/24')] }],
        peers: [{ name: 'r', internal: false, nodeSelectors: [] }],
        advertisements: [
          {
            name: 'a',
            pools: [],
            peers: [],
            nodeSelectors: [],
            communities: [],
            largeCommunities: [],
            serviceAttributes: {
              communities: [{ text: '64512:*', asn: 64512, value: undefined }],
              largeCommunities: [],
              localPref: undefined,
            },
          },
        ],
      },
      match: () => true,
    });
    const full = decideService(svc, [slice], ctx);
    const slim = decideService(slimService(svc as never), [slimEndpointSlice(slice as never)], ctx);
    expect(full.routes).toHaveLength(1);
    expect(full.routes[0]?.attributes.communities).toEqual(['64512:7']);
    expect(slim).toEqual(full);
    expect(JSON.stringify(slimService(svc as never))).not.toContain('managedFields');
    expect(slimService(svc as never).metadata?.annotations).toEqual({
      'herald.dev/bgp-communities': '64512:7',
    });
    expect(slimService({ metadata: { annotations: { big: 'x' } } }).metadata?.annotations).toBeUndefined();
    expect(slimEndpointSlice(slice as never).metadata?.labels).toEqual({ 'kubernetes.io/service-name': 's' });
  });
});
