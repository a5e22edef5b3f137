export { Allocator, canShare, wantedFamilies } from './allocator.ts';
export { FreeSet, IntervalTree } from './interval-tree.ts';
export { type AddressRange, formatIP, type IPAddress, type IPFamily, parseIP, parseRange } from './ip.ts';
export { isBuggyIPv4, PoolSpace } from './pool-space.ts';
export { matchesLabelSelector, poolAllows } from './selection.ts';
export * from './types.ts';
