// Prometheus metrics, all `herald_`-prefixed, on a private registry (no global state between tests).

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface ControllerMetrics {
  readonly registry: Registry;
  readonly addressesTotal: Gauge<'pool' | 'family'>;
  readonly addressesInUse: Gauge<'pool' | 'family'>;
  readonly addressesOutsidePools: Gauge;
  readonly allocations: Counter<'result'>;
  readonly allocationFailures: Counter<'cause'>;
  readonly configLoadedTimestamp: Gauge;
  readonly configStale: Gauge;
  readonly reconcileDuration: Histogram<'result'>;
  readonly queueDepth: Gauge;
  readonly apiErrors: Counter<'verb' | 'resource'>;
  readonly leader: Gauge;
  readonly eventsDropped: Counter<'reason'>;
  readonly httpRefused: Counter<'path' | 'code'>;
}

export function createMetrics(): ControllerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'herald_controller_' });
  const r = [registry];
  return {
    registry,
    addressesTotal: new Gauge({
      name: 'herald_addresses_total',
      help: 'Assignable addresses per pool and family (without .0/.255 when avoidBuggyIPs).',
      labelNames: ['pool', 'family'],
      registers: r,
    }),
    addressesInUse: new Gauge({
      name: 'herald_addresses_in_use',
      help: 'Addresses assigned to at least one Service, per pool and family (a shared address counts once).',
      labelNames: ['pool', 'family'],
      registers: r,
    }),
    addressesOutsidePools: new Gauge({
      name: 'herald_addresses_outside_pools',
      help: 'Assigned addresses that no pool of the current config contains (kept assigned; see IPOutsidePools Events).',
      registers: r,
    }),
    allocations: new Counter({
      name: 'herald_allocations_total',
      help: 'Allocation outcomes: allocated (new or changed addresses), failed, released.',
      labelNames: ['result'],
      registers: r,
    }),
    allocationFailures: new Counter({
      name: 'herald_allocation_failures_total',
      help: 'Failed allocations by cause (MalformedIP, NotInAnyPool, IPInUse, PoolExhausted, ...).',
      labelNames: ['cause'],
      registers: r,
    }),
    configLoadedTimestamp: new Gauge({
      name: 'herald_config_loaded_timestamp_seconds',
      help: 'Unix time when the configuration in force was loaded.',
      registers: r,
    }),
    configStale: new Gauge({
      name: 'herald_config_stale',
      help: '1 when the ConfigMap is invalid or missing and the last good configuration is still in force.',
      registers: r,
    }),
    reconcileDuration: new Histogram({
      name: 'herald_reconcile_duration_seconds',
      help: 'Time to reconcile one Service, including API writes.',
      labelNames: ['result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: r,
    }),
    queueDepth: new Gauge({
      name: 'herald_workqueue_depth',
      help: 'Service keys waiting to be reconciled.',
      registers: r,
    }),
    apiErrors: new Counter({
      name: 'herald_api_errors_total',
      help: 'Failed Kubernetes API requests by verb and resource.',
      labelNames: ['verb', 'resource'],
      registers: r,
    }),
    leader: new Gauge({
      name: 'herald_leader',
      help: '1 while this replica holds the leader Lease.',
      registers: r,
    }),
    eventsDropped: new Counter({
      name: 'herald_events_dropped_total',
      help: 'Events not written because the per-object rate limit was exceeded.',
      labelNames: ['reason'],
      registers: r,
    }),
    httpRefused: new Counter({
      name: 'herald_http_requests_refused_total',
      help: 'Requests to /metrics or /status refused: 401 no or bad token, 403 not authorized, 503 authorization unavailable.',
      labelNames: ['path', 'code'],
      registers: r,
    }),
  };
}
