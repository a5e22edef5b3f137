// The speaker's TCP-MD5 passwords from Secrets, on the whole system (chart, real apiserver, FRR): the chart
// grants the speaker exactly the Secrets the peers name; sessions come up with the passwords FRR has, the IPv6
// one with GTSM too; a rotated password restarts only its peer's sessions (the other peer's sessions keep
// their establishedSince and FRR counts no new connection for them); a wrong password never comes up and
// /status and the metrics say to check it; a Secret without the key blocks the session with the reason in
// /status, a metric, an Event on the Node and the log; and no password appears in any of them.

import { jest } from '@jest/globals';
import { CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import { HERALD_NAMESPACE, nodeName } from './constants.ts';
import { eventually } from './eventually.ts';
import { describeWith } from './kube/index.ts';
import { established, nodeIpv4, nodeIpv6, waitForPeer, withLab } from './lab/index.ts';
import {
  defaultValues,
  type HeraldSystem,
  type SpeakerStatus,
  startSystem,
  waitForEvent,
} from './system/index.ts';

jest.setTimeout(240_000);

const NODES = 2;
const KEY4 = 'v4-Key.first';
const KEY4_ROTATED = 'v4-Key.second';
const KEY6 = 'v6-Key.only';
const WRONG = 'not-what-FRR-has';

/** A sample of a metric with these labels (prom-client adds `node`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

type Session = SpeakerStatus['sessions'][number] & {
  transport?: Record<string, unknown>;
  blocked?: string;
};

describeWith(
  withLab({ binaries: ['kube-apiserver', 'etcd', 'helm', 'curl'] }),
  'speaker: TCP-MD5 from Secrets, GTSM',
  () => {
    let sys: HeraldSystem;
    const secret = (name: string, data: Record<string, string>): V1Secret => ({
      metadata: { name, namespace: HERALD_NAMESPACE },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
    const putSecret = async (name: string, data: Record<string, string>) =>
      sys.core.replaceNamespacedSecret({ name, namespace: HERALD_NAMESPACE, body: secret(name, data) });
    const session = async (node: number, peer: string): Promise<Session> => {
      const s = (await sys.speakerStatus(node)).sessions.find((x) => x.peer === peer);
      if (!s) throw new Error(`node ${node} has no session ${peer}`);
      return s as Session;
    };
    /** FRR's count of TCP connections that reached Established with NEIGHBOR. */
    const frrConnections = async (neighbor: string): Promise<number> =>
      Number((await sys.frr.neighbor(neighbor))?.connectionsEstablished ?? -1);
    const frrPasswords = (key: string, addresses: readonly string[]) =>
      sys.frr.applyConfig(
        ['router bgp 64512', ...addresses.map((a) => ` neighbor ${a} password ${key}`)].join('\n'),
      );
    const v4 = Array.from({ length: NODES }, (_, i) => nodeIpv4(i));
    const v6 = Array.from({ length: NODES }, (_, i) => nodeIpv6(i));

    beforeAll(async () => {
      const values = defaultValues();
      const [peer4, peer6] = values.config.peers as [Record<string, unknown>, Record<string, unknown>];
      peer4.passwordSecretRef = { name: 'bgp-router-v4', key: 'password' };
      peer6.passwordSecretRef = { name: 'bgp-router-v6', key: 'password' };
      peer6.ttlSecurity = true;
      sys = await startSystem({ nodes: NODES, values, speakers: false, controllers: 0, dataPlane: false });
      await sys.core.createNamespacedSecret({
        namespace: HERALD_NAMESPACE,
        body: secret('bgp-router-v4', { password: KEY4 }),
      });
      await sys.core.createNamespacedSecret({
        namespace: HERALD_NAMESPACE,
        body: secret('bgp-router-v6', { password: KEY6 }),
      });
      await frrPasswords(KEY4, v4);
      await frrPasswords(KEY6, v6);
      await sys.frr.applyConfig(
        ['router bgp 64512', ...v6.map((a) => ` neighbor ${a} ttl-security hops 1`)].join('\n'),
      );
      for (let i = 0; i < NODES; i++) await sys.startSpeaker(i);
    }, 180_000);

    afterAll(async () => {
      await sys?.stop();
    }, 60_000);

    test('the chart lets the speaker watch exactly the two Secrets the peers name, by name', async () => {
      const speaker = sys.speakerIdentity.kubeConfig.makeApiClient(CoreV1Api);
      const byName = await speaker.listNamespacedSecret({
        namespace: HERALD_NAMESPACE,
        fieldSelector: 'metadata.name=bgp-router-v4',
      });
      expect(byName.items.map((s) => s.metadata?.name)).toEqual(['bgp-router-v4']);
      await expect(speaker.listNamespacedSecret({ namespace: HERALD_NAMESPACE })).rejects.toMatchObject({
        code: 403,
      });
      const kube = (await sys.speakerStatus(0)).kube.map((k) => k.resource);
      expect(kube).toEqual(expect.arrayContaining(['secrets/bgp-router-v4', 'secrets/bgp-router-v6']));
    });

    test('every session comes up with the password FRR has; the IPv6 ones with GTSM too', async () => {
      for (const a of [...v4, ...v6]) await waitForPeer(sys.frr, a, established, 'Established with TCP-MD5');
      expect((await session(0, 'router-v4')).transport).toEqual({
        ttl: 1,
        minTtl: null,
        tcpMd5: true,
        bindInterface: null,
        passwordSecret: `${HERALD_NAMESPACE}/bgp-router-v4 key password`,
      });
      expect((await session(1, 'router-v6')).transport).toMatchObject({
        ttl: 255,
        minTtl: 255,
        tcpMd5: true,
      });
    });

    test('a rotated password restarts only its peer’s sessions, with the new key', async () => {
      await eventually('all sessions up on both nodes', async () => {
        for (let i = 0; i < NODES; i++)
          for (const p of ['router-v4', 'router-v6']) if (!(await session(i, p)).established) return false;
        return true;
      });
      const v6Before = await Promise.all([0, 1].map((i) => session(i, 'router-v6')));
      const v6Connections = await Promise.all(v6.map(frrConnections));
      const v4Since = await Promise.all(
        [0, 1].map(async (i) => (await session(i, 'router-v4')).establishedSince),
      );
      await frrPasswords(KEY4_ROTATED, v4);
      await putSecret('bgp-router-v4', { password: KEY4_ROTATED });
      for (const [i, a] of v4.entries()) {
        await eventually(`node ${i}: router-v4 Established again, with the new key`, async () => {
          const s = await session(i, 'router-v4');
          return s.established && s.establishedSince !== v4Since[i];
        });
        await waitForPeer(sys.frr, a, established, 'Established with the new key');
      }
      for (const i of [0, 1])
        await waitForEvent(
          sys.core,
          'default',
          nodeName(i),
          'PeerPasswordChanged',
          'peer router-v4: the TCP-MD5 password',
        );
      // The other peer's sessions were not touched: same Established period here, no new connection in FRR.
      const v6After = await Promise.all([0, 1].map((i) => session(i, 'router-v6')));
      expect(v6After.map((s) => [s.established, s.establishedSince, s.establishedTransitions])).toEqual(
        v6Before.map((s) => [true, s.establishedSince, s.establishedTransitions]),
      );
      expect(await Promise.all(v6.map(frrConnections))).toEqual(v6Connections);
    });

    test('a wrong password never comes up: /status and the metrics say to check it', async () => {
      await putSecret('bgp-router-v4', { password: WRONG });
      const why = await eventually('node 0: the failure explained in /status', async () => {
        const s = await session(0, 'router-v4');
        return !s.established && s.lastError?.startsWith('no answer to the TCP handshake')
          ? s.lastError
          : undefined;
      });
      expect(why).toContain('— check the TCP-MD5 password on both sides');
      const metrics = await eventually('connect failures counted', async () => {
        const text = await sys.speakerMetrics(0);
        return (sample(text, 'herald_speaker_connect_failures_total', {
          peer: 'router-v4',
          reason: 'timeout',
        }) ?? 0) >= 2
          ? text
          : undefined;
      });
      expect(sample(metrics, 'herald_speaker_session_up', { peer: 'router-v4' })).toBe(0);
      // The node's kernel counters for signature and GTSM drops are exported too (they explain a router that dials
      // a passive session with the wrong key, whose SYNs never reach the speaker).
      expect(sample(metrics, 'herald_speaker_kernel_tcp_drops_total', { reason: 'md5-wrong' })).toEqual(
        expect.any(Number),
      );
      expect(sample(metrics, 'herald_speaker_session_up', { peer: 'router-v6' })).toBe(1);
      expect((await sys.frr.peers()).find((p) => p.address === v4[0])?.established).toBe(false);
    });

    test('a Secret without the key: the session stays down, and /status, a metric, an Event and the log say why', async () => {
      await putSecret('bgp-router-v4', { pw: KEY4_ROTATED });
      const reason = `Secret ${HERALD_NAMESPACE}/bgp-router-v4 has no key "password" (its keys: pw)`;
      const s = await eventually('node 0: router-v4 blocked', async () => {
        const x = await session(0, 'router-v4');
        return x.blocked === 'key-not-found' ? x : undefined;
      });
      expect(s).toMatchObject({ state: 'Idle', established: false, lastError: reason });
      expect(
        sample(await sys.speakerMetrics(0), 'herald_speaker_session_blocked', {
          peer: 'router-v4',
          reason: 'key-not-found',
        }),
      ).toBe(1);
      const event = await waitForEvent(sys.core, 'default', nodeName(0), 'PeerPasswordUnavailable', reason);
      expect(event).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Node', name: nodeName(0) } });
      // The log is JSON: the reason's quotes are escaped there.
      expect(sys.nodes[0]!.speaker!.logTail(400)).toContain(JSON.stringify(reason).slice(1, -1));

      // Fixed: it comes back by itself.
      await putSecret('bgp-router-v4', { password: KEY4_ROTATED });
      await waitForPeer(sys.frr, v4[0]!, established, 'Established again');
      await waitForEvent(sys.core, 'default', nodeName(0), 'PeerPasswordChanged', 'can be used again');
    });

    test('no password appears in /status, the metrics, the Events or the logs', async () => {
      const seen = [
        JSON.stringify(await sys.speakerStatus(0)),
        JSON.stringify(await sys.speakerStatus(1)),
        await sys.speakerMetrics(0),
        JSON.stringify((await sys.core.listEventForAllNamespaces()).items),
        ...sys.nodes.map((n) => n.speaker!.logTail(100_000)),
      ].join('\n');
      for (const key of [KEY4, KEY4_ROTATED, KEY6, WRONG]) {
        expect(seen).not.toContain(key);
        expect(seen).not.toContain(Buffer.from(key).toString('base64'));
      }
    });
  },
);
