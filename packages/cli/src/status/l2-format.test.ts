import { allHealthy, renderStatus } from './format.ts';
import type { SpeakerL2, SpeakerResult } from './types.ts';

const l2 = (over: Partial<SpeakerL2>, announcer: string | null): SpeakerL2 => ({
  enabled: true,
  member: true,
  ready: true,
  notReady: [],
  mesh: {
    peers: [
      { node: 'x', state: 'alive', ready: true },
      { node: 'y', state: 'alive', ready: true },
    ],
  },
  interfaces: [{ name: 'eth0', up: true, answering: 0 }],
  addresses: [{ address: '198.51.100.10', announcer, services: ['default/web'] }],
  ...over,
});
const speaker = (node: string, status: SpeakerL2): SpeakerResult => ({
  target: `${node}:7473`,
  ok: true,
  status: { kind: 'HeraldSpeakerStatus', node, ready: true, sessions: [], l2: status },
});

describe('heraldctl status in layer-2 mode', () => {
  test('one row per node and per address; agreement across speakers', () => {
    const results = [
      speaker('node-b', l2({}, 'node-a')),
      speaker('node-a', l2({ interfaces: [{ name: 'eth0', up: true, answering: 1 }] }, 'node-a')),
      speaker('node-c', l2({ member: false, addresses: [] }, null)),
    ];
    const lines = renderStatus(results).trimEnd().split('\n');
    expect(lines.slice(4)).toEqual([
      '',
      'NODE    L2            MESH       ANSWERING  INTERFACES  PROBLEM',
      'node-a  ready         2/2 peers  1          eth0 (up)',
      'node-b  ready         2/2 peers  0          eth0 (up)',
      'node-c  not selected  -          -          -',
      '',
      'ADDRESS        ANNOUNCER  SERVICES     SPEAKERS AGREE',
      '198.51.100.10  node-a     default/web  yes (2 of 2)',
    ]);
    expect(allHealthy(results)).toBe(true);
  });

  test('two announcers seen (split brain) or a speaker not ready is unhealthy, and says so', () => {
    const split = [speaker('node-a', l2({}, 'node-a')), speaker('node-b', l2({}, 'node-b'))];
    expect(renderStatus(split)).toContain('NO: node-a see node-a; node-b see node-b');
    expect(allHealthy(split)).toBe(false);
    const notReady = [
      speaker('node-a', l2({ ready: false, notReady: ['interface eth0 is down'] }, null)),
      speaker('node-b', l2({}, null)),
    ];
    expect(renderStatus(notReady)).toMatch(/node-a {2}NOT READY .* interface eth0 is down/);
    expect(allHealthy(notReady)).toBe(false);
  });

  test('without L2 the output is the sessions table alone', () => {
    const bgp: SpeakerResult = {
      target: 'n:7473',
      ok: true,
      status: { kind: 'HeraldSpeakerStatus', node: 'n', ready: true, sessions: [] },
    };
    expect(renderStatus([bgp]).trimEnd().split('\n').length).toBe(2);
  });
});
