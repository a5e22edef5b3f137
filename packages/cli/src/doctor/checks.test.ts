import { runChecks } from './checks/index.ts';
import { exitCode, renderJson, renderText } from './render.ts';
import type {
  ControllerStatusDoc,
  Finding,
  PodState,
  RbacCheck,
  Snapshot,
  SpeakerStatusDoc,
} from './types.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OLD = `sha256:${'b'.repeat(64)}`;
const config = (digest = DIGEST) => ({
  loaded: true,
  stale: false,
  errors: [],
  loadedAt: '2026-12-01T09:00:00.000Z',
  digest,
});

const pod = (name: string, node?: string, extra: Partial<PodState> = {}): PodState => ({
  name,
  node,
  phase: 'Running',
  ready: true,
  restarts: 0,
  waitingReason: undefined,
  endpoint: `http://${node ?? '127.0.0.1'}:7473`,
  ...extra,
});

const speakerDoc = (
  node: string,
  services: string[],
  extra: Partial<SpeakerStatusDoc> = {},
): SpeakerStatusDoc => ({
  kind: 'HeraldSpeakerStatus',
  node,
  ready: true,
  config: config(),
  sessions: [
    { peer: 'tor-v4', peerAddress: '203.0.113.1', state: 'Established', established: true, lastError: null },
  ],
  announced: { 'tor-v4': services.map((s, i) => ({ prefix: `198.51.100.${i}/32`, services: [s] })) },
  kube: [{ resource: 'services', connected: true, lastError: null }],
  ...extra,
});

const controllerDoc = (identity: string, leader: boolean): ControllerStatusDoc => ({
  kind: 'HeraldControllerStatus',
  identity,
  leader,
  ready: true,
  config: config(),
  pools: leader ? [{ pool: 'default', family: 'IPv4', total: 64, inUse: 2 }] : [],
  waiting: 0,
});

const flags = { 'config-map': 'herald-config', 'leader-elect': 'true', 'lease-name': 'herald-controller' };

/** A healthy install: 2 controllers, 3 speakers, 2 Services each announced by every node. */
function healthy(): Snapshot {
  const nodes = ['node-0', 'node-1', 'node-2'];
  const services = ['default/web', 'shop/api'];
  return {
    namespace: 'herald-system',
    now: NOW,
    controller: { name: 'herald-controller', serviceAccount: 'herald-controller', desired: 2, flags },
    speaker: { name: 'herald-speaker', serviceAccount: 'herald-speaker', desired: 3, flags: {} },
    controllerPods: [pod('herald-controller-0'), pod('herald-controller-1')],
    speakerPods: nodes.map((n) => pod(`herald-speaker-${n}`, n)),
    controllerStatus: {
      'herald-controller-0': { ok: true, doc: controllerDoc('herald-controller-0', true) },
      'herald-controller-1': { ok: true, doc: controllerDoc('herald-controller-1', false) },
    },
    speakerStatus: Object.fromEntries(
      nodes.map((n) => [`herald-speaker-${n}`, { ok: true as const, doc: speakerDoc(n, services) }]),
    ),
    lease: {
      found: true,
      holder: 'herald-controller-0',
      renewTime: new Date(NOW.getTime() - 2000),
      durationSeconds: 15,
    },
    configMap: {
      found: true,
      name: 'herald-config',
      digest: DIGEST,
      errors: [],
      warnings: [],
      summary: 'valid: 1 address pool, 1 peer, 1 advertisement, 0 community aliases',
    },
    services: services.map((key, i) => ({
      key,
      ingress: [`198.51.100.${i}`],
      allocated: {
        status: 'True',
        reason: 'Allocated',
        message: `Assigned 198.51.100.${i} from pool "default"`,
      },
    })),
    rbac: [
      {
        program: 'controller',
        serviceAccount: 'herald-controller',
        permission: 'patch services/status',
        why: 'writes addresses',
        expected: 'allowed',
        allowed: true,
      },
      {
        program: 'speaker',
        serviceAccount: 'herald-speaker',
        permission: 'patch services/status',
        why: 'never writes Service status',
        expected: 'denied',
        allowed: false,
      },
    ],
  };
}

const check = (s: Snapshot) => runChecks(s, { poolWarnPercent: 80 });
const problems = (fs: readonly Finding[]) =>
  fs.filter((f) => f.severity !== 'ok').map((f) => `${f.severity} ${f.check} ${f.subject}: ${f.message}`);

