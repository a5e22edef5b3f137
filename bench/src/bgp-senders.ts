// The three senders the BGP benchmark compares, each loading the same /32s BEFORE its session comes up so
// the measurement covers sending, not loading: Herald (heraldctl with --prefixes-file), gobgpd (routes
// injected from an MRT file into its global RIB, then the neighbor is added) and BIRD (static routes,
// protocol enabled with birdc).
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  announceArgs,
  eventually,
  type HeraldProcess,
  type Lab,
  type LabNamespace,
  ReferenceSpeaker,
  readPid,
  runIn,
  sleep,
  startHerald,
  terminate,
} from '@herald/e2e';
import { addressToBytes, parsePrefix } from '@herald/inet';

export interface Sender {
  readonly name: string;
  readonly node: LabNamespace;
  readonly asn: number;
  /** Load the prefixes; the session must not be up yet. */
  prepare(): Promise<void>;
  /** Bring the session up (the measurement starts at Established as seen by FRR). */
  connect(): Promise<void>;
  /** Tear the session down so FRR withdraws everything before the next run. */
  disconnect(): Promise<void>;
  /** Resident set size in KiB, if known. */
  rssKiB(): Promise<number | undefined>;
  close(): Promise<void>;
}

async function rssOf(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) : undefined;
}

export function benchPrefixes(count: number): string[] {
  // 198.18.0.0/15 holds 131,072 addresses: plenty for the 10k /32s.
  return Array.from({ length: count }, (_, i) => `198.18.${Math.floor(i / 256)}.${i % 256}/32`);
}

export class HeraldSender implements Sender {
  readonly name: string;
  /** false: the 4096-byte message limit of plain RFC 4271 (no RFC 8654 extended messages). */
  private readonly extendedMessages: boolean;
  private process: HeraldProcess | undefined;
  private readonly file: string;
  readonly lab: Lab;
  readonly node: LabNamespace;
  readonly asn: number;
  private readonly prefixes: readonly string[];

  constructor(
    lab: Lab,
    node: LabNamespace,
    asn: number,
    prefixes: readonly string[],
    extendedMessages = true,
  ) {
    this.name = extendedMessages ? 'Herald' : 'Herald-4k';
    this.extendedMessages = extendedMessages;
    this.lab = lab;
    this.node = node;
    this.asn = asn;
    this.prefixes = prefixes;
    this.file = join(lab.dir, `herald-bench-prefixes-${asn}.txt`);
  }

  async prepare(): Promise<void> {
    writeFileSync(this.file, `${this.prefixes.join('\n')}\n`);
  }

  /** RSS of a heraldctl announcing a single prefix once Established: the runtime's share of the RSS. */
  async baselineRssKiB(): Promise<number | undefined> {
    const p = startHerald(
      this.lab,
      this.node.ns,
      announceArgs(this.lab, {
        node: this.node,
        family: 'ipv4',
        localAsn: this.asn,
        prefixes: [this.prefixes[0]!],
      }),
    );
    try {
      await p.waitForEvent('established', (e) => e.event === 'established');
      await sleep(500);
      return rssOf(p.pid);
    } finally {
      await p.stop('SIGTERM');
    }
  }

  async connect(): Promise<void> {
    // heraldctl parses the file and fills its Adj-RIB-Out before it dials.
    this.process = startHerald(
      this.lab,
      this.node.ns,
      announceArgs(this.lab, {
        node: this.node,
        family: 'ipv4',
        localAsn: this.asn,
        prefixesFile: this.file,
        extendedMessages: this.extendedMessages,
      }),
    );
  }

  async disconnect(): Promise<void> {
    await this.process?.stop('SIGTERM');
  }

  async rssKiB(): Promise<number | undefined> {
    return this.process ? rssOf(this.process.pid) : undefined;
  }

  /** UPDATEs counted by Herald itself are not exposed on the CLI; FRR's counters are used instead. */
  async close(): Promise<void> {
    await this.process?.stop('SIGKILL');
  }
}

/** MRT TABLE_DUMP_V2 (RFC 6396): one PEER_INDEX_TABLE, then one RIB_IPV4_UNICAST record per prefix. */
export function mrtTableDump(prefixes: readonly string[], nextHop: string, peerAsn: number): Buffer {
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  };
  const now = Math.floor(Date.now() / 1000);
  const record = (subtype: number, body: Buffer) =>
    Buffer.concat([u32(now), u16(13), u16(subtype), u32(body.length), body]);
  const peerIndex = Buffer.concat([
    addressToBytes(nextHop),
    u16(0),
    u16(1),
    Buffer.from([0x02]),
    addressToBytes(nextHop),
    addressToBytes(nextHop),
    u32(peerAsn),
  ]);
  // ORIGIN IGP, empty AS_PATH (gobgpd prepends its AS toward the eBGP peer), NEXT_HOP.
  const attrs = Buffer.concat([
    Buffer.from([0x40, 1, 1, 0]),
    Buffer.from([0x40, 2, 0]),
    Buffer.from([0x40, 3, 4]),
    addressToBytes(nextHop),
  ]);
  const records = [record(1, peerIndex)];
  prefixes.forEach((p, seq) => {
    const { address, length } = parsePrefix(p);
    const body = Buffer.concat([
      u32(seq),
      Buffer.from([length]),
      addressToBytes(address).subarray(0, Math.ceil(length / 8)),
      u16(1),
      u16(0),
      u32(now),
      u16(attrs.length),
      attrs,
    ]);
    records.push(record(2, body));
  });
  return Buffer.concat(records);
}

