// Proves the real-Kubernetes test bed (e2e/src/kube): a real kube-apiserver + etcd, what the controller
// and speaker tests rely on (LoadBalancer allocation, the status subresource, informers, RBAC with
// TokenRequest identities, an apiserver restart on the same port, reaching the apiserver from inside a
// network namespace) and that nothing is left behind.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  makeInformer,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Service,
} from '@kubernetes/client-node';
import { eventually } from './eventually.ts';
import {
  adminCurlArgs,
  type ControlPlane,
  describeWith,
  pidAlive,
  pinnedKubernetesVersion,
  startControlPlane,
  sweepStaleTempDirs,
  testbinPath,
} from './kube/index.ts';

const e2eDir = new URL('..', import.meta.url).pathname;
describeWith({ binaries: ['kube-apiserver', 'etcd'] }, 'kube test bed (real kube-apiserver + etcd)', () => {
  let cp: ControlPlane;
  let core: CoreV1Api;

  beforeAll(async () => {
    cp = await startControlPlane();
    core = cp.kubeConfig.makeApiClient(CoreV1Api);
    console.log(`control plane ready at ${cp.server}: ${JSON.stringify(cp.timings)}`);
  }, 120_000);

  afterAll(async () => {
    await cp?.stop();
  });

  test('runs the Kubernetes version pinned in e2e/testbin/kube/go.mod', async () => {
    const pinned = pinnedKubernetesVersion();
    expect(pinned).toBe('v1.37.2');
    const res = await cp.adminGet('/version');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).gitVersion).toBe(pinned);
    const cli = execFileSync(testbinPath('kube-apiserver'), ['--version'], { encoding: 'utf8' });
    expect(cli.trim()).toBe(`Kubernetes ${pinned}`);
  });

  test('the admin kubeconfig file works with a fresh client', async () => {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const list = await kc.makeApiClient(CoreV1Api).listNamespace();
    expect(list.items.map((ns) => ns.metadata?.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system']),
    );
  });

  test('LoadBalancer Service: ClusterIP and NodePort allocated, status patch arrives through an informer', async () => {
    const namespace = 'harness-lb';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const informer = makeInformer<V1Service>(cp.kubeConfig, `/api/v1/namespaces/${namespace}/services`, () =>
      core.listNamespacedService({ namespace }),
    );
    const ingressSeen = new Promise<V1Service>((resolve, reject) => {
      informer.on('update', (svc) => {
        if (svc.metadata?.name === 'web' && svc.status?.loadBalancer?.ingress?.length) resolve(svc);
      });
      informer.on('error', reject);
    });
    await informer.start();
    try {
      const created = await core.createNamespacedService({
        namespace,
        body: {
          metadata: { name: 'web' },
          spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] },
        },
      });
      expect(created.spec?.clusterIP).toMatch(/^10\.255\.\d+\.\d+$/);
      const nodePort = created.spec?.ports?.[0]?.nodePort ?? 0;
      expect(nodePort).toBeGreaterThanOrEqual(30000);
      expect(nodePort).toBeLessThanOrEqual(32767);
      expect(created.status?.loadBalancer?.ingress ?? []).toEqual([]);

      // What the controller does: a merge-patch of the status subresource.
      await core.patchNamespacedServiceStatus(
        {
          name: 'web',
          namespace,
          body: { status: { loadBalancer: { ingress: [{ ip: '198.51.100.10' }] } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const seen = await ingressSeen;
      expect(seen.status?.loadBalancer?.ingress).toEqual([{ ip: '198.51.100.10', ipMode: 'VIP' }]);
      expect(seen.spec?.clusterIP).toBe(created.spec?.clusterIP);

      // The status subresource is the only way in: a spec update does not touch status.
      const fetched = await core.readNamespacedService({ name: 'web', namespace });
      expect(fetched.status?.loadBalancer?.ingress?.[0]?.ip).toBe('198.51.100.10');
    } finally {
      await informer.stop();
    }
  });

  test('RequireDualStack Service gets an IPv4 and an IPv6 ClusterIP', async () => {
    const svc = await core.createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name: 'dual' },
        spec: {
          type: 'LoadBalancer',
          ipFamilyPolicy: 'RequireDualStack',
          ipFamilies: ['IPv4', 'IPv6'],
          ports: [{ port: 80 }],
        },
      },
    });
    expect(svc.spec?.clusterIPs).toEqual([
      expect.stringMatching(/^10\.255\./),
      expect.stringMatching(/^2001:db8:fffe:/),
    ]);
  });

  test('RBAC: a TokenRequest identity without bindings is refused (403), and allowed once bound', async () => {
    const namespace = 'harness-rbac';
    const sa = await cp.serviceAccountKubeconfig(namespace, 'reader');
    expect(sa.username).toBe(`system:serviceaccount:${namespace}:reader`);
    expect(existsSync(sa.kubeconfigPath)).toBe(true);
    const saCore = sa.kubeConfig.makeApiClient(CoreV1Api);
    const refused = await saCore.listNamespacedService({ namespace }).then(
      () => undefined,
      (err: unknown) => err,
    );
    // 403 (not 401): the token authenticated as the ServiceAccount, and RBAC denied the verb.
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException<unknown>).code).toBe(403);
    expect(String((refused as ApiException<unknown>).message)).toContain(sa.username);

    const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'service-reader' },
        rules: [{ apiGroups: [''], resources: ['services'], verbs: ['list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'service-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'service-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
      },
    });
    const list = await eventually('RoleBinding takes effect', () =>
      saCore.listNamespacedService({ namespace }),
    );
    expect(list.items).toEqual([]);
    // Still nothing beyond the Role: other namespaces stay forbidden.
    await expect(saCore.listNamespacedService({ namespace: 'default' })).rejects.toMatchObject({ code: 403 });
  });

  test('the apiserver restarts alone on the same port; state in etcd survives', async () => {
    const port = cp.port;
    await cp.stopApiserver({ signal: 'SIGKILL' });
    expect(cp.apiserverRunning()).toBe(false);
    await expect(cp.adminGet('/readyz')).rejects.toThrow(/ECONNREFUSED/);
    await cp.startApiserver();
    expect(cp.port).toBe(port);
    expect((await cp.adminGet('/readyz')).status).toBe(200);
    const svc = await core.readNamespacedService({ name: 'web', namespace: 'harness-lb' });
    expect(svc.status?.loadBalancer?.ingress?.[0]?.ip).toBe('198.51.100.10');
  }, 120_000);

  describeWith({ netns: true, binaries: ['curl'] }, 'from inside a network namespace', () => {
    const netns = `herald-kh-${process.pid}`;

    beforeAll(() => {
      execFileSync('ip', ['netns', 'add', netns]);
    });
    afterAll(() => {
      spawnSync('ip', ['netns', 'del', netns]);
    });

    // Deliberately synchronous (spawnSync blocks this process's event loop): the relays are separate
    // processes, so traffic must flow while a test waits in execFileSync.
    const curlReadyz = () =>
      spawnSync(
        'ip',
        [
          'netns',
          'exec',
          netns,
          'curl',
          '-sS',
          '--max-time',
          '10',
          ...adminCurlArgs(cp.certs),
          `${cp.server}/readyz`,
        ],
        { encoding: 'utf8' },
      );

    test('the apiserver is unreachable there without the forwarder, reachable with it', async () => {
      const before = curlReadyz();
      expect(before.status).not.toBe(0);

      const forwarder = await cp.startNetnsApiserverForwarder(netns);
      expect(forwarder.server).toBe(cp.server);
      expect(cp.pids()).toContain(forwarder.pid);
      const after = curlReadyz();
      expect(after.stderr).toBe('');
      expect(after.stdout).toBe('ok');

      // What a speaker does: @kubernetes/client-node with a ServiceAccount kubeconfig, run inside the netns.
      const sa = await cp.serviceAccountKubeconfig('harness-netns', 'speaker');
      const script = `
        import { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
        const kc = new KubeConfig();
        kc.loadFromDefault();
        const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
        console.log(review.status.userInfo.username);`;
      const whoami = spawnSync(
        'ip',
        ['netns', 'exec', netns, process.execPath, '--input-type=module', '-e', script],
        { encoding: 'utf8', cwd: e2eDir, env: { ...process.env, KUBECONFIG: sa.kubeconfigPath } },
      );
      expect(whoami.stderr).toBe('');
      expect(whoami.stdout.trim()).toBe(sa.username);

      await forwarder.stop();
      expect(pidAlive(forwarder.pid)).toBe(false);
      expect(curlReadyz().status).not.toBe(0);
    }, 60_000);
  });

  // Last: tears down the shared control plane (afterAll's stop() is then a no-op).
  test('stop() leaves no process and no temp dir behind', async () => {
    const pids = cp.pids();
    expect(pids.length).toBeGreaterThanOrEqual(2); // etcd, kube-apiserver (+ relay after the netns test)
    const dir = cp.dir;
    await cp.stop();
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await cp.stop(); // idempotent
  }, 60_000);
});

