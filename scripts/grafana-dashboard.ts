// Generates charts/herald/dashboards/herald.json, the Grafana dashboard the chart ships (value
// grafana.dashboard.enabled), from the panel list below: the layout and ids are computed, so a panel is one
// entry. Every query uses only metrics Herald exports; e2e/src/chart-dashboard.test.ts checks that with the real
// metric registries and Prometheus' own parser, and runs every query against the metrics a running lab serves.
//
//   node scripts/grafana-dashboard.ts          rewrite the dashboard
//   node scripts/grafana-dashboard.ts --check  exit 1 if it is out of date
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url).pathname;
export const dashboardPath = `${root}charts/herald/dashboards/herald.json`;

type PanelType = 'stat' | 'timeseries' | 'bargauge' | 'table';

interface Target {
  readonly expr: string;
  readonly legend?: string;
  /** Table panels: an instant query, one row per series. */
  readonly instant?: boolean;
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly type: PanelType;
  readonly width: number;
  readonly targets: readonly Target[];
  readonly unit?: string;
  /** Stat panels: value → colour; thresholds are [colour, from]. */
  readonly thresholds?: ReadonlyArray<readonly [string, number | null]>;
  readonly min?: number;
  readonly max?: number;
}

interface Row {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

/** Every query goes to the data source chosen in the dashboard's `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template
const datasource = { type: 'prometheus', uid: '${datasource}' } as const;

/** Speaker series of the nodes chosen in the dashboard's node variable. */
const N = 'node=~"$node"';

export const rows: readonly Row[] = [
  {
    title: 'Overview',
    panels: [
      {
        title: 'Controller leader',
        description:
          'Controller replicas holding the leader Lease (herald_leader). 1 is healthy; 0 means no replica writes Service status.',
        type: 'stat',
        width: 4,
        targets: [{ expr: 'sum(herald_leader)' }],
        thresholds: [
          ['red', null],
          ['green', 1],
          ['red', 2],
        ],
      },
      {
        title: 'Config stale',
        description:
          'Programs running on the last good configuration because the ConfigMap is invalid or missing (herald_config_stale, herald_speaker_config_stale). See the ConfigInvalid Event.',
        type: 'stat',
        width: 4,
        targets: [
          { expr: 'max(herald_config_stale)', legend: 'controller' },
          { expr: `sum(herald_speaker_config_stale{${N}})`, legend: 'speakers' },
        ],
        thresholds: [
          ['green', null],
          ['red', 1],
        ],
      },
      {
        title: 'BGP sessions Established',
        description: 'Sessions up over sessions configured, all speakers (herald_speaker_session_up).',
        type: 'stat',
        width: 4,
        unit: 'percentunit',
        targets: [{ expr: `sum(herald_speaker_session_up{${N}}) / count(herald_speaker_session_up{${N}})` }],
        thresholds: [
          ['red', null],
          ['orange', 0.5],
          ['green', 1],
        ],
      },
      {
        title: 'Addresses in use',
        description:
          'Addresses assigned to Services over assignable addresses, all pools (herald_addresses_in_use / herald_addresses_total).',
        type: 'stat',
        width: 4,
        unit: 'percentunit',
        targets: [{ expr: 'sum(herald_addresses_in_use) / sum(herald_addresses_total)' }],
        thresholds: [
          ['green', null],
          ['orange', 0.8],
          ['red', 0.95],
        ],
      },
      {
        title: 'Addresses outside pools',
        description:
          'Assigned addresses that no pool of the current configuration contains (herald_addresses_outside_pools); see the IPOutsidePools Events.',
        type: 'stat',
        width: 4,
        targets: [{ expr: 'max(herald_addresses_outside_pools)' }],
        thresholds: [
          ['green', null],
          ['orange', 1],
        ],
      },
      {
        title: 'Services announced',
        description:
          'LoadBalancer Services each node announces to at least one peer (herald_speaker_services_announced).',
        type: 'stat',
        width: 4,
        targets: [{ expr: `max(herald_speaker_services_announced{${N}})` }],
      },
    ],
  },
  {
    title: 'Address pools',
    panels: [
      {
        title: 'Pool usage',
        description:
          'Share of each pool and family in use. A pool near 100% makes new Services fail with PoolExhausted.',
        type: 'bargauge',
        width: 8,
        unit: 'percentunit',
        min: 0,
        max: 1,
        targets: [
          {
            expr: 'sum by (pool, family) (herald_addresses_in_use) / sum by (pool, family) (herald_addresses_total)',
            legend: '{{pool}} {{family}}',
          },
        ],
        thresholds: [
          ['green', null],
          ['orange', 0.8],
          ['red', 0.95],
        ],
      },
      {
        title: 'Addresses in use',
        description: 'Addresses assigned per pool and family over time (herald_addresses_in_use).',
        type: 'timeseries',
        width: 8,
        targets: [{ expr: 'sum by (pool, family) (herald_addresses_in_use)', legend: '{{pool}} {{family}}' }],
      },
      {
        title: 'Allocation failures',
        description:
          'Failed allocations per cause in the selected range (herald_allocation_failures_total); the cause is the prefix of the AllocationFailed Event.',
        type: 'table',
        width: 8,
        targets: [
          { expr: 'sum by (cause) (increase(herald_allocation_failures_total[$__range]))', instant: true },
        ],
      },
      {
        title: 'Allocations',
        description:
          'Allocation outcomes per second: allocated, failed, released (herald_allocations_total).',
        type: 'timeseries',
        width: 12,
        unit: 'ops',
        targets: [
          {
            expr: 'sum by (result) (rate(herald_allocations_total[$__rate_interval]))',
            legend: '{{result}}',
          },
        ],
      },
      {
        title: 'Reconcile latency',
        description:
          '99th and 50th percentile time to reconcile one Service, API writes included (herald_reconcile_duration_seconds).',
        type: 'timeseries',
        width: 12,
        unit: 's',
        targets: [
          {
            expr: 'histogram_quantile(0.99, sum by (le) (rate(herald_reconcile_duration_seconds_bucket[$__rate_interval])))',
            legend: 'p99',
          },
          {
            expr: 'histogram_quantile(0.5, sum by (le) (rate(herald_reconcile_duration_seconds_bucket[$__rate_interval])))',
            legend: 'p50',
          },
        ],
      },
    ],
  },
  {
    title: 'BGP',
    panels: [
      {
        title: 'Sessions',
        description:
          'One row per node and peer: 1 Established, 0 not (herald_speaker_session_up). heraldctl status shows the state and last error.',
        type: 'table',
        width: 12,
        targets: [{ expr: `max by (node, peer) (herald_speaker_session_up{${N}})`, instant: true }],
      },
      {
        title: 'Prefixes announced',
        description:
          'Prefixes in the Adj-RIB-Out towards each peer, per node and family (herald_speaker_prefixes_announced).',
        type: 'timeseries',
        width: 12,
        targets: [
          {
            expr: `sum by (node, peer, family) (herald_speaker_prefixes_announced{${N}})`,
            legend: '{{node}} → {{peer}} {{family}}',
          },
        ],
      },
      {
        title: 'UPDATE messages sent',
        description: 'BGP UPDATEs sent per second, per node (herald_speaker_updates_sent_total).',
        type: 'timeseries',
        width: 8,
        unit: 'ops',
        targets: [
          {
            expr: `sum by (node) (rate(herald_speaker_updates_sent_total{${N}}[$__rate_interval]))`,
            legend: '{{node}}',
          },
        ],
      },
      {
        title: 'Route changes',
        description:
          'Routes handed to the sessions per second, by action (herald_speaker_route_changes_total).',
        type: 'timeseries',
        width: 8,
        unit: 'ops',
        targets: [
          {
            expr: `sum by (action) (rate(herald_speaker_route_changes_total{${N}}[$__rate_interval]))`,
            legend: '{{action}}',
          },
        ],
      },
      {
        title: 'NOTIFICATIONs received',
        description:
          'NOTIFICATION messages received in the selected range, by node, peer and error code/subcode (herald_speaker_notifications_received_total); docs/operations.md has the NOTIFICATION reference.',
        type: 'table',
        width: 8,
        targets: [
          {
            expr: `sum by (node, peer, code, subcode) (increase(herald_speaker_notifications_received_total{${N}}[$__range]))`,
            instant: true,
          },
        ],
      },
    ],
  },
  {
    title: 'Programs',
    panels: [
      {
        title: 'Controller work queue',
        description: 'Service keys waiting to be reconciled, per replica (herald_workqueue_depth).',
        type: 'timeseries',
        width: 8,
        targets: [{ expr: 'max(herald_workqueue_depth)', legend: 'depth' }],
      },
      {
        title: 'Speaker watches connected',
        description:
          'Watches on the apiserver that are connected, per node and resource (herald_speaker_kube_connected); 0 means the node acts on stale data.',
        type: 'table',
        width: 8,
        targets: [{ expr: `min by (node, resource) (herald_speaker_kube_connected{${N}})`, instant: true }],
      },
      {
        title: 'Memory (RSS)',
        description: 'Resident memory of every controller and speaker process.',
        type: 'timeseries',
        width: 8,
        unit: 'bytes',
        targets: [
          { expr: 'herald_controller_process_resident_memory_bytes', legend: 'controller {{pod}}' },
          { expr: `herald_speaker_process_resident_memory_bytes{${N}}`, legend: 'speaker {{node}}' },
        ],
      },
    ],
  },
];

function panelJson(p: PanelSpec, id: number, x: number, y: number, height: number): Record<string, unknown> {
  const thresholds = p.thresholds ?? [['green', null]];
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource,
    gridPos: { h: height, w: p.width, x, y },
    fieldConfig: {
      defaults: {
        ...(p.unit ? { unit: p.unit } : {}),
        ...(p.min !== undefined ? { min: p.min } : {}),
        ...(p.max !== undefined ? { max: p.max } : {}),
        thresholds: {
          mode: 'absolute',
          steps: thresholds.map(([color, value]) => ({ color, value })),
        },
      },
      overrides: [],
    },
    options:
      p.type === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value' }
        : p.type === 'bargauge'
          ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, displayMode: 'gradient' }
          : p.type === 'table'
            ? { showHeader: true }
            : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    ...(p.type === 'table' ? { transformations: [{ id: 'merge', options: {} }] } : {}),
    targets: p.targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource,
      expr: t.expr,
      ...(t.legend ? { legendFormat: t.legend } : {}),
      ...(t.instant ? { instant: true, range: false, format: 'table' } : { range: true }),
    })),
  };
}

