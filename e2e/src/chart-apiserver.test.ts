// The Helm chart against a real kube-apiserver (e2e/src/kube harness): every rendered object of the full
// example values passes server-side dry-run (schema, defaulting, admission); `helm install` creates the
// release; SubjectAccessReviews prove each ServiceAccount may do exactly what its program needs and is
// refused the rest; real requests with TokenRequest identities confirm it on the wire; Pod Security
// admission accepts the controller under `restricted`; `helm uninstall` removes every object.
import { join } from 'node:path';
import {
  type Permission,
  parseConfig,
  permissionAttributes,
  programPermissions,
  speakerSecretPermissions,
} from '@herald/config';
import {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1PodSpec,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { CHART_DIR as chart, HERALD_NAMESPACE as ns, RELEASE } from './constants.ts';
import {
  type ControlPlane,
  describeWith,
  makeTempDir,
  removeTempDir,
  startControlPlane,
} from './kube/index.ts';
import { Helm } from './system/index.ts';

type Manifest = KubernetesObject & { spec?: { template?: { spec?: V1PodSpec } } };

async function refusedCode(call: () => Promise<unknown>): Promise<number | 'allowed'> {
  try {
    await call();
    return 'allowed';
  } catch (err) {
    if (err instanceof ApiException) return (err as ApiException<unknown>).code;
    throw err;
  }
}

describeWith({ binaries: ['kube-apiserver', 'etcd', 'helm'] }, 'Helm chart on a real kube-apiserver', () => {
  let cp: ControlPlane;
  let helmHome: string;
  let helmRunner: Helm;
  const helm = (...args: string[]) => helmRunner.run(args);

  beforeAll(async () => {
    helmHome = makeTempDir();
    cp = await startControlPlane();
    helmRunner = new Helm(helmHome, cp.kubeconfigPath);
    await cp.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  }, 120_000);

  afterAll(async () => {
    await cp?.stop();
    if (helmHome) removeTempDir(helmHome);
  });

  test('every object rendered from the full example values passes server-side dry-run', async () => {
    const rendered = helm(
      ...helmRunner.templateArgs(RELEASE, chart, ['-n', ns, '-f', join(chart, 'ci/full-values.yaml')]),
    );
    const objects = parseAllDocuments(rendered)
      .map((d) => d.toJS() as Manifest | null)
      .filter((o): o is Manifest => o !== null);
    const client = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
    // The Prometheus Operator CRDs are not installed here; those objects are checked structurally in
    // chart-render.test.ts.
    const checked = objects.filter((o) => !o.apiVersion?.startsWith('monitoring.coreos.com/'));
    expect(checked.length).toBeGreaterThanOrEqual(14);
    const failures: string[] = [];
    for (const o of checked) {
      try {
        await client.create(o, undefined, 'All');
      } catch (err) {
        failures.push(`${o.kind}/${o.metadata?.name}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    // Dry run: nothing was created.
    const roles = await cp.kubeConfig
      .makeApiClient(RbacAuthorizationV1Api)
      .listNamespacedRole({ namespace: ns });
    expect(roles.items).toEqual([]);
  });

  test('Pod Security: the controller pod is admitted under "restricted", the speaker needs "privileged"', async () => {
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const pods = parseAllDocuments(helm(...helmRunner.templateArgs(RELEASE, chart, ['-n', ns])))
      .map((d) => d.toJS() as Manifest | null)
      .filter((o): o is Manifest => o?.kind === 'Deployment' || o?.kind === 'DaemonSet');
    const podSpec = (kind: string): V1PodSpec => {
      const spec = structuredClone(pods.find((o) => o.kind === kind)!.spec!.template!.spec!);
      // The ServiceAccounts live in the release namespace, not in these probe namespaces.
      delete spec.serviceAccountName;
      spec.automountServiceAccountToken = false;
      return spec;
    };
    for (const level of ['restricted', 'baseline', 'privileged']) {
      await core.createNamespace({
        body: { metadata: { name: `psa-${level}`, labels: { 'pod-security.kubernetes.io/enforce': level } } },
      });
      // No controller-manager here to create the namespace's default ServiceAccount, which Pods fall back to.
      await core.createNamespacedServiceAccount({
        namespace: `psa-${level}`,
        body: { metadata: { name: 'default' } },
      });
    }
    const dryRunPod = (namespace: string, spec: V1PodSpec) =>
      core.createNamespacedPod({ namespace, body: { metadata: { name: 'probe' }, spec }, dryRun: 'All' });
    await dryRunPod('psa-restricted', podSpec('Deployment'));
    await dryRunPod('psa-privileged', podSpec('DaemonSet'));
    const refused = await dryRunPod('psa-baseline', podSpec('DaemonSet')).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApiException);
    expect(String((refused as Error).message)).toMatch(
      /violates PodSecurity.*baseline:latest.*host namespaces \(hostNetwork=true\)/s,
    );
  });

  describe('installed release', () => {
    const sa = (name: string) => ({
      user: `system:serviceaccount:${ns}:${name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
    });

    /** `helm install|upgrade` of the release with one pool and one peer (plus SETTINGS of that peer, as JSON). */
    const release = (verb: 'install' | 'upgrade', peerSettings = '', ...extra: string[]) =>
      helm(
        verb,
        'herald',
        chart,
        '-n',
        ns,
        '--set-json',
        'config.addressPools=[{"name":"default","addresses":["198.51.100.0/24"]}]',
        '--set-json',
        `config.peers=[{"name":"tor","peerAddress":"203.0.113.1","peerASN":64512,"myASN":64513${peerSettings}}]`,
        ...extra,
      );

    beforeAll(() => {
      release('install');
    }, 120_000);

    test('helm install created the workloads, the ConfigMap and the RBAC objects', async () => {
      const apps = cp.kubeConfig.makeApiClient(AppsV1Api);
      const deploy = await apps.readNamespacedDeployment({ name: 'herald-controller', namespace: ns });
      expect(deploy.spec?.replicas).toBe(2);
      const ds = await apps.readNamespacedDaemonSet({ name: 'herald-speaker', namespace: ns });
      expect(ds.spec?.template.spec?.hostNetwork).toBe(true);
      const cm = await cp.kubeConfig
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({ name: 'herald-config', namespace: ns });
      expect(cm.data?.['config.yaml']).toContain('198.51.100.0/24');
      const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
      expect((await rbac.readClusterRole({ name: `${ns}:herald-controller` })).rules).toHaveLength(8);
      // The metrics certificate was rendered, and a second upgrade keeps it (lookup), so scrapers keep trusting it.
      const core = cp.kubeConfig.makeApiClient(CoreV1Api);
      const before = (await core.readNamespacedSecret({ name: 'herald-metrics-tls', namespace: ns })).data;
      helm('upgrade', 'herald', chart, '-n', ns, '--reuse-values');
      const after = (await core.readNamespacedSecret({ name: 'herald-metrics-tls', namespace: ns })).data;
      expect(after?.['tls.crt']).toBe(before?.['tls.crt']);
      expect(after?.['ca.crt']).toBe(before?.['ca.crt']);
    });

    // [component, expected, resource attributes]
    const matrix: Array<[string, boolean, V1ResourceAttributes]> = [
      // controller: allowed
      ['controller', true, { verb: 'list', resource: 'services' }],
      ['controller', true, { verb: 'watch', resource: 'services' }],
      [
        'controller',
        true,
        { verb: 'patch', resource: 'services', subresource: 'status', namespace: 'default', name: 'web' },
      ],
      ['controller', true, { verb: 'create', resource: 'events', namespace: 'default' }],
      ['controller', true, { verb: 'watch', resource: 'namespaces' }],
      ['controller', true, { verb: 'patch', resource: 'events', namespace: 'default', name: 'x' }],
      ['controller', true, { verb: 'list', resource: 'configmaps', namespace: ns, name: 'herald-config' }],
      ['controller', true, { verb: 'watch', resource: 'configmaps', namespace: ns, name: 'herald-config' }],
      ['controller', true, { verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' }],
      [
        'controller',
        true,
        { verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' },
      ],
      [
        'controller',
        true,
        { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: ns },
      ],
      [
        'controller',
        true,
        {
          verb: 'update',
          group: 'coordination.k8s.io',
          resource: 'leases',
          namespace: ns,
          name: 'herald-controller',
        },
      ],
      // controller: refused — it never writes a Service itself, only its status, and only by patch
      ['controller', false, { verb: 'patch', resource: 'services', namespace: 'default', name: 'web' }],
      ['controller', false, { verb: 'update', resource: 'services', namespace: 'default', name: 'web' }],
      ['controller', false, { verb: 'get', resource: 'services', namespace: 'default', name: 'web' }],
      [
        'controller',
        false,
        { verb: 'update', resource: 'services', subresource: 'status', namespace: 'default', name: 'web' },
      ],
      [
        'controller',
        false,
        { verb: 'create', group: 'events.k8s.io', resource: 'events', namespace: 'default' },
      ],
      ['controller', false, { verb: 'get', resource: 'configmaps', namespace: ns, name: 'herald-config' }],
      ['controller', false, { verb: 'delete', resource: 'services', namespace: 'default', name: 'web' }],
      ['controller', false, { verb: 'create', resource: 'services', namespace: 'default' }],
      ['controller', false, { verb: 'update', resource: 'namespaces', name: 'default' }],
      ['controller', false, { verb: 'list', resource: 'configmaps', namespace: ns }],
      ['controller', false, { verb: 'get', resource: 'configmaps', namespace: ns, name: 'other' }],
      [
        'controller',
        false,
        { verb: 'get', resource: 'configmaps', namespace: 'default', name: 'herald-config' },
      ],
      ['controller', false, { verb: 'get', resource: 'secrets', namespace: ns, name: 'x' }],
      [
        'controller',
        false,
        { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: ns, name: 'other' },
      ],
      [
        'controller',
        false,
        {
          verb: 'delete',
          group: 'coordination.k8s.io',
          resource: 'leases',
          namespace: ns,
          name: 'herald-controller',
        },
      ],
      [
        'controller',
        false,
        { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: 'default' },
      ],
      // node-address pools: Nodes and EndpointSlices, list and watch only (the Reflector's verbs)
      ['controller', true, { verb: 'list', resource: 'nodes' }],
      ['controller', true, { verb: 'watch', resource: 'nodes' }],
      ['controller', true, { verb: 'list', group: 'discovery.k8s.io', resource: 'endpointslices' }],
      ['controller', true, { verb: 'watch', group: 'discovery.k8s.io', resource: 'endpointslices' }],
      ['controller', false, { verb: 'get', resource: 'nodes', name: 'node-1' }],
      ['controller', false, { verb: 'patch', resource: 'nodes', name: 'node-1' }],
      ['controller', false, { verb: 'update', resource: 'nodes', subresource: 'status', name: 'node-1' }],
      [
        'controller',
        false,
        {
          verb: 'get',
          group: 'discovery.k8s.io',
          resource: 'endpointslices',
          namespace: 'default',
          name: 'x',
        },
      ],
      [
        'controller',
        false,
        { verb: 'create', group: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'default' },
      ],
      ['controller', false, { verb: 'list', resource: 'pods' }],
      // speaker: allowed
      ['speaker', true, { verb: 'list', resource: 'services' }],
      ['speaker', true, { verb: 'watch', resource: 'services' }],
      ['speaker', true, { verb: 'watch', resource: 'nodes' }],
      ['speaker', true, { verb: 'list', resource: 'nodes', name: 'node-1' }],
      ['speaker', true, { verb: 'list', group: 'discovery.k8s.io', resource: 'endpointslices' }],
      ['speaker', true, { verb: 'watch', group: 'discovery.k8s.io', resource: 'endpointslices' }],
      ['speaker', true, { verb: 'create', resource: 'events', namespace: 'default' }],
      ['speaker', true, { verb: 'patch', resource: 'events', namespace: 'default', name: 'x' }],
      ['speaker', true, { verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' }],
      ['speaker', true, { verb: 'watch', resource: 'configmaps', namespace: ns, name: 'herald-config' }],
      // speaker: no peer names a Secret, so it may read none
      ['speaker', false, { verb: 'list', resource: 'secrets', namespace: ns, name: 'bgp-password' }],
      ['speaker', false, { verb: 'watch', resource: 'secrets', namespace: ns, name: 'bgp-password' }],
      ['speaker', false, { verb: 'watch', resource: 'secrets', namespace: ns }],
      // speaker: refused
      ['speaker', false, { verb: 'get', resource: 'nodes', name: 'node-1' }],
      [
        'speaker',
        false,
        { verb: 'patch', group: 'events.k8s.io', resource: 'events', namespace: 'default', name: 'x' },
      ],
      [
        'speaker',
        false,
        { verb: 'patch', resource: 'services', subresource: 'status', namespace: 'default', name: 'web' },
      ],
      [
        'speaker',
        false,
        { verb: 'update', resource: 'services', subresource: 'status', namespace: 'default', name: 'web' },
      ],
      ['speaker', false, { verb: 'patch', resource: 'services', namespace: 'default', name: 'web' }],
      ['speaker', false, { verb: 'patch', resource: 'nodes', name: 'node-1' }],
      [
        'speaker',
        false,
        { verb: 'create', group: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'default' },
      ],
      ['speaker', false, { verb: 'get', resource: 'secrets', namespace: 'default', name: 'bgp-password' }],
      ['speaker', false, { verb: 'list', resource: 'secrets' }],
      ['speaker', false, { verb: 'list', resource: 'configmaps', namespace: ns }],
      [
        'speaker',
        false,
        {
          verb: 'get',
          group: 'coordination.k8s.io',
          resource: 'leases',
          namespace: ns,
          name: 'herald-controller',
        },
      ],
      ['speaker', false, { verb: 'list', resource: 'pods' }],
    ];

    /** The matrix as the apiserver answers it: each row's `allowed` from a SubjectAccessReview. */
    const reviewed = (rows: Array<[string, boolean, V1ResourceAttributes]>) => {
      const authz = cp.kubeConfig.makeApiClient(AuthorizationV1Api);
      return Promise.all(
        rows.map(async ([component, , attrs]) => {
          const review = await authz.createSubjectAccessReview({
            body: { spec: { ...sa(`herald-${component}`), resourceAttributes: attrs } },
          });
          return [component, review.status?.allowed === true, attrs] as const;
        }),
      );
    };

    test('SubjectAccessReviews: each ServiceAccount may do exactly what its program needs', async () => {
      expect(await reviewed(matrix)).toEqual(matrix);
    });

    /**
     * What heraldctl doctor would report against this install: each permission of programPermissions (plus
     * the speaker's Secrets the installed config names) the apiserver answers otherwise than doctor expects.
     */
    const doctorMismatches = async (configured: readonly Permission[] = []) => {
      const authz = cp.kubeConfig.makeApiClient(AuthorizationV1Api);
      const names = { namespace: ns, configMap: 'herald-config', lease: 'herald-controller' };
      const wrong: string[] = [];
      for (const program of ['controller', 'speaker'] as const) {
        const { needs, mustNot } = programPermissions[program];
        for (const [perm, want] of [
          ...needs.map((p) => [p, true] as const),
          ...(program === 'speaker' ? configured.map((p) => [p, true] as const) : []),
          ...mustNot.map((p) => [p, false] as const),
        ]) {
          const attrs = permissionAttributes(perm, names);
          const review = await authz.createSubjectAccessReview({
            body: { spec: { ...sa(`herald-${program}`), resourceAttributes: attrs } },
          });
          if ((review.status?.allowed === true) !== want)
            wrong.push(`${program} ${want ? 'lacks' : 'has'} ${JSON.stringify(attrs)}`);
        }
      }
      return wrong;
    };

    test('the chart grants what heraldctl doctor checks each program needs, and nothing it must not have', async () => {
      // programPermissions (@herald/config) is the list doctor asks SubjectAccessReviews for in a live cluster:
      // the chart must pass that check, so the list and the chart cannot drift apart.
      expect(await doctorMismatches()).toEqual([]);
    });

    test('on the wire with TokenRequest identities: allowed calls succeed, forbidden ones get 403', async () => {
      const admin = cp.kubeConfig.makeApiClient(CoreV1Api);
      await admin.createNamespacedService({
        namespace: 'default',
        body: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } },
      });
      await admin.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'elsewhere' } } });
      await admin.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'bgp-password' } } });
      const controller = (
        await cp.serviceAccountKubeconfig(ns, 'herald-controller')
      ).kubeConfig.makeApiClient(CoreV1Api);
      const speaker = (await cp.serviceAccountKubeconfig(ns, 'herald-speaker')).kubeConfig.makeApiClient(
        CoreV1Api,
      );
      const statusPatch = (client: CoreV1Api) => () =>
        client.patchNamespacedServiceStatus(
          {
            name: 'web',
            namespace: 'default',
            body: { status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      const configMapWatchList = (client: CoreV1Api, fieldSelector?: string) => () =>
        client.listNamespacedConfigMap({ namespace: ns, fieldSelector });

      expect({
        speakerWritesStatus: await refusedCode(statusPatch(speaker)),
        controllerWritesStatus: await refusedCode(statusPatch(controller)),
        controllerPatchesService: await refusedCode(() =>
          controller.patchNamespacedService(
            { name: 'web', namespace: 'default', body: { spec: { selector: { app: 'attacker' } } } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        ),
        controllerDeletesService: await refusedCode(() =>
          controller.deleteNamespacedService({ name: 'web', namespace: 'default' }),
        ),
        controllerListsOwnConfigMap: await refusedCode(
          configMapWatchList(controller, 'metadata.name=herald-config'),
        ),
        controllerListsAllConfigMaps: await refusedCode(configMapWatchList(controller)),
        speakerListsOwnConfigMap: await refusedCode(
          configMapWatchList(speaker, 'metadata.name=herald-config'),
        ),
        speakerReadsSecretHere: await refusedCode(() =>
          speaker.readNamespacedSecret({ name: 'bgp-password', namespace: ns }),
        ),
        speakerReadsSecretElsewhere: await refusedCode(() =>
          speaker.readNamespacedSecret({ name: 'elsewhere', namespace: 'default' }),
        ),
        controllerReadsSecret: await refusedCode(() =>
          controller.readNamespacedSecret({ name: 'bgp-password', namespace: ns }),
        ),
        speakerListsServices: await refusedCode(() => speaker.listServiceForAllNamespaces()),
        controllerListsNodes: await refusedCode(() => controller.listNode()),
        controllerReadsNode: await refusedCode(() => controller.readNode({ name: 'node-1' })),
      }).toEqual({
        speakerWritesStatus: 403,
        controllerWritesStatus: 'allowed',
        controllerPatchesService: 403,
        controllerDeletesService: 403,
        controllerListsOwnConfigMap: 'allowed',
        controllerListsAllConfigMaps: 403,
        speakerListsOwnConfigMap: 'allowed',
        speakerReadsSecretHere: 403,
        speakerReadsSecretElsewhere: 403,
        controllerReadsSecret: 403,
        speakerListsServices: 'allowed',
        controllerListsNodes: 'allowed',
        controllerReadsNode: 403,
      });
    });

    test('a Secret a peer names (and rbac.speakerSecrets): the speaker may list and watch exactly it, by name', async () => {
      release(
        'upgrade',
        ',"passwordSecretRef":{"name":"bgp-password","key":"password"}',
        '--set-json',
        'rbac.speakerSecrets=["bgp-extra"]',
      );
      const secret = (verb: string, name?: string): V1ResourceAttributes => ({
        verb,
        resource: 'secrets',
        namespace: ns,
        ...(name === undefined ? {} : { name }),
      });
      const expected: Array<[string, boolean, V1ResourceAttributes]> = [
        ['speaker', true, secret('list', 'bgp-password')],
        ['speaker', true, secret('watch', 'bgp-password')],
        ['speaker', true, secret('watch', 'bgp-extra')],
        // Not used by the speaker, so not granted: get, and any Secret it was not given by name.
        ['speaker', false, secret('get', 'bgp-password')],
        ['speaker', false, secret('list')],
        ['speaker', false, secret('watch')],
        ['speaker', false, secret('list', 'helm-release-values')],
        ['speaker', false, { ...secret('list', 'bgp-password'), namespace: 'default' }],
        ['controller', false, secret('list', 'bgp-password')],
      ];
      expect(await reviewed(expected)).toEqual(expected);
      // On the wire, as the speaker's Secret reflector asks: list with the field selector, nothing else.
      const speaker = (await cp.serviceAccountKubeconfig(ns, 'herald-speaker')).kubeConfig.makeApiClient(
        CoreV1Api,
      );
      expect({
        listByName: await refusedCode(() =>
          speaker.listNamespacedSecret({ namespace: ns, fieldSelector: 'metadata.name=bgp-password' }),
        ),
        listAll: await refusedCode(() => speaker.listNamespacedSecret({ namespace: ns })),
        get: await refusedCode(() => speaker.readNamespacedSecret({ name: 'bgp-password', namespace: ns })),
      }).toEqual({ listByName: 'allowed', listAll: 403, get: 403 });
      // And doctor, which derives the Secret permissions from the installed ConfigMap, finds nothing wrong.
      const installed = parseConfig(
        (
          await cp.kubeConfig
            .makeApiClient(CoreV1Api)
            .readNamespacedConfigMap({ name: 'herald-config', namespace: ns })
        ).data?.['config.yaml'] ?? '',
      );
      if (!installed.ok) throw new Error(`the chart's ConfigMap: ${JSON.stringify(installed.errors)}`);
      const configured = speakerSecretPermissions(installed.config);
      expect(configured.map((p) => `${p.verb} ${p.name}`)).toEqual([
        'list bgp-password',
        'watch bgp-password',
      ]);
      expect(await doctorMismatches(configured)).toEqual([]);
    });

    test('helm uninstall removes every object of the release, cluster-scoped ones included', async () => {
      helm('uninstall', 'herald', '-n', ns);
      const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
      const roles = await rbac.listClusterRole({ labelSelector: 'app.kubernetes.io/instance=herald' });
      expect(roles.items).toEqual([]);
      const apps = cp.kubeConfig.makeApiClient(AppsV1Api);
      expect((await apps.listNamespacedDeployment({ namespace: ns })).items).toEqual([]);
      expect((await apps.listNamespacedDaemonSet({ namespace: ns })).items).toEqual([]);
      const core = cp.kubeConfig.makeApiClient(CoreV1Api);
      expect(
        (
          await core.listNamespacedConfigMap({
            namespace: ns,
            labelSelector: 'app.kubernetes.io/instance=herald',
          })
        ).items,
      ).toEqual([]);
    });
  });
});
