export * from './lab/index.ts';
export * from './speaker-harness.ts';
