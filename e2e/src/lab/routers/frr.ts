// FRR 8.4 (zebra + bfdd + bgpd from /usr/lib/frr) started by hand inside the router namespace, with a per-lab
// directory for configs, pid files, the zserv socket, bfdd's control socket and the vty sockets — no systemd,
// no /etc/frr. bfdd idles until a neighbor has `bfd`.
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../../eventually.ts';
import { run, runIn } from '../exec.ts';
import { FrrVtyClient } from '../frr-vty.ts';
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
import { bfdTimers, familyOf, type LabBfd } from './types.ts';

const FRR_DIR = '/usr/lib/frr';

type FrrDaemon = 'zebra' | 'bfdd' | 'bgpd';

/** The bfdd profile of a set of BFD timers, e.g. `herald-300-300-3` (minReceive-minTransmit-multiplier). */
export function frrBfdProfile(bfd: LabBfd): { name: string; lines: string[] } {
  const t = bfdTimers(bfd);
  return {
    name: `herald-${t.minReceive}-${t.minTransmit}-${t.multiplier}`,
    lines: [
      `receive-interval ${t.minReceive}`,
      `transmit-interval ${t.minTransmit}`,
      `detect-multiplier ${t.multiplier}`,
    ],
  };
}

/** bfdd.conf: one profile per distinct timer set of the neighbors. */
export function renderFrrBfdd(config: RouterConfig, logFile: string): string {
  const lines = ['hostname herald-lab-router', `log file ${logFile}`, '!', 'bfd'];
  const seen = new Set<string>();
  for (const peer of config.peers) {
    if (!peer.bfd) continue;
    const profile = frrBfdProfile(peer.bfd);
    if (seen.has(profile.name)) continue;
    seen.add(profile.name);
    lines.push(` profile ${profile.name}`, ...profile.lines.map((l) => `  ${l}`), ' exit');
  }
  lines.push('exit', '!', '');
  return lines.join('\n');
}

function peerFamilies(peer: RouterPeer): readonly AddressFamily[] {
  return peer.families ?? [familyOf(peer.address)];
}

/** vtysh configuration lines (inside `router bgp`) for one neighbor. */
export function frrNeighborLines(peer: RouterPeer): {
  global: string[];
  perFamily: Record<AddressFamily, string[]>;
} {
  const global = [
    ` neighbor ${peer.address} remote-as ${peer.asn}`,
    ` neighbor ${peer.address} timers connect 2`,
  ];
  if (peer.passive) global.push(` neighbor ${peer.address} passive`);
  if (peer.password !== undefined) global.push(` neighbor ${peer.address} password ${peer.password}`);
  if (peer.ttlSecurity) global.push(` neighbor ${peer.address} ttl-security hops 1`);
  if (peer.multihop !== undefined) global.push(` neighbor ${peer.address} ebgp-multihop ${peer.multihop}`);
  if (peer.bfd) {
    global.push(
      ` neighbor ${peer.address} bfd`,
      ` neighbor ${peer.address} bfd profile ${frrBfdProfile(peer.bfd).name}`,
    );
    if (peer.bfd.checkControlPlaneFailure)
      global.push(` neighbor ${peer.address} bfd check-control-plane-failure`);
  }
  if (peer.holdTime !== undefined) {
    const keepalive = Math.max(1, Math.floor(peer.holdTime / 3));
    global.push(` neighbor ${peer.address} timers ${keepalive} ${peer.holdTime}`);
  }
  const perFamily: Record<AddressFamily, string[]> = { ipv4: [], ipv6: [] };
  for (const family of peerFamilies(peer)) perFamily[family].push(`  neighbor ${peer.address} activate`);
  return { global, perFamily };
}