describe('heraldctl doctor checks', () => {
  it('a healthy install has no problem, and every area says so', () => {
    const findings = check(healthy());
    expect(problems(findings)).toEqual([]);
    expect(new Set(findings.map((f) => f.area))).toEqual(
      new Set(['install', 'config', 'controller', 'speakers', 'rbac', 'services', 'pools']),
    );
    expect(findings.filter((f) => f.check === 'service.summary')[0]?.message).toBe(
      '2, 2 with an address, announced by 3 of 3 nodes each, 0 pending',
    );
    expect(exitCode(findings, 'warning')).toBe(0);
  });

  it('an unreachable apiserver is one error and nothing else', () => {
    const findings = check({ ...healthy(), apiError: 'connect ECONNREFUSED 127.0.0.1:6443' });
    expect(problems(findings)).toEqual([
      "error install.api namespace herald-system: cannot read Herald's workloads: connect ECONNREFUSED 127.0.0.1:6443",
    ]);
  });

  it('a speaker down: its Pod is not ready, the others still announce every Service', () => {
    const s = healthy();
    const findings = check({
      ...s,
      speakerPods: s.speakerPods.map((p) =>
        p.node === 'node-1' ? { ...p, ready: false, waitingReason: 'CrashLoopBackOff', restarts: 4 } : p,
      ),
      speakerStatus: {
        ...s.speakerStatus,
        'herald-speaker-node-1': {
          ok: false,
          error: 'cannot reach http://node-1:7473/status: connect ECONNREFUSED',
        },
      },
    });
    expect(problems(findings)).toEqual([
      'error speaker.pod node-1: speaker Pod herald-speaker-node-1 is not ready (Running, CrashLoopBackOff, 4 restarts); cannot reach http://node-1:7473/status: connect ECONNREFUSED: this node announces nothing',
    ]);
    const f = findings.find((x) => x.check === 'speaker.pod');
    expect(f?.fix).toContain('kubectl -n herald-system logs herald-speaker-node-1 --previous');
    expect(findings.find((x) => x.check === 'service.summary')?.message).toContain(
      'announced by 2 of 2 nodes',
    );
  });

  it('a bad ConfigMap: every error, and which programs keep the last valid configuration', () => {
    const s = healthy();
    const stale = (doc: SpeakerStatusDoc | ControllerStatusDoc) => ({
      ...doc,
      config: { ...doc.config, stale: true, errors: ['addressPools[0].addresses[0]: bad'] },
    });
    const findings = check({
      ...s,
      configMap: {
        found: true,
        name: 'herald-config',
        digest: undefined,
        errors: [
          'addressPools[0].addresses[0]: "198.51.100.0/33" is not a valid prefix (line 4)',
          'peers: required',
        ],
        warnings: [],
        summary: '',
      },
      controllerStatus: Object.fromEntries(
        Object.entries(s.controllerStatus).map(([k, r]) => [k, r.ok ? { ok: true, doc: stale(r.doc) } : r]),
      ) as Snapshot['controllerStatus'],
      speakerStatus: Object.fromEntries(
        Object.entries(s.speakerStatus).map(([k, r]) => [k, r.ok ? { ok: true, doc: stale(r.doc) } : r]),
      ) as Snapshot['speakerStatus'],
    });
    expect(problems(findings)).toEqual([
      'error config.invalid ConfigMap herald-system/herald-config: invalid, 2 errors: addressPools[0].addresses[0]: "198.51.100.0/33" is not a valid prefix (line 4); peers: required',
      'warning config.stale controller herald-controller-0, controller herald-controller-1, speaker on node-0, speaker on node-1, speaker on node-2: run the last valid configuration sha256:aaaaaaaaaaaa (loaded 2026-12-01T09:00:00.000Z), not the broken ConfigMap',
    ]);
    expect(findings[1]?.fix).toContain('heraldctl config validate -');
  });

  it('a program that missed a change runs an older configuration than the ConfigMap', () => {
    const s = healthy();
    const doc = speakerDoc('node-2', ['default/web', 'shop/api'], { config: config(OLD) });
    const findings = check({
      ...s,
      speakerStatus: { ...s.speakerStatus, 'herald-speaker-node-2': { ok: true, doc } },
    });
    expect(problems(findings)).toEqual([
      "warning config.behind speaker on node-2: runs sha256:bbbbbbbbbbbb (loaded 2026-12-01T09:00:00.000Z), not the ConfigMap's sha256:aaaaaaaaaaaa",
    ]);
  });

  it('an exhausted pool with Services waiting: the pool and each Service, with the cause and a fix', () => {
    const s = healthy();
    const leader = controllerDoc('herald-controller-0', true);
    const findings = check({
      ...s,
      controllerStatus: {
        ...s.controllerStatus,
        'herald-controller-0': {
          ok: true,
          doc: { ...leader, pools: [{ pool: 'tiny', family: 'IPv4', total: 2, inUse: 2 }], waiting: 1 },
        },
      },
      services: [
        ...(s.services as []),
        {
          key: 'default/third',
          ingress: [],
          allocated: {
            status: 'False',
            reason: 'PoolExhausted',
            message: 'PoolExhausted: no free IPv4 address in pool "tiny" (the Service stays pending)',
          },
        },
      ],
    });
    expect(problems(findings)).toEqual([
      'error service.allocation default/third: pending: PoolExhausted: no free IPv4 address in pool "tiny" (the Service stays pending)',
      'error pool.exhausted pool tiny IPv4: exhausted: 2 of 2 addresses in use (100%); 1 Service(s) wait with PoolExhausted',
    ]);
    expect(findings.find((f) => f.check === 'service.allocation')?.fix).toMatch(/^add addresses to a pool/);
  });

  it('a peer down: the session, its state and last error, with what to check on the router', () => {
    const s = healthy();
    const doc = speakerDoc('node-0', ['default/web', 'shop/api'], {
      sessions: [
        {
          peer: 'tor-v4',
          peerAddress: '203.0.113.1',
          state: 'Established',
          established: true,
          lastError: null,
        },
        {
          peer: 'tor-v6',
          peerAddress: '2001:db8:1::1',
          state: 'Active',
          established: false,
          lastError: 'connect ECONNREFUSED 2001:db8:1::1:179',
        },
      ],
    });
    const findings = check({
      ...s,
      speakerStatus: { ...s.speakerStatus, 'herald-speaker-node-0': { ok: true, doc } },
    });
    expect(problems(findings)).toEqual([
      'error speaker.session node-0: BGP session tor-v6 (2001:db8:1::1) is Active: connect ECONNREFUSED 2001:db8:1::1:179',
    ]);
    expect(findings.find((f) => f.check === 'speaker.session' && f.severity === 'error')?.fix).toContain(
      'heraldctl bgp announce',
    );
  });

  it('RBAC: a missing grant is an error, a grant it must not have a warning; an unanswerable review a warning', () => {
    const s = healthy();
    const rbac = (s.rbac as readonly RbacCheck[]).map((c) => ({
      ...c,
      allowed: !c.allowed,
    }));
    expect(problems(check({ ...s, rbac }))).toEqual([
      'error rbac.missing ServiceAccount herald-system/herald-controller: may not patch services/status: the controller writes addresses',
      'warning rbac.excess ServiceAccount herald-system/herald-speaker: may patch services/status, which it never needs (it never writes Service status)',
    ]);
    expect(
      problems(check({ ...s, rbac: { error: 'cannot create SubjectAccessReviews: HTTP 403' } })),
    ).toEqual([
      'warning rbac.review namespace herald-system: RBAC not checked: cannot create SubjectAccessReviews: HTTP 403',
    ]);
  });

  it('RBAC: a Secret a peer names that the speaker may not watch names the chart value that grants it', () => {
    const s = healthy();
    const secret: RbacCheck = {
      program: 'speaker',
      serviceAccount: 'herald-speaker',
      permission: 'watch secrets "bgp-password"',
      why: 'watches the TCP-MD5 password a peer names',
      expected: 'allowed',
      allowed: false,
      secret: 'bgp-password',
    };
    const findings = check({ ...s, rbac: [...(s.rbac as readonly RbacCheck[]), secret] });
    expect(problems(findings)).toEqual([
      'error rbac.missing ServiceAccount herald-system/herald-speaker: may not watch secrets "bgp-password": the speaker watches the TCP-MD5 password a peer names',
    ]);
    expect(findings.find((f) => f.check === 'rbac.missing')?.fix).toContain(
      'add "bgp-password" to rbac.speakerSecrets',
    );
  });

  it('leadership: an expired Lease, a holder that is not a controller Pod, no Lease at all', () => {
    const s = healthy();
    const expired = check({
      ...s,
      lease: {
        found: true,
        holder: 'herald-controller-0',
        renewTime: new Date(NOW.getTime() - 60_000),
        durationSeconds: 15,
      },
    });
    expect(problems(expired)).toEqual([
      'error controller.leader Lease herald-system/herald-controller: herald-controller-0 has not renewed it for 60s (lease duration 15s): the leader is gone or cannot reach the apiserver',
    ]);
    const foreign = check({
      ...s,
      lease: { found: true, holder: 'other-0', renewTime: NOW, durationSeconds: 15 },
    });
    expect(problems(foreign)[0]).toMatch(
      /^warning controller.leader .*held by other-0, which is not one of the controller Pods$/,
    );
    expect(problems(check({ ...s, lease: { found: false } }))[0]).toBe(
      'error controller.leader Lease herald-system/herald-controller: does not exist: no replica has ever led',
    );
  });

  it('an address no node announces is an error; a Service without a condition is reported as unhandled', () => {
    const s = healthy();
    const findings = check({
      ...s,
      services: [
        ...(s.services as []),
        {
          key: 'shop/local',
          ingress: ['198.51.100.9'],
          allocated: {
            status: 'True',
            reason: 'Allocated',
            message: 'Assigned 198.51.100.9 from pool "default"',
          },
        },
        { key: 'shop/new', ingress: [] },
      ],
    });
    expect(problems(findings)).toEqual([
      'error service.announced shop/local: 198.51.100.9 is announced by no node (of 3 speakers that answered)',
      'error service.unhandled shop/new: pending, and the controller has written no herald.dev/AddressAllocated condition: it has not handled it',
    ]);
  });

  it('a pool nearly full is a warning at the threshold', () => {
    const s = healthy();
    const leader = controllerDoc('herald-controller-0', true);
    const findings = runChecks(
      {
        ...s,
        controllerStatus: {
          ...s.controllerStatus,
          'herald-controller-0': {
            ok: true,
            doc: {
              ...leader,
              pools: [
                { pool: 'default', family: 'IPv6', total: 2 ** 64, inUse: 3 },
                { pool: 'small', family: 'IPv4', total: 10, inUse: 9 },
              ],
            },
          },
        },
      },
      { poolWarnPercent: 90 },
    );
    expect(findings.filter((f) => f.area === 'pools').map((f) => `${f.severity} ${f.message}`)).toEqual([
      'ok 3 of 1.8e19 addresses in use (<1%)',
      'warning 9 of 10 addresses in use (90%): 1 left',
    ]);
  });
});

