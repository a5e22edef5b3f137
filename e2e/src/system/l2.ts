// Layer-2 mode in the test bed (startSystem({ l2: true })): who answers for an address according to the
// speakers, what the client's neighbour table and the bridge's ports show, and one failover trial as the
// tests and bench/ run it. The client sits on the node segment (lab/topology.ts), so it resolves every VIP
// with ARP or a Neighbor Solicitation, and the bridge lives in the router namespace with one port per node.
import { addressToBytes } from '@herald/inet';
import {
  ArpOperation,
  BROADCAST_MAC,
  decodeArpFrame,
  decodeNeighborFrame,
  encodeArpFrame,
  formatMac,
  neighborSolicitation,
  ZERO_MAC,
} from '@herald/l2';
import {
  bpf,
  ETH_P_ARP,
  ETH_P_IPV6,
  inNetworkNamespace,
  neighborDiscoveryProgram,
  openPacketSocket,
  type PacketSocket,
} from '@herald/native';

/** ETH_P_ALL: a bridge port hands frames to its bridge before protocol-specific packet sockets see them. */
const ETH_P_ALL = 0x0003;
/** ARP frames only (EtherType 0x0806), for an ETH_P_ALL socket. */
const arpOnly = () => [bpf.loadHalf(12), bpf.jumpIfEqual(ETH_P_ARP, 0, 1), bpf.accept(), bpf.drop()];

import { eventually } from '../eventually.ts';
import { run } from '../lab/index.ts';
import type { HeraldSystem, ProbeSummary } from './system.ts';

/** The `l2` section of a speaker's /status (the fields the tests read). */
export interface L2StatusView {
  enabled: boolean;
  member: boolean;
  ready: boolean;
  notReady: string[];
  mesh: {
    port: number;
    intervalMs: number;
    detectionMs: number;
    peers: Array<{ node: string; state: string }>;
  };
  interfaces: Array<{ name: string; mac: string; up: boolean; answering: number }>;
  addresses: Array<{ address: string; announcer: string | null; services: string[]; candidates: string[] }>;
}

/** Node INDEX's speaker's view of layer-2 mode; undefined when the speaker does not answer. */
export async function l2Status(sys: HeraldSystem, index: number): Promise<L2StatusView | undefined> {
  try {
    return ((await sys.speakerStatus(index)) as unknown as { l2?: L2StatusView }).l2;
  } catch {
    return undefined;
  }
}

/** Who announces IP according to each running speaker (node name → announcer or null), `except` some. */
export async function announcerViews(
  sys: HeraldSystem,
  ip: string,
  except: readonly string[] = [],
): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const n of sys.nodes) {
    if (!n.speaker || n.speaker.exitInfo() || except.includes(n.name)) continue;
    const s = await l2Status(sys, n.index);
    if (s) out[n.name] = s.addresses.find((a) => a.address === ip)?.announcer ?? null;
  }
  return out;
}

/**
 * The announcer every running speaker agrees on (waits for agreement). `exclude`: it must not be that node,
 * whose own view does not count either (a node cut off the segment sees nobody).
 */
export async function agreedAnnouncer(sys: HeraldSystem, ip: string, exclude?: string): Promise<string> {
  let last = {};
  return eventually(
    `every speaker agrees who announces ${ip}${exclude ? ` (not ${exclude})` : ''}`,
    async () => {
      const views = await announcerViews(sys, ip, exclude ? [exclude] : []);
      last = views;
      const names = new Set(Object.values(views));
      const [only] = [...names];
      return names.size === 1 && only && only !== exclude ? only : undefined;
    },
    { detail: () => JSON.stringify(last) },
  );
}

/** The MAC of node INDEX's eth0 (the segment interface the speaker answers on by default). */
export async function nodeMac(sys: HeraldSystem, index: number): Promise<string> {
  const ns = sys.nodes[index]!.ns.ns;
  const [link] = JSON.parse((await run('ip', ['-n', ns, '-j', 'link', 'show', 'eth0'])).stdout) as {
    address: string;
  }[];
  return link!.address;
}

