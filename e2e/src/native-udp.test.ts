// @herald/native's UDP sockets as BFD needs them (RFC 5881 §4–5), against the real kernel in namespaces
// this test creates: datagrams are sent with TTL / hop limit 255 from a source port in 49152–65535, and a
// receive socket with minReceiveTtl 255 gets only datagrams that arrived with 255. Everything else — sent
// with 254 or 64, or sent with 255 from one router away — is dropped by the kernel (the BPF filter), which
// the socket's `drops` counter in /proc/net/udp shows, while an unfiltered socket on the next port receives
// the same datagrams with their real TTLs (so they did arrive).
//
//   P ──── S ──── R1 ──── N
import { type NativeSocketError, openUdpSocket, type UdpMessageInfo, type UdpSocket } from '@herald/native';
import { eventually } from './eventually.ts';
import { requireInfra } from './kube/index.ts';
import { chainAddress as a, NamespaceLab, wireRouterChain } from './native-lab.ts';

const canRun = requireInfra({ netns: true, binaries: ['/usr/sbin/ip'] }, 'native UDP socket e2e');

const BFD_SOURCE_PORTS = { from: 49152, to: 65535 };

interface Received {
  text: string;
  info: UdpMessageInfo;
}

function collect(socket: UdpSocket): Received[] {
  const received: Received[] = [];
  socket.on('message', (data, info) => received.push({ text: data.toString(), info }));
  return received;
}

(canRun ? describe : describe.skip)('native UDP sockets for BFD in network namespaces', () => {
  let lab: NamespaceLab;
  const sockets: UdpSocket[] = [];
  const open = (ns: string, options: Parameters<typeof openUdpSocket>[0]) => {
    const socket = lab.inside(ns, () => openUdpSocket(options));
    sockets.push(socket);
    return socket;
  };
  const ifindex = async (ns: string, dev: string) =>
    (JSON.parse(await lab.ip(ns, '-j', 'link', 'show', dev)) as { ifindex: number }[])[0]!.ifindex;

  beforeAll(async () => {
    lab = await NamespaceLab.create(['S', 'P', 'R1', 'N']);
    await wireRouterChain(lab, false);
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  describe.each([4, 6] as const)('IPv%s', (f) => {
    test('minReceiveTtl 255 keeps only datagrams that arrived with TTL 255; the kernel drops the rest', async () => {
      const bfd = open('S', { family: f, port: 3784, minReceiveTtl: 255 });
      const unfiltered = open('S', { family: f, port: 3785 });
      const got = collect(bfd);
      const control = collect(unfiltered);
      const from = (ns: string, ttl: number) =>
        open(ns, { family: f, port: BFD_SOURCE_PORTS, ttl, receive: false });
      const senders = { ttl64: from('P', 64), ttl254: from('P', 254), 'one-hop': from('N', 255) };
      for (const [text, socket] of Object.entries(senders)) {
        // S's address on the link the sender reaches it through (R1 routes only to S's R1-side address).
        const to = text === 'one-hop' ? a(f, 5) : a(f, 1);
        socket.send(Buffer.from(text), to, 3784);
        socket.send(Buffer.from(text), to, 3785);
      }
      await eventually('3 datagrams on the unfiltered port and 3 drops on the filtered one', async () =>
        control.length === 3 && (await lab.udpDrops('S', f, 3784)) === 3 ? true : undefined,
      );
      expect(Object.fromEntries(control.map((r) => [r.text, r.info.ttl]))).toEqual({
        ttl64: 64,
        ttl254: 254,
        'one-hop': 254,
      });
      expect(got).toEqual([]);

      const sender = from('P', 255);
      sender.send(Buffer.from('ttl255'), a(f, 1), 3784);
      await eventually('the TTL-255 datagram', async () => (got.length > 0 ? true : undefined));
      expect(got).toEqual([
        {
          text: 'ttl255',
          info: {
            address: a(f, 2),
            port: sender.localPort,
            family: f,
            ttl: 255,
            ifindex: await ifindex('S', 'eth0'),
            localAddress: a(f, 1),
            truncated: false,
          },
        },
      ]);
      expect(sender.localPort).toBeGreaterThanOrEqual(49152);
      expect(await lab.udpDrops('S', f, 3784)).toBe(3);
    });

    test('a send-only socket drops whatever is sent to its port, in the kernel', async () => {
      const tx = open('P', { family: f, port: BFD_SOURCE_PORTS, ttl: 255, receive: false });
      const other = open('S', { family: f, port: 0, ttl: 255 });
      other.send(Buffer.from('to a send-only port'), a(f, 2), tx.localPort);
      await eventually('the drop on the send-only port', async () =>
        (await lab.udpDrops('P', f, tx.localPort)) === 1 ? true : undefined,
      );
    });

    test('source ports come from the range, one per socket, and a full range is EADDRINUSE', () => {
      const range = { from: 50000, to: 50001 };
      const ports = [open('S', { family: f, port: range }), open('S', { family: f, port: range })].map(
        (s) => s.localPort,
      );
      expect(ports.sort()).toEqual([50000, 50001]);
      let error: NativeSocketError | undefined;
      try {
        open('S', { family: f, port: range });
      } catch (err) {
        error = err as NativeSocketError;
      }
      expect({ code: error?.code, message: error?.message }).toEqual({
        code: 'EADDRINUSE',
        message: `bind(${f === 4 ? '0.0.0.0' : '::'} to any port 50000–50001) failed: EADDRINUSE (address already in use): another socket already uses this address and port`,
      });
    });
  });

  test('IPv6 link-local: TTL 255 from the neighbour, sender reported with its interface index as zone', async () => {
    const linkLocal = (
      JSON.parse(await lab.ip('S', '-6', '-j', 'addr', 'show', 'dev', 'eth0')) as {
        addr_info: { local?: string; scope?: string }[];
      }[]
    )[0]!.addr_info.find((addr) => addr.scope === 'link');
    const got = collect(open('S', { family: 6, port: 3784, minReceiveTtl: 255 }));
    const tx = open('P', { family: 6, port: BFD_SOURCE_PORTS, ttl: 255, receive: false });
    // The zone name is looked up in the calling thread's namespace, so send from inside P.
    lab.inside('P', () => tx.send(Buffer.from('link-local'), `${linkLocal!.local}%eth0`, 3784));
    await eventually('the link-local datagram', async () => (got.length > 0 ? true : undefined));
    const sIndex = await ifindex('S', 'eth0');
    expect(got[0]!.info).toMatchObject({ ttl: 255, ifindex: sIndex, localAddress: linkLocal!.local });
    expect(got[0]!.info.address).toMatch(new RegExp(`^fe80::[0-9a-f:]+%${sIndex}$`));
  });
});