describe('heraldctl doctor report', () => {
  const findings = check({ ...healthy(), lease: { found: false } });

  it('text: one section per area, a fix under every problem, a summary line', () => {
    const text = renderText('herald-system', findings, false);
    expect(text).toMatch(
      /^Herald in namespace herald-system\n\nInstallation\n {2}ok {5}namespace herald-system: /,
    );
    expect(text).toContain(
      '  ERROR  Lease herald-system/herald-controller: does not exist: no replica has ever led\n         fix: the replicas create it',
    );
    expect(text.trimEnd().split('\n').at(-1)).toBe(`1 error, 0 warnings, ${findings.length - 1} ok`);
    expect(renderText('herald-system', findings, true)).not.toMatch(/^ {2}ok/m);
  });

  it('json: the findings with a summary; exit 1 on an error, and on a warning with --fail-on warning', () => {
    const doc = JSON.parse(renderJson('herald-system', findings)) as { summary: object; findings: Finding[] };
    expect(doc.summary).toEqual({ errors: 1, warnings: 0, ok: findings.length - 1 });
    expect(doc.findings).toEqual(findings);
    expect(exitCode(findings, 'error')).toBe(1);
    const warningOnly: Finding[] = [
      { area: 'pools', check: 'x', severity: 'warning', subject: 's', message: 'm' },
    ];
    expect(exitCode(warningOnly, 'error')).toBe(0);
    expect(exitCode(warningOnly, 'warning')).toBe(1);
  });
});
