// `heraldctl migrate metallb --from-cluster` against a real kube-apiserver: first a cluster with only the
// legacy ConfigMap (MetalLB before v0.13, no metallb.io CRDs), then with the metallb.io CRDs
// (e2e/src/fixtures/metallb-crds.yaml) and the documented example objects applied by kubectl. The command runs
// as a ServiceAccount holding exactly the documented permissions, and its output must equal the conversion of
// the same objects from the file.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { parse } from 'yaml';
import {
  type ControlPlane,
  requireInfra,
  type ServiceAccountCredentials,
  startControlPlane,
  testbinDir,
} from './kube/index.ts';

const root = new URL('../../', import.meta.url).pathname;
const kubectl = join(testbinDir(), 'kubectl');
const run = requireInfra({ binaries: ['kube-apiserver', 'etcd', kubectl] }, 'migrate metallb --from-cluster');
const NS = 'metallb-system';

function heraldctl(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [join(root, 'packages/cli/src/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, KUBECONFIG: '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The converted config without the header's "Source:" line, which names where it was read. */
const body = (out: string) =>
  out
    .split('\n')
    .filter((l) => !l.startsWith('# Source:'))
    .join('\n');

(run ? describe : describe.skip)('heraldctl migrate metallb --from-cluster', () => {
  let cp: ControlPlane;
  let reader: ServiceAccountCredentials;
  const k = (...args: string[]) => {
    const r = spawnSync(kubectl, ['--kubeconfig', cp.kubeconfigPath, ...args], {
      encoding: 'utf8',
      cwd: root,
    });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    k('create', 'namespace', NS);
    reader = await cp.serviceAccountKubeconfig(NS, 'migrate-reader');
    // The permissions docs/migration-metallb.md lists for --from-cluster, and nothing else.
    const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: NS,
      body: {
        metadata: { name: 'herald-migrate' },
        rules: [
          {
            apiGroups: ['metallb.io'],
            resources: [
              'ipaddresspools',
              'bgppeers',
              'bgpadvertisements',
              'communities',
              'bfdprofiles',
              'l2advertisements',
            ],
            verbs: ['list'],
          },
          { apiGroups: [''], resources: ['configmaps'], resourceNames: ['config'], verbs: ['get'] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: NS,
      body: {
        metadata: { name: 'herald-migrate' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'herald-migrate' },
        subjects: [{ kind: 'ServiceAccount', name: 'migrate-reader', namespace: NS }],
      },
    });
  }, 120_000);
  afterAll(async () => {
    await cp?.stop();
  });

  test('without metallb.io CRDs: the legacy ConfigMap is read', () => {
    const none = heraldctl(['migrate', 'metallb', '--from-cluster', '--kubeconfig', reader.kubeconfigPath]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`error: no MetalLB configuration found in cluster namespace ${NS}`);

    k('apply', '-f', 'docs/examples/metallb/legacy-configmap.yaml');
    const fromFile = heraldctl(['migrate', 'metallb', 'docs/examples/metallb/legacy-configmap.yaml']);
    const r = heraldctl(['migrate', 'metallb', '--from-cluster', '--kubeconfig', reader.kubeconfigPath]);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stdout).toContain(`# Source: cluster namespace ${NS} (ConfigMap ${NS}/config)`);
    expect(body(r.stdout)).toBe(body(fromFile.stdout));
  });

  test('with the CRDs: every configuration kind is listed and converted like the same objects from a file', () => {
    k('apply', '-f', 'e2e/src/fixtures/metallb-crds.yaml');
    k('wait', '--for=condition=Established', '--timeout=60s', '--all', 'crd');
    k('apply', '-f', 'docs/examples/metallb/crs.yaml');
    const fromFile = heraldctl(['migrate', 'metallb', 'docs/examples/metallb/crs.yaml']);
    expect(fromFile.code).toBe(0);
    // Through KUBECONFIG, as kubectl plugins and operators usually pass it.
    const r = heraldctl(['migrate', 'metallb', '--from-cluster'], { KUBECONFIG: reader.kubeconfigPath });
    expect({ code: r.code, stderr: r.stderr.split('\n').at(-2) }).toEqual({
      code: 0,
      stderr: fromFile.stderr.split('\n').at(-2),
    });
    expect(r.stdout).toContain(
      `# Source: cluster namespace ${NS} (ipaddresspools.metallb.io/v1beta1 (3), bgppeers.metallb.io/v1beta2 (2), ` +
        'bgpadvertisements.metallb.io/v1beta1 (3), communities.metallb.io/v1beta1 (1), ' +
        'bfdprofiles.metallb.io/v1beta1 (1), l2advertisements.metallb.io/v1beta1 (1))',
    );
    // The apiserver lists objects by name, the file has its own order: compare each section sorted by name.
    const sorted = (out: string) => {
      const doc = parse(out) as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(doc).map(([k, v]) => [
          k,
          Array.isArray(v) ? [...v].sort((a, b) => String(a.name).localeCompare(String(b.name))) : v,
        ]),
      );
    };
    expect(sorted(r.stdout)).toEqual(sorted(fromFile.stdout));
    // The notes are the file's, line for line (order aside).
    expect(r.stderr.split('\n').sort()).toEqual(fromFile.stderr.split('\n').sort());
  });

  test('a missing permission is an error naming the cluster, not an empty result', () => {
    const other = heraldctl([
      'migrate',
      'metallb',
      '--from-cluster',
      '-n',
      'kube-system',
      '--kubeconfig',
      reader.kubeconfigPath,
    ]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /cannot read MetalLB's configuration from the cluster \(namespace kube-system\)/,
    );
  });
});
