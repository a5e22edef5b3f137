// Renders collected speaker status as the operator's table. Pure: results in, text out.
import { printable } from '@herald/inet';
import { hasL2, l2AddressColumns, l2AddressRows, l2Healthy, l2NodeColumns, l2NodeRows } from './l2-format.ts';
import type { SpeakerResult, SpeakerSession } from './types.ts';

export function formatUptime(seconds: number | null): string {
  if (seconds === null) return '-';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export const statusColumns = ['NODE', 'PEER', 'STATE', 'BFD', 'UPTIME', 'PREFIXES', 'LAST ERROR'] as const;

/** The BFD cell: `-` without BFD, else the session state (`Up`, `Down`, …). */
export function bfdCell(bfd: SpeakerSession['bfd']): string {
  return bfd ? bfd.state : '-';
}

export function statusRows(results: readonly SpeakerResult[]): string[][] {
  const rows: string[][] = [];
  for (const r of results) {
    if (!r.ok) {
      rows.push([r.target, '-', 'UNREACHABLE', '-', '-', '-', r.error]);
      continue;
    }
    const s = r.status;
    const configNote = s.config?.stale ? `config stale: ${s.config.errors[0] ?? ''}` : '';
    if (s.sessions.length === 0) {
      rows.push([
        s.node,
        '-',
        s.ready ? 'NO PEERS' : 'NOT READY',
        '-',
        '-',
        '-',
        configNote || (s.config?.errors[0] ?? ''),
      ]);
      continue;
    }
    for (const x of [...s.sessions].sort((a, b) => a.peer.localeCompare(b.peer))) {
      const prefixes = x.prefixes ? String(x.prefixes.ipv4 + x.prefixes.ipv6) : '-';
      rows.push([
        s.node,
        `${x.peer} (${x.peerAddress})`,
        x.state,
        bfdCell(x.bfd),
        formatUptime(x.uptimeSeconds),
        prefixes,
        x.lastError ?? (x.bfd?.lastError ? `BFD: ${x.bfd.lastError}` : configNote),
      ]);
    }
  }
  return rows.sort((a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!));
}

export const routeColumns = ['NODE', 'PEER', 'PREFIX', 'WEIGHT', 'DRAIN', 'SERVICES'] as const;

/**
 * One row per announced route and peer: its weight (`-` without `weighting: endpoints`) and its drain state
 * (`-`, or `until <time>` while it carries GRACEFUL_SHUTDOWN before the withdrawal).
 */
export function routeRows(results: readonly SpeakerResult[]): string[][] {
  const rows: string[][] = [];
  for (const r of results) {
    if (!r.ok) continue;
    for (const [peer, routes] of Object.entries(r.status.announced ?? {}))
      for (const route of routes)
        rows.push([
          r.status.node,
          peer,
          route.prefix,
          route.weight === undefined ? '-' : String(route.weight),
          route.drain ? `until ${route.drain.withdrawAt}` : '-',
          (route.services ?? []).join(','),
        ]);
  }
  return rows.sort(
    (a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!) || a[2]!.localeCompare(b[2]!),
  );
}

/**
 * Every cell is escaped with `printable`: a row holds text from the network (a router's shutdown
 * communication in LAST ERROR, whatever a speaker answered), which must not reach the terminal raw.
 */
export function renderTable(header: readonly string[], rowsIn: readonly string[][]): string {
  const rows = rowsIn.map((r) => r.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/**
 * Healthy: every speaker answered, every session it runs is Established (with BFD Up where it runs BFD), and in
 * layer-2 mode every selected speaker is ready and all agree on who announces each address.
 */
export function allHealthy(results: readonly SpeakerResult[]): boolean {
  return (
    results.every(
      (r) => r.ok && r.status.sessions.every((s) => s.established && (!s.bfd || s.bfd.state === 'Up')),
    ) && l2Healthy(results)
  );
}

/** The whole table output: the sessions, the routes (with `routes`), then (in layer-2 mode) the nodes and the addresses. */
export function renderStatus(results: readonly SpeakerResult[], o: { routes?: boolean } = {}): string {
  let out = renderTable(statusColumns, statusRows(results));
  if (o.routes) out += `\n${renderTable(routeColumns, routeRows(results))}`;
  if (hasL2(results)) {
    out += `\n${renderTable(l2NodeColumns, l2NodeRows(results))}`;
    const addresses = l2AddressRows(results);
    if (addresses.length > 0) out += `\n${renderTable(l2AddressColumns, addresses)}`;
  }
  return out;
}
