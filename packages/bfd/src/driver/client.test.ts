import { describe, expect, test } from '@jest/globals';
import { FAST } from '../testing.ts';
import { type BfdLogLine, BfdService, type BfdStateChange } from './client.ts';
import { ManualScheduler, MemoryNetwork } from './testing.ts';

const A = '2001:db8:1::11';
const B = '2001:db8:1::1';

/** Lets the engine's queued events (microtasks) reach the service. */
const settle = () => new Promise((r) => setImmediate(r));

describe('BfdService inline', () => {
  test('reports state changes, serves snapshots and waits for the peer to acknowledge AdminDown', async () => {
    const clock = new ManualScheduler();
    const net = new MemoryNetwork(clock);
    const a = new BfdService({ isolation: 'inline', transport: net.transport(A), scheduler: clock });
    const b = new BfdService({ isolation: 'inline', transport: net.transport(B), scheduler: clock });
    const changes: BfdStateChange[] = [];
    a.on('stateChange', (c) => changes.push(c));
    a.add({ id: 'router', peerAddress: B, multihop: false, parameters: FAST });
    b.add({ id: 'node', peerAddress: A, multihop: false, parameters: FAST });
    clock.advance(3000);
    await settle();
    expect(changes.map((c) => c.to)).toEqual(['Init', 'Up']);
    expect(a.snapshot().sessions).toEqual([expect.objectContaining({ id: 'router', state: 'Up' })]);

    let acknowledged = false;
    const down = a.adminDown().then(() => {
      acknowledged = true;
    });
    await settle();
    expect(acknowledged).toBe(false);
    clock.advance(1);
    await down;
    expect(acknowledged).toBe(true);
    expect((await b.refresh()).sessions[0]).toMatchObject({ state: 'Down', remoteState: 'AdminDown' });
    await a.close();
    await b.close();
  });
});

describe('BfdService in a worker_thread', () => {
  test('starts the engine in its own thread and answers requests across it', async () => {
    const service = new BfdService({
      isolation: 'worker',
      udp: { module: new URL('./testing-udp.ts', import.meta.url).href },
      snapshotIntervalMs: 50,
    });
    const logs: BfdLogLine[] = [];
    service.on('log', (l) => logs.push(l));
    // A multihop session without a local address is refused before any socket is opened.
    service.add({ id: 'mh', peerAddress: '198.51.100.1', multihop: true, parameters: FAST });
    await service.adminDown();
    const snapshot = await service.refresh();
    expect(snapshot.sessions).toEqual([]);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', msg: 'BFD session refused' }));
    // Periodic snapshots keep arriving on their own.
    const next = await new Promise<number>((resolve) => service.once('snapshot', (s) => resolve(s.at)));
    expect(next).toBeGreaterThanOrEqual(snapshot.at);
    await service.close();
    // Closed: further requests resolve at once instead of hanging.
    await service.adminDown();
  });
});
