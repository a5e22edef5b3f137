import { describe, expect, test } from '@jest/globals';
import { sessionSnapshot } from '../testing/session-snapshot.ts';
import { parseKernelTcpDrops } from './kernel-tcp.ts';
import { SpeakerMetrics } from './metrics.ts';

const snapshot = sessionSnapshot;

async function lines(m: SpeakerMetrics, name: string): Promise<string[]> {
  return (await m.registry.metrics()).split('\n').filter((l) => l.startsWith(`${name}{`));
}

describe('SpeakerMetrics: session counters', () => {
  test('connect failures by reason and notifications by code stay monotonic across a session restart', async () => {
    const m = new SpeakerMetrics('n1');
    let sessions = [
      snapshot({
        connectFailures: { timeout: 3, refused: 0, unreachable: 1, other: 0 },
        notificationsReceived: [{ code: 6, subcode: 2, count: 1 }],
      }),
    ];
    m.setSessionSource({ snapshots: () => sessions, prefixCounts: () => [] });
    expect(await lines(m, 'herald_speaker_connect_failures_total')).toEqual([
      'herald_speaker_connect_failures_total{peer="tor",reason="timeout",node="n1"} 3',
      'herald_speaker_connect_failures_total{peer="tor",reason="unreachable",node="n1"} 1',
    ]);
    // The session is replaced (a password rotation): its counts are folded in, the new one adds to them.
    m.retireSession(sessions[0]!);
    sessions = [snapshot({ connectFailures: { timeout: 1, refused: 0, unreachable: 0, other: 0 } })];
    expect(await lines(m, 'herald_speaker_connect_failures_total')).toEqual([
      'herald_speaker_connect_failures_total{peer="tor",reason="timeout",node="n1"} 4',
      'herald_speaker_connect_failures_total{peer="tor",reason="unreachable",node="n1"} 1',
    ]);
    expect(await lines(m, 'herald_speaker_notifications_received_total')).toEqual([
      'herald_speaker_notifications_received_total{peer="tor",code="6",subcode="2",node="n1"} 1',
    ]);
  });

  test('a session blocked by its password is a gauge with the reason', async () => {
    const m = new SpeakerMetrics('n1');
    m.setSessionSource({
      snapshots: () => [snapshot({ blocked: 'key-not-found' }), snapshot({ peer: 'other' })],
      prefixCounts: () => [],
    });
    expect(await lines(m, 'herald_speaker_session_blocked')).toEqual([
      'herald_speaker_session_blocked{peer="tor",reason="key-not-found",node="n1"} 1',
    ]);
  });
});

describe('kernel TCP drops', () => {
  test('the TCP-MD5 and GTSM counters are read from /proc/net/netstat by name', () => {
    const netstat =
      'TcpExt: SyncookiesSent TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure TCPMinTTLDrop\n' +
      'TcpExt: 0 2 3 5 7\n' +
      'IpExt: InNoRoutes\nIpExt: 0\n';
    expect(parseKernelTcpDrops(netstat)).toEqual({
      'md5-wrong': 5,
      'md5-missing': 2,
      'md5-unexpected': 3,
      'min-ttl': 7,
    });
    expect(parseKernelTcpDrops('')).toEqual({});
  });

  test('this machine’s counters are exported (one series per reason)', async () => {
    const series = await lines(new SpeakerMetrics('n1'), 'herald_speaker_kernel_tcp_drops_total');
    expect(series.map((l) => /reason="([^"]+)"/.exec(l)?.[1]).sort()).toEqual([
      'md5-missing',
      'md5-unexpected',
      'md5-wrong',
      'min-ttl',
    ]);
  });
});
