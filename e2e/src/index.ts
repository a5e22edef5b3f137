// The e2e harness, one import: the cluster (kube/), the router lab (lab/), Herald as the chart runs it
// (system/), and the shared constants, waiting and step helpers.
export * from './constants.ts';
export * from './eventually.ts';
export * from './kube/index.ts';
export * from './lab/index.ts';
export * from './native-lab.ts';
export * from './steps.ts';
export * from './system/index.ts';
