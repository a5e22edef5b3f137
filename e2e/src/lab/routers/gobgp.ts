// gobgpd inside a lab namespace: per-lab TOML config, gRPC API on a loopback port inside that namespace
// (loopback is per-namespace, so it never collides with other labs), queried with `gobgp -j`.
// Peers change by rewriting the config and sending SIGHUP, which gobgpd applies as a diff.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, sleep } from '../../eventually.ts';
import { runIn } from '../exec.ts';
import { signal, terminate } from '../process.ts';
import type {
  AddressFamily,
  LabRouter,
  PeerStatus,
  RibRoute,
  RouterConfig,
  RouterKind,
  RouterPeer,
} from './types.ts';
import { familyOf } from './types.ts';

const AFI_SAFI: Record<AddressFamily, string> = { ipv4: 'ipv4-unicast', ipv6: 'ipv6-unicast' };

export function renderGobgpConfig(config: RouterConfig): string {
  const lines = ['[global.config]', `  as = ${config.asn}`, `  router-id = "${config.routerId}"`, ''];
  for (const peer of config.peers) {
    lines.push('[[neighbors]]', '  [neighbors.config]', `    neighbor-address = "${peer.address}"`);
    lines.push(`    peer-as = ${peer.asn}`);
    if (peer.password !== undefined) lines.push(`    auth-password = "${peer.password}"`);
    lines.push('  [neighbors.timers.config]', '    connect-retry = 2');
    if (peer.holdTime !== undefined) {
      lines.push(
        `    hold-time = ${peer.holdTime}`,
        `    keepalive-interval = ${Math.max(1, Math.floor(peer.holdTime / 3))}`,
      );
    }
    if (peer.passive) lines.push('  [neighbors.transport.config]', '    passive-mode = true');
    if (peer.ttlSecurity)
      lines.push('  [neighbors.ttl-security.config]', '    enabled = true', '    ttl-min = 255');
    if (peer.multihop !== undefined)
      lines.push(
        '  [neighbors.ebgp-multihop.config]',
        '    enabled = true',
        `    multihop-ttl = ${peer.multihop}`,
      );
    for (const family of peer.families ?? [familyOf(peer.address)]) {
      lines.push(
        '  [[neighbors.afi-safis]]',
        '    [neighbors.afi-safis.config]',
        `      afi-safi-name = "${AFI_SAFI[family]}"`,
      );
    }
    lines.push('');
  }
  for (const [i, range] of config.listenRanges.entries()) {
    lines.push(
      '[[peer-groups]]',
      '  [peer-groups.config]',
      `    peer-group-name = "listen${i}"`,
      `    peer-as = ${range.asn}`,
    );
    lines.push('  [[peer-groups.afi-safis]]', '    [peer-groups.afi-safis.config]');
    lines.push(`      afi-safi-name = "${AFI_SAFI[familyOf(range.prefix)]}"`);
    lines.push('[[dynamic-neighbors]]', '  [dynamic-neighbors.config]', `    prefix = "${range.prefix}"`);
    lines.push(`    peer-group = "listen${i}"`, '');
  }
  return lines.join('\n');
}

/** gobgp -j renders RFC 8092 values with Go field names. */
interface GobgpLargeCommunity {
  ASN: number;
  LocalData1: number;
  LocalData2: number;
}

interface GobgpPath {
  nlri?: { prefix?: string; prefix_len?: number };
  attrs?: {
    type: number;
    value?: unknown;
    nexthop?: string;
    as_paths?: { asns?: number[] }[];
    communities?: number[];
    metric?: number;
  }[];
  best?: boolean;
  stale?: boolean;
  'neighbor-ip'?: string;
  source_id?: string;
}

export function parseGobgpRib(json: unknown): RibRoute[] {
  const out: RibRoute[] = [];
  for (const [prefix, paths] of Object.entries((json ?? {}) as Record<string, GobgpPath[]>)) {
    for (const p of paths) {
      const route: RibRoute = {
        prefix,
        nexthop: '',
        peer: p['neighbor-ip'] ?? '',
        best: p.best === true,
        asPath: [],
        communities: [],
        largeCommunities: [],
        extendedCommunities: [],
        stale: p.stale === true,
      };
      for (const a of p.attrs ?? []) {
        if (a.type === 2) route.asPath = (a.as_paths ?? []).flatMap((s) => s.asns ?? []);
        else if (a.type === 3) route.nexthop = a.nexthop ?? '';
        else if (a.type === 14) route.nexthop = ((a as { nexthop?: string }).nexthop ?? '') || route.nexthop;
        else if (a.type === 4) route.med = a.metric;
        else if (a.type === 5) route.localPref = (a as { value?: number }).value;
        else if (a.type === 8)
          route.communities = (a.communities ?? []).map((c) => `${c >>> 16}:${c & 0xffff}`);
        else if (a.type === 32)
          route.largeCommunities = ((a.value ?? []) as GobgpLargeCommunity[]).map(
            (v) => `${v.ASN}:${v.LocalData1}:${v.LocalData2}`,
          );
      }
      out.push(route);
    }
  }
  return out;
}

