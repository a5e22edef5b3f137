import { allHealthy, formatUptime, renderTable, statusColumns, statusRows } from './format.ts';
import type { SpeakerResult } from './types.ts';

const session = (peer: string, state: string, uptime: number | null, lastError: string | null = null) => ({
  peer,
  peerAddress: '203.0.113.1',
  state,
  established: state === 'Established',
  uptimeSeconds: uptime,
  prefixes: { ipv4: 2, ipv6: 1 },
  lastError,
});

const results: SpeakerResult[] = [
  {
    target: '203.0.113.12:7473',
    ok: true,
    status: {
      kind: 'HeraldSpeakerStatus',
      node: 'node-b',
      ready: true,
      sessions: [session('r1', 'Active', null, 'connect ECONNREFUSED')],
    },
  },
  {
    target: '203.0.113.11:7473',
    ok: true,
    status: {
      kind: 'HeraldSpeakerStatus',
      node: 'node-a',
      ready: true,
      sessions: [session('r1', 'Established', 3725)],
    },
  },
  { target: '203.0.113.13:7473', ok: false, error: 'cannot reach http://203.0.113.13:7473/status: timeout' },
];

describe('heraldctl status formatting', () => {
  it('formats uptimes compactly', () => {
    expect([
      formatUptime(null),
      formatUptime(5),
      formatUptime(65),
      formatUptime(3725),
      formatUptime(90000),
    ]).toEqual(['-', '5s', '1m5s', '1h2m', '1d1h']);
  });

  it('prints one row per session, sorted by node, and unreachable speakers as rows', () => {
    const text = renderTable(statusColumns, statusRows(results));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NODE\s+PEER\s+STATE\s+UPTIME\s+PREFIXES\s+LAST ERROR$/);
    expect(lines[1]).toMatch(/^203\.0\.113\.13:7473\s+-\s+UNREACHABLE\s+-\s+-\s+cannot reach/);
    expect(lines[2]).toMatch(/^node-a\s+r1 \(203\.0\.113\.1\)\s+Established\s+1h2m\s+3$/);
    expect(lines[3]).toMatch(/^node-b\s+r1 \(203\.0\.113\.1\)\s+Active\s+-\s+3\s+connect ECONNREFUSED$/);
  });

  it('is healthy only when every speaker answered with every session Established', () => {
    expect(allHealthy(results)).toBe(false);
    expect(allHealthy([results[1]!])).toBe(true);
    expect(allHealthy([results[0]!])).toBe(false);
  });
});