/** The client's neighbour entry for IP: its MAC (undefined when none) and state. */
export async function clientNeighbor(
  sys: HeraldSystem,
  ip: string,
): Promise<{ mac?: string; state: string[] }> {
  const r = await run('ip', ['-n', sys.client.ns, '-j', 'neigh', 'show', ip, 'dev', 'eth0']);
  const [entry] = JSON.parse(r.stdout || '[]') as Array<{ lladdr?: string; state?: string[] }>;
  return { mac: entry?.lladdr, state: entry?.state ?? [] };
}

/**
 * Captures on every node's port of the lab bridge (router namespace, `n<i>`) for `ms` while the client asks
 * for IP (ARP request or Neighbor Solicitation, from a packet socket in the client namespace, `asks` times):
 * which ports answered, and which MACs announced IP (any reply, gratuitous ARP or advertisement for it).
 */
export async function answersOnBridge(
  sys: HeraldSystem,
  ip: string,
  o: { ms?: number; asks?: number } = {},
): Promise<{ answeredBy: string[]; macs: string[] }> {
  const ipv6 = ip.includes(':');
  const target = addressToBytes(ip);
  const sockets: PacketSocket[] = [];
  const answeredBy = new Set<string>();
  const macs = new Set<string>();
  try {
    for (const node of sys.nodes) {
      const socket = inNetworkNamespace(sys.lab.routerNs, () =>
        openPacketSocket({
          device: `n${node.index}`,
          protocol: ETH_P_ALL,
          filter: ipv6 ? neighborDiscoveryProgram() : arpOnly(),
        }),
      );
      sockets.push(socket);
      socket.on('frame', (frame, info) => {
        // Only what the node sent into the bridge: frames the bridge sends out of this port show up as outgoing.
        if (info.pkttype === 'outgoing') return;
        if (ipv6) {
          const d = decodeNeighborFrame(frame);
          if (!d.ok || d.message.type !== 'advertisement') return;
          if (Buffer.compare(Buffer.from(d.message.target), target) !== 0) return;
          answeredBy.add(node.name);
          macs.add(formatMac(d.message.targetLinkLayerAddress ?? frame.subarray(6, 12)));
        } else {
          const d = decodeArpFrame(frame);
          if (!d.ok || Buffer.compare(Buffer.from(d.packet.senderProtocolAddress), target) !== 0) return;
          answeredBy.add(node.name);
          macs.add(formatMac(d.packet.senderHardwareAddress));
        }
      });
    }
    const client = inNetworkNamespace(sys.client.ns, () =>
      openPacketSocket({ device: 'eth0', protocol: ipv6 ? ETH_P_IPV6 : ETH_P_ARP }),
    );
    sockets.push(client);
    const mac = client.linkLayerAddress().address;
    const ask = ipv6
      ? neighborSolicitation(target, addressToBytes(sys.client.ipv6), mac)
      : encodeArpFrame(BROADCAST_MAC, mac, {
          operation: ArpOperation.Request,
          senderHardwareAddress: mac,
          senderProtocolAddress: addressToBytes(sys.client.ipv4),
          targetHardwareAddress: ZERO_MAC,
          targetProtocolAddress: target,
        });
    const asks = o.asks ?? 3;
    const ms = o.ms ?? 1000;
    for (let i = 0; i < asks; i++) {
      client.send(ask);
      await new Promise((r) => setTimeout(r, ms / asks));
    }
  } finally {
    for (const s of sockets) s.close();
  }
  return { answeredBy: [...answeredBy].sort(), macs: [...macs].sort() };
}

export type Fault = 'kill' | 'link' | 'term';

