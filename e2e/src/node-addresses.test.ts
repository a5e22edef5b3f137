// Node-address mode against the real thing (issue 16): a real kube-apiserver, the chart's controllers and
// speakers, NO BGP peer (FRR has no neighbours) and no L2 configuration, and the REAL kube-proxy in every node
// namespace — once in iptables mode, once in nftables mode — with a pod behind every node. What is shown:
// - the controller writes the eligible nodes' InternalIPs into status.loadBalancer.ingress (kubectl shows them)
//   and kube-proxy alone makes http://<node address>:<port>/ reach the Service's pods from the client namespace,
//   on every listed node: Herald adds nothing to the data path;
// - Local: only nodes with an endpoint are listed, the client's address reaches the pod unmasqueraded, and
//   moving the pod moves the address; a cordoned node leaves the list and stops answering;
// - port ownership: a second Service on the same port stays pending with an AllocationFailed Event naming the
//   conflict, and gets the nodes when the first is deleted;
// - where kube-proxy does NOT help: with ipMode Proxy kube-proxy installs no rule for the address, and
//   nodeIP:port is refused — so node-address Services need ipMode VIP (what Herald writes unless the Service
//   asks for Proxy with herald.dev/ip-mode).
import { spawnSync } from 'node:child_process';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { HERALD_NAMESPACE } from './constants.ts';
import { eventually } from './eventually.ts';
import { describeWith, testbinPath } from './kube/index.ts';
import { CLIENT_IPV4, nodeIpv4, runIn, withLab } from './lab/index.ts';
import { step } from './steps.ts';
import {
  createService,
  defaultValues,
  type HeraldSystem,
  ingressIPs,
  readService,
  startSystem,
  waitForEvent,
} from './system/index.ts';

