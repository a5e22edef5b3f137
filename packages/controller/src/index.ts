// @herald/controller: the pure allocator and the pieces of herald-controller, for tests and benchmarks.
export * from './allocator/index.ts';
export { ConfigHandler, type ConfigHandlerDeps } from './config-handler.ts';
export { Controller, type ControllerOptions, FIELD_MANAGER, REPORTING_CONTROLLER } from './controller.ts';
export { decideLease, type LeaseAction, type LeaseRecord, observe } from './leader/lease.ts';
export { type ControllerMetrics, createMetrics } from './metrics.ts';
export { buildProgram, optionsFrom, parseDurationMs } from './options.ts';
export { allocatedCondition, allocatedReasons, Reconciler, reasons, restoreOrder } from './reconciler.ts';
export * from './service.ts';
export { buildControllerStatus, type ControllerStatusDocument } from './status.ts';
