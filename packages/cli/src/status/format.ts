// Renders collected speaker status as the operator's table. Pure: results in, text out.
import type { SpeakerResult } from './types.ts';

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

export const statusColumns = ['NODE', 'PEER', 'STATE', 'UPTIME', 'PREFIXES', 'LAST ERROR'] as const;

export function statusRows(results: readonly SpeakerResult[]): string[][] {
  const rows: string[][] = [];
  for (const r of results) {
    if (!r.ok) {
      rows.push([r.target, '-', 'UNREACHABLE', '-', '-', r.error]);
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
        formatUptime(x.uptimeSeconds),
        prefixes,
        x.lastError ?? configNote,
      ]);
    }
  }
  return rows.sort((a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!));
}

export function renderTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Healthy: every speaker answered, and every session it runs is Established. */
export function allHealthy(results: readonly SpeakerResult[]): boolean {
  return results.every((r) => r.ok && r.status.sessions.every((s) => s.established));
}