/** The complete bgpd configuration for the lab router. */
export function renderFrrBgpd(config: RouterConfig, logFile: string): string {
  const lines = [
    'frr defaults traditional',
    'hostname herald-lab-router',
    `log file ${logFile}`,
    '!',
    `router bgp ${config.asn}`,
    ` bgp router-id ${config.routerId}`,
    // Without this FRR 8 refuses to exchange routes with an eBGP peer that has no policy (RFC 8212).
    ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
    ' no bgp network import-check',
    // ECMP across nodes: paths from different neighbor ASes are still multipath candidates.
    ' bgp bestpath as-path multipath-relax',
    ' bgp graceful-restart',
  ];
  const perFamily: Record<AddressFamily, string[]> = { ipv4: [], ipv6: [] };
  for (const [i, range] of config.listenRanges.entries()) {
    const group = `LISTEN${i}`;
    lines.push(` neighbor ${group} peer-group`, ` neighbor ${group} remote-as ${range.asn}`);
    lines.push(` bgp listen range ${range.prefix} peer-group ${group}`);
    perFamily[familyOf(range.prefix)].push(`  neighbor ${group} activate`);
  }
  for (const peer of config.peers) {
    const n = frrNeighborLines(peer);
    lines.push(...n.global);
    perFamily.ipv4.push(...n.perFamily.ipv4);
    perFamily.ipv6.push(...n.perFamily.ipv6);
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    lines.push(` address-family ${family} unicast`, '  maximum-paths 16', '  maximum-paths ibgp 16');
    lines.push(...perFamily[family], ' exit-address-family');
  }
  lines.push('!', '');
  return lines.join('\n');
}

interface FrrPath {
  valid?: boolean;
  bestpath?: boolean | { overall?: boolean };
  multipath?: boolean;
  stale?: boolean;
  path?: string;
  aspath?: { string?: string; segments?: { list?: number[] }[] };
  community?: { string?: string };
  largeCommunity?: { string?: string };
  extendedCommunity?: { string?: string };
  locPrf?: number;
  localPref?: number;
  metric?: number;
  med?: number;
  peer?: { peerId?: string };
  peerId?: string;
  nexthops?: { ip?: string; afi?: string; scope?: string; used?: boolean }[];
}

function splitWords(text: string | undefined): string[] {
  return text ? text.split(/\s+/).filter((w) => w.length > 0) : [];
}

/** Parses `show bgp <afi> unicast detail json`-style output (routes keyed by prefix, each a list of paths). */
export function parseFrrRoutes(json: unknown): RibRoute[] {
  const routes = ((json as { routes?: Record<string, FrrPath[] | { paths?: FrrPath[] }> }).routes ??
    {}) as Record<string, FrrPath[] | { paths?: FrrPath[] }>;
  const out: RibRoute[] = [];
  for (const [prefix, entry] of Object.entries(routes)) {
    const paths = Array.isArray(entry) ? entry : (entry.paths ?? []);
    for (const p of paths) {
      const asPathText = p.aspath?.string ?? p.path ?? '';
      out.push({
        prefix,
        nexthop: p.nexthops?.find((n) => n.scope !== 'link-local')?.ip ?? p.nexthops?.[0]?.ip ?? '',
        peer: p.peer?.peerId ?? p.peerId ?? '',
        best: p.bestpath !== undefined && p.bestpath !== false,
        asPath: splitWords(asPathText)
          .map(Number)
          .filter((n) => Number.isInteger(n)),
        communities: splitWords(p.community?.string),
        largeCommunities: splitWords(p.largeCommunity?.string),
        // FRR writes "LB:64701:125000 (1.000 Mbps) RT:64512:1": the bandwidth's gloss in parentheses goes.
        extendedCommunities: splitWords(p.extendedCommunity?.string?.replace(/\([^)]*\)/g, '')).map((c) =>
          c.toLowerCase(),
        ),
        localPref: p.locPrf ?? p.localPref,
        med: p.metric ?? p.med,
        stale: p.stale === true,
      });
    }
  }
  return out;
}

export interface FrrPaths {
  dir: string;
  vtyDir: string;
  zserv: string;
}

export class FrrRouter implements LabRouter {
  readonly kind: RouterKind = 'frr';
  readonly ns: string;
  readonly paths: FrrPaths;
  private config: RouterConfig;

  constructor(ns: string, dir: string, config: RouterConfig) {
    this.ns = ns;
    this.paths = { dir, vtyDir: join(dir, 'vty'), zserv: join(dir, 'zserv.api') };
    this.config = config;
  }

  private daemonArgs(daemon: FrrDaemon): string[] {
    const { dir, vtyDir, zserv } = this.paths;
    return [
      ...(daemon === 'bfdd' ? ['--bfdctl', join(dir, 'bfdd.sock')] : []),
      '-d',
      '-f',
      join(dir, `${daemon}.conf`),
      '-i',
      join(dir, `${daemon}.pid`),
      '-z',
      zserv,
      '--vty_socket',
      vtyDir,
      '-u',
      'frr',
      '-g',
      'frr',
      '-P',
      '0', // no TCP vty
    ];
  }

