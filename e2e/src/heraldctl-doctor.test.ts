// `heraldctl doctor` against the whole system (startSystem: the chart installed on a real kube-apiserver, two
// controllers and three speakers run as the chart's Pods, FRR peering with every node), run from the client
// namespace as an operator's workstation would (the apiserver through the admin kubeconfig, the nodes through
// the router). Healthy first, then one injected fault at a time — a speaker down with an exhausted pool, a peer
// down, a bad ConfigMap — each found with its cause, and gone again once the fault is undone. The report for
// the first fault is the one docs/heraldctl.md shows.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { conditionTypes } from '@herald/config';
import { HERALD_NAMESPACE, REPO_ROOT, SPEAKER_DAEMONSET } from './constants.ts';
import { eventually } from './eventually.ts';
import { describeWith } from './kube/index.ts';
import { ROUTER_ASN, run, withLab } from './lab/index.ts';
import {
  createService,
  defaultValues,
  type HeraldSystem,
  readService,
  startSystem,
  waitForIngress,
} from './system/index.ts';

const MAIN = join(REPO_ROOT, 'packages/cli/src/main.ts');

interface Finding {
  area: string;
  check: string;
  severity: 'error' | 'warning' | 'ok';
  subject: string;
  message: string;
  fix?: string;
}

interface Report {
  kind: string;
  summary: { errors: number; warnings: number; ok: number };
  findings: Finding[];
}

const problems = (r: Report) =>
  r.findings.filter((f) => f.severity !== 'ok').map((f) => `${f.severity} ${f.check} ${f.subject}`);

/** The chart's default test values plus a two-address pool that only pinned Services use. */
function values() {
  const v = defaultValues();
  v.config.addressPools.push({ name: 'tiny', addresses: ['198.51.100.64/31'], autoAssign: false });
  return v;
}

