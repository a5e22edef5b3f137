// bench:controller's reference "the controller's patches without the controller": a new process, started with
// the controller image's node flags, that sends each Service the patch herald-controller sends for it (built by
// the controller's own statusPatchFor: a strategic merge patch with the ingress, the pool annotation, the
// AddressAllocated condition and the resourceVersion precondition, under the controller's field manager), 16 in
// flight, and nothing else: no watch, no allocator, no Events, no logs.
// So bare loop → this loop is what the patch's content costs, and this loop → the controller is what the
// controller's own work costs. Like the controller, it lists the Services first (its cache sync, which also
// gives each resourceVersion) and only then starts the clock. Prints one JSON line: when the patches began
// (epoch ms), how long they took until the last answer, and the CPU this process used for them.
// WRITE `bare` sends the bare loop's patch instead (the ingress alone), to separate what running as a new
// process costs from what the content costs.
// Usage: node [flags] patch-loop.ts KUBECONFIG NAMESPACE CONCURRENCY herald|bare
import { KubeClient, kubeconfigConnection } from '@herald/kube';
import type { V1Service } from '@kubernetes/client-node';
import { patchIp, sendBarePatch, sendHeraldPatch } from './status-patches.ts';

const [kubeconfig, namespace, concurrency, write] = process.argv.slice(2);
if (
  kubeconfig === undefined ||
  namespace === undefined ||
  !(Number(concurrency) > 0) ||
  (write !== 'herald' && write !== 'bare')
)
  throw new Error('usage: patch-loop.ts KUBECONFIG NAMESPACE CONCURRENCY herald|bare');
const kube = new KubeClient(kubeconfigConnection(kubeconfig));
const services = (await kube.get<{ items: V1Service[] }>(`/api/v1/namespaces/${namespace}/services`)).items;

const startedAt = Date.now();
const t = performance.now();
const cpu = process.cpuUsage();
let next = 0;
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next < services.length) {
      const i = next++;
      const svc = services[i]!;
      await (write === 'herald'
        ? sendHeraldPatch(kube, svc, patchIp(i))
        : sendBarePatch(kube, namespace, svc.metadata?.name ?? '', patchIp(i)));
    }
  }),
);
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${JSON.stringify({ startedAt, ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 })}\n`,
);
kube.close();