  async start(): Promise<void> {
    const { dir, vtyDir } = this.paths;
    await mkdir(vtyDir, { recursive: true });
    // The daemons drop to frr:frr and must create sockets, pid files and logs here.
    for (const d of [dir, vtyDir]) {
      await chown(d, ...(await frrIds()));
      await chmod(d, 0o775);
    }
    await writeFile(
      join(dir, 'zebra.conf'),
      `hostname herald-lab-router\nlog file ${join(dir, 'zebra.log')}\n!\n`,
    );
    await writeFile(join(dir, 'bgpd.conf'), renderFrrBgpd(this.config, join(dir, 'bgpd.log')));
    await writeFile(join(dir, 'bfdd.conf'), renderFrrBfdd(this.config, join(dir, 'bfdd.log')));
    await runIn(this.ns, join(FRR_DIR, 'zebra'), this.daemonArgs('zebra'));
    await eventually('zebra vty socket', async () =>
      (await this.vtysh(['show version'], true)).ok ? true : undefined,
    );
    // bfdd before bgpd: bgpd registers its BFD neighbors through zebra as it starts.
    await runIn(this.ns, join(FRR_DIR, 'bfdd'), this.daemonArgs('bfdd'));
    await eventually('bfdd to answer', async () =>
      (await this.vtysh(['show bfd peers json'], true)).ok ? true : undefined,
    );
    await runIn(this.ns, join(FRR_DIR, 'bgpd'), this.daemonArgs('bgpd'));
    await eventually('bgpd to answer', async () =>
      (await this.vtysh(['show bgp summary json'], true)).ok ? true : undefined,
    );
  }

  async vtysh(commands: readonly string[], allowFailure = false): Promise<{ ok: boolean; output: string }> {
    const args = ['--vty_socket', this.paths.vtyDir];
    for (const c of commands) args.push('-c', c);
    const r = await runIn(this.ns, 'vtysh', args, { allowFailure });
    return { ok: r.code === 0, output: r.stdout };
  }

  async vtyshJson<T>(command: string): Promise<T> {
    const { output } = await this.vtysh([command]);
    return JSON.parse(output) as T;
  }

  async pids(): Promise<number[]> {
    const pids = [
      await readPid(join(this.paths.dir, 'zebra.pid')),
      await readPid(join(this.paths.dir, 'bfdd.pid')),
      await readPid(join(this.paths.dir, 'bgpd.pid')),
    ];
    return pids.filter((p): p is number => p !== undefined);
  }

  async bfddPid(): Promise<number | undefined> {
    return readPid(join(this.paths.dir, 'bfdd.pid'));
  }

  /** bfdd's sessions (`show bfd peers json`). */
  async bfdPeers(): Promise<FrrBfdPeer[]> {
    return this.vtyshJson<FrrBfdPeer[]>('show bfd peers json');
  }

  async bgpdPid(): Promise<number | undefined> {
    return readPid(join(this.paths.dir, 'bgpd.pid'));
  }

  async stop(): Promise<void> {
    // bgpd first so it does not complain about a vanished zebra.
    for (const daemon of ['bgpd', 'bfdd', 'zebra']) {
      const pid = await readPid(join(this.paths.dir, `${daemon}.pid`));
      if (pid !== undefined) await terminate(pid);
    }
  }

  /** Restarts bgpd only (zebra keeps the kernel routes' owner alive, like `systemctl restart` of one daemon). */
  async restart(): Promise<void> {
    const pid = await this.bgpdPid();
    if (pid !== undefined) await terminate(pid);
    await writeFile(
      join(this.paths.dir, 'bgpd.conf'),
      renderFrrBgpd(this.config, join(this.paths.dir, 'bgpd.log')),
    );
    await runIn(this.ns, join(FRR_DIR, 'bgpd'), this.daemonArgs('bgpd'));
    await eventually('bgpd to answer after restart', async () =>
      (await this.vtysh(['show bgp summary json'], true)).ok ? true : undefined,
    );
  }

  async freeze(): Promise<void> {
    const pid = await this.bgpdPid();
    if (pid !== undefined) signal(pid, 'SIGSTOP');
  }

  async unfreeze(): Promise<void> {
    const pid = await this.bgpdPid();
    if (pid !== undefined) signal(pid, 'SIGCONT');
  }