describeWith(withLab({ binaries: ['kube-apiserver', 'etcd', 'helm'] }), 'heraldctl doctor in the lab', () => {
  let sys: HeraldSystem;
  let access: { netns: string; kubeconfigPath: string };
  /** A status reader's token: the programs serve /status over HTTPS to a token (docs/operations.md, Security). */
  let tokenFile: string;

  const doctor = async (...args: string[]) => {
    const r = await run(
      'ip',
      [
        'netns',
        'exec',
        access.netns,
        process.execPath,
        MAIN,
        'doctor',
        '--kubeconfig',
        access.kubeconfigPath,
        '--token-file',
        tokenFile,
        ...args,
      ],
      { allowFailure: true, timeoutMs: 60_000 },
    );
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  };
  const report = async (): Promise<Report & { code: number }> => {
    const r = await doctor('-o', 'json');
    if (r.stdout === '') throw new Error(`doctor printed nothing (exit ${r.code}): ${r.stderr}`);
    return { ...(JSON.parse(r.stdout) as Report), code: r.code };
  };
  /** Waits until the report's problems are exactly WANT (the system converges after each change). */
  const reportWith = async (want: readonly string[]) => {
    let last: (Report & { code: number }) | undefined;
    await eventually(
      `doctor reporting exactly [${want.join(' | ')}]`,
      async () => {
        last = await report();
        return JSON.stringify(problems(last).sort()) === JSON.stringify([...want].sort());
      },
      { timeoutMs: 60_000, intervalMs: 1000, detail: () => JSON.stringify(last && problems(last)) },
    );
    return last!;
  };
  const serviceWithEndpoints = async (name: string, annotations?: Record<string, string>) => {
    await createService(sys.core, name, annotations ? { annotations } : {});
    await sys.putEndpoints(name, [0, 1, 2]);
  };

  beforeAll(async () => {
    sys = await startSystem({ values: values() });
    access = await sys.operatorAccess();
    tokenFile = (await sys.readerAccess()).tokenFile;
    await serviceWithEndpoints('web');
    await waitForIngress(sys.core, 'web');
  }, 240_000);
  afterAll(async () => {
    await sys?.stop();
  });

  test('healthy: exit 0, and every area reports what it checked', async () => {
    const r = await reportWith([]);
    expect(r.code).toBe(0);
    expect(r.kind).toBe('HeraldDoctorReport');
    const ok = (check: string) =>
      r.findings.filter((f) => f.check === check).map((f) => `${f.subject}: ${f.message}`);
    expect(ok('speaker.session')).toEqual([
      'node-0: ready, 2 of 2 sessions Established, 1 prefix announced',
      'node-1: ready, 2 of 2 sessions Established, 1 prefix announced',
      'node-2: ready, 2 of 2 sessions Established, 1 prefix announced',
    ]);
    expect(ok('controller.replicas')).toEqual(['Deployment herald-controller: 2 of 2 replicas ready']);
    expect(ok('controller.leader')[0]).toMatch(
      /^Lease herald-system\/herald-controller: leader herald-controller-\d, renewed \d+s ago$/,
    );
    expect(ok('config.running')).toEqual([
      'ConfigMap herald-system/herald-config: 5 programs of 5 that answered run it',
    ]);
    expect(ok('rbac.ok')).toEqual([
      expect.stringMatching(
        /^ServiceAccount herald-system\/herald-controller: \d+ permissions the controller needs, none of the \d+ it must not have$/,
      ),
      expect.stringMatching(
        /^ServiceAccount herald-system\/herald-speaker: \d+ permissions the speaker needs, none of the \d+ it must not have$/,
      ),
    ]);
    expect(ok('service.summary')).toEqual([
      'LoadBalancer Services: 1, 1 with an address, announced by 3 of 3 nodes each, 0 pending',
    ]);
    expect(ok('pool.usage')).toEqual([
      'pool default IPv4: 1 of 64 addresses in use (1%)',
      'pool default IPv6: 0 of 65536 addresses in use (0%)',
      'pool tiny IPv4: 0 of 2 addresses in use (0%)',
    ]);
    const text = await doctor();
    expect(text.code).toBe(0);
    expect(text.stdout.trimEnd().split('\n').at(-1)).toMatch(/^0 errors, 0 warnings, \d+ ok$/);
  }, 120_000);

  test('a speaker down and an exhausted pool: both found, with the Services they affect; the report docs/heraldctl.md shows', async () => {
    for (const name of ['tiny-a', 'tiny-b', 'tiny-c'])
      await serviceWithEndpoints(name, { 'herald.dev/address-pool': 'tiny' });
    await eventually('tiny-c pending with PoolExhausted', async () => {
      const c = (await readService(sys.core, 'tiny-c'))?.status?.conditions?.find(
        (x) => x.type === conditionTypes.addressAllocated,
      );
      return c?.reason === 'PoolExhausted';
    });
    try {
      await sys.nodes[2]!.speaker!.stop({ signal: 'SIGKILL' });
      await eventually('the speaker Pod on node-2 not ready', async () => {
        const pod = await sys.core.readNamespacedPod({
          name: `${SPEAKER_DAEMONSET}-node-2`,
          namespace: HERALD_NAMESPACE,
        });
        return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False');
      });

      const r = await reportWith([
        'error speaker.pod node-2',
        'error service.allocation default/tiny-c',
        'error pool.exhausted pool tiny IPv4',
      ]);
      expect(r.code).toBe(1);
      const byCheck = (check: string) => r.findings.find((f) => f.check === check && f.severity === 'error');
      expect(byCheck('speaker.pod')?.message).toBe(
        'speaker Pod herald-speaker-node-2 is not ready (Running, Signal SIGKILL); cannot reach https://203.0.113.13:7473/status: connect ECONNREFUSED 203.0.113.13:7473: this node announces nothing',
      );
      expect(byCheck('service.allocation')?.message).toMatch(
        /^pending: PoolExhausted: .*"tiny".* \(the Service stays pending\)$/,
      );
      expect(byCheck('pool.exhausted')?.message).toBe(
        'exhausted: 2 of 2 addresses in use (100%); 1 Service(s) wait with PoolExhausted',
      );
      // The two other speakers still announce every Service with an address.
      expect(r.findings.find((f) => f.check === 'service.summary')?.message).toBe(
        '4, 3 with an address, announced by 2 of 2 nodes each, 1 pending',
      );

      // The human report, as docs/heraldctl.md shows it (the Lease age is the one thing that varies).
      const text = await doctor();
      expect(text.code).toBe(1);
      const doc = readFileSync(join(REPO_ROOT, 'docs/heraldctl.md'), 'utf8');
      const shown =
        /<!-- doctor-report: a speaker down and an exhausted pool -->\n```text\n([\s\S]*?)```/.exec(doc)?.[1];
      // What varies from run to run: which replica leads, how long ago it renewed, and the digest of the
      // test bed's configuration text (the chart's rendering of the test values).
      const normalize = (t: string | undefined) =>
        t
          ?.replace(
            /leader herald-controller-\d, renewed \d+s ago/,
            'leader herald-controller-N, renewed Ns ago',
          )
          .replace(/sha256:[0-9a-f]{12}/g, 'sha256:<digest>');
      expect(normalize(text.stdout)).toBe(normalize(shown));
    } finally {
      await sys.startSpeaker(2);
      for (const name of ['tiny-a', 'tiny-b', 'tiny-c'])
        await sys.core.deleteNamespacedService({ name, namespace: 'default' });
    }
    await reportWith([]);
  }, 180_000);

  test('a peer down: the session on that node, its state and last error', async () => {
    const node = sys.nodes[1]!;
    await sys.frr.applyConfig(`router bgp ${ROUTER_ASN}\nneighbor ${node.ns.ipv4} shutdown`);
    try {
      const r = await reportWith(['error speaker.session node-1']);
      const session = r.findings.find((f) => f.check === 'speaker.session' && f.severity === 'error');
      expect(session?.message).toMatch(
        /^BGP session router-v4 \(203\.0\.113\.1\) is (Idle|Connect|Active|OpenSent)/,
      );
      expect(session?.fix).toContain('heraldctl bgp announce');
    } finally {
      await sys.frr.applyConfig(`router bgp ${ROUTER_ASN}\nno neighbor ${node.ns.ipv4} shutdown`);
    }
    await reportWith([]);
  }, 180_000);

  test('a bad ConfigMap: every error, and every program keeps running the last valid configuration', async () => {
    const good = (
      await sys.core.readNamespacedConfigMap({ name: 'herald-config', namespace: HERALD_NAMESPACE })
    ).data?.['config.yaml'];
    expect(good).toBeDefined();
    await sys.setConfig('addressPools:\n  - name: broken\n    addresses: [198.51.100.0/33]\n');
    try {
      const r = await reportWith([
        'error config.invalid ConfigMap herald-system/herald-config',
        'warning config.stale controller herald-controller-0, controller herald-controller-1, speaker on node-0, speaker on node-1, speaker on node-2',
      ]);
      expect(r.code).toBe(1);
      const invalid = r.findings.find((f) => f.check === 'config.invalid');
      expect(invalid?.message).toMatch(/^invalid, \d errors?: addressPools\[0\]\.addresses\[0\]: /);
      expect(r.findings.find((f) => f.check === 'config.stale')?.message).toMatch(
        /^run the last valid configuration sha256:[0-9a-f]{12} \(loaded \S+\), not the broken ConfigMap$/,
      );
    } finally {
      await sys.setConfig(good!);
    }
    await reportWith([]);
  }, 180_000);
});
