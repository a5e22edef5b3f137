// @herald/speaker: the pieces of herald-speaker that tests and benchmarks use directly.
export { SpeakerMetrics } from './observe/metrics.ts';
export { reasons } from './observe/reasons.ts';
