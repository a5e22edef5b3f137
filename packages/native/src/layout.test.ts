// The struct encoders byte for byte: every offset documented in layout.ts is checked here against a
// hand-written expectation (sizes and offsets were taken from sizeof/offsetof in C on x86-64).
import {
  arenaLayout,
  CONTROL_SIZE,
  decodeIn6Pktinfo,
  decodeInPktinfo,
  decodeSockaddrIn,
  decodeSockaddrLl,
  encodeControlMessages,
  encodeInt,
  encodePacketMreq,
  encodeSockaddrIn,
  encodeSockaddrLl,
  encodeSockFilters,
  encodeSockFprog,
  encodeTcpMd5sig,
  MSGHDR_SIZE,
  parseControlMessages,
  readRecvMsghdr,
  resetRecvMsghdr,
  SOCKADDR_STORAGE_SIZE,
  writeRecvMsghdr,
} from './layout.ts';

const v4 = Uint8Array.of(203, 0, 113, 7);
// 2001:db8:1::7
const v6 = Uint8Array.from(Buffer.from('20010db8000100000000000000000007', 'hex'));

describe('sockaddr_in / sockaddr_in6', () => {
  it('sockaddr_in is 16 bytes: family (host order) at 0, port (network order) at 2, address at 4', () => {
    expect(encodeSockaddrIn({ address: v4, port: 179 }).toString('hex')).toBe(
      '0200' + '00b3' + 'cb007107' + '0000000000000000',
    );
  });

  it('sockaddr_in6 is 28 bytes: family, port, flowinfo 0 at 4, address at 8, scope id (host order) at 24', () => {
    const bytes = encodeSockaddrIn({ address: v6, port: 3784, scopeId: 3 });
    expect(bytes.length).toBe(28);
    expect(bytes.toString('hex')).toBe(
      '0a00' + '0ec8' + '00000000' + '20010db8000100000000000000000007' + '03000000',
    );
  });

  it('decodes what it encodes, also from a larger sockaddr_storage buffer', () => {
    const storage = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
    encodeSockaddrIn({ address: v6, port: 49152, scopeId: 7 }).copy(storage);
    expect(decodeSockaddrIn(storage, 28)).toEqual({ address: v6, port: 49152, scopeId: 7 });
    expect(decodeSockaddrIn(encodeSockaddrIn({ address: v4, port: 65535 }))).toEqual({
      address: v4,
      port: 65535,
    });
  });

  it('rejects what is not an IP socket address', () => {
    expect(() => encodeSockaddrIn({ address: new Uint8Array(5), port: 1 })).toThrow('4 or 16 bytes, not 5');
    expect(() => encodeSockaddrIn({ address: v4, port: 65536 })).toThrow('port 65536 is not 0–65535');
    expect(() => decodeSockaddrIn(encodeSockaddrLl(0x0806, 2))).toThrow(
      'not a sockaddr_in/sockaddr_in6: family 17',
    );
    expect(() => decodeSockaddrIn(Buffer.alloc(10, 0), 10)).toThrow('family 0, 10 bytes');
  });
});

describe('struct tcp_md5sig', () => {
  it('is 216 bytes: peer sockaddr at 0, flags/prefixlen 0, key length (host order) at 130, key at 136', () => {
    const value = encodeTcpMd5sig({ address: v4, port: 179 }, Buffer.from('s3cret'));
    expect(value.length).toBe(216);
    // The port is not part of a key's identity: always 0.
    expect(value.subarray(0, 16).toString('hex')).toBe('0200' + '0000' + 'cb007107' + '0000000000000000');
    expect(value.subarray(16, 128).every((b) => b === 0)).toBe(true);
    expect([value[128], value[129]]).toEqual([0, 0]);
    expect(value.readUInt16LE(130)).toBe(6);
    expect(value.readInt32LE(132)).toBe(0);
    expect(value.subarray(136, 142).toString()).toBe('s3cret');
    expect(value.subarray(142).every((b) => b === 0)).toBe(true);
  });

  it('an IPv6 peer is a sockaddr_in6; an empty key (length 0) is a delete', () => {
    const value = encodeTcpMd5sig({ address: v6, port: 0 }, new Uint8Array(0));
    expect(value.readUInt16LE(0)).toBe(10);
    expect(value.subarray(8, 24)).toEqual(Buffer.from(v6));
    expect(value.readUInt16LE(130)).toBe(0);
  });

  it('takes keys up to 80 bytes (TCP_MD5SIG_MAXKEYLEN)', () => {
    const key = Buffer.alloc(80, 0x61);
    expect(encodeTcpMd5sig({ address: v4, port: 0 }, key).subarray(136, 216)).toEqual(key);
    expect(() => encodeTcpMd5sig({ address: v4, port: 0 }, Buffer.alloc(81))).toThrow(
      'a TCP-MD5 key has at most 80 bytes, this one 81',
    );
  });
});

