// The lab's wiring. All of it lives inside namespaces created here: the router namespace holds a bridge
// (the lab "switch") with one veth per node, so the root namespace never sees a lab interface or address.
//
// Addressing (documentation ranges only):
//   node link    203.0.113.0/25        router .1 on the bridge, nodes .11, .12, …
//                2001:db8:1::/65       router ::1, nodes ::11, ::12, …
//   client link  203.0.113.128/25      router .129, client .130   (behind the router; router forwards)
//                2001:db8:1:0:8000::/65 router …8000::1, client …8000::2
//   or, for layer-2 mode, the client on the node link itself (the bridge): 203.0.113.120, 2001:db8:1::120,
//   with the LoadBalancer ranges on-link, so it resolves a VIP with ARP / Neighbor Discovery.
//   far link     203.0.113.248/30      hop .249, far .250  (createFarNode: one more router on the way;
//                2001:db8:1:0:c000::/126 hop …c000::1, far …c000::2   the hop is .110 / ::110 on the switch)
//   sink link    203.0.113.244/30      node .245, sink .246 (createSinkRoute: a route that leads nowhere)
//   pods         198.19.<i>.0/24       node i .1, its pod .10 (optional; IPv4 only; inside 198.18.0.0/15); each
//                                      node routes the other nodes' pod subnets via their node address (host-gw)
import { run, runIn } from './exec.ts';

export const ROUTER_IPV4 = '203.0.113.1';
export const ROUTER_IPV6 = '2001:db8:1::1';
export const CLIENT_ROUTER_IPV4 = '203.0.113.129';
export const CLIENT_ROUTER_IPV6 = '2001:db8:1:0:8000::1';
export const CLIENT_IPV4 = '203.0.113.130';
export const CLIENT_IPV6 = '2001:db8:1:0:8000::2';
export const MAX_NODES = 100; // .11 … .110 stays inside 203.0.113.0/25
export const SEGMENT_CLIENT_IPV4 = '203.0.113.120';
export const SEGMENT_CLIENT_IPV6 = '2001:db8:1::120';
/** The LoadBalancer ranges (constants.ts pools lie inside), on-link on the segment in layer-2 mode. */
export const POOL_RANGES = { ipv4: '198.51.100.0/24', ipv6: '2001:db8:100::/64' } as const;

export function nodeIpv4(index: number): string {
  return `203.0.113.${11 + index}`;
}
export function nodeIpv6(index: number): string {
  return `2001:db8:1::${(11 + index).toString(10)}`;
}
/** The pod on node INDEX (with `pods`): what EndpointSlices name as the endpoint on that node. */
export function podIpv4(index: number): string {
  return `198.19.${index}.10`;
}
const podSubnet = (index: number) => `198.19.${index}.0/24`;
const podGateway = (index: number) => `198.19.${index}.1`;

let counter = 0;
/** A namespace-name prefix unique to this process and call: `hl<pid>x<n>`. */
export function uniqueLabId(): string {
  counter += 1;
  return `hl${process.pid}x${counter}`;
}

export interface LabNamespace {
  /** Network namespace name (`ip netns`). */
  ns: string;
  ipv4: string;
  ipv6: string;
}

export async function createNetworkNamespace(ns: string): Promise<void> {
  await run('ip', ['netns', 'add', ns]);
  await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
}

export async function deleteNamespace(ns: string): Promise<void> {
  await run('ip', ['netns', 'del', ns], { allowFailure: true });
}

async function addAddress(ns: string, dev: string, cidr: string): Promise<void> {
  // nodad: the lab link is ours alone, and DAD would delay IPv6 sessions by ~2 s.
  const extra = cidr.includes(':') ? ['nodad'] : [];
  await run('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', dev, ...extra]);
}

/**
 * A veth pair made directly inside the two lab namespaces (nothing ever appears in the root namespace), both
 * ends up; `aMaster` enslaves the `a` end to a bridge there (the lab switch).
 */
