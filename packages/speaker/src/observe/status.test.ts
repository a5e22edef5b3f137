import { buildStatus } from './status.ts';

describe('buildStatus', () => {
  it('counts what the session advertises, not what was desired for a family it did not negotiate', () => {
    const session = {
      peer: 'r4',
      peerAddress: '203.0.113.1',
      state: 'Established',
      established: true,
      uptimeSeconds: 5,
      establishedSince: null,
      establishedTransitions: 1,
      updatesSent: 1,
      updatesReceived: 0,
      messagesSent: 3,
      messagesReceived: 3,
      notificationsSent: [],
      notificationsReceived: [],
      lastError: null,
      prefixesAdvertised: { ipv4: 1, ipv6: 0 },
    };
    const route = (prefix: string, family: 'ipv4' | 'ipv6') => ({
      prefix,
      family,
      attributes: { communities: [], largeCommunities: [] },
      services: ['ns/a'],
    });
    const doc = buildStatus({
      node: 'n1',
      version: '0.1.0',
      ready: true,
      shutdownMode: 'withdraw',
      config: { loaded: true, stale: false, errors: [], loadedAt: null, digest: 'sha256:00' },
      kube: [],
      sessions: [session],
      announced: new Map([['r4', [route('198.51.100.1/32', 'ipv4'), route('2001:db8:100::1/128', 'ipv6')]]]),
      decisions: new Map([['ns/a', { announcing: true }]]),
    });
    expect(doc.sessions[0]!.prefixes).toEqual({ ipv4: 1, ipv6: 0 });
  });

  it('lists sessions with per-family prefix counts and the announced routes per peer', () => {
    const doc = buildStatus({
      node: 'n1',
      version: '0.1.0',
      ready: true,
      shutdownMode: 'graceful-restart',
      config: { loaded: true, stale: false, errors: [], loadedAt: null, digest: 'sha256:00' },
      kube: [],
      sessions: [
        {
          peer: 'r4',
          peerAddress: '203.0.113.1',
          state: 'Established',
          established: true,
          uptimeSeconds: 5,
          establishedSince: null,
          establishedTransitions: 1,
          updatesSent: 1,
          updatesReceived: 0,
          messagesSent: 3,
          messagesReceived: 3,
          notificationsSent: [],
          notificationsReceived: [],
          lastError: null,
        },
      ],
      announced: new Map([
        [
          'r4',
          [
            {
              prefix: '198.51.100.1/32',
              family: 'ipv4' as const,
              attributes: { communities: ['65000:1'], largeCommunities: [] },
              services: ['ns/a'],
            },
            {
              prefix: '2001:db8:100::1/128',
              family: 'ipv6' as const,
              attributes: { localPref: 200, communities: [], largeCommunities: [] },
              services: ['ns/a'],
            },
          ],
        ],
      ]),
      decisions: new Map([
        ['ns/a', { announcing: true }],
        ['ns/b', { announcing: false }],
      ]),
    });
    expect(doc.kind).toBe('HeraldSpeakerStatus');
    expect(doc.sessions[0]!.prefixes).toEqual({ ipv4: 1, ipv6: 1 });
    expect(doc.announced.r4).toEqual([
      { prefix: '198.51.100.1/32', services: ['ns/a'], communities: ['65000:1'], largeCommunities: [] },
      {
        prefix: '2001:db8:100::1/128',
        services: ['ns/a'],
        localPref: 200,
        communities: [],
        largeCommunities: [],
      },
    ]);
    expect(doc.services).toEqual({ announcing: 1, notAnnouncing: 1 });
  });

  it('shows each route’s weight (and the link bandwidth sent for it) and its drain', () => {
    const since = Date.UTC(2026, 11, 1, 12, 0, 0);
    const doc = buildStatus({
      node: 'n1',
      version: '0.1.0',
      ready: true,
      shutdownMode: 'withdraw',
      config: { loaded: true, stale: false, errors: [], loadedAt: null, digest: 'sha256:00' },
      kube: [],
      sessions: [],
      announced: new Map([
        [
          'r4',
          [
            {
              prefix: '198.51.100.1/32',
              family: 'ipv4' as const,
              attributes: { communities: [], largeCommunities: [], weight: 3 },
              services: ['ns/a'],
            },
            {
              prefix: '198.51.100.2/32',
              family: 'ipv4' as const,
              attributes: {
                communities: ['65000:1'],
                largeCommunities: [],
                weight: 1,
                gracefulShutdown: true,
              },
              services: ['ns/b'],
              drain: { since, withdrawAt: since + 30_000 },
            },
          ],
        ],
      ]),
      decisions: new Map(),
    });
    expect(doc.announced.r4).toEqual([
      {
        prefix: '198.51.100.1/32',
        services: ['ns/a'],
        communities: [],
        largeCommunities: [],
        weight: 3,
        linkBandwidth: '3 Mbit/s',
      },
      {
        prefix: '198.51.100.2/32',
        services: ['ns/b'],
        communities: ['65000:1', 'graceful-shutdown'],
        largeCommunities: [],
        weight: 1,
        linkBandwidth: '1 Mbit/s',
        drain: { since: '2026-12-01T12:00:00.000Z', withdrawAt: '2026-12-01T12:00:30.000Z' },
      },
    ]);
  });
});
