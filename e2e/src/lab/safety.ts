// Network safety: the lab only ever uses documentation/benchmark ranges, and only inside namespaces it
// created. Before creating anything it reads the root namespace's routes and refuses to start when one of
// them overlaps a lab range — then a lab address could shadow (or be shadowed by) the machine's real network.
import { BlockList, isIPv4 } from 'node:net';
import { run } from './exec.ts';

/** Every range the lab or its tests may put on an interface or announce. */
export const LAB_RANGES: readonly string[] = [
  '203.0.113.0/24', // links: nodes 203.0.113.0/25, client link 203.0.113.128/25
  '2001:db8:1::/64', // links: nodes 2001:db8:1::/65, client link 2001:db8:1:0:8000::/65
  '198.51.100.0/24', // LoadBalancer pool (announced prefixes)
  '2001:db8:100::/64', // LoadBalancer pool (announced prefixes)
  '198.18.0.0/15', // bulk benchmark prefixes; the node-address lab's pods (198.19.<node>.0/24)
];

export interface KernelRoute {
  dst: string;
  dev?: string;
  gateway?: string;
}

interface Prefix {
  address: string;
  length: number;
  type: 'ipv4' | 'ipv6';
}

function parsePrefix(text: string): Prefix {
  const [address = '', len] = text.split('/');
  const type = isIPv4(address) ? 'ipv4' : 'ipv6';
  return { address, length: len === undefined ? (type === 'ipv4' ? 32 : 128) : Number(len), type };
}

function contains(outer: Prefix, address: string, type: 'ipv4' | 'ipv6'): boolean {
  if (outer.type !== type) return false;
  const list = new BlockList();
  list.addSubnet(outer.address, outer.length, outer.type);
  return list.check(address, type);
}

/** Two prefixes overlap iff one contains the other's network address. */
export function prefixesOverlap(a: string, b: string): boolean {
  const pa = parsePrefix(a);
  const pb = parsePrefix(b);
  return contains(pa, pb.address, pb.type) || contains(pb, pa.address, pa.type);
}

/**
 * Lab ranges that overlap a root-namespace route. The default route is skipped: it covers everything by
 * definition and claims no address range; a specific route (connected subnet, static route) is a claim.
 */
export function overlappingRoutes(
  routes: readonly KernelRoute[],
  ranges: readonly string[] = LAB_RANGES,
): string[] {
  const problems: string[] = [];
  for (const route of routes) {
    if (route.dst === 'default' || route.dst === '0.0.0.0/0' || route.dst === '::/0') continue;
    for (const range of ranges) {
      if (prefixesOverlap(route.dst, range)) {
        problems.push(
          `root-namespace route ${route.dst}${route.dev ? ` dev ${route.dev}` : ''} overlaps lab range ${range}`,
        );
      }
    }
  }
  return problems;
}

export async function rootNamespaceRoutes(): Promise<KernelRoute[]> {
  const v4 = JSON.parse(
    (await run('ip', ['-j', 'route', 'show', 'table', 'all'])).stdout || '[]',
  ) as KernelRoute[];
  const v6 = JSON.parse(
    (await run('ip', ['-j', '-6', 'route', 'show', 'table', 'all'])).stdout || '[]',
  ) as KernelRoute[];
  // `table all` includes local/broadcast entries for the machine's own addresses, which is what we want to see.
  return [...v4, ...v6];
}

/** Throws, naming every conflict, when the lab must not start on this machine. */
export async function assertLabRangesFree(): Promise<void> {
  const problems = overlappingRoutes(await rootNamespaceRoutes());
  if (problems.length > 0) {
    throw new Error(
      `refusing to create the router lab: ${problems.join('; ')}. ` +
        'The lab would reach or shadow a real network; free these ranges or run on another machine.',
    );
  }
}
