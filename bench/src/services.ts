// LoadBalancer Services in bulk for the speaker benchmarks: one address each from the benchmarking range
// 198.18.0.0/15, one endpoint on node-0.
import type { HeraldSystem } from '@herald/e2e';
import { benchIp, createServices } from './measure.ts';

export { benchIp };

/** Services b<from>…b<to−1> in namespace `apps`, with their status IP when `withIp` (no controller runs). */
export function createMany(t: HeraldSystem, from: number, to: number, withIp: boolean): Promise<void> {
  return createServices(t, from, to, {
    namespace: 'apps',
    name: (n) => `b${n}`,
    ...(withIp ? { ip: benchIp } : {}),
    nodes: ['node-0'],
  });
}
