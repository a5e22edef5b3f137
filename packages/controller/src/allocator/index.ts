export { Allocator, canShare, wantedFamilies } from './allocator.ts';
export { FreeSet, IntervalTree } from './interval-tree.ts';
export { PoolSpace } from './pool-space.ts';
export { poolAllows } from './selection.ts';
export * from './types.ts';