  async addPeer(peer: RouterPeer): Promise<void> {
    this.config = {
      ...this.config,
      peers: [...this.config.peers.filter((p) => p.address !== peer.address), peer],
    };
    const n = frrNeighborLines(peer);
    const cmds = ['configure terminal'];
    if (peer.bfd) {
      const profile = frrBfdProfile(peer.bfd);
      cmds.push('bfd', `profile ${profile.name}`, ...profile.lines, 'exit', 'exit');
    }
    cmds.push(`router bgp ${this.config.asn}`, ...n.global.map((l) => l.trim()));
    for (const family of ['ipv4', 'ipv6'] as const) {
      if (n.perFamily[family].length === 0) continue;
      cmds.push(
        `address-family ${family} unicast`,
        ...n.perFamily[family].map((l) => l.trim()),
        'exit-address-family',
      );
    }
    await this.vtysh(cmds);
  }

  /** Applies configuration text (as in frr.conf) through vtysh; `!` comment lines are skipped. */
  async applyConfig(text: string): Promise<void> {
    const lines = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('!'));
    await this.vtysh(['configure terminal', ...lines]);
  }

  async removePeer(address: string): Promise<void> {
    this.config = { ...this.config, peers: this.config.peers.filter((p) => p.address !== address) };
    await this.vtysh(['configure terminal', `router bgp ${this.config.asn}`, `no neighbor ${address}`]);
  }

  async routes(family: AddressFamily): Promise<RibRoute[]> {
    return parseFrrRoutes(await this.vtyshJson(`show bgp ${family} unicast json`));
  }

  async route(family: AddressFamily, prefix: string): Promise<RibRoute[]> {
    const json = await this.vtyshJson<{ prefix?: string; paths?: FrrPath[] }>(
      `show bgp ${family} unicast ${prefix} json`,
    );
    if (!json.prefix) return [];
    return parseFrrRoutes({ routes: { [json.prefix]: json.paths ?? [] } });
  }

  async peers(): Promise<PeerStatus[]> {
    const json =
      await this.vtyshJson<
        Record<string, { bgpState?: string; remoteRouterId?: string; dynamicPeer?: boolean }>
      >('show bgp neighbors json');
    const out: PeerStatus[] = [];
    for (const [address, n] of Object.entries(json)) {
      if (typeof n !== 'object' || n === null || n.bgpState === undefined) continue;
      out.push({ address, state: n.bgpState, established: n.bgpState === 'Established' });
    }
    return out;
  }

  /**
   * `show bgp neighbors <addr> json` asked of bgpd alone over its vty socket: works while another daemon is
   * stopped (vtysh connects to all of them first).
   */
  async neighborFromBgpd(address: string): Promise<Record<string, unknown> | undefined> {
    const vty = await FrrVtyClient.open(join(this.paths.vtyDir, 'bgpd.vty'));
    try {
      return (await vty.json<Record<string, Record<string, unknown>>>(`show bgp neighbors ${address} json`))[
        address
      ];
    } finally {
      vty.close();
    }
  }

  /** Raw `show bgp neighbors <addr> json` for counters, capabilities and GR state. */
  async neighbor(address: string): Promise<Record<string, unknown> | undefined> {
    const json = await this.vtyshJson<Record<string, Record<string, unknown>>>(
      `show bgp neighbors ${address} json`,
    );
    return json[address];
  }
}

/** One bfdd session as `show bfd peers json` prints it (FRR 8.4); intervals in ms. */
export interface FrrBfdPeer {
  readonly peer: string;
  readonly local?: string;
  readonly multihop: boolean;
  readonly id: number;
  readonly 'remote-id': number;
  readonly status: 'up' | 'down' | 'init' | 'shutdown';
  readonly diagnostic: string;
  readonly 'remote-diagnostic': string;
  readonly 'remote-receive-interval'?: number;
  readonly 'remote-transmit-interval'?: number;
  readonly 'remote-detect-multiplier'?: number;
  readonly 'receive-interval'?: number;
  readonly 'transmit-interval'?: number;
  readonly 'detect-multiplier'?: number;
}

let ids: [number, number] | undefined;
async function frrIds(): Promise<[number, number]> {
  if (!ids) {
    const uid = Number((await run('id', ['-u', 'frr'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'frr'])).stdout.trim());
    ids = [uid, gid];
  }
  return ids;
}
