import { describe, expect, test } from '@jest/globals';
import { encodeHeartbeat } from '../mesh/heartbeat.ts';
import { everywhere, KEY, SimCluster } from '../testing.ts';
import { decodeArpFrame } from '../wire/arp.ts';
import { formatMac } from '../wire/ethernet.ts';
import { decodeNeighborFrame } from '../wire/ndp.ts';

const NODES = ['node-0', 'node-1', 'node-2'];
const ADDRESSES = Array.from({ length: 30 }, (_, i) => `198.51.100.${i + 1}`);

function settled(nodes = NODES, count = 30): SimCluster {
  const sim = new SimCluster(nodes);
  sim.start(everywhere(nodes, count));
  sim.run(3 * sim.detectionMs);
  return sim;
}

/** Every address answered by exactly one node, and every live node agrees who that is. */
function expectOneAnnouncerEach(sim: SimCluster, addresses = ADDRESSES): Map<string, string> {
  const owner = new Map<string, string>();
  for (const a of addresses) {
    const answering = sim.answering(a);
    expect([a, answering.length]).toEqual([a, 1]);
    const views = new Set(Object.values(sim.views(a)));
    expect([a, [...views]]).toEqual([a, answering]);
    owner.set(a, answering[0]!);
  }
  return owner;
}

describe('steady state', () => {
  test('every address has exactly one announcer, every node agrees, and the addresses are spread', () => {
    const sim = settled();
    const owner = expectOneAnnouncerEach(sim);
    const perNode = NODES.map((n) => [...owner.values()].filter((o) => o === n).length);
    // 30 addresses over 3 nodes: nobody has none, nobody has (nearly) all.
    for (const count of perNode) expect(count).toBeGreaterThanOrEqual(4);
    expect(perNode.reduce((a, b) => a + b)).toBe(30);
  });

  test('IPv6: exactly one node answers each Neighbor Solicitation', () => {
    const sim = new SimCluster(NODES);
    sim.start(everywhere(NODES, 10, true));
    sim.run(3 * sim.detectionMs);
    const v6 = Array.from({ length: 10 }, (_, i) => `2001:db8:100::${(i + 1).toString(16)}`);
    expectOneAnnouncerEach(sim, v6);
    // and each announcer joined the solicited-node group of what it answers
    const owner = sim.answering(v6[0]!)[0]!;
    const groups = sim.node(owner).engine.multicastGroups().get('eth0');
    expect(groups?.has('ff02::1:ff00:1')).toBe(true);
  });

  test('each takeover is announced three times, 0, 1 and 2 s after it, on the selected interface', () => {
    const sim = settled();
    const victim = sim.answering('198.51.100.1')[0]!;
    sim.node(victim).dead = true;
    const at = sim.now;
    sim.run(sim.detectionMs + 3000);
    const heir = sim.answering('198.51.100.1')[0]!;
    const garps = sim.frames.filter(
      (f) => f.at > at && f.kind === 'announcement' && f.address === '198.51.100.1',
    );
    expect(garps.every((f) => f.node === heir && f.interface === 'eth0' && f.protocol === 'arp')).toBe(true);
    expect(garps.map((f) => f.at - garps[0]!.at)).toEqual([0, 1000, 2000]);
    const d = decodeArpFrame(garps[0]!.frame);
    expect(d.ok && formatMac(d.packet.senderHardwareAddress)).toBe(formatMac(sim.node(heir).mac));
  });

  test('Local: only candidates announce; an address without a candidate has no announcer', () => {
    const sim = new SimCluster(NODES);
    sim.start(() => [
      { address: '198.51.100.1', candidates: ['node-2'], interfaces: ['eth0'], services: ['default/local'] },
      { address: '198.51.100.2', candidates: [], interfaces: ['eth0'], services: ['default/none'] },
    ]);
    sim.run(3 * sim.detectionMs);
    expect(sim.answering('198.51.100.1')).toEqual(['node-2']);
    expect(sim.answering('198.51.100.2')).toEqual([]);
    // The endpoint moves to node-0: so does the announcer, with an announcement.
    sim.setAssignments(() => [
      { address: '198.51.100.1', candidates: ['node-0'], interfaces: ['eth0'], services: ['default/local'] },
    ]);
    sim.run(50);
    expect(sim.answering('198.51.100.1')).toEqual(['node-0']);
    expect(sim.frames.some((f) => f.node === 'node-0' && f.kind === 'announcement')).toBe(true);
  });
});

