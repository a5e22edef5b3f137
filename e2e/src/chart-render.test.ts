// The Helm chart, rendered by the real helm binary (built by e2e/testbin/ensure.sh): lint, template with
// default and full values, and the properties that matter asserted on the parsed manifests — RBAC rules
// exactly, security contexts, host network, probes, downward API, the rendered ConfigMap — plus the values
// schema's config section against the config package's published JSON Schema, and the README values table.
// The objects are applied to a real kube-apiserver in chart-apiserver.test.ts.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { CHART_DIR as chart, HERALD_NAMESPACE, RELEASE, REPO_ROOT as root } from './constants.ts';
import { describeWith, makeTempDir, removeTempDir } from './kube/index.ts';
import { Helm, type HelmResult } from './system/index.ts';

const fullValues = join(chart, 'ci/full-values.yaml');

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML; each assertion states the shape it reads
  [key: string]: any;
};

let helm: Helm;

/** `helm template` (release herald, namespace herald-system, the apiserver's Kubernetes version). */
function render(...extra: string[]): Obj[] {
  const r = helm.exec(helm.templateArgs(RELEASE, chart, ['--namespace', HERALD_NAMESPACE, ...extra]));
  if (r.status !== 0) throw new Error(`helm template ${extra.join(' ')} failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

function renderError(...extra: string[]): string {
  const r: HelmResult = helm.exec(helm.templateArgs(RELEASE, chart, extra));
  expect(r.status).not.toBe(0);
  return r.stderr;
}

function one(objs: Obj[], kind: string, name: string): Obj {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) {
    throw new Error(
      `${kind}/${name}: found ${found.length}; have ${objs.map((o) => `${o.kind}/${o.metadata.name}`)}`,
    );
  }
  return found[0]!;
}

const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]) => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});

describeWith({ binaries: ['helm'] }, 'Helm chart (helm lint / template)', () => {
  let defaults: Obj[];
  let full: Obj[];
  let helmHome = '';

  beforeAll(() => {
    helmHome = makeTempDir();
    helm = new Helm(helmHome);
    defaults = render();
    full = render('-f', fullValues);
  });
  afterAll(() => {
    if (helmHome) removeTempDir(helmHome);
  });

  test('helm lint passes, also --strict and with the full example values', () => {
    for (const args of [[], ['--strict'], ['--strict', '-f', fullValues]]) {
      const r = helm.exec(['lint', chart, ...args]);
      expect({ args, status: r.status, out: r.stdout + r.stderr }).toMatchObject({ status: 0 });
      expect(r.stdout).toContain('0 chart(s) failed');
    }
  });

  test('default values render the expected objects, all in the release namespace with standard labels', () => {
    const names = defaults.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names).toEqual(
      [
        'ClusterRole/herald-system:herald-controller',
        'ClusterRole/herald-system:herald-speaker',
        'ClusterRoleBinding/herald-system:herald-controller',
        'ClusterRoleBinding/herald-system:herald-speaker',
        'ConfigMap/herald-config',
        'ConfigMap/herald-metrics-ca',
        'DaemonSet/herald-speaker',
        'Deployment/herald-controller',
        'PodDisruptionBudget/herald-controller',
        'Role/herald-controller',
        'Role/herald-metrics-reader',
        'Role/herald-speaker',
        'Role/herald-status-reader',
        'RoleBinding/herald-controller',
        'RoleBinding/herald-speaker',
        'Secret/herald-metrics-tls',
        'ServiceAccount/herald-controller',
        'ServiceAccount/herald-speaker',
      ].sort(),
    );
    const chartVersion = (parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as { version: string })
      .version;
    for (const o of [...defaults, ...full]) {
      const clusterScoped = o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding';
      expect({ o: `${o.kind}/${o.metadata.name}`, ns: o.metadata.namespace }).toEqual({
        o: `${o.kind}/${o.metadata.name}`,
        ns: clusterScoped ? undefined : 'herald-system',
      });
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'herald',
        'app.kubernetes.io/instance': 'herald',
        'app.kubernetes.io/version': '0.1.0',
        'app.kubernetes.io/managed-by': 'Helm',
        'helm.sh/chart': `herald-${chartVersion}`,
      });
      expect(o.metadata.labels?.['app.kubernetes.io/component']).toMatch(
        /^(controller|speaker|config|metrics|metrics-ca)$/,
      );
    }
  });

  test('RBAC grants exactly the intended rules', () => {
    const rules = (kind: string, name: string) => one(defaults, kind, name).rules;
    // Token checks for /metrics and /status (metrics.auth: kubernetes, the default).
    const reviews = [
      rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
      rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    ];
    expect(rules('ClusterRole', 'herald-system:herald-controller')).toEqual([
      rule([''], ['services'], ['list', 'watch']),
      rule([''], ['services/status'], ['patch']),
      rule([''], ['namespaces'], ['list', 'watch']),
      rule([''], ['nodes'], ['list', 'watch']),
      rule(['discovery.k8s.io'], ['endpointslices'], ['list', 'watch']),
      rule([''], ['events'], ['create', 'patch']),
      ...reviews,
    ]);
    expect(rules('Role', 'herald-controller')).toEqual([
      rule([''], ['configmaps'], ['list', 'watch'], ['herald-config']),
      rule(['coordination.k8s.io'], ['leases'], ['create']),
      rule(['coordination.k8s.io'], ['leases'], ['get', 'update'], ['herald-controller']),
    ]);
    expect(rules('ClusterRole', 'herald-system:herald-speaker')).toEqual([
      rule([''], ['services', 'nodes'], ['list', 'watch']),
      rule(['discovery.k8s.io'], ['endpointslices'], ['list', 'watch']),
      rule([''], ['events'], ['create', 'patch']),
      ...reviews,
    ]);
    // No peer names a Secret by default: the speaker may read none.
    expect(rules('Role', 'herald-speaker')).toEqual([
      rule([''], ['configmaps'], ['list', 'watch'], ['herald-config']),
    ]);
    // Readers of /metrics and /status: herald.dev attributes only, by name; bound only to configured subjects.
    expect(rules('Role', 'herald-metrics-reader')).toEqual([
      rule(['herald.dev'], ['speakers/metrics'], ['get'], ['herald-speaker']),
      rule(['herald.dev'], ['controllers/metrics'], ['get'], ['herald-controller']),
    ]);
    expect(rules('Role', 'herald-status-reader')).toEqual([
      rule(['herald.dev'], ['speakers/metrics', 'speakers/status'], ['get'], ['herald-speaker']),
      rule(['herald.dev'], ['controllers/metrics', 'controllers/status'], ['get'], ['herald-controller']),
    ]);
    // metrics.auth none: no token checks, no reader Roles.
    const plain = render('--set', 'metrics.auth=none');
    expect(one(plain, 'ClusterRole', 'herald-system:herald-speaker').rules).toHaveLength(3);
    expect(plain.filter((o) => /reader|metrics-tls|metrics-ca/.test(o.metadata.name))).toEqual([]);
    // Bindings: each role to its own ServiceAccount only.
    for (const component of ['controller', 'speaker']) {
      for (const [kind, name] of [
        ['ClusterRoleBinding', `herald-system:herald-${component}`],
        ['RoleBinding', `herald-${component}`],
      ] as const) {
        const binding = one(defaults, kind, name);
        expect(binding.roleRef).toEqual({
          apiGroup: 'rbac.authorization.k8s.io',
          kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole',
          name,
        });
        expect(binding.subjects).toEqual([
          { kind: 'ServiceAccount', name: `herald-${component}`, namespace: 'herald-system' },
        ]);
      }
    }
    // Full values: exactly the Secret a peer names plus rbac.speakerSecrets, list and watch by name only;
    // the names follow the values.
    expect(one(full, 'Role', 'herald-speaker').rules).toEqual([
      rule([''], ['configmaps'], ['list', 'watch'], ['herald-config']),
      rule([''], ['secrets'], ['list', 'watch'], ['bgp-tor-a', 'bgp-tor-extra']),
    ]);
    // Monitors on: the scraper's ServiceAccount reads /metrics, nothing else.
    expect(one(full, 'RoleBinding', 'herald-metrics-reader').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'herald-metrics-scraper', namespace: 'herald-system' },
    ]);
    // Two peers naming one Secret grant it once; an existingConfigMap's Secrets come from rbac.speakerSecrets.
    const twoPeers = render(
      '--set-json',
      'config.peers=[{"name":"a","peerAddress":"203.0.113.1","peerASN":64512,"myASN":64513,"passwordSecretRef":{"name":"bgp","key":"a"}},{"name":"b","peerAddress":"203.0.113.2","peerASN":64512,"myASN":64513,"passwordSecretRef":{"name":"bgp","key":"b"}}]',
    );
    expect(one(twoPeers, 'Role', 'herald-speaker').rules[1]).toEqual(
      rule([''], ['secrets'], ['list', 'watch'], ['bgp']),
    );
    const external = render(
      '--set',
      'existingConfigMap=mine',
      '--set-json',
      'rbac.speakerSecrets=["tor-md5"]',
    );
    expect(one(external, 'Role', 'herald-speaker').rules[1]).toEqual(
      rule([''], ['secrets'], ['list', 'watch'], ['tor-md5']),
    );
    expect(one(full, 'Role', 'herald-controller').rules[2].resourceNames).toEqual(['herald-leader']);
    expect(one(full, 'RoleBinding', 'herald-speaker').subjects[0].name).toBe('herald-spk');
    expect(full.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'herald-spk')).toBe(false);
    expect(render('--set', 'rbac.create=false').filter((o) => /Role/.test(o.kind))).toEqual([]);
  });

  test('controller: 2 replicas, leader election, anti-affinity, restricted security context, probes', () => {
    const deploy = one(defaults, 'Deployment', 'herald-controller');
    const pod = deploy.spec.template.spec;
    const [container] = pod.containers;
    expect(deploy.spec.replicas).toBe(2);
    expect(pod.serviceAccountName).toBe('herald-controller');
    const serving = (metrics: string, health: string, component: string) => [
      `--metrics-address=${metrics}`,
      `--health-address=${health}`,
      '--metrics-auth=kubernetes',
      '--tls-cert-file=/etc/herald/metrics-tls/tls.crt',
      '--tls-key-file=/etc/herald/metrics-tls/tls.key',
      `--metrics-authz-name=herald-${component}`,
    ];
    expect(container.args).toEqual([
      '--config-map=herald-config',
      ...serving('0.0.0.0:7472', '0.0.0.0:7474', 'controller'),
      '--log-level=info',
      '--leader-elect',
      '--lease-name=herald-controller',
    ]);
    expect(container.volumeMounts).toEqual([
      { name: 'metrics-tls', mountPath: '/etc/herald/metrics-tls', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([
      {
        name: 'metrics-tls',
        secret: {
          secretName: 'herald-metrics-tls',
          items: [
            { key: 'tls.crt', path: 'tls.crt' },
            { key: 'tls.key', path: 'tls.key' },
          ],
        },
      },
    ]);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.hostNetwork).toBeUndefined();
    expect(container.ports).toEqual([
      { name: 'metrics', containerPort: 7472, protocol: 'TCP' },
      { name: 'health', containerPort: 7474, protocol: 'TCP' },
    ]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    const env = Object.fromEntries(container.env.map((e: Obj) => [e.name, e.valueFrom.fieldRef.fieldPath]));
    expect(env).toEqual({ POD_NAMESPACE: 'metadata.namespace', POD_NAME: 'metadata.name' });
    const anti = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
    expect(anti.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(anti.podAffinityTerm.labelSelector.matchLabels).toEqual(deploy.spec.selector.matchLabels);
    expect(deploy.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'herald',
      'app.kubernetes.io/instance': 'herald',
      'app.kubernetes.io/component': 'controller',
    });
    expect(one(defaults, 'PodDisruptionBudget', 'herald-controller').spec.minAvailable).toBe(1);

    const fullDeploy = one(full, 'Deployment', 'herald-controller');
    const fullContainer = fullDeploy.spec.template.spec.containers[0];
    expect(fullContainer.image).toBe('registry.example.com/herald/herald-controller:0.1.0-rc.1');
    expect(fullContainer.args).toEqual([
      '--config-map=herald-config',
      ...serving('[::]:9472', '0.0.0.0:7474', 'controller'),
      '--log-level=info',
      '--load-balancer-class=herald.dev/bgp',
      '--leader-elect',
      '--lease-name=herald-leader',
      '--lease-duration=15s',
      '--renew-deadline=10s',
      '--retry-period=2s',
      '--log-level=info',
    ]);
    expect(
      fullDeploy.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution,
    ).toHaveLength(1);
    expect(fullDeploy.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(fullDeploy.spec.template.spec.priorityClassName).toBe('system-cluster-critical');
    expect(fullDeploy.spec.template.metadata.annotations).toEqual({ 'example.com/team': 'network' });

    const single = one(
      render('--set', 'controller.replicas=1', '--set', 'controller.leaderElection.enabled=false'),
      'Deployment',
      'herald-controller',
    );
    expect(single.spec.template.spec.containers[0].args).toContain('--no-leader-elect');
  });

  test('speaker: host network, NODE_NAME from the downward API, only NET_BIND_SERVICE below port 1024', () => {
    const ds = one(defaults, 'DaemonSet', 'herald-speaker');
    const pod = ds.spec.template.spec;
    const [container] = pod.containers;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.serviceAccountName).toBe('herald-speaker');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(10);
    expect(pod.tolerations).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    const nodeName = container.env.find((e: Obj) => e.name === 'NODE_NAME');
    expect(nodeName).toEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    const serving = (metrics: string) => [
      `--metrics-address=${metrics}`,
      '--health-address=127.0.0.1:7474',
      '--metrics-auth=kubernetes',
      '--tls-cert-file=/etc/herald/metrics-tls/tls.crt',
      '--tls-key-file=/etc/herald/metrics-tls/tls.key',
      '--metrics-authz-name=herald-speaker',
    ];
    expect(container.args).toEqual([
      '--node-name=$(NODE_NAME)',
      '--config-map=herald-config',
      ...serving('0.0.0.0:7473'),
      '--log-level=info',
      '--bgp-listen-port=179',
    ]);
    // Port 179: root, every capability dropped but NET_BIND_SERVICE.
    expect(pod.securityContext).toEqual({
      runAsNonRoot: false,
      runAsUser: 0,
      runAsGroup: 0,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
    });
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 7473, protocol: 'TCP' }]);
    // Probes on the node's loopback (host network): the kubelet reaches it, nothing off the node does.
    expect(container.livenessProbe.httpGet).toEqual({ host: '127.0.0.1', path: '/healthz', port: 7474 });
    expect(container.readinessProbe.httpGet).toEqual({ host: '127.0.0.1', path: '/readyz', port: 7474 });
    expect(container.startupProbe.httpGet).toEqual({ host: '127.0.0.1', path: '/healthz', port: 7474 });
    // metrics.auth none: plain HTTP, no certificate, no token checks.
    const plainArgs = one(render('--set', 'metrics.auth=none'), 'DaemonSet', 'herald-speaker').spec.template
      .spec.containers[0].args;
    expect(plainArgs).toEqual([
      '--node-name=$(NODE_NAME)',
      '--config-map=herald-config',
      '--metrics-address=0.0.0.0:7473',
      '--health-address=127.0.0.1:7474',
      '--metrics-auth=none',
      '--log-level=info',
      '--bgp-listen-port=179',
    ]);

    // Port 1179 (full values): non-root, no capability at all; overrides merged.
    const fullDs = one(full, 'DaemonSet', 'herald-speaker');
    const fullPod = fullDs.spec.template.spec;
    expect(fullPod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(fullPod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(fullPod.containers[0].image).toBe(
      'registry.example.com/herald/herald-speaker@sha256:0000000000000000000000000000000000000000000000000000000000000000',
    );
    expect(fullPod.containers[0].args).toEqual([
      '--node-name=$(NODE_NAME)',
      '--config-map=herald-config',
      ...serving('0.0.0.0:9473'),
      '--log-level=debug',
      '--bgp-listen-port=1179',
      '--bgp-listen-address=203.0.113.10',
      '--shutdown-mode=graceful-restart',
      '--load-balancer-class=herald.dev/bgp',
      '--log-level=debug',
    ]);
    expect(fullPod.tolerations).toBeUndefined();
    expect(fullPod.serviceAccountName).toBe('herald-spk');
    expect(fullDs.spec.updateStrategy.rollingUpdate.maxUnavailable).toBe('10%');
  });

  test('speaker.l2.enabled: NET_RAW added (and only then), the heartbeat flags, the key Secret mounted read-only', () => {
    // Off: only the metrics certificate (metrics.auth: kubernetes) is mounted, no heartbeat key exists.
    const off = one(defaults, 'DaemonSet', 'herald-speaker').spec.template.spec;
    expect(off.volumes.map((v: { name: string }) => v.name)).toEqual(['metrics-tls']);
    expect(defaults.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual([
      'herald-metrics-tls',
    ]);
    const on = render('--set', 'speaker.l2.enabled=true', '--set', 'speaker.bgp.listenPort=1179');
    const pod = one(on, 'DaemonSet', 'herald-speaker').spec.template.spec;
    const [container] = pod.containers;
    // Port 1179 alone would be non-root without capabilities; L2 needs NET_RAW, which only root keeps.
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: false, runAsUser: 0 });
    expect(container.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_RAW'] });
    expect(container.args.filter((a: string) => a.startsWith('--l2-'))).toEqual([
      '--l2-key-file=/etc/herald/l2/key',
      '--l2-port=7474',
      '--l2-interval=200',
      '--l2-detect-multiplier=5',
    ]);
    expect(container.ports).toContainEqual({ name: 'l2-heartbeat', containerPort: 7474, protocol: 'UDP' });
    // Beside the metrics certificate, under one volumes:/volumeMounts: list.
    expect(container.volumeMounts).toEqual([
      { name: 'metrics-tls', mountPath: '/etc/herald/metrics-tls', readOnly: true },
      { name: 'l2-key', mountPath: '/etc/herald/l2', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([
      off.volumes[0],
      { name: 'l2-key', secret: { secretName: 'herald-l2-key', defaultMode: 0o400 } },
    ]);
    const secret = one(on, 'Secret', 'herald-l2-key');
    expect(Buffer.from(secret.data.key, 'base64').toString()).toMatch(/^[A-Za-z0-9]{64}$/);
    // Port 179 and L2: both capabilities, nothing else.
    const both = one(render('--set', 'speaker.l2.enabled=true'), 'DaemonSet', 'herald-speaker');
    expect(both.spec.template.spec.containers[0].securityContext.capabilities.add).toEqual([
      'NET_BIND_SERVICE',
      'NET_RAW',
    ]);
    // A Secret of one's own: no Secret rendered, that one mounted.
    const own = render('--set', 'speaker.l2.enabled=true', '--set', 'speaker.l2.existingSecret=my-key');
    expect(own.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual([
      'herald-metrics-tls',
    ]);
    const ownVolumes = one(own, 'DaemonSet', 'herald-speaker').spec.template.spec.volumes;
    expect(ownVolumes.find((v: { name: string }) => v.name === 'l2-key').secret.secretName).toBe('my-key');
    // metrics.auth none and no L2: no volumes at all.
    const plain = one(render('--set', 'metrics.auth=none'), 'DaemonSet', 'herald-speaker').spec.template.spec;
    expect(plain.volumes).toBeUndefined();
  });

  test('l2Advertisements without speaker.l2.enabled fail the install with the reason', () => {
    expect(renderError('--set-json', 'config.l2Advertisements=[{"name":"lan"}]')).toContain(
      'config.l2Advertisements is set but speaker.l2.enabled is false',
    );
  });

  test('the ConfigMap carries the config value verbatim, and pods do not restart on config changes', () => {
    const full = render('-f', fullValues);
    const cm = one(full, 'ConfigMap', 'herald-config');
    expect(Object.keys(cm.data)).toEqual(['config.yaml']);
    const values = parse(readFileSync(fullValues, 'utf8')) as { config: unknown };
    expect(parse(cm.data['config.yaml'])).toEqual(values.config);
    expect(parse(one(defaults, 'ConfigMap', 'herald-config').data['config.yaml'])).toEqual({
      addressPools: [],
      peers: [],
      bgpAdvertisements: [],
      bgpCommunities: {},
    });
    for (const o of full.filter((x) => x.kind === 'Deployment' || x.kind === 'DaemonSet')) {
      expect(
        Object.keys(o.spec.template.metadata.annotations ?? {}).filter((k) => k.startsWith('checksum/')),
      ).toEqual([]);
    }
    const external = render('--set', 'existingConfigMap=my-config');
    expect(external.some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'herald-config')).toBe(false);
    expect(one(external, 'Role', 'herald-speaker').rules[0].resourceNames).toEqual(['my-config']);
    expect(one(external, 'DaemonSet', 'herald-speaker').spec.template.spec.containers[0].args).toContain(
      '--config-map=my-config',
    );
  });

  test('metrics Services, ServiceMonitors and PodMonitors only when enabled', () => {
    const kinds = (objs: Obj[]) =>
      objs.filter((o) => /Monitor$|^Service$/.test(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds(defaults)).toEqual([]);
    // The chart-rendered certificate: a CA and a leaf for both metrics Services' names, CA published.
    const tls = one(defaults, 'Secret', 'herald-metrics-tls');
    expect(tls.type).toBe('kubernetes.io/tls');
    expect(Object.keys(tls.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const caCm = one(defaults, 'ConfigMap', 'herald-metrics-ca');
    expect(caCm.data['ca.crt']).toBe(Buffer.from(tls.data['ca.crt'], 'base64').toString());
    expect(caCm.data.speakerServerName).toBe('herald-speaker-metrics.herald-system.svc');
    const leaf = new X509Certificate(Buffer.from(tls.data['tls.crt'], 'base64'));
    expect(leaf.subjectAltName).toBe(
      'DNS:herald-speaker-metrics.herald-system.svc, DNS:herald-controller-metrics.herald-system.svc',
    );
    expect(leaf.verify(new X509Certificate(caCm.data['ca.crt']).publicKey)).toBe(true);
    // existingSecret: nothing rendered, the workloads mount that Secret, monitors take the CA from it.
    const own = render(
      '--set',
      'metrics.tls.existingSecret=my-tls',
      '--set',
      'metrics.serviceMonitor.enabled=true',
    );
    expect(own.filter((o) => /metrics-tls|metrics-ca/.test(o.metadata.name))).toEqual([]);
    expect(one(own, 'DaemonSet', 'herald-speaker').spec.template.spec.volumes[0].secret.secretName).toBe(
      'my-tls',
    );
    expect(one(own, 'ServiceMonitor', 'herald-controller').spec.endpoints[0].tlsConfig.ca).toEqual({
      secret: { name: 'my-tls', key: 'ca.crt' },
    });
    expect(kinds(full).sort()).toEqual(
      [
        'PodMonitor/herald-controller',
        'PodMonitor/herald-speaker',
        'Service/herald-controller-metrics',
        'Service/herald-speaker-metrics',
        'ServiceMonitor/herald-controller',
        'ServiceMonitor/herald-speaker',
      ].sort(),
    );
    const sm = one(full, 'ServiceMonitor', 'herald-speaker');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.labels?.release).toBe('prometheus');
    // HTTPS, the server verified under its Service name with the chart's CA, the scraper's token.
    expect(sm.spec.endpoints).toEqual([
      {
        port: 'metrics',
        path: '/metrics',
        interval: '15s',
        scheme: 'https',
        tlsConfig: {
          serverName: 'herald-speaker-metrics.herald-system.svc',
          ca: { configMap: { name: 'herald-metrics-ca', key: 'ca.crt' } },
        },
        authorization: {
          type: 'Bearer',
          credentials: { name: 'herald-metrics-scraper-token', key: 'token' },
        },
      },
    ]);
    expect(one(full, 'Secret', 'herald-metrics-scraper-token')).toMatchObject({
      type: 'kubernetes.io/service-account-token',
      metadata: { annotations: { 'kubernetes.io/service-account.name': 'herald-metrics-scraper' } },
    });
    const svc = one(full, 'Service', 'herald-speaker-metrics');
    expect(sm.spec.selector.matchLabels).toEqual(
      Object.fromEntries(
        Object.entries(svc.metadata.labels ?? {}).filter(([k]) => k in sm.spec.selector.matchLabels),
      ),
    );
    expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 9473, targetPort: 'metrics', protocol: 'TCP' }]);
    expect(one(full, 'PodMonitor', 'herald-controller').spec.podMetricsEndpoints[0]).toMatchObject({
      port: 'metrics',
      scrapeTimeout: '5s',
    });
  });

  test('values.schema.json rejects unknown keys, bad values and a malformed config, naming the path', () => {
    expect(renderError('--set', 'controller.replicaz=3')).toMatch(
      /at '\/controller'.*additional properties 'replicaz'/s,
    );
    expect(renderError('--set', 'speaker.bgp.listenPort=0')).toContain('/speaker/bgp/listenPort');
    expect(renderError('--set', 'speaker.shutdownMode=drain')).toContain('/speaker/shutdownMode');
    expect(renderError('--set', 'logLevel=loud')).toContain('/logLevel');
    expect(renderError('--set', 'metrics.serviceMonitor.enable=true')).toContain(
      "additional properties 'enable'",
    );
    const badPool = renderError('--set-json', 'config.addressPools=[{"name":"Bad_Name","addresses":[]}]');
    expect(badPool).toContain("at '/config/addressPools/0/name': 'Bad_Name' does not match pattern");
    expect(badPool).toContain("at '/config/addressPools/0/addresses': minItems");
    expect(renderError('--set-json', 'config.routers=[]')).toMatch(
      /\/config.*additional properties 'routers'/s,
    );
    expect(renderError('--set', 'controller.leaderElection.enabled=false')).toContain(
      'without leader election every replica would write Service status',
    );
    expect(
      renderError('--set', 'existingConfigMap=mine', '--set-json', 'config.bgpCommunities={"a":"64512:1"}'),
    ).toContain('config.bgpCommunities must be empty');
    // The old boolean (read every Secret of the namespace) is refused with what replaced it.
    expect(renderError('--set', 'rbac.speakerSecrets=true')).toContain(
      'rbac.speakerSecrets is true, but it is a list of Secret names now',
    );
    expect(renderError('--set-json', 'rbac.speakerSecrets=["Bad_Name"]')).toContain(
      "at '/rbac/speakerSecrets/0': 'Bad_Name' does not match pattern",
    );
  });
});

// No helm needed: these compare files.
describe('chart sources stay in sync', () => {
  const configSchemaPath = join(root, 'packages/config/schema/herald-config.schema.json');
  const valuesSchema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')) as {
    properties: Record<string, unknown>;
    $defs: Record<string, unknown>;
  };
  // ECMA-262 → RE2 (Helm's regexp engine has no look-around). Must match scripts/chart-schema.ts.
  const re2: Record<string, string> = {
    '^(?=.)([0-9]+h)?([0-9]+m)?([0-9]+s)?$': '^([0-9]+h([0-9]+m)?([0-9]+s)?|[0-9]+m([0-9]+s)?|[0-9]+s)$',
  };

  test("values.schema.json's config section is the config package's JSON Schema", () => {
    if (!existsSync(configSchemaPath)) {
      throw new Error(`${configSchemaPath} does not exist: the config package must publish its JSON Schema`);
    }
    const published = JSON.parse(readFileSync(configSchemaPath, 'utf8')) as Record<string, unknown>;
    // Undo the two documented adaptations of scripts/chart-schema.ts, then compare exactly.
    const inverse = Object.fromEntries(Object.entries(re2).map(([ecma, go]) => [go, ecma]));
    const undo = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(undo);
      if (node === null || typeof node !== 'object') return node;
      return Object.fromEntries(
        Object.entries(node).map(([k, v]) => {
          if (k === '$ref' && typeof v === 'string')
            return [k, v.replace('#/$defs/heraldConfig.', '#/$defs/')];
          if (k === 'pattern' && typeof v === 'string') return [k, inverse[v] ?? v];
          return [k, undo(v)];
        }),
      );
    };
    expect(valuesSchema.properties.config).toEqual({ $ref: '#/$defs/heraldConfig' });
    const embeddedDefs = Object.fromEntries(
      Object.entries(valuesSchema.$defs)
        .filter(([name]) => name.startsWith('heraldConfig.'))
        .map(([name, def]) => [name.slice('heraldConfig.'.length), undo(def)]),
    );
    const { $schema: _s, $id: _i, $defs: publishedDefs = {}, ...publishedRoot } = published;
    expect(undo(valuesSchema.$defs.heraldConfig)).toEqual(publishedRoot);
    expect(embeddedDefs).toEqual(publishedDefs);
    const r = spawnSync(process.execPath, [join(root, 'scripts/chart-schema.ts'), '--check'], {
      encoding: 'utf8',
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test('each RE2 replacement pattern accepts exactly what the original accepts', () => {
    const samples = [
      '',
      's',
      'h',
      '0s',
      '90s',
      '1m',
      '1m30s',
      '1h',
      '1h1s',
      '1h2m3s',
      '2m3s',
      '90',
      '1s1m',
      '1.5s',
      ' 90s',
      '1h2m3s4s',
      'm',
      '10m0s',
    ];
    for (const [ecma, go] of Object.entries(re2)) {
      const a = new RegExp(ecma, 'u');
      const b = new RegExp(go, 'u');
      expect(samples.map((s) => [s, b.test(s)])).toEqual(samples.map((s) => [s, a.test(s)]));
      expect(go).not.toMatch(/\(\?[=!<]/);
    }
  });

  test('every value in values.yaml is in the README values table, and the table is generated', () => {
    const readme = readFileSync(join(chart, 'README.md'), 'utf8');
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const tableKeys = new Set([...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!));
    // Every leaf (scalar, list or empty map) is documented by its own row or its nearest documented ancestor.
    const leaves: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length > 0) {
        for (const [k, v] of Object.entries(node)) walk(v, path ? `${path}.${k}` : k);
      } else leaves.push(path);
    };
    walk(values, '');
    const undocumented = leaves.filter((leaf) => {
      const parts = leaf.split('.');
      return !parts.some((_, i) => tableKeys.has(parts.slice(0, i + 1).join('.')));
    });
    expect(undocumented).toEqual([]);
    expect(leaves.length).toBeGreaterThan(60);
    const r = spawnSync(process.execPath, [join(root, 'scripts/chart-docs.ts'), '--check'], {
      encoding: 'utf8',
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
