// A BGP peer that floods: run inside a lab namespace, it accepts one BGP session (the speaker dials it),
// then, on commands from stdin, sends what a router that leaks its table sends. Bytes are made here by hand
// (not with @herald/bgp), so the speaker's decoder is tested against an independent encoder.
//
//   node flood-peer.ts --address 203.0.113.130 --port 179 --asn 64999
//   stdin  "flood <rounds>"      every prefix inside 198.18.0.0/15 (all 262,143 of lengths /15 … /32), in
//                                 extended UPDATEs (65535 bytes), ROUNDS times with a different MED each round
//   stdin  "unknown <count>"     COUNT UPDATEs, each one /32 with a 60,000-byte optional transitive attribute
//                                 of an unknown type
//   stdout one JSON line per event: listening, established, flooded, sent-unknown, notification, closed
// Writes wait for 'drain', so the flood goes at the speed the speaker reads. Keepalives every 3 s.
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    port: { type: 'string', default: '179' },
    asn: { type: 'string', default: '64999' },
  },
});
const ASN = Number(values.asn);
const ROUTER_ID = values.address!;

const say = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

const u8 = (n: number) => Buffer.from([n & 0xff]);
const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const ipv4 = (a: string) => Buffer.from(a.split('.').map(Number));
const message = (type: number, body: Buffer) =>
  Buffer.concat([Buffer.alloc(16, 0xff), u16(19 + body.length), u8(type), body]);
const attr = (flags: number, type: number, value: Buffer) =>
  value.length > 255
    ? Buffer.concat([u8(flags | 0x10), u8(type), u16(value.length), value])
    : Buffer.concat([u8(flags & ~0x10), u8(type), u8(value.length), value]);

const capability = (code: number, value: Buffer) => Buffer.concat([u8(code), u8(value.length), value]);
function open(): Buffer {
  const caps = Buffer.concat([
    capability(1, Buffer.concat([u16(1), u8(0), u8(1)])), // IPv4 unicast
    capability(65, u32(ASN)), // 4-octet AS
    capability(6, Buffer.alloc(0)), // extended messages (RFC 8654)
  ]);
  const params = Buffer.concat([u8(2), u8(caps.length), caps]);
  return message(
    1,
    Buffer.concat([
      u8(4),
      u16(ASN > 0xffff ? 23456 : ASN),
      u16(90),
      ipv4(ROUTER_ID),
      u8(params.length),
      params,
    ]),
  );
}
const KEEPALIVE = message(4, Buffer.alloc(0));

function pathAttributes(med: number, extra?: Buffer): Buffer {
  return Buffer.concat([
    attr(0x40, 1, u8(0)), // ORIGIN IGP
    attr(0x40, 2, Buffer.concat([u8(2), u8(1), u32(ASN)])), // AS_PATH [ASN]
    attr(0x40, 3, ipv4(ROUTER_ID)), // NEXT_HOP
    attr(0x80, 4, u32(med)), // MED
    ...(extra ? [extra] : []),
  ]);
}

function update(attrs: Buffer, nlri: Buffer): Buffer {
  return message(2, Buffer.concat([u16(0), u16(attrs.length), attrs, nlri]));
}

/** Every prefix of 198.18.0.0/15, lengths 15..32, as NLRI encodings. */
function* prefixes(): Generator<Buffer> {
  const base = (198 << 24) | (18 << 16);
  for (let len = 15; len <= 32; len++) {
    const count = 2 ** (len - 15);
    const bytes = Math.ceil(len / 8);
    for (let i = 0; i < count; i++) {
      const addr = (base + i * 2 ** (32 - len)) >>> 0;
      const b = Buffer.alloc(1 + bytes);
      b[0] = len;
      const full = u32(addr);
      full.copy(b, 1, 0, bytes);
      yield b;
    }
  }
}

let socket: Socket | undefined;
let established = false;

function write(data: Buffer): Promise<void> {
  const s = socket;
  if (!s || s.destroyed) return Promise.reject(new Error('no session'));
  if (s.write(data)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    s.once('drain', resolve);
    s.once('close', () => reject(new Error('closed while flooding')));
  });
}

async function flood(rounds: number): Promise<void> {
  let announced = 0;
  let messages = 0;
  for (let round = 0; round < rounds; round++) {
    const attrs = pathAttributes(round + 1);
    const room = 65535 - 19 - 4 - attrs.length;
    let batch: Buffer[] = [];
    let size = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await write(update(attrs, Buffer.concat(batch)));
      announced += batch.length;
      messages++;
      batch = [];
      size = 0;
    };
    for (const p of prefixes()) {
      if (size + p.length > room) await flush();
      batch.push(p);
      size += p.length;
    }
    await flush();
  }
  say('flooded', { announced, messages });
}

async function unknownAttributes(count: number): Promise<void> {
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    // Optional transitive, type 0xf0 (unassigned): kept by a speaker that stored received attributes.
    const big = attr(0xc0, 0xf0, Buffer.alloc(60_000, i & 0xff));
    const m = update(pathAttributes(1, big), Buffer.concat([u8(32), ipv4(`198.18.255.${i & 0xff}`)]));
    bytes += m.length;
    await write(m);
  }
  say('sent-unknown', { updates: count, bytes });
}

const server = createServer((s) => {
  if (socket && !socket.destroyed) {
    s.destroy();
    return;
  }
  socket = s;
  established = false;
  s.setNoDelay(true);
  s.on('error', () => undefined);
  let buffer = Buffer.alloc(0);
  s.write(open());
  const keepalives = setInterval(() => s.write(KEEPALIVE), 3000);
  s.on('data', (d: Buffer) => {
    buffer = Buffer.concat([buffer, d]);
    while (buffer.length >= 19) {
      const length = buffer.readUInt16BE(16);
      if (buffer.length < length) break;
      const type = buffer[18]!;
      const body = buffer.subarray(19, length);
      buffer = buffer.subarray(length);
      if (type === 1) s.write(KEEPALIVE);
      else if (type === 4 && !established) {
        established = true;
        say('established', { remote: s.remoteAddress });
      } else if (type === 3)
        say('notification', { code: body[0], subcode: body[1], data: [...body.subarray(2)] });
    }
  });
  s.on('close', () => {
    clearInterval(keepalives);
    established = false;
    say('closed');
  });
});
server.listen(Number(values.port), values.address, () => say('listening'));

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  const n = Number(arg ?? '1');
  const run = cmd === 'flood' ? flood(n) : cmd === 'unknown' ? unknownAttributes(n) : undefined;
  run?.catch((err: unknown) => say('error', { message: String(err) }));
});
