// BIRD 2 inside the router namespace: per-lab config file and control socket (`-s`), reconfigured with
// `birdc configure` when peers change. Routes are exported to the namespace's kernel table.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatExtendedCommunity } from '@herald/inet';
import { eventually } from '../../eventually.ts';
import { runIn } from '../exec.ts';
import { readPid, signal, terminate } from '../process.ts';
import type {
  AddressFamily,
  LabRouter,
  PeerStatus,
  RibRoute,
  RouterConfig,
  RouterKind,
  RouterPeer,
} from './types.ts';
import { bfdTimers, familyOf } from './types.ts';

export function birdProtocolName(address: string): string {
  return `p_${address.replace(/[.:]/g, '_')}`;
}

function channels(families: readonly AddressFamily[], ibgp: boolean, multihop?: number): string[] {
  // iBGP is multihop (recursive next hops via an IGP) by default in BIRD; the lab link is one shared
  // segment, so iBGP peers are declared `direct` like eBGP ones, unless the peer is really further away.
  const reach = multihop !== undefined ? [`  multihop ${multihop};`] : ibgp ? ['  direct;'] : [];
  return [...reach, ...families.map((f) => `  ${f} { import all; export none; };`)];
}

export function renderBirdConfig(config: RouterConfig, logFile: string): string {
  const lines = [
    `router id ${config.routerId};`,
    `log "${logFile}" all;`,
    'protocol device { scan time 10; }',
    'protocol direct { ipv4; ipv6; }',
    'protocol kernel kernel4 { ipv4 { export where source = RTS_BGP; import none; }; merge paths on; }',
    'protocol kernel kernel6 { ipv6 { export where source = RTS_BGP; import none; }; merge paths on; }',
  ];
  // BIRD's BFD timers are per interface (and for multihop sessions), not per BGP neighbor: the lab uses the
  // first BFD neighbor's for all.
  const bfd = config.peers.find((p) => p.bfd)?.bfd;
  if (bfd) {
    const t = bfdTimers(bfd);
    const timers = `min rx interval ${t.minReceive} ms; min tx interval ${t.minTransmit} ms; multiplier ${t.multiplier};`;
    lines.push(`protocol bfd { interface "*" { ${timers} }; multihop { ${timers} }; }`);
  }
  for (const peer of config.peers) {
    const families = peer.families ?? [familyOf(peer.address)];
    lines.push(`protocol bgp ${birdProtocolName(peer.address)} {`);
    if (peer.bfd) lines.push(`  bfd ${peer.bfd.graceful ? 'graceful' : 'on'};`);
    lines.push(`  local as ${config.asn};`, `  neighbor ${peer.address} as ${peer.asn};`);
    lines.push('  connect retry time 2;', '  error wait time 1, 5;', '  graceful restart on;');
    if (peer.passive) lines.push('  passive on;');
    if (peer.holdTime !== undefined) lines.push(`  hold time ${peer.holdTime};`);
    if (peer.password !== undefined) lines.push(`  password "${peer.password}";`);
    if (peer.ttlSecurity) lines.push('  ttl security on;');
    lines.push(...channels(families, peer.asn === config.asn, peer.multihop), '}');
  }
  for (const [i, range] of config.listenRanges.entries()) {
    lines.push(`protocol bgp listen${i} {`, `  local as ${config.asn};`);
    lines.push(`  neighbor range ${range.prefix} as ${range.asn};`, `  dynamic name "dyn${i}_";`);
    lines.push(...channels([familyOf(range.prefix)], range.asn === config.asn), '}');
  }
  return lines.join('\n') + '\n';
}

type AttributeLine = readonly [RegExp, (route: RibRoute, value: string) => void];

