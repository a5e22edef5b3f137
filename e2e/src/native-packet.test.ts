// @herald/native's AF_PACKET sockets against the real kernel across a veth pair in namespaces this test
// creates. Namespace A has no IP address at all (an L2 announcer needs none): its packet sockets see B's
// ARP requests and IPv6 Neighbor Solicitations for addresses nobody configured, answer them, and B's
// kernel then holds A's MAC for those addresses in its neighbour table; A also asks and hears B's replies.
// The ND socket's BPF filter keeps ICMPv6 NS/NA only, while an unfiltered IPv6 socket on the same
// interface sees B's other traffic. Frames are built and read with @herald/l2's codec, so the kernel's
// own ARP and NDP frames are also what checks the codec (checksums, validity rules).
//
//   A (a0, no address) ──── B (b0: 203.0.113.42/29, 2001:db8:1::4:2/112)
import { addressToBytes } from '@herald/inet';
import {
  ArpOperation,
  arpReply,
  BROADCAST_MAC,
  decodeArpFrame,
  decodeNeighborFrame,
  encodeArpFrame,
  formatMac,
  multicastMac,
  neighborAdvertisementFor,
  neighborSolicitation,
  parseMac,
  solicitedNodeAddress,
  ZERO_MAC,
} from '@herald/l2';
import {
  ETH_P_ARP,
  ETH_P_IPV6,
  type FrameInfo,
  neighborDiscoveryProgram,
  openPacketSocket,
  openUdpSocket,
  type PacketSocket,
} from '@herald/native';
import { eventually } from './eventually.ts';
import { requireInfra } from './kube/index.ts';
import { NamespaceLab } from './native-lab.ts';

const canRun = requireInfra({ netns: true, binaries: ['/usr/sbin/ip'] }, 'native AF_PACKET e2e');

const B_IPV4 = '203.0.113.42';
const VIP4 = '203.0.113.45';
const B_IPV6 = '2001:db8:1::4:2';
const VIP6 = '2001:db8:1::4:5';

/** What a test asserts about an ARP packet: its fields as text. */
function arpOf(frame: Buffer) {
  const d = decodeArpFrame(frame);
  if (!d.ok) return undefined;
  return {
    op: d.packet.operation,
    senderMac: formatMac(d.packet.senderHardwareAddress),
    senderIp: [...d.packet.senderProtocolAddress].join('.'),
    targetMac: formatMac(d.packet.targetHardwareAddress),
    targetIp: [...d.packet.targetProtocolAddress].join('.'),
  };
}

/** The same for an NS or NA (undefined when the codec discards it: the kernel's frames must all pass). */
function ndOf(frame: Buffer) {
  const d = decodeNeighborFrame(frame);
  if (!d.ok) return undefined;
  const m = d.message;
  return {
    type: m.type,
    hopLimit: frame[21],
    source: Buffer.from(m.source).toString('hex'),
    target: Buffer.from(m.target).toString('hex'),
    lladdr: formatMac(
      (m.type === 'solicitation' ? m.sourceLinkLayerAddress : m.targetLinkLayerAddress) ?? ZERO_MAC,
    ),
  };
}

const hexOf = (ip: string) => addressToBytes(ip).toString('hex');

interface Seen {
  frame: Buffer;
  info: FrameInfo;
}

