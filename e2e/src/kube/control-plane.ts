// A real Kubernetes control plane for tests: etcd + kube-apiserver (built from Go modules by
// e2e/testbin/ensure.sh) on loopback, free ports, a fresh PKI, RBAC authorization, an admin kubeconfig.
// Modelled on controller-runtime's envtest flag set. There is no controller-manager, scheduler or
// kubelet: nothing creates EndpointSlices, garbage-collects owned objects or finalizes namespace
// deletion (a deleted namespace stays Terminating) — tests create what they need themselves.
// Its processes do not keep Node alive (see ManagedProcess); they die with the process that started them.
import { appendFileSync, mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { eventually } from '../eventually.ts';
import { ignoreConflict } from './api.ts';
import { type ControlPlaneCerts, generateCerts } from './certs.ts';
import { buildKubeConfig, writeKubeconfig } from './kubeconfig.ts';
import { NetnsBridge, type NetnsForwarder, type NetnsForwarderOptions } from './netns-bridge.ts';
import {
  type ManagedProcess,
  makeTempDir,
  removeTempDir,
  type StopOptions,
  spawnManaged,
  sweepStaleTempDirs,
} from './processes.ts';
import { testbinPath } from './testbin.ts';

export interface ControlPlaneOptions {
  /** Directory holding kube-apiserver and etcd; defaults to testbinDir(). */
  testbinDir?: string;
  /**
   * Service ClusterIP ranges (apiserver --service-cluster-ip-range). ClusterIPs are only values inside
   * the apiserver here — no kube-proxy, no traffic ever goes to them — but we still pick ranges that
   * collide with nothing on this machine or in the lab: 10.255.0.0/16 is not on any route here and is
   * not a lab, pool or benchmark range; 2001:db8:fffe::/112 is inside the documentation prefix but
   * disjoint from the lab links (2001:db8:1::/64) and pools (2001:db8:100::/64), and never fd00::/8.
   * Dual-stack by default so RequireDualStack Services get both families.
   */
  serviceClusterIPRange?: string;
  /** Time allowed for etcd and the apiserver to become ready (ms). Default 60 s. */
  startTimeoutMs?: number;
  /** Appended to the apiserver's flags (a later flag overrides an earlier one). */
  extraApiserverArgs?: readonly string[];
}

export interface ServiceAccountCredentials {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  token: string;
  /** The authenticated user name, system:serviceaccount:NAMESPACE:NAME. */
  username: string;
}

export interface ServiceAccountTokenOptions {
  /** Token lifetime; the apiserver's minimum is 600 s. Default 24 h. */
  expirationSeconds?: number;
}

export interface ControlPlaneTimings {
  certsMs: number;
  etcdMs: number;
  apiserverMs: number;
  totalMs: number;
}

export interface AdminResponse {
  status: number;
  body: string;
}

export interface ControlPlane {
  /** Admin kubeconfig file (client cert in system:masters). */
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly port: number;
  readonly caPem: string;
  /** The control plane's temp dir: certs, etcd data, logs, kubeconfigs. Removed by stop(). */
  readonly dir: string;
  readonly certs: ControlPlaneCerts;
  readonly etcdEndpoint: string;
  readonly timings: ControlPlaneTimings;
  /** Log files by component. */
  readonly logs: { etcd: string; apiserver: string };
  /** Stops everything (forwarders, apiserver, etcd), waits for exit, removes dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops only the apiserver (SIGTERM by default; pass { signal: 'SIGKILL' } to simulate a crash). */
  stopApiserver(opts?: StopOptions): Promise<void>;
  /** Starts the apiserver again on the same port, certs and etcd; resolves when /readyz is ok. */
  startApiserver(): Promise<void>;
  /** True while the apiserver process runs. */
  apiserverRunning(): boolean;
  /**
   * Ensures NAMESPACE and ServiceAccount NAME exist, mints a token with the TokenRequest API and writes a
   * kubeconfig for it. The identity has exactly the RBAC permissions bound to it — none by default.
   */
  serviceAccountKubeconfig(
    namespace: string,
    name: string,
    opts?: ServiceAccountTokenOptions,
  ): Promise<ServiceAccountCredentials>;
  /**
   * Makes this apiserver reachable at https://127.0.0.1:PORT inside network namespace NETNS (same port as
   * in the root namespace by default, so every kubeconfig of this control plane works there unchanged).
   * Brings the namespace's loopback up.
   */
  startNetnsApiserverForwarder(netns: string, opts?: NetnsForwarderOptions): Promise<NetnsForwarder>;
  /** GET path with the admin identity, e.g. '/version'. */
  adminGet(path: string): Promise<AdminResponse>;
  /** Pids of this control plane's running processes (etcd, apiserver, relays, forwarders). */
  pids(): number[];
}

const DEFAULT_SERVICE_CIDRS = '10.255.0.0/16,2001:db8:fffe::/112';
const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** Free loopback TCP ports, distinct from each other (all held open until every one is chosen). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

class StartError extends Error {
  readonly portClash: boolean;
  constructor(component: ManagedProcess, reason: string) {
    const tail = component.logTail(40);
    super(`${component.name} ${reason}; last lines of ${component.logPath}:\n${tail}`);
    this.portClash = /address already in use/i.test(tail);
  }
}

/** Waits until check() is true; fails at once (with the log tail) if proc exits. */
async function waitUntil(
  proc: ManagedProcess,
  what: string,
  deadline: number,
  check: () => Promise<boolean>,
): Promise<void> {
  await eventually(what, check, {
    timeoutMs: Math.max(0, deadline - Date.now()),
    intervalMs: 50,
    abortIf: () => {
      const exit = proc.exitInfo();
      return exit ? `exited (code ${exit.code}, signal ${exit.signal})` : undefined;
    },
  }).catch((err: Error) => {
    throw new StartError(proc, err.message);
  });
}

function httpGet(url: string): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject);
    req.end();
  });
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  sweepStaleTempDirs();
  // Free ports can be taken by a concurrent test between choosing and binding: retry with new ones.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(err instanceof StartError && err.portClash) || attempt >= 3) throw err;
    }
  }
}

