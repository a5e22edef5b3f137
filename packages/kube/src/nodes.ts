// Nodes as every Herald program caches them: the speaker (its own Node: eligibility, addresses; in layer-2
// mode every Node) and the controller (node-address pools) read the same few fields, so one slim and one
// change test serve both.
import type { V1Node } from '@kubernetes/client-node';

/** The conditions any Herald decision reads; the others (pressure conditions) change without mattering. */
const CONDITIONS = new Set(['Ready', 'NetworkUnavailable']);

/**
 * What a Herald cache keeps of a Node: name, uid, labels, deletion, cordon, the Ready and NetworkUnavailable
 * conditions' status, the addresses. Heartbeats (lastHeartbeatTime, reasons), images, capacity and
 * managedFields go, so a kubelet status update that changes none of this is recognised by `nodeChanged`.
 */
export function slimNode(n: V1Node): V1Node {
  const m = n.metadata;
  return {
    metadata: {
      name: m?.name,
      uid: m?.uid,
      resourceVersion: m?.resourceVersion,
      labels: m?.labels,
      deletionTimestamp: m?.deletionTimestamp,
    },
    spec: { unschedulable: n.spec?.unschedulable },
    status: {
      conditions: (n.status?.conditions ?? [])
        .filter((c) => CONDITIONS.has(c.type))
        .map((c) => ({ type: c.type, status: c.status })),
      addresses: n.status?.addresses?.map((a) => ({ type: a.type, address: a.address })),
    },
  };
}

/** Whether two slimmed Nodes differ in anything a Herald decision reads (the resourceVersion aside). */
export function nodeChanged(a: V1Node | undefined, b: V1Node | undefined): boolean {
  if (a === undefined || b === undefined) return a !== b;
  const strip = (n: V1Node) =>
    JSON.stringify({ ...n, metadata: { ...n.metadata, resourceVersion: undefined } });
  return strip(a) !== strip(b);
}