(canRun ? describe : describe.skip)('native AF_PACKET sockets across a veth pair', () => {
  let lab: NamespaceLab;
  let aMac: Uint8Array;
  let bMac: Uint8Array;
  const sockets: { close(): void }[] = [];
  const open = (options: Parameters<typeof openPacketSocket>[0]): { socket: PacketSocket; seen: Seen[] } => {
    const socket = lab.inside('A', () => openPacketSocket(options));
    sockets.push(socket);
    const seen: Seen[] = [];
    socket.on('frame', (frame, info) => seen.push({ frame, info }));
    return { socket, seen };
  };
  /** Makes B's kernel resolve `target` by sending it one datagram. */
  const trafficFromB = (family: 4 | 6, target: string) => {
    const udp = lab.inside('B', () => openUdpSocket({ family, port: 0 }));
    sockets.push(udp);
    udp.send(Buffer.from('hello'), target, 9);
  };
  const neighbourOfB = async (ip: string) => {
    const entries = JSON.parse(await lab.ip('B', '-j', 'neigh', 'show', ip, 'dev', 'b0')) as {
      lladdr?: string;
      state: string[];
    }[];
    return entries[0]?.lladdr;
  };

  beforeAll(async () => {
    lab = await NamespaceLab.create(['A', 'B']);
    await lab.link('A', 'a0', 'B', 'b0');
    await lab.address('B', 'b0', `${B_IPV4}/29`, `${B_IPV6}/112`);
    aMac = parseMac(await lab.macOf('A', 'a0'))!;
    bMac = parseMac(await lab.macOf('B', 'b0'))!;
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  test('the socket reports its interface: Ethernet and the MAC `ip link` shows', () => {
    const { socket } = open({ device: 'a0', protocol: ETH_P_ARP });
    const own = socket.linkLayerAddress();
    expect({ hatype: own.hatype, mac: formatMac(own.address) }).toEqual({ hatype: 1, mac: formatMac(aMac) });
  });

  test('ARP: hears B ask for an address nobody has, answers, and B then sends to our MAC', async () => {
    const { socket, seen } = open({ device: 'a0', protocol: ETH_P_ARP });
    socket.on('frame', (frame) => {
      const d = decodeArpFrame(frame);
      if (!d.ok || d.packet.operation !== ArpOperation.Request || arpOf(frame)?.targetIp !== VIP4) return;
      socket.send(arpReply(d.packet, aMac));
    });
    trafficFromB(4, VIP4);
    await eventually(`B's neighbour entry for ${VIP4}`, async () =>
      (await neighbourOfB(VIP4)) === formatMac(aMac) ? true : undefined,
    );
    const request = seen.find((s) => arpOf(s.frame)?.targetIp === VIP4)!;
    expect({
      pkttype: request.info.pkttype,
      source: formatMac(request.info.source),
      arp: arpOf(request.frame),
    }).toEqual({
      pkttype: 'broadcast',
      source: formatMac(bMac),
      arp: {
        op: ArpOperation.Request,
        senderMac: formatMac(bMac),
        senderIp: B_IPV4,
        targetMac: '00:00:00:00:00:00',
        targetIp: VIP4,
      },
    });
  });

  test('ARP: asks B and receives the reply addressed to our MAC', async () => {
    const { socket, seen } = open({ device: 'a0', protocol: ETH_P_ARP });
    socket.send(
      encodeArpFrame(BROADCAST_MAC, aMac, {
        operation: ArpOperation.Request,
        senderHardwareAddress: aMac,
        senderProtocolAddress: addressToBytes(VIP4),
        targetHardwareAddress: ZERO_MAC,
        targetProtocolAddress: addressToBytes(B_IPV4),
      }),
    );
    await eventually('the ARP reply', async () =>
      seen.some((s) => arpOf(s.frame)?.op === ArpOperation.Reply) ? true : undefined,
    );
    const reply = seen.find((s) => arpOf(s.frame)?.op === ArpOperation.Reply)!;
    expect({
      pkttype: reply.info.pkttype,
      protocol: reply.info.protocol,
      arp: arpOf(reply.frame),
    }).toEqual({
      pkttype: 'host',
      protocol: ETH_P_ARP,
      arp: {
        op: ArpOperation.Reply,
        senderMac: formatMac(bMac),
        senderIp: B_IPV4,
        targetMac: formatMac(aMac),
        targetIp: VIP4,
      },
    });
  });

  test('NDP: hears B solicit an address nobody has, advertises it, and B then sends to our MAC', async () => {
    const { socket: nd, seen } = open({
      device: 'a0',
      protocol: ETH_P_IPV6,
      filter: neighborDiscoveryProgram(),
    });
    const { seen: everything } = open({ device: 'a0', protocol: ETH_P_IPV6 });
    const group = multicastMac(solicitedNodeAddress(addressToBytes(VIP6)));
    nd.joinMulticast(group);
    expect(await lab.ip('A', 'maddr', 'show', 'dev', 'a0')).toContain(formatMac(group));
    nd.on('frame', (frame) => {
      const d = decodeNeighborFrame(frame);
      if (!d.ok || d.message.type !== 'solicitation' || ndOf(frame)?.target !== hexOf(VIP6)) return;
      nd.send(neighborAdvertisementFor(d.message, frame.subarray(6, 12), aMac));
    });
    trafficFromB(6, VIP6);
    await eventually(`B's neighbour entry for ${VIP6}`, async () =>
      (await neighbourOfB(VIP6)) === formatMac(aMac) ? true : undefined,
    );
    // With the address resolved, B's datagram itself reaches a0: the unfiltered socket sees it (UDP, next
    // header 17), the ND socket's filter dropped it in the kernel.
    await eventually('B’s UDP datagram on a0', async () =>
      everything.some((s) => s.frame[20] === 17) ? true : undefined,
    );
    // Everything the filter let through is an NS or NA the codec accepts (checksums and §7.1 rules).
    expect(seen.map((s) => ndOf(s.frame)?.type ?? 'rejected by the codec')).not.toContain(
      'rejected by the codec',
    );
    const solicitation = seen.find((s) => ndOf(s.frame)?.type === 'solicitation')!;
    expect({ pkttype: solicitation.info.pkttype, nd: ndOf(solicitation.frame) }).toEqual({
      pkttype: 'multicast',
      nd: {
        type: 'solicitation',
        hopLimit: 255,
        source: hexOf(B_IPV6),
        target: hexOf(VIP6),
        lladdr: formatMac(bMac),
      },
    });
    nd.dropMulticast(group);
    expect(await lab.ip('A', 'maddr', 'show', 'dev', 'a0')).not.toContain(formatMac(group));
  });

  test('NDP: solicits B and receives its advertisement addressed to our MAC', async () => {
    const { socket: nd, seen } = open({
      device: 'a0',
      protocol: ETH_P_IPV6,
      filter: neighborDiscoveryProgram(),
    });
    nd.send(neighborSolicitation(addressToBytes(B_IPV6), addressToBytes(VIP6), aMac));
    await eventually('the Neighbor Advertisement', async () =>
      seen.some((s) => ndOf(s.frame)?.type === 'advertisement') ? true : undefined,
    );
    const advert = seen.find((s) => ndOf(s.frame)?.type === 'advertisement')!;
    const d = decodeNeighborFrame(advert.frame);
    expect({
      pkttype: advert.info.pkttype,
      nd: ndOf(advert.frame),
      flags: d.ok && [d.message.solicited, d.message.override],
    }).toEqual({
      pkttype: 'host',
      nd: {
        type: 'advertisement',
        hopLimit: 255,
        source: hexOf(B_IPV6),
        target: hexOf(B_IPV6),
        lladdr: formatMac(bMac),
      },
      flags: [true, true],
    });
  });
});
