// What each native socket needs, proven with a non-root process (uid 65534) inside a namespace this test
// creates: with no capability at all, TCP-MD5, TTLs, the UDP BPF filter and SO_BINDTODEVICE (Linux ≥ 5.7,
// an unbound socket) work and AF_PACKET fails with EPERM naming CAP_NET_RAW; with CAP_NET_RAW alone,
// everything works. This is the basis of the privileges stated in docs/native-sockets.md.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireInfra } from './kube/index.ts';
import { NamespaceLab } from './native-lab.ts';

const canRun = requireInfra({ netns: true, binaries: ['/usr/sbin/ip', 'setpriv'] }, 'native privileges e2e');
const child = fileURLToPath(new URL('./native-privileges-child.ts', import.meta.url));

(canRun ? describe : describe.skip)('native sockets run by an unprivileged process', () => {
  let lab: NamespaceLab;
  beforeAll(async () => {
    lab = await NamespaceLab.create(['U']);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const runAs = (capabilities: string[]) => {
    const caps = ['-all', ...capabilities.map((c) => `+${c}`)].join(',');
    const result = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        lab.ns('U'),
        'setpriv',
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        `--inh-caps=${caps}`,
        `--ambient-caps=${caps}`,
        `--bounding-set=${caps}`,
        '--',
        process.execPath,
        child,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (result.status !== 0) throw new Error(`child exited ${result.status}: ${result.stderr}`);
    return JSON.parse(result.stdout) as { uid: number; support: unknown; results: Record<string, string> };
  };

  test('without any capability: everything but AF_PACKET', () => {
    expect(runAs([])).toEqual({
      uid: 65534,
      support: { ok: true },
      results: {
        'TCP_MD5SIG, IP_TTL, IP_MINTTL': 'ok',
        'UDP with TTL and BPF filter': 'ok',
        SO_BINDTODEVICE: 'ok',
        AF_PACKET:
          'socket(AF_PACKET on lo) failed: EPERM (operation not permitted): the process needs CAP_NET_RAW',
      },
    });
  });

  test('with CAP_NET_RAW only: everything', () => {
    expect(runAs(['net_raw']).results).toEqual({
      'TCP_MD5SIG, IP_TTL, IP_MINTTL': 'ok',
      'UDP with TTL and BPF filter': 'ok',
      SO_BINDTODEVICE: 'ok',
      AF_PACKET: 'ok',
    });
  });
});