describe('struct sock_filter / sock_fprog', () => {
  it('sock_filter is 8 bytes: code u16, jt u8, jf u8, k u32, all host order', () => {
    // The program the lead verified in Python: ldb [SKF_NET_OFF+8]; jeq #255,0,1; ret #-1; ret #0
    const bytes = encodeSockFilters([
      { code: 0x30, jt: 0, jf: 0, k: -0x100000 + 8 },
      { code: 0x15, jt: 0, jf: 1, k: 255 },
      { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
      { code: 0x06, jt: 0, jf: 0, k: 0 },
    ]);
    expect(bytes.toString('hex')).toBe(
      '3000' +
        '00' +
        '00' +
        '0800f0ff' +
        '1500' +
        '00' +
        '01' +
        'ff000000' +
        '0600' +
        '0000' +
        'ffffffff' +
        '0600' +
        '0000' +
        '00000000',
    );
  });

  it('sock_fprog is 16 bytes on LP64: length at 0, padding, filter pointer at 8', () => {
    expect(encodeSockFprog(4, 0x7f0012345678n).toString('hex')).toBe(
      '0400' + '000000000000' + '78563412007f0000',
    );
  });

  it('rejects an empty or oversized program', () => {
    expect(() => encodeSockFilters([])).toThrow('1–4096 instructions, this one 0');
    expect(() => encodeSockFilters(new Array(4097).fill({ code: 6, jt: 0, jf: 0, k: 0 }))).toThrow(
      'this one 4097',
    );
  });
});

describe('struct sockaddr_ll / packet_mreq', () => {
  it('sockaddr_ll is 20 bytes: family, protocol (network order), ifindex, hatype, pkttype, halen, addr', () => {
    expect(encodeSockaddrLl(0x86dd, 4).toString('hex')).toBe(
      '1100' + '86dd' + '04000000' + '0000' + '00' + '00' + '0000000000000000',
    );
  });

  it('decodes a received sockaddr_ll: source MAC, packet type names', () => {
    const bytes = Buffer.from(
      '1100' + '0806' + '05000000' + '0100' + '01' + '06' + '020000000001' + '0000',
      'hex',
    );
    expect(decodeSockaddrLl(bytes)).toEqual({
      protocol: 0x0806,
      ifindex: 5,
      hatype: 1,
      pkttype: 'broadcast',
      address: Uint8Array.of(2, 0, 0, 0, 0, 1),
    });
    bytes[10] = 4;
    expect(decodeSockaddrLl(bytes).pkttype).toBe('outgoing');
    expect(() => decodeSockaddrLl(encodeSockaddrIn({ address: v4, port: 0 }))).toThrow('not a sockaddr_ll');
  });

  it('packet_mreq is 16 bytes: ifindex, type, address length, address', () => {
    const mac = Uint8Array.of(0x33, 0x33, 0xff, 0, 0, 7);
    expect(encodePacketMreq(3, 0, mac).toString('hex')).toBe(
      '03000000' + '0000' + '0600' + '3333ff000007' + '0000',
    );
    expect(() => encodePacketMreq(3, 0, new Uint8Array(9))).toThrow('at most 8 bytes');
  });
});

describe('recvmsg arena: struct msghdr, struct iovec', () => {
  it('places msghdr, iovec, name, control and data in one block', () => {
    expect(arenaLayout(2048)).toEqual({
      msghdr: 0,
      iovec: 56,
      name: 72,
      control: 200,
      data: 456,
      dataSize: 2048,
      size: 2504,
    });
  });

  it('writes pointers relative to the block address and the value-result lengths', () => {
    const layout = arenaLayout(1500);
    const arena = Buffer.alloc(layout.size, 0xee);
    const base = 0x7f0000001000n;
    writeRecvMsghdr(arena, base, layout);
    expect(arena.readBigUInt64LE(0)).toBe(base + 72n); // msg_name
    expect(arena.readUInt32LE(8)).toBe(128); // msg_namelen
    expect(arena.readBigUInt64LE(16)).toBe(base + 56n); // msg_iov
    expect(arena.readBigUInt64LE(24)).toBe(1n); // msg_iovlen
    expect(arena.readBigUInt64LE(32)).toBe(base + 200n); // msg_control
    expect(arena.readBigUInt64LE(40)).toBe(BigInt(CONTROL_SIZE)); // msg_controllen
    expect(arena.readInt32LE(48)).toBe(0); // msg_flags
    expect(arena.readBigUInt64LE(56)).toBe(base + 456n); // iov_base
    expect(arena.readBigUInt64LE(64)).toBe(1500n); // iov_len
    expect(MSGHDR_SIZE).toBe(56);
  });

  it('resets the value-result fields before each call, pointers untouched', () => {
    const layout = arenaLayout(1500);
    const arena = Buffer.alloc(layout.size);
    writeRecvMsghdr(arena, 0x7f0000001000n, layout);
    const pointers = Buffer.from(arena.subarray(0, 8));
    arena.writeUInt32LE(16, 8);
    arena.writeBigUInt64LE(0x1_0000_0038n, 40); // a high word set too
    arena.writeInt32LE(0x20, 48);
    resetRecvMsghdr(arena, layout);
    expect(readRecvMsghdr(arena, layout)).toEqual({ nameLength: 128, controlLength: 256, flags: 0 });
    expect(arena.readBigUInt64LE(40)).toBe(256n);
    expect(arena.subarray(0, 8)).toEqual(pointers);
  });

  it('reads back what the kernel wrote: name and control lengths, msg_flags', () => {
    const layout = arenaLayout(64);
    const arena = Buffer.alloc(layout.size);
    arena.writeUInt32LE(16, 8);
    arena.writeBigUInt64LE(56n, 40);
    arena.writeInt32LE(0x20, 48);
    expect(readRecvMsghdr(arena, layout)).toEqual({ nameLength: 16, controlLength: 56, flags: 0x20 });
  });
});

describe('control messages', () => {
  // What recvmsg returned on loopback for an IPv4 datagram with IP_PKTINFO and IP_RECVTTL (TTL 77).
  const captured = Buffer.from(
    '1c00000000000000' +
      '00000000' +
      '08000000' +
      '01000000' +
      '7f000001' +
      '7f000001' +
      '00000000' +
      '1400000000000000' +
      '00000000' +
      '02000000' +
      '4d000000' +
      '00000000',
    'hex',
  );

  it('parses a real IPv4 capture: in_pktinfo then the TTL, each at an 8-byte aligned offset', () => {
    const messages = parseControlMessages(captured, 56);
    expect(messages.map((m) => [m.level, m.type, m.data.length])).toEqual([
      [0, 8, 12],
      [0, 2, 4],
    ]);
    expect(decodeInPktinfo(messages[0]!.data)).toEqual({
      ifindex: 1,
      destination: Uint8Array.of(127, 0, 0, 1),
    });
    expect(messages[1]!.data.readInt32LE(0)).toBe(77);
  });

  it('encodes what it parses (CMSG_LEN 20 for an int, CMSG_SPACE 24)', () => {
    const messages = parseControlMessages(captured, 56);
    expect(encodeControlMessages(messages)).toEqual(captured);
    const one = encodeControlMessages([{ level: 41, type: 52, data: encodeInt(255) }]);
    expect(one.length).toBe(24);
    expect(one.readBigUInt64LE(0)).toBe(20n);
  });

  it('decodes in6_pktinfo: address at 0, ifindex at 16', () => {
    const data = Buffer.concat([Buffer.from(v6), encodeInt(9)]);
    expect(decodeIn6Pktinfo(data)).toEqual({ ifindex: 9, destination: v6 });
    expect(() => decodeIn6Pktinfo(data.subarray(0, 19))).toThrow('in6_pktinfo has 20 bytes, got 19');
  });

  it('stops at a truncated or malformed header instead of reading past the control length', () => {
    expect(parseControlMessages(captured, 40)).toHaveLength(1);
    const bad = Buffer.from(captured);
    bad.writeBigUInt64LE(4n, 32); // cmsg_len smaller than the header
    expect(parseControlMessages(bad, 56)).toHaveLength(1);
    bad.writeBigUInt64LE(400n, 0); // cmsg_len beyond msg_controllen
    expect(parseControlMessages(bad, 56)).toEqual([]);
  });
});