export interface TrialResult {
  readonly fault: Fault;
  readonly ip: string;
  readonly victim: string;
  readonly heir: string;
  /** Connections that failed (or took longer than the probe's timeout). */
  readonly failed: number;
  readonly ok: number;
  /**
   * Start of the first failed connection to the start of the last one, plus one probe interval: how long
   * new connections failed (0 when none did).
   */
  readonly windowMs: number;
  /** The speakers' detection time (heartbeat interval × multiplier). */
  readonly detectionMs: number;
  /** Each failed connection: its start relative to the fault (ms) and why it failed. */
  readonly failures: ReadonlyArray<{ readonly atMs: number; readonly why: string }>;
}

/** The failure window of a probe timeline: first failed start → last failed start, plus one interval. */
export function failureWindow(summary: ProbeSummary, intervalMs: number): number {
  const failedStarts = (summary.timeline ?? []).filter(([, ok]) => ok === 0).map(([t]) => t);
  if (failedStarts.length === 0) return 0;
  return Math.max(...failedStarts) - Math.min(...failedStarts) + intervalMs;
}

/**
 * One failover trial on IP: a client loop opening a new connection every `intervalMs` (concurrently, each
 * given `timeoutMs`), then the announcer's fault — SIGKILL of its speaker, its link (bridge port) down, or
 * a clean SIGTERM — until every other speaker agrees on the heir and the client reaches it again; then the
 * victim is restored (speaker restarted, link up) and the system settles with the victim announcing again.
 */
export async function failoverTrial(
  sys: HeraldSystem,
  ip: string,
  fault: Fault,
  o: { intervalMs?: number; timeoutMs?: number; settleMs?: number } = {},
): Promise<TrialResult> {
  const intervalMs = o.intervalMs ?? 50;
  const victim = await agreedAnnouncer(sys, ip);
  const index = sys.nodes.findIndex((n) => n.name === victim);
  const node = sys.nodes[index]!;
  const detectionMs = (await l2Status(sys, index))!.mesh.detectionMs;
  const url = ip.includes(':') ? `http://[${ip}]/` : `http://${ip}/`;
  const loop = await sys.probeLoop(url, {
    intervalMs,
    concurrent: true,
    timeline: true,
    timeoutMs: o.timeoutMs ?? 1000,
  });
  await new Promise((r) => setTimeout(r, 500));
  let summary: ProbeSummary;
  let heir: string;
  const faultAt = Date.now();
  try {
    if (fault === 'kill') await node.speaker!.stop({ signal: 'SIGKILL' });
    else if (fault === 'term') await node.speaker!.stop({ signal: 'SIGTERM' });
    else await run('ip', ['-n', sys.lab.routerNs, 'link', 'set', `n${index}`, 'down']);
    heir = await agreedAnnouncer(sys, ip, victim);
    // Give the client time to show any remaining failures (a connection in flight may still time out).
    await new Promise((r) => setTimeout(r, o.settleMs ?? 2500));
  } finally {
    summary = await loop.stop();
    if (fault === 'link') await run('ip', ['-n', sys.lab.routerNs, 'link', 'set', `n${index}`, 'up']);
    else await sys.startSpeaker(index);
  }
  // Back to the steady state: the victim takes its address back (rendezvous hashing is deterministic).
  let views = {};
  await eventually(
    `${victim} announces ${ip} again, and every speaker agrees`,
    async () => {
      views = await announcerViews(sys, ip);
      return (
        Object.keys(views).length === sys.nodes.length && Object.values(views).every((v) => v === victim)
      );
    },
    { detail: () => JSON.stringify(views) },
  );
  await eventually(`the client reaches ${ip} at ${victim} again`, async () => {
    const n = await clientNeighbor(sys, ip);
    const mac = await nodeMac(sys, index);
    return n.mac === mac && (await sys.probe(url, 1)).ok === 1;
  });
  return {
    fault,
    ip,
    victim,
    heir: heir!,
    failed: summary.failed,
    ok: summary.ok,
    windowMs: failureWindow(summary, intervalMs),
    detectionMs,
    failures: (summary.timeline ?? [])
      .filter(([, ok]) => ok === 0)
      .map(([t, , , why]) => ({ atMs: t - faultAt, why: why ?? '' })),
  };
}
