// A reference BGP speaker (gobgpd) in a node namespace: proves the lab works independently of Herald and
// serves as the GoBGP sender in the benchmark.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lab } from './lab.ts';
import { GobgpRouter } from './routers/gobgp.ts';
import type { AddressFamily } from './routers/types.ts';
import type { LabNamespace } from './topology.ts';

export interface ReferenceSpeakerOptions {
  asn: number;
  /** Session over IPv4 or IPv6 transport to the lab router. */
  family?: AddressFamily;
  /** Start with no neighbor (load routes first, then `connect()`). */
  deferPeer?: boolean;
}

export class ReferenceSpeaker {
  readonly gobgpd: GobgpRouter;
  private readonly lab: Lab;
  private readonly family: AddressFamily;

  private constructor(lab: Lab, gobgpd: GobgpRouter, family: AddressFamily) {
    this.lab = lab;
    this.gobgpd = gobgpd;
    this.family = family;
  }

  static async start(
    lab: Lab,
    node: LabNamespace,
    options: ReferenceSpeakerOptions,
  ): Promise<ReferenceSpeaker> {
    const family = options.family ?? 'ipv4';
    const dir = join(lab.dir, `gobgp-${node.ns}`);
    await mkdir(dir, { recursive: true });
    const peer = { address: family === 'ipv4' ? lab.routerIpv4 : lab.routerIpv6, asn: lab.routerAsn };
    const gobgpd = new GobgpRouter(node.ns, dir, {
      asn: options.asn,
      routerId: node.ipv4,
      peers: options.deferPeer ? [] : [peer],
      listenRanges: [],
    });
    await gobgpd.start();
    for (const pid of await gobgpd.pids()) lab.track(pid);
    return new ReferenceSpeaker(lab, gobgpd, family);
  }

  async connect(): Promise<void> {
    const address = this.family === 'ipv4' ? this.lab.routerIpv4 : this.lab.routerIpv6;
    await this.gobgpd.addPeer({ address, asn: this.lab.routerAsn });
  }

  async announce(prefix: string, extra: readonly string[] = []): Promise<void> {
    const family: AddressFamily = prefix.includes(':') ? 'ipv6' : 'ipv4';
    await this.gobgpd.gobgp(['global', 'rib', '-a', family, 'add', prefix, ...extra]);
  }

  async stop(): Promise<void> {
    const pids = await this.gobgpd.pids();
    await this.gobgpd.stop();
    for (const pid of pids) this.lab.untrack(pid);
  }
}
