import {
  allHealthy,
  formatUptime,
  renderTable,
  routeColumns,
  routeRows,
  statusColumns,
  statusRows,
} from './format.ts';
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

/** A speaker that answered. */
const speakerAt = (target: string, node: string, sessions: ReturnType<typeof session>[]): SpeakerResult => ({
  target,
  ok: true,
  status: { kind: 'HeraldSpeakerStatus', node, ready: true, sessions },
});

const results: SpeakerResult[] = [
  speakerAt('203.0.113.12:7473', 'node-b', [session('r1', 'Active', null, 'connect ECONNREFUSED')]),
  speakerAt('203.0.113.11:7473', 'node-a', [session('r1', 'Established', 3725)]),
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
    expect(lines[0]).toMatch(/^NODE\s+PEER\s+STATE\s+BFD\s+UPTIME\s+PREFIXES\s+LAST ERROR$/);
    expect(lines[1]).toMatch(/^203\.0\.113\.13:7473\s+-\s+UNREACHABLE\s+-\s+-\s+-\s+cannot reach/);
    expect(lines[2]).toMatch(/^node-a\s+r1 \(203\.0\.113\.1\)\s+Established\s+-\s+1h2m\s+3$/);
    expect(lines[3]).toMatch(/^node-b\s+r1 \(203\.0\.113\.1\)\s+Active\s+-\s+-\s+3\s+connect ECONNREFUSED$/);
  });

  it('shows the BFD state of peers that run BFD, and its error when BGP has none', () => {
    const bfd = (state: string, lastError: string | null = null) => ({
      state,
      transmitIntervalMs: 300,
      multiplier: 3,
      lastError,
    });
    const withBfd: SpeakerResult[] = [
      {
        target: 'a',
        ok: true,
        status: {
          kind: 'HeraldSpeakerStatus',
          node: 'node-a',
          ready: true,
          sessions: [
            { ...session('r1', 'Established', 60), bfd: bfd('Up') },
            {
              ...session('r2', 'Established', 60),
              bfd: bfd('Unavailable', 'native socket support is unavailable'),
            },
          ],
        },
      },
    ];
    const lines = renderTable(statusColumns, statusRows(withBfd)).trimEnd().split('\n');
    expect(lines[1]).toMatch(/^node-a\s+r1 \(203\.0\.113\.1\)\s+Established\s+Up\s+1m0s\s+3$/);
    expect(lines[2]).toMatch(
      /Established\s+Unavailable\s+1m0s\s+3\s+BFD: native socket support is unavailable$/,
    );
    // A peer whose BFD is not Up is not protected the way it is configured to be: not healthy.
    expect(allHealthy(withBfd)).toBe(false);
  });

  it("escapes control characters from a router's shutdown text instead of printing them", () => {
    const shutdown = 'received NOTIFICATION Cease/Administrative Shutdown: \u001b]0;x\u0007\u001b[2J';
    const evil = speakerAt('203.0.113.11:7473', 'node-a', [session('r1', 'Idle', null, shutdown)]);
    const text = renderTable(statusColumns, statusRows([evil]));
    const controls = [...text].filter((c) => {
      const n = c.charCodeAt(0);
      return n !== 10 && (n < 0x20 || (n >= 0x7f && n <= 0x9f));
    });
    expect(controls).toEqual([]);
    expect(text).toContain('Shutdown: \\u{1b}]0;x\\u{7}\\u{1b}[2J');
  });

  it('is healthy only when every speaker answered with every session Established', () => {
    expect(allHealthy(results)).toBe(false);
    expect(allHealthy([results[1]!])).toBe(true);
    expect(allHealthy([results[0]!])).toBe(false);
  });

  it('--routes: one row per route and peer with its weight and drain state', () => {
    const withRoutes: SpeakerResult = {
      target: '203.0.113.11:7473',
      ok: true,
      status: {
        kind: 'HeraldSpeakerStatus',
        node: 'node-a',
        ready: true,
        sessions: [],
        announced: {
          r1: [
            {
              prefix: '198.51.100.2/32',
              services: ['shop/api'],
              weight: 1,
              drain: { since: 'a', withdrawAt: '2026-12-01T12:00:30.000Z' },
            },
            { prefix: '198.51.100.1/32', services: ['shop/web', 'shop/web2'], weight: 3 },
          ],
          r2: [{ prefix: '198.51.100.1/32', services: ['shop/web'] }],
        },
      },
    };
    const lines = renderTable(routeColumns, routeRows([withRoutes, results[2]!]))
      .trimEnd()
      .split('\n');
    expect(lines).toEqual([
      'NODE    PEER  PREFIX           WEIGHT  DRAIN                           SERVICES',
      'node-a  r1    198.51.100.1/32  3       -                               shop/web,shop/web2',
      'node-a  r1    198.51.100.2/32  1       until 2026-12-01T12:00:30.000Z  shop/api',
      'node-a  r2    198.51.100.1/32  -       -                               shop/web',
    ]);
  });
});
