// The lab's wiring. All of it lives inside namespaces created here: the router namespace holds a bridge
// (the lab "switch") with one veth per node, so the root namespace never sees a lab interface or address.
//
// Addressing (documentation ranges only):
//   node link    203.0.113.0/25        router .1 on the bridge, nodes .11, .12, …
//                2001:db8:1::/65       router ::1, nodes ::11, ::12, …
//   client link  203.0.113.128/25      router .129, client .130   (behind the router; router forwards)
//                2001:db8:1:0:8000::/65 router …8000::1, client …8000::2
import { run, runIn } from './exec.ts';

export const ROUTER_IPV4 = '203.0.113.1';
export const ROUTER_IPV6 = '2001:db8:1::1';
export const CLIENT_ROUTER_IPV4 = '203.0.113.129';
export const CLIENT_ROUTER_IPV6 = '2001:db8:1:0:8000::1';
export const CLIENT_IPV4 = '203.0.113.130';
export const CLIENT_IPV6 = '2001:db8:1:0:8000::2';
export const MAX_NODES = 100; // .11 … .110 stays inside 203.0.113.0/25

export function nodeIpv4(index: number): string {
  return `203.0.113.${11 + index}`;
}
export function nodeIpv6(index: number): string {
  return `2001:db8:1::${(11 + index).toString(10)}`;
}

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

async function createNamespace(ns: string): Promise<void> {
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

export async function createRouterNamespace(ns: string): Promise<void> {
  await createNamespace(ns);
  await run('ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
  await run('ip', ['-n', ns, 'link', 'set', 'br0', 'up']);
  await addAddress(ns, 'br0', `${ROUTER_IPV4}/25`);
  await addAddress(ns, 'br0', `${ROUTER_IPV6}/65`);
  // Forwarding only inside the router namespace (the client link is reached through it).
  await runIn(ns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  await runIn(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
}

/** A node namespace with `eth0` whose peer `n<i>` (inside the router namespace) is enslaved to the bridge. */
export async function createNodeNamespace(
  routerNs: string,
  ns: string,
  index: number,
): Promise<LabNamespace> {
  await createNamespace(ns);
  const port = `n${index}`;
  // Both ends are created directly inside lab namespaces: nothing ever appears in the root namespace.
  await run('ip', ['-n', routerNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await run('ip', ['-n', routerNs, 'link', 'set', port, 'master', 'br0', 'up']);
  await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  const ipv4 = nodeIpv4(index);
  const ipv6 = nodeIpv6(index);
  await addAddress(ns, 'eth0', `${ipv4}/25`);
  await addAddress(ns, 'eth0', `${ipv6}/65`);
  await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', ROUTER_IPV4]);
  await run('ip', ['-n', ns, '-6', 'route', 'add', 'default', 'via', ROUTER_IPV6]);
  return { ns, ipv4, ipv6 };
}

/** A client namespace on its own link behind the router, to send traffic to announced addresses. */
export async function createClientNamespace(routerNs: string, ns: string): Promise<LabNamespace> {
  await createNamespace(ns);
  await run('ip', [
    '-n',
    routerNs,
    'link',
    'add',
    'cl0',
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    ns,
  ]);
  await run('ip', ['-n', routerNs, 'link', 'set', 'cl0', 'up']);
  await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  await addAddress(routerNs, 'cl0', `${CLIENT_ROUTER_IPV4}/25`);
  await addAddress(routerNs, 'cl0', `${CLIENT_ROUTER_IPV6}/65`);
  await addAddress(ns, 'eth0', `${CLIENT_IPV4}/25`);
  await addAddress(ns, 'eth0', `${CLIENT_IPV6}/65`);
  await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', CLIENT_ROUTER_IPV4]);
  await run('ip', ['-n', ns, '-6', 'route', 'add', 'default', 'via', CLIENT_ROUTER_IPV6]);
  return { ns, ipv4: CLIENT_IPV4, ipv6: CLIENT_IPV6 };
}