describe('starting up', () => {
  test('nobody answers anything until the mesh has settled', () => {
    const sim = new SimCluster(NODES);
    sim.start(everywhere(NODES, 30));
    expect(ADDRESSES.flatMap((a) => sim.answering(a))).toEqual([]);
    sim.run(3 * sim.detectionMs);
    expectOneAnnouncerEach(sim);
  });

  test('a restarted speaker claims nothing on a partial view: never two answers for long', () => {
    const sim = settled();
    sim.node('node-1').dead = true;
    sim.run(2 * sim.detectionMs);
    expectOneAnnouncerEach(sim);
    sim.restart('node-1');
    let overlapSteps = 0;
    let maxAnswering = 0;
    sim.run(3 * sim.detectionMs, () => {
      for (const a of ADDRESSES) {
        const n = sim.answering(a).length;
        maxAnswering = Math.max(maxAnswering, n);
        if (n > 1) overlapSteps++;
      }
    });
    // The joiner takes its addresses back the moment its ready heartbeat lands: the old owner releases one
    // network latency later. Overlaps last at most one simulation step per address.
    expect(maxAnswering).toBeLessThanOrEqual(2);
    expect(overlapSteps).toBeLessThanOrEqual(ADDRESSES.length);
    expectOneAnnouncerEach(sim);
  });

  test('a node whose Kubernetes view is not synchronised is never chosen', () => {
    const sim = settled();
    const n = sim.node('node-0');
    n.engine.setAssignments(everywhere(NODES, 30)('node-0'), false, sim.now);
    sim.run(2 * sim.intervalMs);
    const owner = expectOneAnnouncerEach(sim);
    expect([...owner.values()]).not.toContain('node-0');
    expect(n.engine.status().notReady).toEqual(['the Kubernetes view is not synchronised yet']);
  });
});

describe('failover', () => {
  test('a killed announcer is replaced within one Detection Time, and the new one announces at once', () => {
    const sim = settled();
    const owner = expectOneAnnouncerEach(sim);
    const victim = owner.get('198.51.100.1')!;
    const killedAt = sim.now;
    sim.node(victim).dead = true;
    let answeredAgainAt: number | undefined;
    sim.run(2 * sim.detectionMs, () => {
      if (answeredAgainAt === undefined && sim.answering('198.51.100.1').length === 1)
        answeredAgainAt = sim.now;
    });
    const gap = answeredAgainAt! - killedAt;
    expect(gap).toBeGreaterThan(sim.detectionMs - sim.intervalMs);
    expect(gap).toBeLessThanOrEqual(sim.detectionMs + sim.stepMs);
    const heir = sim.answering('198.51.100.1')[0]!;
    const garp = sim.frames.find((f) => f.node === heir && f.address === '198.51.100.1' && f.at >= killedAt);
    expect(garp?.at).toBe(answeredAgainAt);
    // Only the victim's addresses moved (rendezvous: everything else stays put).
    for (const [a, o] of owner) if (o !== victim) expect(sim.answering(a)).toEqual([o]);
    expectOneAnnouncerEach(sim);
  });

  test('a clean leave hands over at once: every address stays answered, the heirs announce', () => {
    const sim = settled();
    const owner = expectOneAnnouncerEach(sim);
    const leaver = owner.get('198.51.100.1')!;
    const n = sim.node(leaver);
    const leftAt = sim.now;
    sim.log.push({ at: sim.now, node: leaver, output: n.engine.leave(sim.now) });
    for (const d of n.engine.leave(sim.now).datagrams) {
      const to = [...sim.nodes.values()].find((m) => m.address === d.address)!;
      to.inbox.push({ at: sim.now + sim.latencyMs, data: d.data });
    }
    let gaps = 0;
    sim.run(sim.intervalMs * 2, () => {
      for (const a of ADDRESSES) if (sim.answering(a).length === 0) gaps++;
    });
    expect(gaps).toBe(0);
    expect(n.engine.handedOver()).toBe(true);
    const heirGarp = sim.frames.find(
      (f) => f.address === '198.51.100.1' && f.node !== leaver && f.at >= leftAt,
    );
    expect(heirGarp!.at - leftAt).toBeLessThan(sim.intervalMs);
    n.dead = true;
    expectOneAnnouncerEach(sim);
  });

  test('link down: the node steps back at once, the others take over after a Detection Time; link up: it resyncs first', () => {
    const sim = settled();
    const owner = expectOneAnnouncerEach(sim);
    const victim = owner.get('198.51.100.1')!;
    sim.linkDown(victim);
    expect(sim.node(victim).engine.announcing()).toEqual([]);
    expect(sim.node(victim).engine.status().notReady).toContain('interface eth0 is down');
    sim.run(sim.detectionMs + 2 * sim.stepMs);
    expectOneAnnouncerEach(sim);
    sim.linkUp(victim);
    // Back up: it answers nothing until it has heard its peers again, then takes its own addresses back.
    expect(sim.node(victim).engine.announcing()).toEqual([]);
    sim.run(2 * sim.detectionMs);
    expect(expectOneAnnouncerEach(sim)).toEqual(owner);
  });

  test('an event-loop stall longer than the Detection Time does not condemn live peers', () => {
    const sim = settled();
    const n = sim.node('node-1');
    n.stalledUntil = sim.now + 2 * sim.detectionMs;
    sim.run(2 * sim.detectionMs + 4 * sim.intervalMs);
    const deaths = sim.log.filter(
      (l) => l.node === 'node-1' && l.output.peerChanges.some((c) => c.state === 'dead'),
    );
    expect(deaths).toEqual([]);
  });
});