export class GobgpSender implements Sender {
  readonly name = 'GoBGP';
  private speaker: ReferenceSpeaker | undefined;
  readonly lab: Lab;
  readonly node: LabNamespace;
  readonly asn: number;
  private readonly prefixes: readonly string[];

  constructor(lab: Lab, node: LabNamespace, asn: number, prefixes: readonly string[]) {
    this.lab = lab;
    this.node = node;
    this.asn = asn;
    this.prefixes = prefixes;
  }

  private async ribCount(): Promise<number> {
    const out = await this.speaker!.gobgpd.gobgp(['global', 'rib', 'summary', '-a', 'ipv4']);
    return Number(/Destination:\s*(\d+)/.exec(out)?.[1] ?? 0);
  }

  async prepare(): Promise<void> {
    this.speaker = await ReferenceSpeaker.start(this.lab, this.node, { asn: this.asn, deferPeer: true });
    // `gobgp mrt inject` (3.10) silently drops the last routes of a file (TESTBED.md): pad the file by
    // repeating the first 500 prefixes (re-adding a path is idempotent), then verify and fill any gap.
    const padded = [...this.prefixes, ...this.prefixes.slice(0, 500)];
    const file = join(this.lab.dir, 'gobgp-bench.mrt');
    writeFileSync(file, mrtTableDump(padded, this.node.ipv4, this.asn));
    await this.speaker.gobgpd.gobgp(['mrt', 'inject', 'global', file]);
    if ((await this.ribCount()) < this.prefixes.length) {
      const rib = JSON.parse(
        await this.speaker.gobgpd.gobgp(['-j', 'global', 'rib', '-a', 'ipv4']),
      ) as Record<string, unknown>;
      for (const p of this.prefixes) {
        if (!(p in rib)) await this.speaker.announce(p, ['nexthop', this.node.ipv4]);
      }
    }
    const count = await this.ribCount();
    if (count !== this.prefixes.length)
      throw new Error(`gobgpd RIB holds ${count} prefixes, expected ${this.prefixes.length}`);
  }

  async connect(): Promise<void> {
    await this.speaker!.connect();
  }

  async disconnect(): Promise<void> {
    await this.speaker!.gobgpd.removePeer(this.lab.routerIpv4);
  }

  async rssKiB(): Promise<number | undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    await this.speaker?.stop();
  }
}

export class BirdSender implements Sender {
  readonly name = 'BIRD';
  readonly lab: Lab;
  readonly node: LabNamespace;
  readonly asn: number;
  private readonly prefixes: readonly string[];
  private readonly dir: string;

  constructor(lab: Lab, node: LabNamespace, asn: number, prefixes: readonly string[]) {
    this.lab = lab;
    this.node = node;
    this.asn = asn;
    this.prefixes = prefixes;
    this.dir = lab.dir;
  }

  private get socket(): string {
    return join(this.dir, 'bird-sender.ctl');
  }
  private get pidFile(): string {
    return join(this.dir, 'bird-sender.pid');
  }

  async prepare(): Promise<void> {
    const conf = join(this.dir, 'bird-sender.conf');
    const lines = [
      `router id ${this.node.ipv4};`,
      'protocol device { }',
      'protocol static s4 {',
      '  ipv4;',
      ...this.prefixes.map((p) => `  route ${p} blackhole;`),
      '}',
      'protocol bgp up {',
      `  local ${this.node.ipv4} as ${this.asn};`,
      `  neighbor ${this.lab.routerIpv4} as ${this.lab.routerAsn};`,
      '  disabled;',
      '  ipv4 { import none; export all; next hop self; };',
      '}',
    ];
    writeFileSync(conf, `${lines.join('\n')}\n`);
    await runIn(this.node.ns, 'bird', ['-c', conf, '-s', this.socket, '-P', this.pidFile]);
    const pid = await readPid(this.pidFile);
    if (pid !== undefined) this.lab.track(pid);
    await eventually('BIRD sender static routes', async () => {
      const out = (
        await runIn(this.node.ns, 'birdc', ['-s', this.socket, 'show', 'route', 'count'], {
          allowFailure: true,
        })
      ).stdout;
      return Number(/(\d+) of \d+ routes/.exec(out)?.[1] ?? 0) >= this.prefixes.length ? true : undefined;
    });
  }

  async connect(): Promise<void> {
    await runIn(this.node.ns, 'birdc', ['-s', this.socket, 'enable', 'up']);
  }

  async disconnect(): Promise<void> {
    await runIn(this.node.ns, 'birdc', ['-s', this.socket, 'disable', 'up']);
  }

  async rssKiB(): Promise<number | undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    const pid = await readPid(this.pidFile);
    if (pid !== undefined) await terminate(pid);
  }
}
