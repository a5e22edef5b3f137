// Small network-namespace topologies for the native socket tests (e2e/src/native-*.test.ts): namespaces
// joined by veth pairs, addresses only from 203.0.113.0/24 and 2001:db8:1::/64, everything created inside
// namespaces this file made (nothing in the root namespace) and removed by destroy(). The sockets under
// test are opened inside a namespace with @herald/native's inNetworkNamespace, so the test process drives
// them directly. Also reads the kernel counters that prove a drop happened (/proc/net/netstat, the
// `drops` column of /proc/net/udp).
import { inNetworkNamespace } from '@herald/native';
import { assertLabRangesFree, deleteNamespace, run, runIn, uniqueLabId } from './lab/index.ts';

export class NamespaceLab {
  readonly #prefix: string;
  readonly #created: string[] = [];

  private constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** Creates one namespace per short name (loopback up, no IPv6 DAD); refuses to start if a lab range is in use. */
  static async create(names: readonly string[]): Promise<NamespaceLab> {
    await assertLabRangesFree();
    const lab = new NamespaceLab(uniqueLabId());
    try {
      for (const name of names) {
        const ns = lab.ns(name);
        await run('ip', ['netns', 'add', ns]);
        lab.#created.push(ns);
        await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
        // No duplicate address detection on interfaces created later: a tentative IPv6 address (also the
        // automatic link-local one) cannot be used for seconds.
        await runIn(ns, 'sysctl', [
          '-q',
          '-w',
          'net.ipv6.conf.default.accept_dad=0',
          'net.ipv6.conf.all.accept_dad=0',
        ]);
      }
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  /** The real namespace name of a short name. */
  ns(name: string): string {
    return `${this.#prefix}${name}`;
  }

  /** A veth pair created directly inside the two namespaces, both ends up. */
  async link(a: string, aIf: string, b: string, bIf: string): Promise<void> {
    await run('ip', [
      '-n',
      this.ns(a),
      'link',
      'add',
      aIf,
      'type',
      'veth',
      'peer',
      'name',
      bIf,
      'netns',
      this.ns(b),
    ]);
    await run('ip', ['-n', this.ns(a), 'link', 'set', aIf, 'up']);
    await run('ip', ['-n', this.ns(b), 'link', 'set', bIf, 'up']);
  }

  /** Adds addresses (IPv6 without duplicate address detection, which would delay the link by seconds). */
  async address(name: string, dev: string, ...cidrs: string[]): Promise<void> {
    for (const cidr of cidrs) {
      await run('ip', [
        '-n',
        this.ns(name),
        'addr',
        'add',
        cidr,
        'dev',
        dev,
        ...(cidr.includes(':') ? ['nodad'] : []),
      ]);
    }
  }

  async ip(name: string, ...args: string[]): Promise<string> {
    return (await run('ip', ['-n', this.ns(name), ...args])).stdout;
  }

  async enableForwarding(name: string): Promise<void> {
    await runIn(this.ns(name), 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    await runIn(this.ns(name), 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
  }

  async macOf(name: string, dev: string): Promise<string> {
    const [link] = JSON.parse(await this.ip(name, '-j', 'link', 'show', dev)) as { address: string }[];
    return link!.address;
  }

  /** Runs `fn` with this thread in the namespace, so the sockets it opens live there. */
  inside<T>(name: string, fn: () => T): T {
    return inNetworkNamespace(this.ns(name), fn);
  }

  /** A TcpExt counter of the namespace (/proc/net/netstat), e.g. 'TCPMD5Failure'. */
  async tcpExt(name: string, counter: string): Promise<number> {
    const text = (await runIn(this.ns(name), 'cat', ['/proc/net/netstat'])).stdout;
    const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
    const keys = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const at = keys.indexOf(counter);
    if (at < 0) throw new Error(`TcpExt counter ${counter} not found in /proc/net/netstat`);
    return Number(values[at]);
  }

  /** The `drops` column of the UDP socket bound to `port` (/proc/net/udp or udp6) in the namespace. */
  async udpDrops(name: string, family: 4 | 6, port: number): Promise<number> {
    return udpDrops(this.ns(name), family, port);
  }

  async destroy(): Promise<void> {
    for (const ns of this.#created.splice(0)) await deleteNamespace(ns);
  }
}

type Family = 4 | 6;

/** Addresses of the router chain: `chainAddress(4, 1)` = 203.0.113.1, `chainAddress(6, 0x11)` = 2001:db8:1::11. */
export function chainAddress(family: Family, host: number): string {
  return family === 4 ? `203.0.113.${host}` : `2001:db8:1::${host.toString(16)}`;
}

export function chainCidr(family: Family, host: number): string {
  return `${chainAddress(family, host)}/${family === 4 ? 30 : 126}`;
}

/**
 * Wires the chain the native tests share, in a lab created with S, P, R1, N (and R2, F when `far`):
 *
 *   P ──── S ──── R1 ──── R2 ──── F
 *                  └───── N
 *
 * /30 and /126 links: S–P .1/.2, S–R1 .5/.6, R1–N .9/.10, R1–R2 .13/.14, R2–F .17/.18 (IPv6 ::1 … ::12).
 * S, P, N and F send everything else towards the chain; R1 and R2 forward. P is S's neighbour, N one
 * router away from S, F two.
 */
export async function wireRouterChain(lab: NamespaceLab, far: boolean): Promise<void> {
  await lab.link('S', 'eth0', 'P', 'eth0');
  await lab.link('S', 'eth1', 'R1', 's0');
  await lab.link('R1', 'n0', 'N', 'eth0');
  if (far) {
    await lab.link('R1', 'r2', 'R2', 'r1');
    await lab.link('R2', 'f0', 'F', 'eth0');
  }
  for (const f of [4, 6] as const) {
    const v = f === 4 ? '-4' : '-6';
    const links: [string, string, number][] = [
      ['S', 'eth0', 1],
      ['P', 'eth0', 2],
      ['S', 'eth1', 5],
      ['R1', 's0', 6],
      ['R1', 'n0', 9],
      ['N', 'eth0', 10],
      ...(far
        ? ([
            ['R1', 'r2', 13],
            ['R2', 'r1', 14],
            ['R2', 'f0', 17],
            ['F', 'eth0', 18],
          ] as [string, string, number][])
        : []),
    ];
    for (const [ns, dev, host] of links) await lab.address(ns, dev, chainCidr(f, host));
    await lab.ip('S', v, 'route', 'add', 'default', 'via', chainAddress(f, 6));
    await lab.ip('P', v, 'route', 'add', 'default', 'via', chainAddress(f, 1));
    await lab.ip('N', v, 'route', 'add', 'default', 'via', chainAddress(f, 9));
    if (far) {
      await lab.ip(
        'R1',
        v,
        'route',
        'add',
        f === 4 ? '203.0.113.16/30' : '2001:db8:1::10/126',
        'via',
        chainAddress(f, 14),
      );
      await lab.ip('R2', v, 'route', 'add', 'default', 'via', chainAddress(f, 13));
      await lab.ip('F', v, 'route', 'add', 'default', 'via', chainAddress(f, 17));
    }
  }
  await lab.enableForwarding('R1');
  if (far) await lab.enableForwarding('R2');
}

/** The `drops` column of the UDP socket bound to `port` in namespace `ns` (kernel filter drops count there). */
export async function udpDrops(ns: string, family: 4 | 6, port: number): Promise<number> {
  const file = family === 4 ? '/proc/net/udp' : '/proc/net/udp6';
  const text = (await runIn(ns, 'cat', [file])).stdout;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(`:${hexPort}`)) return Number(fields[fields.length - 1]);
  }
  throw new Error(`no UDP socket on port ${port} in ${file}`);
}
