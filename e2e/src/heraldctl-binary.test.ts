// The one-binary heraldctl (scripts/build-heraldctl.ts, `npm run build:heraldctl`): built once for this file, then
// run with a system PATH that has no Node 24 — version, config validation, migration, status — and installed as
// the kubectl plugin `kubectl-herald`, driven through the kubectl the test bed builds: `kubectl herald config
// validate` and `kubectl herald status`, which finds a real herald-speaker through a real kube-apiserver.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { eventually } from './eventually.ts';
import {
  type ControlPlane,
  type ManagedProcess,
  makeTempDir,
  removeTempDir,
  requireInfra,
  spawnManaged,
  startControlPlane,
  testbinDir,
} from './kube/index.ts';

const root = new URL('../../', import.meta.url).pathname;
const version = (
  JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')) as { version: string }
).version;
const kubectl = join(testbinDir(), 'kubectl');
/** A system PATH: whatever Node it has (Debian's, if any) is not the pinned Node 24. */
const SYSTEM_PATH = '/usr/bin:/bin';

function systemNodeVersion(): string | undefined {
  const r = spawnSync('bash', ['-c', 'command -v node >/dev/null && node --version'], {
    encoding: 'utf8',
    env: { PATH: SYSTEM_PATH },
  });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

let dir = '';
let bin = '';
beforeAll(() => {
  dir = makeTempDir();
  bin = join(dir, 'bin');
  mkdirSync(bin);
  const r = spawnSync(
    process.execPath,
    [join(root, 'scripts/build-heraldctl.ts'), '--output', join(bin, 'heraldctl')],
    { encoding: 'utf8', timeout: 180_000 },
  );
  if (r.status !== 0) throw new Error(`build-heraldctl failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  // The measurement, for the log: size and build time of this run.
  console.log(r.stdout.trim());
}, 200_000);
afterAll(() => {
  if (dir) removeTempDir(dir);
});

/** The binary, or the plugin through kubectl, with only the system PATH (plus the binary's directory). */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: `${bin}:${SYSTEM_PATH}`, HOME: dir, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The development form, for comparison: the sources under the pinned Node. */
function dev(args: readonly string[]) {
  const r = spawnSync(process.execPath, [join(root, 'packages/cli/src/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the system PATH used here has no Node 24', () => {
  expect(systemNodeVersion() ?? 'none').not.toMatch(/^v24\./);
});

test('heraldctl --version and config validate run without Node 24 on PATH', () => {
  const heraldctl = join(bin, 'heraldctl');
  expect(run(heraldctl, ['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  const valid = run(heraldctl, ['config', 'validate', 'docs/examples/basic.yaml']);
  expect(valid).toEqual({
    code: 0,
    stdout: 'valid: 1 address pool, 1 peer, 1 advertisement, 0 community aliases\n',
    stderr: '',
  });
  const invalid = run(heraldctl, ['config', 'validate', 'docs/examples/invalid.yaml']);
  expect(invalid.code).toBe(1);
  expect(invalid.stdout).toBe(dev(['config', 'validate', 'docs/examples/invalid.yaml']).stdout);
  expect(run(heraldctl, ['config', 'validate']).code).toBe(2);
});

test('the bundle carries every command: migrate, status, bgp argument checks', () => {
  const heraldctl = join(bin, 'heraldctl');
  const migrate = ['migrate', 'metallb', 'docs/examples/metallb/crs.yaml'];
  expect(run(heraldctl, migrate)).toEqual(dev(migrate));
  // A speaker serves /status over HTTPS to a token; without one heraldctl says how to get one.
  const noToken = run(heraldctl, ['status', '--speaker', '127.0.0.1:1', '--timeout', '1000']);
  expect(noToken.code).toBe(1);
  expect(noToken.stderr).toContain('pass --token or --token-file');
  const status = run(heraldctl, [
    'status',
    '--speaker',
    '127.0.0.1:1',
    '--plain-http',
    '--timeout',
    '1000',
    '-o',
    'json',
  ]);
  expect(status.code).toBe(1);
  expect(JSON.parse(status.stdout)).toEqual([
    { target: '127.0.0.1:1', error: expect.stringContaining('cannot reach') },
  ]);
  const bgp = [
    'bgp',
    'announce',
    '--local-asn',
    '64513',
    '--peer-address',
    '203.0.113.1',
    '--peer-asn',
    '64512',
  ];
  const refused = run(heraldctl, [...bgp, '--prefix', '198.51.100.0/33']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toBe(dev([...bgp, '--prefix', '198.51.100.0/33']).stderr);
});

const runKube = requireInfra({ binaries: ['kube-apiserver', 'etcd', kubectl] }, 'kubectl herald');
(runKube ? describe : describe.skip)('installed as the kubectl plugin kubectl-herald', () => {
  let cp: ControlPlane;
  let speaker: ManagedProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    copyFileSync(join(bin, 'heraldctl'), join(bin, 'kubectl-herald'));
    symlinkSync(kubectl, join(bin, 'kubectl'));
    cp = await startControlPlane();
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const namespace = 'herald-system';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'herald-config' }, data: { 'config.yaml': 'peers: []\n' } },
    });
    await core.createNode({
      body: { metadata: { name: 'node-0', labels: { 'kubernetes.io/hostname': 'node-0' } } },
    });
    // A real speaker, on loopback only and with no peers: it answers /status like any speaker. Plain HTTP
    // (--metrics-auth=none, the chart's metrics.auth: none): this test is about the binary, not TLS.
    port = await freePort();
    speaker = await spawnManaged({
      name: 'herald-speaker',
      command: process.execPath,
      args: [
        join(root, 'packages/speaker/src/main.ts'),
        '--node-name=node-0',
        `--kubeconfig=${cp.kubeconfigPath}`,
        `--namespace=${namespace}`,
        `--metrics-address=127.0.0.1:${port}`,
        '--metrics-auth=none',
        '--health-address=',
        '--bgp-listen-address=127.0.0.1',
        `--bgp-listen-port=${await freePort()}`,
      ],
      logPath: join(dir, 'speaker.log'),
      ownerDir: dir,
    });
    await eventually(
      'the speaker to be ready',
      async () =>
        (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok ? true : undefined,
      { timeoutMs: 30_000, intervalMs: 200 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${speaker?.logTail(30)}`);
    });
    // The DaemonSet (an object only: no controller runs it here) and the Pod it would have created for the
    // speaker: labelled like the chart's, Running on node-0, its metrics port the speaker's.
    const labels = { 'app.kubernetes.io/name': 'herald', 'app.kubernetes.io/component': 'speaker' };
    const container = {
      name: 'speaker',
      image: 'ghcr.io/herald-dev/herald-speaker:0.1.0',
      // The args that tell heraldctl how to reach the speaker: plain HTTP on this port.
      args: ['--config-map=herald-config', `--metrics-address=0.0.0.0:${port}`, '--metrics-auth=none'],
      ports: [{ name: 'metrics', containerPort: port }],
    };
    await cp.kubeConfig.makeApiClient(AppsV1Api).createNamespacedDaemonSet({
      namespace,
      body: {
        metadata: { name: 'herald-speaker', labels },
        spec: {
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [container] } },
        },
      },
    });
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'herald-speaker-node-0', labels },
        spec: { nodeName: 'node-0', automountServiceAccountToken: false, containers: [container] },
      },
    });
    await core.patchNamespacedPodStatus(
      {
        name: 'herald-speaker-node-0',
        namespace,
        body: {
          status: {
            phase: 'Running',
            podIP: '127.0.0.1',
            podIPs: [{ ip: '127.0.0.1' }],
            conditions: [{ type: 'Ready', status: 'True' }],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }, 120_000);
  afterAll(async () => {
    await speaker?.stop({ graceMs: 5_000 });
    await cp?.stop();
  });

  test('kubectl plugin list finds it, and kubectl herald --version is the binary', () => {
    const list = run('kubectl', ['plugin', 'list']);
    expect(list.stdout).toContain(join(bin, 'kubectl-herald'));
    expect(run('kubectl', ['herald', '--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  test('kubectl herald config validate', () => {
    expect(run('kubectl', ['herald', 'config', 'validate', 'docs/examples/dual-stack.yaml'])).toEqual({
      code: 0,
      stdout: 'valid: 3 address pools, 3 peers, 2 advertisements, 2 community aliases\n',
      stderr: '',
    });
    expect(run('kubectl', ['herald', 'config', 'validate', 'docs/examples/invalid.yaml']).code).toBe(1);
  });

  test('kubectl herald status finds the speaker Pod through KUBECONFIG and reads its /status', () => {
    // No --port: heraldctl reads the port and the scheme from the speaker Pod's own args.
    const r = run('kubectl', ['herald', 'status'], { KUBECONFIG: cp.kubeconfigPath });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NODE\s+PEER\s+STATE/);
    expect(lines[1]).toMatch(/^node-0\s+-\s+NO PEERS/);
    const json = run('kubectl', ['herald', 'status', '-o', 'json'], {
      KUBECONFIG: cp.kubeconfigPath,
    });
    expect(JSON.parse(json.stdout)).toEqual([
      {
        target: `127.0.0.1:${port}`,
        status: expect.objectContaining({ kind: 'HeraldSpeakerStatus', node: 'node-0' }),
      },
    ]);
    // Without a cluster to ask, the plugin says so and exits 1.
    const nowhere = run('kubectl', ['herald', 'status'], { KUBECONFIG: join(dir, 'missing.kubeconfig') });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('cannot list speaker pods');
  });

  test('kubectl herald doctor reads the install through KUBECONFIG and the speaker through its Pod', () => {
    const r = run('kubectl', ['herald', 'doctor', '-o', 'json'], { KUBECONFIG: cp.kubeconfigPath });
    // No controller Deployment here: that is an error, so exit 1; the rest is still checked.
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: '' });
    const report = JSON.parse(r.stdout) as {
      kind: string;
      findings: Array<{ check: string; severity: string; subject: string; message: string }>;
    };
    expect(report.kind).toBe('HeraldDoctorReport');
    const line = (f: { check: string; severity: string; subject: string; message: string }) =>
      `${f.severity} ${f.check} ${f.subject}: ${f.message}`;
    expect(report.findings.map(line)).toEqual(
      expect.arrayContaining([
        'error install.workload namespace herald-system: no controller Deployment labelled app.kubernetes.io/name=herald in this namespace',
        expect.stringMatching(
          /^ok config\.valid ConfigMap herald-system\/herald-config: valid: 0 address pools, 0 peers/,
        ),
        'ok config.running ConfigMap herald-system/herald-config: 1 program of 1 that answered runs it',
        'warning speaker.session node-0: no BGP session: no peer selects this node',
      ]),
    );
  });
});
