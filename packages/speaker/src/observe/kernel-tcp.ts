// The node's own count of TCP segments its kernel dropped for TCP-MD5 or GTSM reasons (/proc/net/netstat,
// TcpExt). A router that dials a passive session with a wrong password never reaches the speaker: its SYNs die
// in the kernel, and these counters are the only trace. They count every TCP socket of the node's network
// namespace (the speaker runs in the host's), not only Herald's.
import { readFileSync } from 'node:fs';

/** metric reason → TcpExt counter. */
export const KERNEL_TCP_DROPS = {
  'md5-wrong': 'TCPMD5Failure',
  'md5-missing': 'TCPMD5NotFound',
  'md5-unexpected': 'TCPMD5Unexpected',
  'min-ttl': 'TCPMinTTLDrop',
} as const;

export type KernelTcpDrop = keyof typeof KERNEL_TCP_DROPS;

/** The counters from /proc/net/netstat text: two `TcpExt:` lines, names then values. */
export function parseKernelTcpDrops(netstat: string): Partial<Record<KernelTcpDrop, number>> {
  const lines = netstat.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const out: Partial<Record<KernelTcpDrop, number>> = {};
  for (const [reason, counter] of Object.entries(KERNEL_TCP_DROPS) as [KernelTcpDrop, string][]) {
    const at = names.indexOf(counter);
    const n = at < 0 ? Number.NaN : Number(values[at]);
    if (Number.isFinite(n)) out[reason] = n;
  }
  return out;
}

/** Read at scrape time; nothing (an empty result) where /proc/net/netstat cannot be read. */
export function readKernelTcpDrops(path = '/proc/net/netstat'): Partial<Record<KernelTcpDrop, number>> {
  try {
    return parseKernelTcpDrops(readFileSync(path, 'utf8'));
  } catch {
    return {};
  }
}