export class GobgpRouter implements LabRouter {
  readonly kind: RouterKind = 'gobgp';
  readonly ns: string;
  readonly dir: string;
  readonly apiPort: number;
  private config: RouterConfig;
  private pid: number | undefined;

  constructor(ns: string, dir: string, config: RouterConfig, apiPort = 50051) {
    this.ns = ns;
    this.dir = dir;
    this.config = config;
    this.apiPort = apiPort;
  }

  /** Extra TOML appended verbatim after the rendered config (e.g. a documented snippet). */
  private extraConfig = '';

  private async writeConfig(): Promise<void> {
    await writeFile(join(this.dir, 'gobgpd.toml'), `${renderGobgpConfig(this.config)}\n${this.extraConfig}`);
  }

  /** Appends TOML and restarts gobgpd (peer groups and dynamic neighbors are read at start). */
  async appendConfig(text: string): Promise<void> {
    this.extraConfig += `${text}\n`;
    await this.restart();
  }

  async start(): Promise<void> {
    await this.writeConfig();
    const log = openSync(join(this.dir, 'gobgpd.log'), 'a');
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns,
        'gobgpd',
        '-f',
        join(this.dir, 'gobgpd.toml'),
        '--api-hosts',
        `127.0.0.1:${this.apiPort}`,
        '-p',
        '--pprof-disable',
      ],
      { stdio: ['ignore', log, log], detached: true },
    );
    child.unref();
    // `ip netns exec` execs gobgpd, so the child's pid is gobgpd's.
    this.pid = child.pid;
    await eventually('gobgpd API', async () =>
      (await runIn(this.ns, 'gobgp', ['-p', String(this.apiPort), 'global'], { allowFailure: true })).code ===
      0
        ? true
        : undefined,
    );
  }

  async gobgp(args: readonly string[]): Promise<string> {
    return (await runIn(this.ns, 'gobgp', ['-p', String(this.apiPort), ...args])).stdout;
  }

  async pids(): Promise<number[]> {
    return this.pid === undefined ? [] : [this.pid];
  }

  async stop(): Promise<void> {
    if (this.pid !== undefined) await terminate(this.pid);
    this.pid = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async freeze(): Promise<void> {
    if (this.pid !== undefined) signal(this.pid, 'SIGSTOP');
  }

  async unfreeze(): Promise<void> {
    if (this.pid !== undefined) signal(this.pid, 'SIGCONT');
  }

  private async reload(): Promise<void> {
    await this.writeConfig();
    if (this.pid !== undefined) signal(this.pid, 'SIGHUP');
    await sleep(300);
  }

  async addPeer(peer: RouterPeer): Promise<void> {
    this.config = {
      ...this.config,
      peers: [...this.config.peers.filter((p) => p.address !== peer.address), peer],
    };
    await this.reload();
  }

  async removePeer(address: string): Promise<void> {
    this.config = { ...this.config, peers: this.config.peers.filter((p) => p.address !== address) };
    await this.reload();
  }

  async routes(family: AddressFamily): Promise<RibRoute[]> {
    return parseGobgpRib(JSON.parse((await this.gobgp(['-j', 'global', 'rib', '-a', family])) || '{}'));
  }

  async route(family: AddressFamily, prefix: string): Promise<RibRoute[]> {
    return (await this.routes(family)).filter((r) => r.prefix === prefix);
  }

  async peers(): Promise<PeerStatus[]> {
    const list = JSON.parse((await this.gobgp(['-j', 'neighbor'])) || '[]') as {
      state?: { neighbor_address?: string; session_state?: number };
      conf?: { neighbor_address?: string };
    }[];
    // session_state is the gRPC enum: 1 idle, 2 connect, 3 active, 4 opensent, 5 openconfirm, 6 established.
    const names = ['unknown', 'Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];
    return list.map((n) => {
      const state = names[n.state?.session_state ?? 0] ?? 'unknown';
      return {
        address: n.state?.neighbor_address ?? n.conf?.neighbor_address ?? '',
        state,
        established: state === 'Established',
      };
    });
  }
}
