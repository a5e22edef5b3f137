// The speakers: one Pod per node, each ready, answering /status, with every BGP session Established.
import type { Finding, Snapshot } from '../types.ts';
import { describeAndLogs, finding, plural, podTrouble } from './finding.ts';

export function checkSpeakers(s: Snapshot): Finding[] {
  const w = s.speaker;
  if (w === undefined) return [];
  const ns = s.namespace;
  const out: Finding[] = [];
  const pods = s.speakerPods;
  if (pods.length === 0)
    return [
      finding(
        'speakers',
        'speaker.pods',
        'error',
        `DaemonSet ${w.name}`,
        'no speaker Pod exists: no address is announced',
        `kubectl -n ${ns} describe daemonset ${w.name} (node selector, tolerations; the speaker needs the "privileged" Pod Security level for hostNetwork)`,
      ),
    ];
  if (w.desired > pods.length)
    out.push(
      finding(
        'speakers',
        'speaker.pods',
        'warning',
        `DaemonSet ${w.name}`,
        `${pods.length} speaker Pods for ${w.desired} nodes`,
        `kubectl -n ${ns} describe daemonset ${w.name}`,
      ),
    );
  for (const pod of pods) {
    const node = pod.node ?? pod.name;
    const r = s.speakerStatus[pod.name];
    if (!pod.ready) {
      const status = r !== undefined && !r.ok ? `; ${r.error}` : '';
      out.push(
        finding(
          'speakers',
          'speaker.pod',
          'error',
          node,
          `speaker Pod ${pod.name} is not ready (${podTrouble(pod)})${status}: this node announces nothing`,
          describeAndLogs(ns, pod.name),
        ),
      );
      continue;
    }
    if (r === undefined || !r.ok) {
      out.push(
        finding(
          'speakers',
          'speaker.status',
          'error',
          node,
          `cannot read /status: ${r?.error ?? 'not asked'}`,
          'doctor reads /status at the node address and the metrics port: run it where the nodes are reachable on that port (a firewall or NetworkPolicy may block it), and pass --token-file if the speakers require a token',
        ),
      );
      continue;
    }
    const doc = r.doc;
    if (!doc.ready) {
      out.push(
        finding(
          'speakers',
          'speaker.ready',
          'error',
          node,
          `not ready: ${doc.config.errors[0] ?? 'its caches are not synced (it cannot watch the apiserver)'}`,
          describeAndLogs(ns, pod.name),
        ),
      );
      continue;
    }
    for (const k of doc.kube ?? [])
      if (!k.connected)
        out.push(
          finding(
            'speakers',
            'speaker.watch',
            'warning',
            node,
            `its ${k.resource} watch is disconnected${k.lastError ? `: ${k.lastError}` : ''}; it decides on what it saw last`,
            'check the node can reach the apiserver and the speaker RBAC (see RBAC)',
          ),
        );
    const down = doc.sessions.filter((x) => !x.established);
    for (const x of down)
      out.push(
        finding(
          'speakers',
          'speaker.session',
          'error',
          node,
          `BGP session ${x.peer} (${x.peerAddress}) is ${x.state}${x.lastError ? `: ${x.lastError}` : ''}`,
          `check the router: a neighbor for this node's address with the AS numbers of peer "${x.peer}", TCP 179 open both ways, and the router's log; \`heraldctl bgp announce\` run on the node tests the peering without the speaker`,
        ),
      );
    if (doc.sessions.length === 0)
      out.push(
        finding(
          'speakers',
          'speaker.session',
          'warning',
          node,
          'no BGP session: no peer selects this node',
          "if this node should announce, check the peers' nodeSelectors against the node's labels",
        ),
      );
    else if (down.length === 0) {
      const prefixes = new Set(Object.values(doc.announced).flatMap((routes) => routes.map((x) => x.prefix)));
      out.push(
        finding(
          'speakers',
          'speaker.session',
          'ok',
          node,
          `ready, ${doc.sessions.length} of ${plural(doc.sessions.length, 'session')} Established, ${plural(prefixes.size, 'prefix', 'prefixes')} announced`,
        ),
      );
    }
  }
  return out;
}