/** `show route all` detail lines we read, one handler per line type. */
const ATTRIBUTE_LINES: readonly AttributeLine[] = [
  [
    /^via (\S+)/,
    (r, v) => {
      if (r.nexthop === '') r.nexthop = v;
    },
  ],
  [
    /^BGP\.as_path:\s*(.*)$/,
    (r, v) => {
      r.asPath = v.split(/\s+/).filter(Boolean).map(Number);
    },
  ],
  [
    /^BGP\.next_hop:\s*(\S+)/,
    (r, v) => {
      r.nexthop = v;
    },
  ],
  [
    /^BGP\.local_pref:\s*(\d+)/,
    (r, v) => {
      r.localPref = Number(v);
    },
  ],
  [
    /^BGP\.med:\s*(\d+)/,
    (r, v) => {
      r.med = Number(v);
    },
  ],
  [
    /^BGP\.community:\s*(.*)$/,
    (r, v) => {
      r.communities = [...v.matchAll(/\((\d+),(\d+)\)/g)].map((c) => `${c[1]}:${c[2]}`);
    },
  ],
  [
    /^BGP\.large_community:\s*(.*)$/,
    (r, v) => {
      r.largeCommunities = [...v.matchAll(/\((\d+), (\d+), (\d+)\)/g)].map((c) => `${c[1]}:${c[2]}:${c[3]}`);
    },
  ],
  [
    /^BGP\.ext_community:\s*(.*)$/,
    (r, v) => {
      // BIRD names what it knows ("(rt, 64512, 1)") and shows the rest as "(unknown 0x4004, 64701, 1207182336)":
      // type and sub-type, then the 2-octet and 4-octet halves of the value. Both become Herald's text.
      r.extendedCommunities = [...v.matchAll(/\(([^,]+), (\d+), (\d+)\)/g)].map((c) => {
        const unknown = /^unknown 0x([0-9a-f]{4})$/.exec(c[1]!);
        if (!unknown) return `${c[1]}:${c[2]}:${c[3]}`;
        const bytes = Buffer.alloc(8);
        bytes.writeUInt16BE(Number.parseInt(unknown[1]!, 16), 0);
        bytes.writeUInt16BE(Number(c[2]), 2);
        bytes.writeUInt32BE(Number(c[3]), 4);
        return formatExtendedCommunity(bytes);
      });
    },
  ],
  [
    /^Type:.*\b(stale)\b/i,
    (r) => {
      r.stale = true;
    },
  ],
];

/**
 * Parses `birdc show route all` text. A route block starts with the prefix at column 0 (or an indented
 * continuation for another path to the same prefix) and carries `BGP.*` attribute lines.
 */
export function parseBirdRoutes(text: string, peerByProtocol: (name: string) => string): RibRoute[] {
  const routes: RibRoute[] = [];
  let prefix = '';
  let current: RibRoute | undefined;
  for (const raw of text.split('\n')) {
    const head = /^(\S+)?\s+(?:unicast|unreachable|blackhole)\s+\[(\S+)\s[^\]]*\]\s*(\*)?/.exec(raw);
    if (head && !raw.startsWith('\t')) {
      if (head[1] && /[/]/.test(head[1])) prefix = head[1];
      current = {
        prefix,
        nexthop: '',
        peer: peerByProtocol(head[2] ?? ''),
        best: head[3] === '*',
        asPath: [],
        communities: [],
        largeCommunities: [],
        extendedCommunities: [],
        stale: false,
      };
      routes.push(current);
      continue;
    }
    if (!current) continue;
    const line = raw.trim();
    for (const [pattern, apply] of ATTRIBUTE_LINES) {
      const m = pattern.exec(line);
      if (m) {
        apply(current, m[1] ?? '');
        break;
      }
    }
  }
  return routes;
}

export class BirdRouter implements LabRouter {
  readonly kind: RouterKind = 'bird';
  readonly ns: string;
  readonly dir: string;
  readonly socket: string;
  private config: RouterConfig;
  /** Dynamic (listen range) protocol names map to addresses only through `show protocols all`. */
  private readonly dynamicPeers = new Map<string, string>();

  constructor(ns: string, dir: string, config: RouterConfig) {
    this.ns = ns;
    this.dir = dir;
    this.socket = join(dir, 'bird.ctl');
    this.config = config;
  }

  private get pidFile(): string {
    return join(this.dir, 'bird.pid');
  }

  /** Extra configuration appended verbatim to bird.conf (e.g. a documented snippet). */
  private extraConfig = '';

  private async writeConfig(): Promise<void> {
    const base = renderBirdConfig(this.config, join(this.dir, 'bird.log'));
    await writeFile(join(this.dir, 'bird.conf'), `${base}${this.extraConfig}`);
  }

