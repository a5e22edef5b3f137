export * from './lab/index.ts';
