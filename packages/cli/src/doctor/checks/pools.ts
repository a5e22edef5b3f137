// Pool usage and exhaustion risk, from the leader's /status (its allocator's own counts).
import type { Finding, Snapshot } from '../types.ts';
import { finding } from './finding.ts';

function count(n: number): string {
  return n < 1e9 ? String(n) : `${n.toExponential(1).replace('e+', 'e')}`;
}

function percent(inUse: number, total: number): string {
  const p = (inUse / total) * 100;
  return p > 0 && p < 1 ? '<1%' : `${Math.floor(p)}%`;
}

export function checkPools(s: Snapshot, warnPercent: number): Finding[] {
  if (s.controller === undefined) return [];
  const leader = Object.values(s.controllerStatus).find((r) => r.ok && r.doc.leader);
  if (leader === undefined || !leader.ok)
    return [
      finding(
        'pools',
        'pool.unknown',
        'warning',
        'address pools',
        "usage unknown: the leader's /status was not read",
        'see Controller: a leader whose /status doctor can reach reports every pool',
      ),
    ];
  const pendingExhausted = Array.isArray(s.services)
    ? s.services.filter((x) => x.allocated?.reason === 'PoolExhausted').length
    : 0;
  const fix = (pool: string) =>
    `add addresses to pool "${pool}" (or another pool that serves the same Services), delete unused LoadBalancer Services, or share addresses (herald.dev/allow-shared-ip)`;
  const out: Finding[] = [];
  for (const p of leader.doc.pools) {
    const subject = `pool ${p.pool} ${p.family}`;
    const usage = `${count(p.inUse)} of ${count(p.total)} addresses in use (${percent(p.inUse, p.total)})`;
    if (p.total === 0)
      out.push(finding('pools', 'pool.empty', 'warning', subject, 'has no assignable address', fix(p.pool)));
    else if (p.inUse >= p.total)
      out.push(
        finding(
          'pools',
          'pool.exhausted',
          pendingExhausted > 0 ? 'error' : 'warning',
          subject,
          `exhausted: ${usage}${pendingExhausted > 0 ? `; ${pendingExhausted} Service(s) wait with PoolExhausted` : '; the next Service it serves gets no address'}`,
          fix(p.pool),
        ),
      );
    else if ((p.inUse / p.total) * 100 >= warnPercent)
      out.push(
        finding(
          'pools',
          'pool.usage',
          'warning',
          subject,
          `${usage}: ${count(p.total - p.inUse)} left`,
          fix(p.pool),
        ),
      );
    else out.push(finding('pools', 'pool.usage', 'ok', subject, usage));
  }
  return out;
}
