// Herald on one machine, as the chart runs it (system.ts): shared by the e2e tests, `npm run lab` and the
// benchmarks.
export * from './chart.ts';
export * from './helm.ts';
export * from './kube-proxy.ts';
export * from './kube-proxy-node.ts';
export * from './l2.ts';
export * from './lab-state.ts';
export * from './metrics.ts';
export * from './objects.ts';
export * from './system.ts';
export * from './values.ts';
