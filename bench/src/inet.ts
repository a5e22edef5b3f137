// Address formatting benchmark: why @herald/inet formats numbers and bytes with its own RFC 5952 core instead
// of ip-address (which it uses for text). The BGP codec turns every received NLRI prefix's bytes into text and
// the allocator formats every address it hands out; the reference is ip-address doing the same in this run.
// Run: npm run bench:inet -w bench

import { bytesToAddress, formatIp, type IpAddress } from '@herald/inet';
import { Address4, Address6 } from 'ip-address';

const N = Number(process.env.HERALD_BENCH_N ?? 10_000);

const v6 = Array.from({ length: N }, (_, i) => {
  const b = Buffer.from('20010db8010000000000000000000000', 'hex');
  b.writeUInt16BE(i & 0xffff, 14);
  if (i % 3 === 0) b.writeUInt16BE(0xab, 8); // some addresses with two zero runs
  return b;
});
const v4 = Array.from({ length: N }, (_, i) => Buffer.from([198, 18, (i >> 8) & 255, i & 255]));
const v6n: IpAddress[] = v6.map((b) => ({ family: 'ipv6', value: BigInt(`0x${b.toString('hex')}`) }));
const v4n: IpAddress[] = v4.map((b) => ({ family: 'ipv4', value: BigInt(b.readUInt32BE(0)) }));

/** Median ns per address over 50 runs after 20 warm-ups; the summed text length keeps the work observable. */
function time<T>(items: readonly T[], format: (item: T) => string): number {
  let chars = 0;
  const run = () => {
    for (const item of items) chars += format(item).length;
  };
  for (let k = 0; k < 20; k++) run();
  const samples: number[] = [];
  for (let k = 0; k < 50; k++) {
    const t = performance.now();
    run();
    samples.push(performance.now() - t);
  }
  if (chars === 0) throw new Error('nothing formatted');
  samples.sort((a, b) => a - b);
  return (samples[samples.length >> 1]! / items.length) * 1e6;
}

for (let i = 0; i < N; i++) {
  if (bytesToAddress(v6[i]!) !== Address6.fromUnsignedByteArray([...v6[i]!]).correctForm())
    throw new Error(`bytesToAddress disagrees with ip-address on ${v6[i]!.toString('hex')}`);
  if (formatIp(v6n[i]!) !== Address6.fromBigInt(v6n[i]!.value).correctForm())
    throw new Error(`formatIp disagrees with ip-address on ${v6n[i]!.value}`);
}

const rows: [string, number, number][] = [
  [
    'IPv6 bytes → text (codec)',
    time(v6, bytesToAddress),
    time(v6, (b) => Address6.fromUnsignedByteArray([...b]).correctForm()),
  ],
  [
    'IPv4 bytes → text (codec)',
    time(v4, bytesToAddress),
    time(v4, (b) => Address4.fromUnsignedByteArray([...b]).correctForm()),
  ],
  [
    'IPv6 number → text (allocator)',
    time(v6n, formatIp),
    time(v6n, (a) => Address6.fromBigInt(a.value).correctForm()),
  ],
  [
    'IPv4 number → text (allocator)',
    time(v4n, formatIp),
    time(v4n, (a) => Address4.fromBigInt(a.value).correctForm()),
  ],
];
console.log(`@herald/inet formatting benchmark: ${N.toLocaleString()} addresses per run, median of 50 runs`);
for (const [label, ours, reference] of rows)
  console.log(
    `${label.padEnd(32)} inet ${ours.toFixed(0).padStart(5)} ns   ip-address ${reference.toFixed(0).padStart(5)} ns   ${(reference / ours).toFixed(1)}× faster`,
  );
