// The controller: replicas ready, one leader that renews its Lease, and each replica's /status readable.
import type { Finding, Severity, Snapshot } from '../types.ts';
import { describeAndLogs, finding, podTrouble } from './finding.ts';

export function checkController(s: Snapshot): Finding[] {
  const w = s.controller;
  if (w === undefined) return [];
  const ns = s.namespace;
  const out: Finding[] = [];
  const pods = s.controllerPods;
  const ready = pods.filter((p) => p.ready);
  if (pods.length === 0) {
    out.push(
      finding(
        'controller',
        'controller.pods',
        'error',
        `Deployment ${w.name}`,
        'no controller Pod exists: no Service gets an address',
        `kubectl -n ${ns} describe deployment ${w.name} (replicas, scheduling, quota, image)`,
      ),
    );
  } else {
    for (const p of pods.filter((x) => !x.ready))
      out.push(
        finding(
          'controller',
          'controller.pod',
          ready.length === 0 ? 'error' : 'warning',
          p.name,
          `not ready (${podTrouble(p)})${ready.length === 0 ? ': no replica can lead' : ''}`,
          describeAndLogs(ns, p.name),
        ),
      );
    if (ready.length > 0)
      out.push(
        finding(
          'controller',
          'controller.replicas',
          ready.length < w.desired ? 'warning' : 'ok',
          `Deployment ${w.name}`,
          `${ready.length} of ${w.desired} replicas ready`,
          'a single replica leaves no standby to take over',
        ),
      );
  }

  const lease = s.lease;
  const leaseName = w.flags['lease-name'] ?? 'herald-controller';
  const leaseSubject = `Lease ${ns}/${leaseName}`;
  const leader = (severity: Severity, message: string, fix?: string, subject = leaseSubject) =>
    out.push(finding('controller', 'controller.leader', severity, subject, message, fix));
  if (lease !== undefined) {
    if (!lease.found)
      leader(
        'error',
        lease.error !== undefined
          ? `cannot read it: ${lease.error}`
          : 'does not exist: no replica has ever led',
        'the replicas create it when they start: check their logs for RBAC errors (see RBAC)',
      );
    else {
      const age =
        lease.renewTime === undefined ? undefined : (s.now.getTime() - lease.renewTime.getTime()) / 1000;
      const duration = lease.durationSeconds ?? 15;
      if (lease.holder === '')
        leader(
          'error',
          'no holder: no replica leads, no Service gets an address',
          'a ready replica takes the Lease within its retry period: see the replicas above',
        );
      else if (age === undefined || age > duration)
        leader(
          'error',
          `${lease.holder} has not renewed it for ${age === undefined ? 'an unknown time' : `${Math.round(age)}s`} (lease duration ${duration}s): the leader is gone or cannot reach the apiserver`,
          `a standby takes over once the Lease expires; if none does, ${describeAndLogs(ns, lease.holder)}`,
        );
      else {
        const holderPod = pods.find((p) => p.name === lease.holder);
        const says = s.controllerStatus[lease.holder];
        if (holderPod === undefined)
          leader(
            'warning',
            `held by ${lease.holder}, which is not one of the controller Pods`,
            'another installation may use the same Lease name in this namespace: give each its own (chart value controller.leaderElection.leaseName)',
          );
        else if (says?.ok && !says.doc.leader)
          leader(
            'error',
            'holds the Lease but says it does not lead',
            describeAndLogs(ns, lease.holder),
            lease.holder,
          );
        else leader('ok', `leader ${lease.holder}, renewed ${Math.max(0, Math.round(age))}s ago`);
      }
    }
  }

  for (const p of ready) {
    const r = s.controllerStatus[p.name];
    const problem: [message: string, fix: string] | undefined =
      r === undefined
        ? undefined
        : !r.ok
          ? [
              `cannot read /status: ${r.error}`,
              'doctor reads /status at the Pod IP: run it where Pod IPs are reachable (e.g. from a Pod or a node), then the configuration and pool checks can use it',
            ]
          : !r.doc.ready
            ? [
                `says it is not ready: ${r.doc.config.errors[0] ?? 'caches not synced'}`,
                describeAndLogs(ns, p.name),
              ]
            : undefined;
    if (problem !== undefined)
      out.push(finding('controller', 'controller.status', 'warning', p.name, ...problem));
  }
  return out;
}
