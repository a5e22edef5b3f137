export * from './kube/index.ts';
export * from './lab/index.ts';
export * from './speaker-harness.ts';