describe('what an attacker can send', () => {
  test('heartbeats under another key change nothing', () => {
    const sim = settled();
    const before = expectOneAnnouncerEach(sim);
    const victim = before.get('198.51.100.1')!;
    sim.node(victim).dead = true;
    const forger = Buffer.from('not the key, but just as long...');
    for (let t = 0; t < 2 * sim.detectionMs; t += sim.intervalMs)
      for (const to of NODES.filter((x) => x !== victim))
        sim.inject(
          to,
          encodeHeartbeat(
            {
              sender: victim,
              receiver: to,
              ready: true,
              leaving: false,
              incarnation: 1n << 60n,
              sequence: t + 1,
              echoIncarnation: sim.node(to).engine.mesh.incarnation,
              echoSequence: 1,
            },
            forger,
          ),
          t,
        );
    sim.run(2 * sim.detectionMs);
    expect(sim.answering('198.51.100.1')).not.toContain(victim);
    expect(sim.answering('198.51.100.1').length).toBe(1);
  });

  test("recorded heartbeats replayed after a node died keep it alive no longer than their echoes' age allows", () => {
    const sim = settled();
    const owner = expectOneAnnouncerEach(sim);
    const victim = owner.get('198.51.100.1')!;
    // Record everything the victim sends during the last Detection Time before it dies …
    const recorded: Array<{ to: string; data: Buffer }> = [];
    const peers = NODES.filter((x) => x !== victim);
    sim.run(sim.detectionMs, () => {
      for (const p of peers) for (const m of sim.node(p).inbox) recorded.push({ to: p, data: m.data });
    });
    sim.node(victim).dead = true;
    const diedAt = sim.now;
    // … and replay all of it, again and again, for two Detection Times.
    for (let t = 0; t < 2 * sim.detectionMs; t += 50) for (const r of recorded) sim.inject(r.to, r.data, t);
    let takenOverAt: number | undefined;
    sim.run(3 * sim.detectionMs, () => {
      const a = sim.answering('198.51.100.1');
      if (takenOverAt === undefined && a.length === 1 && a[0] !== victim) takenOverAt = sim.now;
    });
    // Duplicates are refused (sequence numbers), so the replay buys nothing beyond the Detection Time.
    expect(takenOverAt! - diedAt).toBeLessThanOrEqual(sim.detectionMs + sim.stepMs);
  });

  test('replays to a restarted speaker fail the echo check: the dead node stays dead', () => {
    const sim = settled();
    const victim = 'node-0';
    const recorded: Array<{ to: string; data: Buffer }> = [];
    sim.run(sim.detectionMs, () => {
      for (const m of sim.node('node-1').inbox) recorded.push({ to: 'node-1', data: m.data });
    });
    sim.node(victim).dead = true;
    sim.restart('node-1');
    for (let t = 0; t < 3 * sim.detectionMs; t += 20) for (const r of recorded) sim.inject(r.to, r.data, t);
    sim.run(3 * sim.detectionMs);
    const peer = sim
      .node('node-1')
      .engine.status()
      .peers.find((p) => p.node === victim);
    expect(peer?.state).toBe('unknown');
  });

  test('a flood from strangers leaves memory bounded: peers stay the members', () => {
    const sim = settled();
    for (let i = 0; i < 5000; i++)
      sim.inject(
        'node-0',
        encodeHeartbeat(
          {
            sender: `stranger-${i}`,
            receiver: 'node-0',
            ready: true,
            leaving: false,
            incarnation: BigInt(i + 1),
            sequence: 1,
            echoIncarnation: 0n,
            echoSequence: 0,
          },
          KEY,
        ),
      );
    sim.run(50);
    expect(
      sim
        .node('node-0')
        .engine.status()
        .peers.map((p) => p.node)
        .sort(),
    ).toEqual(['node-1', 'node-2']);
  });
});

describe('IPv6 takeover', () => {
  test('the heir sends an unsolicited NA with Override to all nodes', () => {
    const sim = new SimCluster(NODES);
    sim.start(everywhere(NODES, 3, true));
    sim.run(3 * sim.detectionMs);
    const victim = sim.answering('2001:db8:100::1')[0]!;
    sim.node(victim).dead = true;
    const at = sim.now;
    sim.run(2 * sim.detectionMs);
    const na = sim.frames.find((f) => f.at > at && f.address === '2001:db8:100::1')!;
    const d = decodeNeighborFrame(na.frame);
    expect(d.ok && [d.message.type, d.message.override, d.message.solicited]).toEqual([
      'advertisement',
      true,
      false,
    ]);
    expect(formatMac(na.frame.subarray(0, 6))).toBe('33:33:00:00:00:01');
  });
});