  async appendConfig(text: string): Promise<void> {
    this.extraConfig += `\n${text}\n`;
    await this.writeConfig();
    await this.birdc(['configure']);
  }

  async start(): Promise<void> {
    await this.writeConfig();
    await runIn(this.ns, 'bird', ['-c', join(this.dir, 'bird.conf'), '-s', this.socket, '-P', this.pidFile]);
    await eventually('bird control socket', async () =>
      (await runIn(this.ns, 'birdc', ['-s', this.socket, 'show', 'status'], { allowFailure: true })).code ===
      0
        ? true
        : undefined,
    );
  }

  async birdc(args: readonly string[]): Promise<string> {
    return (await runIn(this.ns, 'birdc', ['-s', this.socket, ...args])).stdout;
  }

  async pids(): Promise<number[]> {
    const pid = await readPid(this.pidFile);
    return pid === undefined ? [] : [pid];
  }

  async stop(): Promise<void> {
    for (const pid of await this.pids()) await terminate(pid);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async freeze(): Promise<void> {
    for (const pid of await this.pids()) signal(pid, 'SIGSTOP');
  }

  async unfreeze(): Promise<void> {
    for (const pid of await this.pids()) signal(pid, 'SIGCONT');
  }

  async addPeer(peer: RouterPeer): Promise<void> {
    this.config = {
      ...this.config,
      peers: [...this.config.peers.filter((p) => p.address !== peer.address), peer],
    };
    await this.writeConfig();
    await this.birdc(['configure']);
  }

  async removePeer(address: string): Promise<void> {
    this.config = { ...this.config, peers: this.config.peers.filter((p) => p.address !== address) };
    await this.writeConfig();
    await this.birdc(['configure']);
  }

  private peerByProtocol = (name: string): string =>
    this.config.peers.find((p) => birdProtocolName(p.address) === name)?.address ??
    this.dynamicPeers.get(name) ??
    name;

  async routes(family: AddressFamily): Promise<RibRoute[]> {
    await this.peers(); // refresh dynamic protocol names
    const text = await this.birdc([
      'show',
      'route',
      'all',
      'table',
      family === 'ipv4' ? 'master4' : 'master6',
    ]);
    return parseBirdRoutes(text, this.peerByProtocol).filter(
      (r) => r.peer !== '' && !r.peer.startsWith('direct'),
    );
  }

  async route(family: AddressFamily, prefix: string): Promise<RibRoute[]> {
    return (await this.routes(family)).filter((r) => r.prefix === prefix);
  }

  /** `show bfd sessions`: address → state (Up, Down, Init, AdminDown). */
  async bfdSessions(): Promise<Map<string, string>> {
    const text = await this.birdc(['show', 'bfd', 'sessions']);
    const out = new Map<string, string>();
    for (const m of text.matchAll(/^(\S+:?\S*)\s+(\S+)\s+(Up|Down|Init|AdminDown)\b/gm))
      out.set(m[1]!, m[3]!);
    return out;
  }

  async peers(): Promise<PeerStatus[]> {
    const text = await this.birdc(['show', 'protocols', 'all']);
    const out: PeerStatus[] = [];
    // Blocks: "<name> BGP --- up <since> Established" followed by indented details incl. "Neighbor address:".
    const blocks = text.split(/\n(?=\S)/);
    for (const block of blocks) {
      const head = /^(\S+)\s+BGP\s+\S+\s+(\S+)\s+\S+\s*(\S*)/.exec(block);
      if (!head) continue;
      const name = head[1] ?? '';
      const address = /Neighbor address:\s*(\S+)/.exec(block)?.[1];
      if (!address) continue;
      if (!this.config.peers.some((p) => birdProtocolName(p.address) === name))
        this.dynamicPeers.set(name, address);
      if (name.startsWith('listen')) continue; // the template protocol of a listen range
      const state = /BGP state:\s*(\S+)/.exec(block)?.[1] ?? head[3] ?? head[2] ?? '';
      out.push({ address, state, established: state === 'Established' });
    }
    return out;
  }
}
