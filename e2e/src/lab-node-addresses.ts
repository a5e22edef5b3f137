// `npm run lab -- --mode node-addresses`: the lab with no BGP and no L2 — a node-address pool, the REAL
// kube-proxy (iptables or nftables, --kube-proxy) in every node namespace and a pod behind every node, FRR
// forwarding only (no neighbours). lab-cli.ts runs it; this module holds what differs from the BGP lab: the
// chart values, the demo Services, the checks and the printed instructions (docs/lab.md, "Node-address mode").
import { join } from 'node:path';
import { REPO_ROOT } from './constants.ts';
import { eventually } from './eventually.ts';
import { testbinPath } from './kube/index.ts';
import { nodeIpv4 } from './lab/index.ts';
import { commandChecker, kubectlArgv } from './lab-checks.ts';
import {
  type ChartValues,
  createService,
  defaultValues,
  type HeraldSystem,
  type KubeProxyMode,
  type ProbeSummary,
  waitForIngress,
} from './system/index.ts';

/** The configuration the lab installs in this mode: one node-address pool, nothing else. */
export function nodeAddressValues(): ChartValues {
  return {
    ...defaultValues(),
    config: {
      addressPools: [{ name: 'nodes', nodeAddresses: { type: 'InternalIP' } }],
      peers: [],
      bgpAdvertisements: [],
    },
  };
}

export const DEMO_LOCAL_PORT = 8081;

export interface NodeAddressDemo {
  /** demo (Cluster, port 80): every node. */
  readonly demo: readonly string[];
  /** demo-local (Local, port 8081): the node with its endpoint. */
  readonly local: string;
  readonly localNode: number;
}

/** Creates the demo Services and waits until the controller lists their nodes. */
export async function nodeAddressDemo(sys: HeraldSystem): Promise<NodeAddressDemo> {
  const nodes = sys.nodes.length;
  await createService(sys.core, 'demo');
  await sys.putEndpoints(
    'demo',
    sys.nodes.map((n) => n.index),
  );
  await createService(sys.core, 'demo-local', {
    policy: 'Local',
    spec: { ports: [{ name: 'http', port: DEMO_LOCAL_PORT, targetPort: 8080, protocol: 'TCP' }] },
  });
  const localNode = Math.min(1, nodes - 1);
  await sys.putEndpoints('demo-local', [localNode]);
  const demo = await waitForIngress(sys.core, 'demo', { count: nodes });
  const [local] = (await waitForIngress(sys.core, 'demo-local')) as [string];
  return { demo, local, localNode };
}

/** COUNT connections from the client to every node address; each must be answered by a pod. */
export async function verifyNodeAddresses(sys: HeraldSystem, count: number): Promise<ProbeSummary[]> {
  const out: ProbeSummary[] = [];
  for (const n of sys.nodes) {
    const url = `http://${nodeIpv4(n.index)}/`;
    let last: ProbeSummary | undefined;
    // kube-proxy programs its rules at most once per second after it sees the Service: waited for.
    const ok = await eventually(
      `${count} answers from ${url}`,
      async () => {
        last = await sys.probe(url, count);
        return last.failed === 0 && last;
      },
      { timeoutMs: 30_000, detail: () => (last?.errors ?? []).join('; ') },
    );
    out.push(ok);
  }
  return out;
}

/** The commands the instructions print, as argv (so --once can run them). */
function commands(sys: HeraldSystem, demo: NodeAddressDemo, mode: KubeProxyMode) {
  const c = sys.client.ns;
  const node0 = sys.nodes[0]!.ns.ns;
  return {
    curl: ['ip', 'netns', 'exec', c, 'curl', '-sS', '--max-time', '5', `http://${demo.demo[0]}/`],
    rules:
      mode === 'nftables'
        ? ['ip', 'netns', 'exec', node0, 'nft', 'list', 'map', 'ip', 'kube-proxy', 'service-ips']
        : ['ip', 'netns', 'exec', node0, 'iptables-save', '-t', 'nat'],
    kubectl: kubectlArgv(sys, 'get', 'svc', '-A', '-o', 'wide'),
  };
}

/** --once: runs the printed commands; each must exit 0 and show what the instructions promise. */
export function verifyNodeAddressCommands(
  sys: HeraldSystem,
  demo: NodeAddressDemo,
  mode: KubeProxyMode,
  checked: (what: string) => void,
): string[] {
  const cmds = commands(sys, demo, mode);
  const { check, problems } = commandChecker(checked);
  check('curl a node address from the client namespace', cmds.curl, (out) => /^pod-node-\d+$/m.test(out));
  check(`kube-proxy's ${mode} rules for the node address`, cmds.rules, (out) => out.includes(demo.demo[0]!));
  check('kubectl get svc', cmds.kubectl, (out) => out.includes(demo.demo.join(',')));
  return problems;
}

export function nodeAddressInstructions(
  sys: HeraldSystem,
  demo: NodeAddressDemo,
  mode: KubeProxyMode,
): string {
  const c = sys.client.ns;
  const n0 = sys.nodes[0]!;
  const cmds = commands(sys, demo, mode);
  const lines = [
    '',
    `Herald lab is up in node-address mode: ${sys.nodes.length} nodes, the real kube-proxy (${mode}) and a pod on each, no BGP, no L2.`,
    `Try (as root, from ${REPO_ROOT}):`,
    '',
    '  # Kubernetes: EXTERNAL-IP of demo is every node address, of demo-local the node with its pod',
    `  export KUBECONFIG=${sys.cp.kubeconfigPath}`,
    `  export PATH=${join(testbinPath('kubectl'), '..')}:$PATH`,
    '  kubectl get svc -o wide',
    '  kubectl get events --field-selector reason=IPAllocated',
    '',
    '  # Each node address answers on the Service port; the answer is the pod kube-proxy chose',
    ...sys.nodes.map((n) => `  ip netns exec ${c} curl http://${nodeIpv4(n.index)}/`),
    `  ip netns exec ${c} curl http://${demo.local}:${DEMO_LOCAL_PORT}/     # Local: only ${sys.nodes[demo.localNode]!.name}, its own pod`,
    '',
    `  # What kube-proxy made of status.loadBalancer.ingress on ${n0.name} (netns ${n0.ns.ns})`,
    `  ${cmds.rules.join(' ')}`,
    '',
    '  # Port ownership: a second Service on port 80 stays <pending> with an AllocationFailed Event',
    '  kubectl create service loadbalancer web --tcp=80:8080',
    '  kubectl get events --field-selector involvedObject.name=web',
    '',
    '  # The processes (no kubelet here: one you kill stays down; the lab reports it; restart the lab)',
    ...sys.controllers.map((ctl) => `  ${ctl.identity}: pid ${ctl.proc.pid}`),
    ...sys.nodes.map((n) => `  kube-proxy on ${n.name} (netns ${n.ns.ns}): pid ${n.kubeProxy?.pid ?? '-'}`),
    `  logs: ${sys.dir}/*.log   More to try: docs/lab.md ("Node-address mode")`,
    '',
    'Stop with Ctrl-C (cleans up everything). After a crash: npm run lab -- down',
    '',
  ];
  return lines.join('\n');
}