async function vethPair(aNs: string, aIf: string, bNs: string, bIf: string, aMaster?: string): Promise<void> {
  await run('ip', ['-n', aNs, 'link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf, 'netns', bNs]);
  await run('ip', ['-n', aNs, 'link', 'set', aIf, ...(aMaster ? ['master', aMaster] : []), 'up']);
  await run('ip', ['-n', bNs, 'link', 'set', bIf, 'up']);
}

/** IPv4 and IPv6 forwarding, only inside this namespace. */
async function enableForwarding(ns: string): Promise<void> {
  await runIn(ns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  await runIn(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
}

export async function createRouterNamespace(ns: string): Promise<void> {
  await createNetworkNamespace(ns);
  await run('ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
  await run('ip', ['-n', ns, 'link', 'set', 'br0', 'up']);
  await addAddress(ns, 'br0', `${ROUTER_IPV4}/25`);
  await addAddress(ns, 'br0', `${ROUTER_IPV6}/65`);
  // Forwarding only inside the router namespace (the client link is reached through it).
  await enableForwarding(ns);
}

/** A node namespace with `eth0` whose peer `n<i>` (inside the router namespace) is enslaved to the bridge. */
export function createNodeNamespace(routerNs: string, ns: string, index: number): Promise<LabNamespace> {
  return createSegmentHost(routerNs, ns, `n${index}`, nodeIpv4(index), nodeIpv6(index));
}

/** A namespace on the node segment: `eth0`, its peer PORT in the router namespace's bridge, default via the router. */
async function createSegmentHost(
  routerNs: string,
  ns: string,
  port: string,
  ipv4: string,
  ipv6: string,
): Promise<LabNamespace> {
  await createNetworkNamespace(ns);
  await vethPair(routerNs, port, ns, 'eth0', 'br0');
  await addAddress(ns, 'eth0', `${ipv4}/25`);
  await addAddress(ns, 'eth0', `${ipv6}/65`);
  await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', ROUTER_IPV4]);
  await run('ip', ['-n', ns, '-6', 'route', 'add', 'default', 'via', ROUTER_IPV6]);
  return { ns, ipv4, ipv6 };
}

/** A client namespace on its own link behind the router, to send traffic to announced addresses. */
export async function createClientNamespace(routerNs: string, ns: string): Promise<LabNamespace> {
  await createNetworkNamespace(ns);
  await vethPair(routerNs, 'cl0', ns, 'eth0');
  await addAddress(routerNs, 'cl0', `${CLIENT_ROUTER_IPV4}/25`);
  await addAddress(routerNs, 'cl0', `${CLIENT_ROUTER_IPV6}/65`);
  await addAddress(ns, 'eth0', `${CLIENT_IPV4}/25`);
  await addAddress(ns, 'eth0', `${CLIENT_IPV6}/65`);
  await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', CLIENT_ROUTER_IPV4]);
  await run('ip', ['-n', ns, '-6', 'route', 'add', 'default', 'via', CLIENT_ROUTER_IPV6]);
  return { ns, ipv4: CLIENT_IPV4, ipv6: CLIENT_IPV6 };
}

export const HOP_IPV4 = '203.0.113.110';
export const HOP_IPV6 = '2001:db8:1::110';
export const FAR_IPV4 = '203.0.113.250';
export const FAR_IPV6 = '2001:db8:1:0:c000::2';

/**
 * A node two hops from the router: a hop namespace on the switch (the last node slot, .110) that forwards,
 * and the far namespace behind it on its own link. The router reaches the far link through the hop.
 */
export async function createFarNode(routerNs: string, hopNs: string, farNs: string): Promise<LabNamespace> {
  await vethPair(routerNs, 'hop0', hopNs, 'eth0', 'br0');
  await vethPair(hopNs, 'far0', farNs, 'eth0');
  await addAddress(hopNs, 'eth0', `${HOP_IPV4}/25`);
  await addAddress(hopNs, 'eth0', `${HOP_IPV6}/65`);
  await addAddress(hopNs, 'far0', '203.0.113.249/30');
  await addAddress(hopNs, 'far0', '2001:db8:1:0:c000::1/126');
  await addAddress(farNs, 'eth0', `${FAR_IPV4}/30`);
  await addAddress(farNs, 'eth0', `${FAR_IPV6}/126`);
  await enableForwarding(hopNs);
  await run('ip', ['-n', hopNs, 'route', 'add', 'default', 'via', ROUTER_IPV4]);
  await run('ip', ['-n', hopNs, '-6', 'route', 'add', 'default', 'via', ROUTER_IPV6]);
  await run('ip', ['-n', farNs, 'route', 'add', 'default', 'via', '203.0.113.249']);
  await run('ip', ['-n', farNs, '-6', 'route', 'add', 'default', 'via', '2001:db8:1:0:c000::1']);
  await run('ip', ['-n', routerNs, 'route', 'add', '203.0.113.248/30', 'via', HOP_IPV4]);
  await run('ip', ['-n', routerNs, '-6', 'route', 'add', '2001:db8:1:0:c000::/126', 'via', HOP_IPV6]);
  return { ns: farNs, ipv4: FAR_IPV4, ipv6: FAR_IPV6 };
}

/**
 * In node namespace `nodeNs`, a second interface `alt0` towards a sink namespace that forwards nothing, and a
 * host route to the router through it: the routing table now prefers a path that leads nowhere, and only a
 * socket bound to `eth0` (SO_BINDTODEVICE) still reaches the router. IPv4.
 */
export async function createSinkRoute(nodeNs: string, sinkNs: string): Promise<void> {
  await vethPair(nodeNs, 'alt0', sinkNs, 'eth0');
  await addAddress(nodeNs, 'alt0', '203.0.113.245/30');
  await addAddress(sinkNs, 'eth0', '203.0.113.246/30');
  await run('ip', ['-n', nodeNs, 'route', 'add', `${ROUTER_IPV4}/32`, 'via', '203.0.113.246', 'dev', 'alt0']);
}

/**
 * A client namespace on the node segment (a port of the router namespace's bridge, like the nodes) whose
 * routes put the LoadBalancer ranges on-link: it reaches a VIP the way a host on a LAN reaches a layer-2
 * announced address — by asking for its MAC with ARP or a Neighbor Solicitation.
 */
export async function createSegmentClientNamespace(routerNs: string, ns: string): Promise<LabNamespace> {
  const host = await createSegmentHost(routerNs, ns, 'sc0', SEGMENT_CLIENT_IPV4, SEGMENT_CLIENT_IPV6);
  await run('ip', ['-n', ns, 'route', 'add', POOL_RANGES.ipv4, 'dev', 'eth0']);
  await run('ip', ['-n', ns, '-6', 'route', 'add', POOL_RANGES.ipv6, 'dev', 'eth0']);
  return host;
}

/**
 * What kube-proxy's strictARP (IPVS mode) sets, and what a node needs whenever it holds LoadBalancer IPs on a
 * local interface (the stand-in puts them on `lo`): answer ARP only for addresses of the interface asked on
 * (arp_ignore 1) and never use such an address as ARP source (arp_announce 2). Otherwise every node's kernel
 * would answer for every VIP, next to the one announcer. IPv6 Neighbor Discovery answers only for addresses
 * of the interface asked on already.
 */
export async function strictArp(ns: string): Promise<void> {
  await runIn(ns, 'sysctl', [
    '-q',
    '-w',
    'net.ipv4.conf.all.arp_ignore=1',
    'net.ipv4.conf.all.arp_announce=2',
  ]);
}

/**
 * A "pod" namespace on node INDEX: its `eth0` (peer `pod0` in the node namespace) holds podIpv4(INDEX) with the
 * node as default gateway, and the node forwards. With no kubelet or CNI, this is the smallest thing that lets
 * kube-proxy's DNAT to an endpoint reach a real process.
 */
export async function createPodNamespace(nodeNs: string, ns: string, index: number): Promise<LabNamespace> {
  await createNetworkNamespace(ns);
  await vethPair(nodeNs, 'pod0', ns, 'eth0');
  await addAddress(nodeNs, 'pod0', `${podGateway(index)}/24`);
  await addAddress(ns, 'eth0', `${podIpv4(index)}/24`);
  await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', podGateway(index)]);
  await runIn(nodeNs, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  return { ns, ipv4: podIpv4(index), ipv6: '' };
}

/** Node INDEX reaches every other node's pod subnet through that node (a flat pod network, host-gw style). */
export async function routePodSubnets(nodeNs: string, index: number, nodes: number): Promise<void> {
  for (let j = 0; j < nodes; j++)
    if (j !== index) await run('ip', ['-n', nodeNs, 'route', 'add', podSubnet(j), 'via', nodeIpv4(j)]);
}
