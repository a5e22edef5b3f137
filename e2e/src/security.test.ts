// Security, proven on the real thing: the chart installed on a real kube-apiserver with an audit log, both
// programs running as the chart's Pods (two controllers, one speaker peering with FRR, its IPv6 session signed
// with TCP-MD5 from a Secret).
//  1. RBAC: every verb the chart grants is one the programs really use, and every request they make is
//     granted — the apiserver's audit log of the run is compared with the chart's Roles and ClusterRoles.
//  2. /metrics and /status: HTTPS only, a bearer token checked by TokenReview and authorized by
//     SubjectAccessReview on the chart's reader Roles (no token 401, an unbound identity 403, a metrics reader
//     gets /metrics but not /status); the certificate verifies under the Service name and not as an address;
//     the probe port answers on the node's loopback only.
//  3. The passive BGP listener: on the node address only, only while a peer is passive; rejections counted.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1PolicyRule,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import {
  CONTROLLER_SA,
  HERALD_NAMESPACE as ns,
  RELEASE,
  SPEAKER_HEALTH_PORT,
  SPEAKER_METRICS_PORT,
  SPEAKER_SA,
} from './constants.ts';
import { eventually } from './eventually.ts';
import { describeWith, makeTempDir, removeTempDir } from './kube/index.ts';
import { established, nodeIpv4, nodeIpv6, runIn, waitForPeer, withLab } from './lab/index.ts';
import {
  createService,
  defaultValues,
  eventsFor,
  type HeraldSystem,
  startSystem,
  waitForIngress,
} from './system/index.ts';

const MD5_KEY = 'security-test.key';

const programs = [CONTROLLER_SA, SPEAKER_SA].map((sa) => `system:serviceaccount:${ns}:${sa}`);

/** Metadata of every request the two programs make (RequestReceived is left out: one line per request). */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    users: ${JSON.stringify(programs)}
  - level: None
