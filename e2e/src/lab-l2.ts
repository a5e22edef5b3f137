// `npm run lab -- --mode l2`: the lab in layer-2 mode (docs/l2.md) — no BGP peers, one node answers ARP and
// Neighbor Discovery for each VIP, and the client sits on the node segment (the bridge) with the pool
// on-link. lab-cli.ts runs it with the BGP lab's demo Services; this module holds what differs: the chart
// values, the check that the client holds the announcer's MAC, the printed lines and their checks
// (docs/lab.md, "Layer 2 mode").
import { join } from 'node:path';
import { REPO_ROOT, SPEAKER_METRICS_PORT } from './constants.ts';
import { commandChecker } from './lab-checks.ts';
import { agreedAnnouncer, clientNeighbor, type HeraldSystem, nodeMac } from './system/index.ts';

export { l2Values } from './system/index.ts';

/** The client's neighbour entry for V4 must be the announcer's MAC; returns the line the lab prints. */
export async function verifyL2Neighbor(sys: HeraldSystem, v4: string): Promise<string> {
  const announcer = await agreedAnnouncer(sys, v4);
  const mac = await nodeMac(
    sys,
    sys.nodes.findIndex((n) => n.name === announcer),
  );
  const neigh = await clientNeighbor(sys, v4);
  if (neigh.mac !== mac)
    throw new Error(`the client holds ${v4} at ${neigh.mac}, not at ${announcer}'s ${mac}`);
  return `verified: the client's neighbour table holds ${v4} at ${mac}, ${announcer}'s eth0`;
}

/** heraldctl status on every node; ACCESS: the status reader's token, the chart's CA and certificate name. */
function statusArgv(sys: HeraldSystem, access: readonly string[]): string[] {
  return [
    'ip',
    'netns',
    'exec',
    sys.client.ns,
    process.execPath,
    join(REPO_ROOT, 'packages/cli/src/main.ts'),
    'status',
    ...sys.nodes.flatMap((n) => ['--speaker', `${n.ns.ipv4}:${SPEAKER_METRICS_PORT}`]),
    ...access,
  ];
}

/** What to try in layer-2 mode (replaces the BGP lab's router section). */
export async function l2Instructions(
  sys: HeraldSystem,
  demo: readonly string[],
  local: string,
  access: readonly string[],
): Promise<string[]> {
  const c = sys.client.ns;
  const v4 = demo.find((ip) => !ip.includes(':')) ?? demo[0]!;
  const v6 = demo.find((ip) => ip.includes(':'));
  const who = [];
  for (const ip of [...demo, local]) who.push(`${ip} at ${await agreedAnnouncer(sys, ip)}`);
  const v4Announcer = await agreedAnnouncer(sys, v4);
  const index = sys.nodes.findIndex((n) => n.name === v4Announcer);
  return [
    `  # Layer-2 mode: ${who.join(', ')}. The client is on the node segment (the bridge), the pool on-link.`,
    `  ip netns exec ${c} curl http://${v4}/            # always the announcer`,
    ...(v6 ? [`  ip netns exec ${c} curl -g 'http://[${v6}]/'`] : []),
    `  ip -n ${c} neigh show                            # the VIPs at their announcer's MAC`,
    `  ip netns exec ${c} curl http://${local}/      # externalTrafficPolicy: Local, endpoint on node-1 only`,
    `  ${statusArgv(sys, access).join(' ')}`,
    '',
    `  # Take node-${index} (${v4}'s announcer) off the segment and watch the client move:`,
    `  while :; do ip netns exec ${c} curl -s --max-time 1 http://${v4}/ || echo FAILED; sleep 0.05; done`,
    `  ip -n ${sys.lab.routerNs} link set n${index} down    # its switch port; \`up\` brings it back`,
  ];
}

/** --once: the printed L2 commands work. */
export function verifyL2Commands(
  sys: HeraldSystem,
  v4: string,
  access: readonly string[],
  checked: (name: string) => void,
): string[] {
  const { check, problems } = commandChecker(checked);
  check('ip neigh: the VIP at the announcer’s MAC', ['ip', '-n', sys.client.ns, 'neigh', 'show', v4], (out) =>
    /lladdr [0-9a-f:]{17}/.test(out),
  );
  check('heraldctl status', statusArgv(sys, access), (out) =>
    /SPEAKERS AGREE[\s\S]*yes \(\d+ of \d+\)/.test(out),
  );
  return problems;
}
