// The lab's kube-proxy stand-in, run inside one node's network namespace (`ip netns exec NODE-NS node
// kube-proxy-standin.ts …`). It watches Services, EndpointSlices and Nodes (through the namespace's apiserver
// forwarder, as the identity of a kube-proxy-like ServiceAccount), puts the LoadBalancer IPs this node should
// serve (kube-proxy.ts) on `lo` as /32 or /128, and answers HTTP on port --port with the node's name — so a
// client behind the router sees which node its connection landed on.
//
// Level-triggered: every --interval it lists the three resources and converges `lo` to the desired set. It only
// ever removes addresses it added itself. Prints JSON lines on stdout: {"event":"ready"} after the first
// reconcile, {"event":"serving","addresses":[…]} whenever the set changes, {"event":"error",…} on failures.
// Usage: node kube-proxy-standin.ts --node-name N --kubeconfig PATH [--port 80] [--interval 250]
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { parseArgs, promisify } from 'node:util';
import { CoreV1Api, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import { type ServiceView, type SliceView, servedAddresses } from './kube-proxy.ts';

const run = promisify(execFile);

const { values } = parseArgs({
  options: {
    'node-name': { type: 'string' },
    kubeconfig: { type: 'string' },
    port: { type: 'string', default: '80' },
    interval: { type: 'string', default: '250' },
  },
});
const nodeName = values['node-name'];
if (!nodeName || !values.kubeconfig) {
  process.stderr.write('usage: kube-proxy-standin.ts --node-name N --kubeconfig PATH [--port 80]\n');
  process.exit(2);
}
const port = Number(values.port);
const intervalMs = Number(values.interval);

const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

const kc = new KubeConfig();
kc.loadFromFile(values.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);

async function desired(): Promise<string[]> {
  const [services, slices, nodes] = await Promise.all([
    core.listServiceForAllNamespaces(),
    discovery.listEndpointSliceForAllNamespaces(),
    core.listNode(),
  ]);
  // Node addresses (node-address pools) are never put on lo: see kube-proxy.ts.
  const nodeAddresses = new Set(
    nodes.items.flatMap((n) => (n.status?.addresses ?? []).map((a) => a.address)),
  );
  const serviceViews: ServiceView[] = services.items.map((s) => ({
    namespace: s.metadata?.namespace ?? '',
    name: s.metadata?.name ?? '',
    type: s.spec?.type,
    externalTrafficPolicy: s.spec?.externalTrafficPolicy,
    publishNotReadyAddresses: s.spec?.publishNotReadyAddresses === true,
    // Like kube-proxy (proxy/serviceport.go): an ingress with ipMode Proxy is the load balancer's to
    // terminate, so the node does not take it as its own.
    ingressIPs: (s.status?.loadBalancer?.ingress ?? [])
      .filter((i) => i.ipMode !== 'Proxy')
      .map((i) => i.ip ?? '')
      .filter((ip) => ip !== ''),
  }));
  const sliceViews: SliceView[] = slices.items.map((s) => ({
    namespace: s.metadata?.namespace ?? '',
    serviceName: s.metadata?.labels?.['kubernetes.io/service-name'],
    addressType: s.addressType,
    endpoints: (s.endpoints ?? []).map((e) => ({
      nodeName: e.nodeName,
      ready: e.conditions?.ready,
      serving: e.conditions?.serving,
      hasAddress: e.addresses.length > 0,
    })),
  }));
  return servedAddresses(nodeName!, serviceViews, sliceViews, nodeAddresses);
}

const cidr = (ip: string) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`);
const managed = new Set<string>();

async function converge(want: readonly string[]): Promise<boolean> {
  let changed = false;
  for (const ip of want) {
    if (managed.has(ip)) continue;
    // `replace` is idempotent: an address left by a previous run of ours is simply adopted.
    const extra = ip.includes(':') ? ['nodad'] : [];
    await run('ip', ['addr', 'replace', cidr(ip), 'dev', 'lo', ...extra]);
    managed.add(ip);
    changed = true;
  }
  for (const ip of [...managed]) {
    if (want.includes(ip)) continue;
    await run('ip', ['addr', 'del', cidr(ip), 'dev', 'lo']).catch(() => undefined);
    managed.delete(ip);
    changed = true;
  }
  return changed;
}

const server = createServer((req, res) => {
  res.setHeader('Content-Type', 'text/plain');
  res.setHeader('X-Herald-Node', nodeName);
  res.setHeader('X-Herald-Address', req.socket.localAddress ?? '');
  res.end(`${nodeName}\n`);
});
// `::` with ipv6Only false takes IPv4 too; the LoadBalancer IPs on lo decide what reaches us.
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen({ host: '::', port, ipv6Only: false }, resolve);
});

let stopping = false;
let ready = false;
let lastError = '';
async function loop(): Promise<void> {
  while (!stopping) {
    try {
      const want = await desired();
      if (await converge(want)) emit({ event: 'serving', node: nodeName, addresses: [...managed].sort() });
      if (!ready) {
        ready = true;
        emit({ event: 'ready', node: nodeName, port });
      }
      lastError = '';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== lastError) emit({ event: 'error', node: nodeName, message });
      lastError = message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  // A clean exit leaves lo as it found it, so a restarted stand-in starts from a known state.
  for (const ip of managed) await run('ip', ['addr', 'del', cidr(ip), 'dev', 'lo']).catch(() => undefined);
  process.exit(0);
}
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
void loop();
