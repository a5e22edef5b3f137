// `npm run lab` (through scripts/lab.sh, which first installs FRR and builds the test-bed binaries): the whole
// Herald system on this machine — a real kube-apiserver with the Helm chart installed, two controllers, three
// speakers in node network namespaces, kube-proxy stand-ins, an FRR router and a client namespace — plus a
// demo Service, then instructions with the real names and addresses. Stays up until Ctrl-C, then removes
// everything. `down` removes what a crashed lab left behind (lab-state.ts: only what it recorded).
//
// Usage: node e2e/src/lab-cli.ts [up] [--once] [--nodes N] [--mode bgp|l2|node-addresses] [--kube-proxy iptables|nftables]
//        node e2e/src/lab-cli.ts down
//   --once (alias --exit-after-ready): start, verify the VIP answers from the client, tear down, exit 0/1.
//   --mode l2: no BGP: one node answers ARP/NDP per VIP, the client on the node segment (lab-l2.ts).
//   --mode node-addresses: no BGP, no L2: a node-address pool and the real kube-proxy (lab-node-addresses.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT as REPO, SPEAKER_METRICS_PORT } from './constants.ts';
import { testbinDir } from './kube/index.ts';
import { waitForPaths } from './lab/index.ts';
import { commandChecker, kubectlArgv } from './lab-checks.ts';
import { l2Instructions, l2Values, verifyL2Commands, verifyL2Neighbor } from './lab-l2.ts';
import {
  type NodeAddressDemo,
  nodeAddressDemo,
  nodeAddressInstructions,
  nodeAddressValues,
  verifyNodeAddressCommands,
  verifyNodeAddresses,
} from './lab-node-addresses.ts';
import {
  createService,
  downOne,
  type HeraldSystem,
  type KubeProxyMode,
  LabStateWriter,
  type ProbeSummary,
  readStates,
  startSystem,
  stateDir,
  urlFor,
  waitForIngress,
} from './system/index.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    once: { type: 'boolean', default: false },
    'exit-after-ready': { type: 'boolean', default: false },
    nodes: { type: 'string', default: '3' },
    mode: { type: 'string', default: 'bgp' },
    'kube-proxy': { type: 'string', default: 'iptables' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const command = positionals[0] ?? 'up';
const usage = `usage: npm run lab [-- --once] [-- --nodes N]  start the lab (as root; Ctrl-C stops and cleans up)
       npm run lab -- down                        remove what a crashed lab left behind
  --once, --exit-after-ready  start, check the VIP and the printed commands, clean up, exit 0 (1 on failure)
  --nodes N                   node namespaces, speakers and Node objects (default 3, at most 10)
  --mode bgp|l2|node-addresses
                              bgp (default): FRR learns the LoadBalancer IPs over BGP from the speakers;
                              l2: no BGP — one node answers ARP/NDP for each VIP and the client sits on the
                              node segment with the pool on-link (docs/l2.md);
                              node-addresses: no BGP, no L2 — Services get the nodes' addresses and the real
                              kube-proxy serves <node address>:<port> (docs/node-addresses.md)
  --kube-proxy iptables|nftables  kube-proxy's mode with --mode node-addresses (default iptables)
State files (what \`down\` removes): $HERALD_LAB_STATE_DIR, else /run/herald-lab.
`;
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

const t0 = Date.now();
const say = (line: string) => process.stdout.write(`${line}\n`);
const step = (line: string) => say(`[lab ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}`);

async function down(): Promise<number> {
  const states = readStates();
  if (states.length === 0) {
    say(`lab down: nothing recorded in ${stateDir()}; nothing to clean up`);
    return 0;
  }
  for (const { path, state } of states) {
    if (state.lab.pid === process.pid) continue;
    const r = await downOne(path, state);
    say(
      `lab down: ${path} (lab pid ${state.lab.pid}${r.labWasRunning ? ', was running: asked it to stop' : ''})`,
    );
    for (const k of r.killed) say(`  killed ${k}`);
    for (const ns of r.namespaces) say(`  deleted netns ${ns}`);
    for (const d of r.dirs) say(`  removed ${d}`);
  }
  return 0;
}

function describeSpread(s: ProbeSummary): string {
  return Object.entries(s.byNode)
    .sort()
    .map(([node, n]) => `${node}: ${n}`)
    .join(', ');
}

/** The commands the instructions print, as argv, so --once can run them and prove they work. */
function commands(sys: HeraldSystem, v4: string, access: readonly string[]) {
  const c = sys.client.ns;
  const vtysh = ['ip', 'netns', 'exec', sys.lab.routerNs, 'vtysh', '--vty_socket', join(sys.lab.dir, 'vty')];
  return {
    curl: ['ip', 'netns', 'exec', c, 'curl', '-sS', '--max-time', '5', `http://${v4}/`],
    route: [...vtysh, '-c', `show ip route ${v4}/32`],
    status: [
      'ip',
      'netns',
      'exec',
      c,
      process.execPath,
      join(REPO, 'packages/cli/src/main.ts'),
      'status',
      ...sys.nodes.flatMap((n) => ['--speaker', `${n.ns.ipv4}:${SPEAKER_METRICS_PORT}`]),
      ...access,
    ],
    kubectl: kubectlArgv(sys, 'get', 'svc', '-A', '-o', 'wide'),
  };
}

/** --once: runs the printed commands; each must exit 0 and show what the instructions promise. */
function verifyCommands(
  sys: HeraldSystem,
  v4: string,
  access: readonly string[],
  o: { router?: boolean } = {},
): string[] {
  const cmds = commands(sys, v4, access);
  const { check, problems } = commandChecker((name) => step(`checked: ${name}`));
  check('curl from the client namespace', cmds.curl, (out) => /^node-\d+$/m.test(out));
  if (o.router !== false) {
    check('vtysh show ip route: one next hop per node', cmds.route, (out) =>
      sys.nodes.every((n) => out.includes(`${n.ns.ipv4},`)),
    );
    check('heraldctl status', cmds.status, (out) => out.includes('Established'));
  }
  if (existsSync(cmds.kubectl[0]!)) check('kubectl get svc', cmds.kubectl, (out) => out.includes(v4));
  return problems;
}

/** The lab's instructions; `modeLines` (layer-2 mode) replace the router and speaker section. */
function instructions(
  sys: HeraldSystem,
  demo: string[],
  local: string,
  access: readonly string[],
  modeLines?: string[],
): string {
  const c = sys.client.ns;
  const r = sys.lab.routerNs;
  const vty = join(sys.lab.dir, 'vty');
  const v4 = demo.find((ip) => !ip.includes(':')) ?? demo[0]!;
  const v6 = demo.find((ip) => ip.includes(':'));
  const kubectl = existsSync(join(testbinDir(), 'kubectl'));
  const speakers = [
    ...sys.nodes.map((n) => `--speaker ${n.ns.ipv4}:${SPEAKER_METRICS_PORT}`),
    ...access,
  ].join(' ');
  const lines = [
    '',
    `Herald lab is up: ${sys.nodes.length} nodes, ${modeLines ? 'layer-2 mode, client on the node segment' : 'FRR router, client namespace'}. Try (as root, from ${REPO}):`,
    '',
    '  # Kubernetes: the chart is installed, the controllers and speakers run as its ServiceAccounts',
    `  export KUBECONFIG=${sys.cp.kubeconfigPath}`,
    `  export PATH=${testbinDir()}:$PATH`,
    ...(kubectl
      ? ['  kubectl get svc -A -o wide', '  kubectl get nodes -o wide', '  kubectl get events -A']
      : [
          '  # (no kubectl in the test-bed cache; bash e2e/testbin/ensure.sh builds it) the same with curl:',
          `  curl -s --cacert ${sys.cp.certs.caCert} --cert ${sys.cp.certs.adminCert} --key ${sys.cp.certs.adminKey} ${sys.cp.server}/api/v1/services`,
        ]),
    '  helm list -n herald-system',
    '',
    ...(modeLines ?? [
      '  # The VIP from the client namespace behind the router (the answer is the node that served it)',
      `  ip netns exec ${c} curl http://${v4}/`,
      `  for i in $(seq 20); do ip netns exec ${c} curl -s http://${v4}/; done | sort | uniq -c`,
      ...(v6 ? [`  ip netns exec ${c} curl -g 'http://[${v6}]/'`] : []),
      `  ip netns exec ${c} curl http://${local}/     # externalTrafficPolicy: Local, endpoint on node-1 only`,
      '',
      '  # The router: one /32 with a next hop per node (ECMP)',
      `  ip netns exec ${r} vtysh --vty_socket ${vty} -c 'show ip route ${v4}/32'`,
      `  ip netns exec ${r} vtysh --vty_socket ${vty} -c 'show bgp summary'`,
      ...(v6 ? [`  ip netns exec ${r} vtysh --vty_socket ${vty} -c 'show ipv6 route ${v6}/128'`] : []),
      '',
      '  # The speakers (each serves /status on its node address)',
      `  ip netns exec ${c} ${process.execPath} ${join(REPO, 'packages/cli/src/main.ts')} status ${speakers}`,
    ]),
    '',
    '  # The processes (no kubelet here: one you kill stays down; the lab reports it; restart the lab)',
    ...sys.controllers.map((ctl) => `  ${ctl.identity}: pid ${ctl.proc.pid}`),
    ...sys.nodes.map((n) => `  herald-speaker on ${n.name} (netns ${n.ns.ns}): pid ${n.speaker?.pid ?? '-'}`),
    `  logs: ${sys.dir}/*.log   More to try: docs/lab.md`,
    '',
    'Stop with Ctrl-C (cleans up everything). After a crash: npm run lab -- down',
    '',
  ];
  return lines.join('\n');
}

async function up(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('lab: must run as root (it creates network namespaces and runs FRR)\n');
    return 1;
  }
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 10) {
    process.stderr.write(`lab: --nodes must be 1..10, got ${values.nodes}\n`);
    return 2;
  }
  const once = values.once || values['exit-after-ready'];
  const mode = values.mode;
  const kubeProxy = values['kube-proxy'] as KubeProxyMode;
  if (mode !== 'bgp' && mode !== 'l2' && mode !== 'node-addresses') {
    process.stderr.write(`lab: --mode must be bgp, l2 or node-addresses, got ${mode}\n`);
    return 2;
  }
  if (kubeProxy !== 'iptables' && kubeProxy !== 'nftables') {
    process.stderr.write(`lab: --kube-proxy must be iptables or nftables, got ${kubeProxy}\n`);
    return 2;
  }
  const stale = readStates().filter((s) => s.state.lab.pid !== process.pid);
  if (stale.length > 0) {
    step(
      `note: ${stale.length} earlier lab record(s) in ${stateDir()}; \`npm run lab -- down\` cleans them up`,
    );
  }
  const record = new LabStateWriter();
  step(`state file ${record.path} (what \`npm run lab -- down\` would clean up after a crash)`);

  let sys: HeraldSystem | undefined;
  let starting: Promise<HeraldSystem> | undefined;
  let stopping: Promise<void> | undefined;
  const teardown = (why: string) => {
    stopping ??= (async () => {
      step(`${why}: stopping and removing everything`);
      // A signal during start-up waits for the system to exist (or to fail and clean up after itself).
      const started = sys ?? (await starting?.catch(() => undefined));
      await started?.stop();
      record.remove();
      step('cleaned up');
    })();
    return stopping;
  };
  let resolveStopped: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => {
    resolveStopped = resolve;
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      void teardown(signal).then(() => resolveStopped(0));
    });
  }

  /** Until Ctrl-C: reports programs that exit meanwhile. */
  async function stayUp(running: HeraldSystem): Promise<number> {
    step('lab is ready; press Ctrl-C to stop');
    // Nothing else keeps the event loop alive (children are tracked by exit events only), and a drained loop
    // would end the lab at once. The timer also reports processes that exit while the lab is up.
    const reported = new Set<number>();
    const watchdog = setInterval(() => {
      if (stopping) return; // the teardown's own kills are not news
      const procs = [
        ...running.controllers.map((c) => ({ name: c.identity, proc: c.proc })),
        ...running.nodes.flatMap((n) => [
          ...(n.speaker ? [{ name: `herald-speaker on ${n.name}`, proc: n.speaker }] : []),
          ...(n.kubeProxy ? [{ name: `kube-proxy on ${n.name}`, proc: n.kubeProxy }] : []),
        ]),
      ];
      for (const { name, proc } of procs) {
        const exit = proc.exitInfo();
        if (!exit || reported.has(proc.pid)) continue;
        reported.add(proc.pid);
        step(`${name} (pid ${proc.pid}) exited (${exit.code ?? exit.signal}); log: ${proc.logPath}`);
      }
    }, 1_000);
    const code = await stopped;
    clearInterval(watchdog);
    return code;
  }

  try {
    const nodeAddresses = mode === 'node-addresses';
    const l2 = mode === 'l2';
    starting = startSystem({
      nodes,
      progress: step,
      created: (thing) => record.record(thing),
      ...(nodeAddresses ? { kubeProxy, bgp: false, values: nodeAddressValues() } : {}),
      ...(l2 ? { l2: true, values: l2Values() } : {}),
    });
    sys = await starting;
    if (stopping) return await stopped;
    if (nodeAddresses) {
      step(
        'creating the demo Services in namespace default: demo (Cluster, port 80), demo-local (Local, port 8081)',
      );
      const demo: NodeAddressDemo = await nodeAddressDemo(sys);
      step(`demo got ${demo.demo.join(', ')}; demo-local got ${demo.local}`);
      for (const [i, s] of (await verifyNodeAddresses(sys, 10)).entries())
        step(
          `verified: 10 connections from the client to http://${sys.nodes[i]!.ns.ipv4}/ answered by ${describeSpread(s)}`,
        );
      say(nodeAddressInstructions(sys, demo, kubeProxy));
      if (once) {
        const problems = verifyNodeAddressCommands(sys, demo, kubeProxy, (what) => step(`checked: ${what}`));
        for (const p of problems) process.stderr.write(`lab: a printed command did not work: ${p}\n`);
        await teardown('--once');
        return problems.length === 0 ? 0 : 1;
      }
      return await stayUp(sys);
    }
    step('creating the demo Services in namespace default: demo (dual-stack), demo-local (Local)');
    await createService(sys.core, 'demo', { dualStack: true });
    await sys.putEndpoints(
      'demo',
      sys.nodes.map((n) => n.index),
    );
    await createService(sys.core, 'demo-local', { policy: 'Local' });
    const localNode = Math.min(1, nodes - 1);
    await sys.putEndpoints('demo-local', [localNode]);
    const demo = await waitForIngress(sys.core, 'demo', { count: 2 });
    const [local] = (await waitForIngress(sys.core, 'demo-local')) as [string];
    step(`demo got ${demo.join(', ')}; demo-local got ${local}`);
    const v4 = demo.find((ip) => !ip.includes(':')) ?? demo[0]!;
    if (!l2)
      await waitForPaths(sys.frr, 'ipv4', `${v4}/32`, (p) => p.length === nodes, `from all ${nodes} nodes`);
    await sys.waitForServed(
      v4,
      sys.nodes.map((n) => n.index),
    );
    await sys.waitForServed(local, [localNode]);
    const check = await sys.probe(urlFor(v4), 30);
    if (check.failed > 0) throw new Error(`curl to ${v4} from the client failed: ${check.errors.join('; ')}`);
    step(`verified: 30 connections from the client to http://${v4}/ answered by ${describeSpread(check)}`);
    if (l2) step(await verifyL2Neighbor(sys, v4));
    // heraldctl status as a status reader: the chart's CA, the certificate's name and a token.
    const access = (await sys.readerAccess()).heraldctlArgs;
    say(
      instructions(sys, demo, local, access, l2 ? await l2Instructions(sys, demo, local, access) : undefined),
    );
    if (once) {
      const problems = l2
        ? [
            ...verifyL2Commands(sys, v4, access, (name) => step(`checked: ${name}`)),
            ...verifyCommands(sys, v4, access, { router: false }),
          ]
        : verifyCommands(sys, v4, access);
      for (const p of problems) process.stderr.write(`lab: a printed command did not work: ${p}\n`);
      await teardown('--once');
      return problems.length === 0 ? 0 : 1;
    }
    return await stayUp(sys);
  } catch (err) {
    process.stderr.write(`lab: ${err instanceof Error ? err.message : String(err)}\n`);
    await teardown('failed');
    return 1;
  }
}

let code: number;
if (command === 'down') code = await down();
else if (command === 'up') code = await up();
else {
  process.stderr.write(usage);
  code = 2;
}
process.exit(code);