const CONFIG = {
  addressPools: [{ name: 'nodes', nodeAddresses: { type: 'InternalIP' } }],
  peers: [],
  bgpAdvertisements: [],
};
const ALL = [0, 1, 2];
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describeWith(
  withLab({
    binaries: ['kube-apiserver', 'etcd', 'helm', 'kubectl', 'kube-proxy', 'curl', 'iptables', 'nft'],
  }),
  'node-address mode with the real kube-proxy',
  () => {
    describe.each(['iptables', 'nftables'] as const)('kube-proxy in %s mode', (mode) => {
      let sys: HeraldSystem;

      beforeAll(async () => {
        sys = await startSystem({
          kubeProxy: mode,
          bgp: false,
          values: { ...defaultValues(), config: structuredClone(CONFIG) },
        });
      }, 240_000);

      afterAll(async () => {
        await sys?.stop();
      }, 60_000);

      // ---- the steps ----

      /** Waits until the Service's ingress is exactly the addresses of NODES (in node order). */
      const listedOn = (name: string, nodes: readonly number[]) =>
        step(`${name} lists exactly nodes [${nodes}]`, async () => {
          const want = nodes.map(nodeIpv4).join(',');
          let last = '';
          await eventually(
            `${name}'s ingress to be ${want}`,
            async () => {
              last = ingressIPs(await readService(sys.core, name)).join(',');
              return last === want;
            },
            { detail: () => `last ingress: ${last || '(none)'}` },
          );
        });

      /** One curl from the client namespace: { code: curl's exit, pod: the answer, peer: as the pod saw it }. */
      const curl = async (address: string, port: number) => {
        const r = await runIn(
          sys.client.ns,
          'curl',
          ['-sS', '--max-time', '5', '-D', '-', `http://${address}:${port}/`],
          { allowFailure: true },
        );
        const peer = /^x-herald-peer: (\S+)/im.exec(r.stdout)?.[1];
        return { code: r.code, pod: r.stdout.trim().split('\n').pop() ?? '', peer, error: r.stderr.trim() };
      };

      /**
       * COUNT curls in a row to ADDRESS:PORT all answered by a pod in PODS. Waited for: kube-proxy programs its
       * rules after it sees the status change (at most once per its minSyncPeriod, 1 s), not at the same time.
       */
      const reaches = (address: string, port: number, pods: readonly string[], count = 6) =>
        step(`curl http://${address}:${port}/ from the client reaches ${pods.join(' or ')}`, async () => {
          let last = '';
          return eventually(
            `${count} answers in a row from ${pods.join(' or ')}`,
            async () => {
              const seen: string[] = [];
              for (let i = 0; i < count; i++) {
                const r = await curl(address, port);
                seen.push(r.code === 0 ? r.pod : r.error);
              }
              last = seen.join(' | ');
              return seen.every((p) => pods.includes(p)) && seen;
            },
            { timeoutMs: 30_000, detail: () => `last answers: ${last}` },
          );
        });

      /** ADDRESS:PORT is refused: no rule DNATs it (any more), and nothing on the node listens there. */
      const refused = (address: string, port: number) =>
        step(`http://${address}:${port}/ is refused`, async () => {
          let last = '';
          await eventually(
            `connections to ${address}:${port} refused`,
            async () => {
              const r = await curl(address, port);
              last = r.code === 0 ? `answered by ${r.pod}` : r.error;
              return r.code !== 0 && /Connection refused|Couldn't connect/.test(r.error);
            },
            { timeoutMs: 30_000, detail: () => `last: ${last}` },
          );
        });

      // ---- the scenarios ----

      test('Cluster: every node is listed, kubectl shows it, and <node address>:80 reaches a pod on each', async () => {
        await createService(sys.core, 'web');
        await sys.putEndpoints('web', ALL);
        await listedOn('web', ALL);
        const kubectl = spawnSync(
          testbinPath('kubectl'),
          ['--kubeconfig', sys.cp.kubeconfigPath, 'get', 'svc', 'web', '-o', 'wide'],
          { encoding: 'utf8' },
        );
        expect(kubectl.status).toBe(0);
        expect(kubectl.stdout).toMatch(
          /\bweb\s+LoadBalancer\s+\S+\s+203\.0\.113\.11,203\.0\.113\.12,203\.0\.113\.13\s+80\/TCP/,
        );
        const pods = ALL.map((i) => `pod-node-${i}`);
        for (const i of ALL) {
          await reaches(nodeIpv4(i), 80, pods);
          // Cluster traffic is masqueraded by the node it arrived on (kube-proxy's external traffic rule): the
          // pod sees that node's address on the way out (its lab link, or its pod link for a local pod).
          expect((await curl(nodeIpv4(i), 80)).peer).toMatch(/^(203\.0\.113\.1[123]|198\.19\.[0-2]\.1)$/);
        }
        await waitForEvent(sys.core, 'default', 'web', 'IPAllocated', 'from pool "nodes"');
      });

      test('no BGP anywhere: FRR has no neighbour, the speakers no session; the controller’s watches are allowed', async () => {
        expect(await sys.frr.peers()).toEqual([]);
        for (const i of ALL) expect((await sys.speakerStatus(i)).sessions).toEqual([]);
        for (const c of sys.controllers) {
          const text = await sys.controllerMetrics(c.index);
          expect(
            text
              .split('\n')
              .filter((l) => /^herald_api_errors_total\{.*resource="(nodes|endpointslices)"/.test(l)),
          ).toEqual([]);
        }
      });

      test('a cordoned node leaves the list and stops answering; uncordoned it comes back', async () => {
        const cordon = (on: boolean) =>
          sys.core.patchNode({ name: 'node-2', body: { spec: { unschedulable: on } } }, mergePatch);
        await cordon(true);
        await listedOn('web', [0, 1]);
        await refused(nodeIpv4(2), 80);
        await cordon(false);
        await listedOn('web', ALL);
        await reaches(
          nodeIpv4(2),
          80,
          ALL.map((i) => `pod-node-${i}`),
        );
      });

      test('Local: only the node with the endpoint, client address preserved; moving the pod moves the address', async () => {
        await createService(sys.core, 'web-local', {
          policy: 'Local',
          spec: { ports: [{ name: 'http', port: 8081, targetPort: 8080, protocol: 'TCP' }] },
        });
        await sys.putEndpoints('web-local', [1]);
        await listedOn('web-local', [1]);
        const answers = await reaches(nodeIpv4(1), 8081, ['pod-node-1']);
        expect(answers).toHaveLength(6);
        expect((await curl(nodeIpv4(1), 8081)).peer).toBe(CLIENT_IPV4);
        await refused(nodeIpv4(0), 8081);
        await sys.putEndpoints('web-local', [2]);
        await listedOn('web-local', [2]);
        await reaches(nodeIpv4(2), 8081, ['pod-node-2']);
        await refused(nodeIpv4(1), 8081);
      });

      test('port ownership: the second Service on port 80 stays pending with the Event; deleting the first lets it in', async () => {
        await createService(sys.core, 'second');
        await sys.putEndpoints('second', [0]);
        const event = await waitForEvent(sys.core, 'default', 'second', 'AllocationFailed', 'PortInUse');
        expect(event.message).toBe(
          'PortInUse: TCP/80 on node-0, node-1, node-2 is held by node-address Service default/web (the Service stays pending)',
        );
        expect(ingressIPs(await readService(sys.core, 'second'))).toEqual([]);
        await sys.core.deleteNamespacedService({ name: 'web', namespace: 'default' });
        await listedOn('second', ALL);
        await reaches(nodeIpv4(1), 80, ['pod-node-0']);
      });

      test('where kube-proxy does not help: with ipMode Proxy it installs no rule, and <node address>:port is refused', async () => {
        // The Service asks for Proxy (herald.dev/ip-mode); Herald writes it, and writes VIP again once it stops.
        const setMode = (ipMode: string | null) =>
          sys.core.patchNamespacedService(
            {
              name: 'second',
              namespace: 'default',
              body: { metadata: { annotations: { 'herald.dev/ip-mode': ipMode } } },
            },
            mergePatch,
          );
        const modes = async () =>
          ((await readService(sys.core, 'second'))?.status?.loadBalancer?.ingress ?? []).map((i) => i.ipMode);
        await setMode('Proxy');
        await eventually('Herald to write ipMode Proxy', async () =>
          (await modes()).every((m) => m === 'Proxy'),
        );
        await eventually(
          'kube-proxy to drop the rules for second',
          async () => (await curl(nodeIpv4(0), 80)).code !== 0,
        );
        await refused(nodeIpv4(0), 80);
        await setMode(null);
        await eventually('Herald to write ipMode VIP', async () => (await modes()).every((m) => m === 'VIP'));
        await reaches(nodeIpv4(0), 80, ['pod-node-0']);
        const svc = await readService(sys.core, 'second');
        expect(svc?.metadata?.annotations?.['herald.dev/ip-allocated-from-pool']).toBe('nodes');
        expect(svc?.status?.loadBalancer?.ingress?.map((i) => i.ipMode)).toEqual(ALL.map(() => 'VIP'));
      });

      test('the controller keeps the chart’s release namespace config: no ConfigInvalid', async () => {
        const events = await sys.core.listNamespacedEvent({ namespace: HERALD_NAMESPACE });
        expect(events.items.filter((e) => e.reason === 'ConfigInvalid')).toEqual([]);
      });
    });
  },
);
