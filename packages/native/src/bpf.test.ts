// The BPF programs run here on sample packets by a small interpreter of the instructions they use, with the
// kernel's addressing: non-negative offsets from the start of what the socket sees (UDP: the UDP header;
// AF_PACKET: the Ethernet header), SKF_NET_OFF + n from the IP header. The kernel runs them for real in
// e2e/src/native-udp.test.ts and e2e/src/native-packet.test.ts.
import { dropAllProgram, minimumTtlProgram, neighborDiscoveryProgram, SKF_NET_OFF } from './bpf.ts';
import { type BpfInstruction, encodeSockFilters } from './layout.ts';

interface Packet {
  /** Bytes from where the socket's view starts. */
  data: Uint8Array;
  /** Bytes from the IP header on. */
  network: Uint8Array;
}

/** Returns the filter's verdict (bytes to keep), or throws on an out-of-range load, as the kernel drops then. */
function run(program: readonly BpfInstruction[], packet: Packet): number {
  let a = 0;
  const load = (k: number, size: number): number => {
    const signed = k | 0;
    const [bytes, at] = signed < 0 ? [packet.network, signed - SKF_NET_OFF] : [packet.data, signed];
    if (at < 0 || at + size > bytes.length) throw new Error(`load out of range at ${k}`);
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + bytes[at + i]!;
    return v;
  };
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc]!;
    switch (code) {
      case 0x30:
        a = load(k, 1);
        break;
      case 0x28:
        a = load(k, 2);
        break;
      case 0x20:
        a = load(k, 4);
        break;
      case 0x15:
        pc += a === k ? jt : jf;
        break;
      case 0x35:
        pc += a >= k ? jt : jf;
        break;
      case 0x06:
        return k;
      default:
        throw new Error(`opcode 0x${code.toString(16)} not modelled`);
    }
  }
  throw new Error('fell off the end of the program');
}

function ipv4Udp(ttl: number): Packet {
  const ip = Buffer.alloc(28);
  ip[0] = 0x45;
  ip[8] = ttl;
  ip[9] = 17;
  return { network: ip, data: ip.subarray(20) };
}

function ipv6Udp(hopLimit: number): Packet {
  const ip = Buffer.alloc(48);
  ip[0] = 0x60;
  ip[6] = 17;
  ip[7] = hopLimit;
  return { network: ip, data: ip.subarray(40) };
}

/** An Ethernet frame with an IPv6 header (next header, hop limit) and the first ICMPv6 byte. */
function ipv6Frame(nextHeader: number, hopLimit: number, icmpType: number, etherType = 0x86dd): Packet {
  const frame = Buffer.alloc(14 + 40 + 24);
  frame.writeUInt16BE(etherType, 12);
  frame[14] = 0x60;
  frame[20] = nextHeader;
  frame[21] = hopLimit;
  frame[54] = icmpType;
  return { data: frame, network: frame.subarray(14) };
}

describe('minimumTtlProgram', () => {
  it('is the program verified on this kernel: ldb [SKF_NET_OFF+8]; jge; ret #-1; ret #0', () => {
    expect(encodeSockFilters(minimumTtlProgram(4, 255)).toString('hex')).toBe(
      '300000000800f0ff' + '35000001ff000000' + '06000000ffffffff' + '0600000000000000',
    );
    expect(minimumTtlProgram(6, 255)[0]!.k).toBe((SKF_NET_OFF + 7) >>> 0);
  });

  it.each([4, 6] as const)('IPv%s: keeps TTL ≥ the minimum, drops anything lower', (family) => {
    const packet = family === 4 ? ipv4Udp : ipv6Udp;
    const exactly255 = minimumTtlProgram(family, 255);
    expect([255, 254, 64, 1].map((ttl) => run(exactly255, packet(ttl)))).toEqual([0xffffffff, 0, 0, 0]);
    const gtsm = minimumTtlProgram(family, 254);
    expect([255, 254, 253].map((ttl) => run(gtsm, packet(ttl)))).toEqual([0xffffffff, 0xffffffff, 0]);
  });

  it('rejects a minimum outside 1–255', () => {
    expect(() => minimumTtlProgram(4, 0)).toThrow('minimum TTL 0 is not 1–255');
    expect(() => minimumTtlProgram(6, 256)).toThrow('minimum TTL 256 is not 1–255');
  });
});

describe('dropAllProgram', () => {
  it('keeps nothing', () => {
    expect(run(dropAllProgram(), ipv4Udp(255))).toBe(0);
  });
});

describe('neighborDiscoveryProgram', () => {
  const nd = neighborDiscoveryProgram();

  it('keeps Neighbor Solicitations and Advertisements with hop limit 255', () => {
    expect(run(nd, ipv6Frame(58, 255, 135))).toBe(0xffffffff);
    expect(run(nd, ipv6Frame(58, 255, 136))).toBe(0xffffffff);
  });

  it('drops other ICMPv6 (echo, router advertisement), other next headers, routed ND and non-IPv6 frames', () => {
    expect(run(nd, ipv6Frame(58, 255, 128))).toBe(0);
    expect(run(nd, ipv6Frame(58, 255, 134))).toBe(0);
    expect(run(nd, ipv6Frame(6, 255, 135))).toBe(0);
    expect(run(nd, ipv6Frame(58, 254, 135))).toBe(0);
    expect(run(nd, ipv6Frame(58, 255, 135, 0x0800))).toBe(0);
  });

  it('every jump lands inside the program', () => {
    nd.forEach((insn, pc) => {
      if ((insn.code & 0x07) === 0x05) {
        expect(pc + 1 + insn.jt).toBeLessThan(nd.length);
        expect(pc + 1 + insn.jf).toBeLessThan(nd.length);
      }
    });
  });
});