// The crash paths, with a cheap child (`sleep`) instead of a control plane: the mechanisms are the same.
describe('process hygiene when the test process dies', () => {
  const processesModule = new URL('./kube/processes.ts', import.meta.url).pathname;
  const childScript = (ending: string) => `
    import { makeTempDir, spawnManaged } from ${JSON.stringify(processesModule)};
    import { join } from 'node:path';
    const dir = makeTempDir();
    const child = await spawnManaged({ name: 'sleeper', command: 'sleep', args: ['1000'],
      logPath: join(dir, 'sleeper.log'), ownerDir: dir });
    console.log(JSON.stringify({ dir, pid: child.pid }));
    ${ending}`;

  /** Runs childScript; with kill, SIGKILLs the child as soon as it reported its sleeper. */
  function runChild(ending: string, kill: boolean) {
    return new Promise<{ dir: string; pid: number }>((resolve, reject) => {
      const proc = spawn(process.execPath, ['--input-type=module', '-e', childScript(ending)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      let info: { dir: string; pid: number } | undefined;
      proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        err += chunk;
      });
      proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (!info && out.includes('\n')) {
          info = JSON.parse(out.split('\n')[0]!);
          if (kill) proc.kill('SIGKILL');
        }
      });
      proc.on('exit', () =>
        info ? resolve(info) : reject(new Error(`child reported nothing: ${out}${err}`)),
      );
    });
  }

  const gone = async (pid: number, dir: string) => {
    await eventually(`pid ${pid} gone`, () => !pidAlive(pid), { timeoutMs: 10_000 });
    await eventually(`${dir} removed`, () => !existsSync(dir), { timeoutMs: 10_000 });
  };

  test('an uncaught exception: children killed, temp dirs removed', async () => {
    const { dir, pid } = await runChild("throw new Error('simulated test crash');", false);
    await gone(pid, dir);
  });

  test('SIGKILL of the test process: children killed (pdeathsig), temp dirs removed (reaper)', async () => {
    const { dir, pid } = await runChild('setInterval(() => {}, 1000);', true);
    await gone(pid, dir);
  });

  test('a dir whose owner and reaper are both gone is swept, with its recorded children', async () => {
    // Pids are always below pid_max, so this owner is certainly not running.
    const dead = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), `herald-kube-${dead}-`));
    // A stray child whose command line names the dir, as etcd's --data-dir does.
    const stray = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', dir], { stdio: 'ignore' });
    try {
      mkdirSync(join(dir, 'pids'));
      writeFileSync(join(dir, 'pids', String(stray.pid)), 'stray\n');
      expect(sweepStaleTempDirs()).toContain(dir);
      expect(existsSync(dir)).toBe(false);
      await eventually('stray killed', () => stray.exitCode !== null || stray.signalCode !== null);
      expect(stray.signalCode).toBe('SIGKILL');
    } finally {
      stray.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