async function startOnce(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const t0 = Date.now();
  const deadline = () => Date.now() + (opts.startTimeoutMs ?? 60_000);
  const dir = makeTempDir();
  const processes: ManagedProcess[] = [];
  let bridge: NetnsBridge | undefined;
  let apiserver: ManagedProcess | undefined;
  let agent: Agent | undefined;
  let stopped: Promise<void> | undefined;

  const stop = () => {
    stopped ??= (async () => {
      await bridge?.stop();
      // The apiserver first: it must not spend its shutdown retrying a vanished etcd.
      await apiserver?.stop({ graceMs: 5_000 });
      await Promise.all(processes.map((p) => p.stop({ graceMs: 5_000 })));
      agent?.destroy();
      removeTempDir(dir);
    })();
    return stopped;
  };

  try {
    const certDir = join(dir, 'certs');
    mkdirSync(certDir);
    const certs = await generateCerts(certDir);
    const tCerts = Date.now();
    const [clientPort, peerPort, port] = (await freePorts(3)) as [number, number, number];
    const binDir = opts.testbinDir;
    const logs = { etcd: join(dir, 'etcd.log'), apiserver: join(dir, 'kube-apiserver.log') };

    const etcdEndpoint = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = await spawnManaged({
      name: 'etcd',
      command: testbinPath('etcd', binDir),
      args: [
        '--name=herald-e2e',
        `--data-dir=${join(dir, 'etcd-data')}`,
        `--listen-client-urls=${etcdEndpoint}`,
        `--advertise-client-urls=${etcdEndpoint}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=herald-e2e=${peerUrl}`,
        // Test data is disposable: skipping fsync makes every write (and so every test) faster.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      logPath: logs.etcd,
      ownerDir: dir,
    });
    processes.push(etcd);
    await waitUntil(etcd, 'healthy', deadline(), async () => {
      const res = await httpGet(`${etcdEndpoint}/health`);
      return res.status === 200 && JSON.parse(res.body).health === 'true';
    });
    const tEtcd = Date.now();

    const server = `https://127.0.0.1:${port}`;
    agent = new Agent({
      ca: certs.caPem,
      cert: certs.adminCertPem,
      key: certs.adminKeyPem,
      keepAlive: false,
    });
    const adminAgent = agent;
    const adminGet = (path: string) =>
      new Promise<AdminResponse>((resolve, reject) => {
        const req = httpsRequest(`${server}${path}`, { agent: adminAgent, timeout: 5_000 }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('timeout', () => req.destroy(new Error(`GET ${path}: timeout`))).on('error', reject);
        req.end();
      });

    const apiserverArgs = [
      `--etcd-servers=${etcdEndpoint}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--tls-cert-file=${certs.servingCert}`,
      `--tls-private-key-file=${certs.servingKey}`,
      `--client-ca-file=${certs.caCert}`,
      '--authorization-mode=RBAC',
      `--service-cluster-ip-range=${opts.serviceClusterIPRange ?? DEFAULT_SERVICE_CIDRS}`,
      `--service-account-issuer=${SA_ISSUER}`,
      `--api-audiences=${SA_ISSUER}`,
      `--service-account-key-file=${certs.serviceAccountPub}`,
      `--service-account-signing-key-file=${certs.serviceAccountKey}`,
      // Nothing here serves the `kubernetes` Service, and Endpoints may not hold a loopback address.
      '--endpoint-reconciler-type=none',
      // Skips creating the APF flow schemas at start; one test client never needs fairness.
      '--enable-priority-and-fairness=false',
      ...(opts.extraApiserverArgs ?? []),
    ];
    const startApiserverProcess = async () => {
      appendFileSync(
        logs.apiserver,
        `--- herald e2e: starting kube-apiserver at ${new Date().toISOString()}\n`,
      );
      const proc = await spawnManaged({
        name: 'kube-apiserver',
        command: testbinPath('kube-apiserver', binDir),
        args: apiserverArgs,
        logPath: logs.apiserver,
        ownerDir: dir,
      });
      apiserver = proc;
      await waitUntil(proc, 'ready', deadline(), async () => (await adminGet('/readyz')).status === 200);
      // The system namespaces controller creates `default` just after /readyz turns ok; tests use it.
      await waitUntil(
        proc,
        'serving namespace default',
        deadline(),
        async () => (await adminGet('/api/v1/namespaces/default')).status === 200,
      );
    };
    await startApiserverProcess();
    const tApiserver = Date.now();

    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    const kubeConfig = buildKubeConfig({
      server,
      caPem: certs.caPem,
      user: { certPem: certs.adminCertPem, keyPem: certs.adminKeyPem },
      name: 'herald-e2e-admin',
    });
    writeKubeconfig(kubeconfigPath, kubeConfig);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const netnsBridge = new NetnsBridge({ dir, apiserverPort: port, startTimeoutMs: opts.startTimeoutMs });
    bridge = netnsBridge;

    return {
      kubeconfigPath,
      kubeConfig,
      server,
      port,
      caPem: certs.caPem,
      dir,
      certs,
      etcdEndpoint,
      logs,
      timings: {
        certsMs: tCerts - t0,
        etcdMs: tEtcd - tCerts,
        apiserverMs: tApiserver - tEtcd,
        totalMs: tApiserver - t0,
      },
      stop,
      stopApiserver: async (stopOpts) => {
        await apiserver?.stop({ graceMs: 5_000, ...stopOpts });
      },
      startApiserver: async () => {
        if (stopped) throw new Error('control plane is stopped');
        if (apiserver && !apiserver.exitInfo()) throw new Error('kube-apiserver is already running');
        await startApiserverProcess();
      },
      apiserverRunning: () => apiserver !== undefined && apiserver.exitInfo() === undefined,
      serviceAccountKubeconfig: async (namespace, name, tokenOpts = {}) => {
        await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(ignoreConflict);
        await core
          .createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
          .catch(ignoreConflict);
        const tokenRequest = await core.createNamespacedServiceAccountToken({
          name,
          namespace,
          // No audiences: the token is for this apiserver's own audiences.
          body: { spec: { audiences: [], expirationSeconds: tokenOpts.expirationSeconds ?? 86_400 } },
        });
        const token = tokenRequest.status?.token;
        if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
        const saConfig = buildKubeConfig({
          server,
          caPem: certs.caPem,
          user: { token },
          name: `sa-${namespace}-${name}`,
          namespace,
        });
        const path = join(dir, `sa-${namespace}-${name}.kubeconfig`);
        writeKubeconfig(path, saConfig);
        return {
          kubeconfigPath: path,
          kubeConfig: saConfig,
          token,
          username: `system:serviceaccount:${namespace}:${name}`,
        };
      },
      startNetnsApiserverForwarder: (netns, fwdOpts) => netnsBridge.startForwarder(netns, fwdOpts),
      adminGet,
      pids: () =>
        [...processes, apiserver, ...netnsBridge.processes()]
          .filter((p): p is ManagedProcess => p !== undefined && p.exitInfo() === undefined)
          .map((p) => p.pid),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