`;

interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string };
  objectRef?: {
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
  };
  responseStatus?: { code?: number };
}

/** One request as RBAC sees it. */
interface Access {
  readonly user: string;
  readonly verb: string;
  readonly group: string;
  readonly resource: string; // with /subresource
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

/** A rule of a Role (namespace set) or ClusterRole (namespace undefined), with the user it is bound to. */
interface BoundRule {
  readonly user: string;
  readonly role: string;
  readonly namespace: string | undefined;
  readonly rule: V1PolicyRule;
}

/** RBAC's matching (pkg/registry/rbac/validation): group, resource/subresource, verb, resourceNames. */
function allows(b: BoundRule, a: Access): boolean {
  const r = b.rule;
  if (b.user !== a.user) return false;
  if (b.namespace !== undefined && b.namespace !== a.namespace) return false;
  if (!(r.apiGroups ?? []).some((g) => g === '*' || g === a.group)) return false;
  if (!(r.resources ?? []).some((x) => x === '*' || x === a.resource)) return false;
  if (!r.verbs.some((v) => v === '*' || v === a.verb)) return false;
  if (r.resourceNames?.length && !(a.name !== undefined && r.resourceNames.includes(a.name))) return false;
  return true;
}

describeWith(
  withLab({ binaries: ['kube-apiserver', 'etcd', 'helm', 'curl'] }),
  'security: least-privilege RBAC from the audit log; authenticated /metrics and /status',
  () => {
    let sys: HeraldSystem;
    let dir: string;
    let auditLog: string;

    beforeAll(async () => {
      dir = makeTempDir();
      auditLog = join(dir, 'audit.log');
      writeFileSync(join(dir, 'policy.yaml'), AUDIT_POLICY);
      // The IPv6 peer's session is signed with TCP-MD5 (a password from a Secret), so the speaker's Secret
      // rule — granted by name only because a peer names it — is exercised too.
      const values = defaultValues();
      const peer6 = values.config.peers.find((p) => p.name === 'router-v6')!;
      peer6.passwordSecretRef = { name: 'bgp-router-v6', key: 'password' };
      sys = await startSystem({
        nodes: 1,
        values,
        speakers: false,
        dataPlane: false,
        apiserverArgs: [
          `--audit-policy-file=${join(dir, 'policy.yaml')}`,
          `--audit-log-path=${auditLog}`,
          '--audit-log-format=json',
          '--audit-log-maxsize=0',
        ],
      });
      await sys.core.createNamespacedSecret({
        namespace: ns,
        body: {
          metadata: { name: 'bgp-router-v6', namespace: ns },
          data: { password: Buffer.from(MD5_KEY).toString('base64') },
        },
      });
      await sys.frr.applyConfig(`router bgp 64512\n neighbor ${nodeIpv6(0)} password ${MD5_KEY}`);
      await sys.startSpeaker(0);
      await waitForPeer(sys.frr, nodeIpv6(0), established, 'Established with TCP-MD5');
    }, 180_000);

    afterAll(async () => {
      await sys?.stop();
      if (dir) removeTempDir(dir);
    }, 60_000);

    test('the programs do their work: allocate, announce, write and aggregate Events, elect, serve metrics', async () => {
      // Allocation (status patch, IPAllocated) and announcement (AnnouncementStarted).
      await createService(sys.core, 'web');
      await waitForIngress(sys.core, 'web');
      await sys.putEndpoints('web', [0]);
      await eventually('AnnouncementStarted', async () =>
        (await eventsFor(sys.core, 'default', 'web')).some((e) => e.reason === 'AnnouncementStarted'),
      );
      // A Service that cannot get its address; each change re-reconciles it: the same AllocationFailed again,
      // which the controller aggregates into the existing Event (patch).
      await createService(sys.core, 'stuck', {
        annotations: { 'herald.dev/loadBalancerIPs': '198.51.100.250' },
      });
      for (const round of ['1', '2']) {
        await eventually(`AllocationFailed x${round}`, async () =>
          (await eventsFor(sys.core, 'default', 'stuck')).some(
            (e) => e.reason === 'AllocationFailed' && (e.count ?? 1) >= Number(round),
          ),
        );
        await sys.core.patchNamespacedService(
          { name: 'stuck', namespace: 'default', body: { metadata: { labels: { round } } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      }
      // The speaker aggregates too: stop and start announcing (its Events are at most one per 30 s per
      // Service), and the second AnnouncementStarted is the first one again.
      await sys.putEndpoints('web', []);
      await eventually(
        'AnnouncementStopped',
        async () =>
          (await eventsFor(sys.core, 'default', 'web')).some((e) => e.reason === 'AnnouncementStopped'),
        { timeoutMs: 60_000 },
      );
      await sys.putEndpoints('web', [0]);
      await eventually(
        'AnnouncementStarted aggregated',
        async () =>
          (await eventsFor(sys.core, 'default', 'web')).some(
            (e) => e.reason === 'AnnouncementStarted' && (e.count ?? 1) >= 2,
          ),
        { timeoutMs: 60_000 },
      );
      // A node-address pool in force: the controller then also watches where Local Services' endpoints run.
      const config = structuredClone(sys.currentValues().config);
      config.addressPools.push({ name: 'nodes', nodeAddresses: { type: 'InternalIP' }, autoAssign: false });
      await sys.setConfig(stringify(config));
      await createService(sys.core, 'local-web', {
        policy: 'Local',
        annotations: { 'herald.dev/address-pool': 'nodes' },
      });
      await sys.putEndpoints('local-web', [0]);
      expect(await waitForIngress(sys.core, 'local-web')).toEqual([nodeIpv4(0)]);
      // Scrapes: each program checks the reader's token (TokenReview) and its rights (SubjectAccessReview).
      expect((await sys.speakerStatus(0)).node).toBe('node-0');
      expect(await sys.speakerMetrics(0)).toContain('herald_speaker_session_up');
      for (const c of sys.controllers)
        expect(await sys.controllerMetrics(c.index)).toContain('herald_leader');
    }, 240_000);

    test('RBAC: every request the programs made is granted, and every granted verb was used', async () => {
      const rbac = sys.cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
      // The chart's rules, from the apiserver, with the ServiceAccount each is bound to.
      const bound: BoundRule[] = [];
      const userOf = (s: { kind: string; name: string; namespace?: string }) =>
        s.kind === 'ServiceAccount' ? `system:serviceaccount:${s.namespace}:${s.name}` : s.name;
      const release = { labelSelector: `app.kubernetes.io/instance=${RELEASE}` };
      for (const b of (await rbac.listClusterRoleBinding(release)).items) {
        const role = await rbac.readClusterRole({ name: b.roleRef.name });
        for (const s of b.subjects ?? [])
          for (const rule of role.rules ?? [])
            bound.push({
              user: userOf(s),
              role: `ClusterRole/${role.metadata?.name}`,
              namespace: undefined,
              rule,
            });
      }
      for (const b of (await rbac.listNamespacedRoleBinding({ namespace: ns, ...release })).items) {
        const role = await rbac.readNamespacedRole({ name: b.roleRef.name, namespace: ns });
        for (const s of b.subjects ?? [])
          for (const rule of role.rules ?? [])
            bound.push({ user: userOf(s), role: `Role/${role.metadata?.name}`, namespace: ns, rule });
      }
      const granted = bound.filter((b) => programs.includes(b.user));

      // What the programs did, from the audit log: one entry per request (watches log ResponseStarted too).
      const events = new Map<string, AuditEvent>();
      for (const line of readFileSync(auditLog, 'utf8').split('\n')) {
        if (!line) continue;
        const e = JSON.parse(line) as AuditEvent;
        if (programs.includes(e.user.username)) events.set(e.auditID, e);
      }
      const accesses: Access[] = [];
      const nonResource: string[] = [];
      const refused: string[] = [];
      for (const e of events.values()) {
        if (e.responseStatus?.code === 403) refused.push(`${e.user.username} ${e.verb} ${e.requestURI}`);
        if (!e.objectRef?.resource) {
          nonResource.push(`${e.verb} ${e.requestURI}`);
          continue;
        }
        const o = e.objectRef;
        accesses.push({
          user: e.user.username,
          verb: e.verb,
          group: o.apiGroup ?? '',
          resource: o.subresource ? `${o.resource}/${o.subresource}` : o.resource!,
          namespace: o.namespace,
          name: o.name,
        });
      }
      expect(accesses.length).toBeGreaterThan(50);
      expect(refused).toEqual([]);
      expect(nonResource).toEqual([]);
      // Every request granted by the chart's own rules (not by some default role).
      const ungranted = accesses.filter((a) => !granted.some((b) => allows(b, a)));
      expect(
        ungranted.map(
          (a) => `${a.user} ${a.verb} ${a.group}/${a.resource} ${a.namespace ?? ''}/${a.name ?? ''}`,
        ),
      ).toEqual([]);
      // Every granted (group, resource, verb) of every rule used at least once by the identity it is bound to.
      const unused: string[] = [];
      for (const b of granted)
        for (const group of b.rule.apiGroups ?? [])
          for (const resource of b.rule.resources ?? [])
            for (const verb of b.rule.verbs) {
              const one: BoundRule = {
                ...b,
                rule: { ...b.rule, apiGroups: [group], resources: [resource], verbs: [verb] },
              };
              if (!accesses.some((a) => allows(one, a)))
                unused.push(`${b.user.split(':').pop()} ${b.role}: ${verb} ${group}/${resource}`);
            }
      expect(unused).toEqual([]);
      // The speaker's Secret rule names exactly the one Secret a peer references.
      expect(
        granted.filter((b) => b.rule.resources?.includes('secrets')).map((b) => b.rule.resourceNames),
      ).toEqual([['bgp-router-v6']]);
    });

    test('/metrics and /status: HTTPS, a token the apiserver accepts, and a user the reader Roles allow', async () => {
      const node = sys.nodes[0]!.ns.ns;
      const reader = await sys.readerAccess();
      const name = reader.speakerServerName;
      const curl = async (path: string, token?: string, extra: readonly string[] = []) => {
        const r = await runIn(
          node,
          'curl',
          [
            '-sS',
            '-o',
            '/dev/null',
            '-w',
            '%{http_code}',
            '--cacert',
            reader.caFile,
            '--resolve',
            `${name}:${SPEAKER_METRICS_PORT}:127.0.0.1`,
            ...(token ? ['-H', `Authorization: Bearer ${token}`] : []),
            ...extra,
            `https://${name}:${SPEAKER_METRICS_PORT}${path}`,
          ],
          { allowFailure: true },
        );
        return r.stdout.trim();
      };
      // An identity the apiserver knows but nobody bound; one bound to the metrics reader Role only.
      const nobody = (await sys.cp.serviceAccountKubeconfig(ns, 'nobody')).token;
      const prom = (await sys.cp.serviceAccountKubeconfig(ns, 'prometheus')).token;
      await sys.cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: { name: 'prometheus-reads-herald-metrics' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${RELEASE}-metrics-reader` },
          subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: ns }],
        },
      });
      expect({
        noToken: await curl('/metrics'),
        forgedToken: await curl('/metrics', 'not-a-token'),
        unboundMetrics: await curl('/metrics', nobody),
        readerStatus: await curl('/status', reader.token),
        probesOpen: await curl('/healthz'),
      }).toEqual({
        noToken: '401',
        forgedToken: '401',
        unboundMetrics: '403',
        readerStatus: '200',
        probesOpen: '200',
      });
      // RBAC takes effect within the deny cache time (10 s).
      await eventually(
        'the metrics reader gets /metrics',
        async () => (await curl('/metrics', prom)) === '200',
        {
          timeoutMs: 30_000,
        },
      );
      expect(await curl('/status', prom)).toBe('403');

      // Plain HTTP on the metrics port gets no answer; the certificate does not pass as the node's address.
      const plain = await runIn(node, 'curl', ['-sS', `http://127.0.0.1:${SPEAKER_METRICS_PORT}/metrics`], {
        allowFailure: true,
      });
      expect(plain.code).not.toBe(0);
      const byAddress = await runIn(
        node,
        'curl',
        ['-sS', '--cacert', reader.caFile, `https://${nodeIpv4(0)}:${SPEAKER_METRICS_PORT}/metrics`],
        { allowFailure: true },
      );
      expect(byAddress.code).toBe(60); // peer certificate cannot be authenticated
      // The probe port: on the node's loopback, not on its address.
      const health = (host: string) =>
        runIn(node, 'curl', ['-sS', '--max-time', '5', `http://${host}:${SPEAKER_HEALTH_PORT}/readyz`], {
          allowFailure: true,
        });
      expect((await health('127.0.0.1')).stdout).toBe('ok\n');
      expect((await health(nodeIpv4(0))).code).toBe(7); // connection refused
    }, 90_000);

    test('the passive BGP listener: only on the node address, only while a peer is passive; rejections counted', async () => {
      const node = sys.nodes[0]!.ns.ns;
      const listeners = async () =>
        (await runIn(node, 'ss', ['-Hltn', 'sport = :179'])).stdout
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => l.trim().split(/\s+/)[3]);
      const withPassive = (passive: boolean) => {
        const config = structuredClone(sys.currentValues().config);
        for (const p of config.peers) if (p.name === 'router-v4') p.passive = passive;
        return stringify(config);
      };
      expect(await listeners()).toEqual([]);
      await sys.setConfig(withPassive(true));
      // The node's address for the IPv4 peer — not 0.0.0.0, not the IPv6 address of the other (active) peer.
      await eventually(
        'the listener on the node address',
        async () => (await listeners()).join() === `${nodeIpv4(0)}:179`,
      );
      // FRR dials in and the session comes up on the accepted connection.
      await eventually(
        'FRR Established with the passive speaker',
        async () => (await sys.frr.peers()).some((p) => p.address === nodeIpv4(0) && p.established),
        { timeoutMs: 90_000 },
      );
      // A connection from an address that is no peer is closed and counted.
      await runIn(node, 'bash', ['-c', `exec 3<>/dev/tcp/${nodeIpv4(0)}/179; cat <&3 || true`], {
        allowFailure: true,
      });
      await eventually('the rejection counted', async () =>
        /herald_speaker_bgp_connections_rejected_total\{[^}]*reason="unknown-peer"[^}]*\} [1-9]/.test(
          await sys.speakerMetrics(0),
        ),
      );
      await sys.setConfig(withPassive(false));
      await eventually(
        'the listener closed with the last passive peer',
        async () => (await listeners()).length === 0,
      );
    }, 180_000);
  },
);