export function dashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    const height = row.panels.every((p) => p.type === 'stat') ? 4 : 8;
    for (const p of row.panels) {
      if (x + p.width > 24) {
        x = 0;
        y += height;
      }
      panels.push(panelJson(p, id++, x, y, height));
      x += p.width;
    }
    y += height;
  }
  return {
    title: 'Herald',
    uid: 'herald-overview',
    description:
      'Herald, the bare-metal Kubernetes LoadBalancer: leader, configuration, address pools, BGP sessions and programs. Built only from metrics Herald exports (docs/operations.md).',
    tags: ['herald', 'kubernetes', 'bgp', 'loadbalancer'],
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    timezone: 'browser',
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
        },
        {
          name: 'node',
          label: 'Node',
          type: 'query',
          datasource,
          definition: 'label_values(herald_speaker_session_up, node)',
          query: { query: 'label_values(herald_speaker_session_up, node)', refId: 'node' },
          includeAll: true,
          multi: true,
          allValue: '.*',
          current: { text: 'All', value: '$__all' },
          refresh: 2,
          sort: 1,
        },
      ],
    },
    annotations: { list: [] },
    links: [],
    panels,
  };
}

export const render = (): string => `${JSON.stringify(dashboard(), null, 2)}\n`;

function main(): number {
  const next = render();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(dashboardPath, 'utf8');
    } catch {}
    if (current === next) return 0;
    console.error(`${dashboardPath} is out of date; run: node scripts/grafana-dashboard.ts`);
    return 1;
  }
  writeFileSync(dashboardPath, next);
  console.log(`wrote ${dashboardPath}`);
  return 0;
}

if (import.meta.filename === process.argv[1]) process.exitCode = main();
