// The runtime's traffic rules end to end over fake sessions and a fake clock: weights and their hold-down,
// RFC 8326 drains before planned withdrawals, immediate unplanned ones, the drain on a withdraw-mode stop.
import { type Clock, FakeClock } from '@herald/kube';
import type { EndpointSnapshot } from './announce/model.ts';
import { setup } from './testing/runtime-harness.ts';

const IP = '198.51.100.1';
const PREFIX = `${IP}/32`;
const local = { externalTrafficPolicy: 'Local' };
const eps = (
  n: number,
  cond: EndpointSnapshot['conditions'] = { ready: true },
  node = 'n1',
): EndpointSnapshot[] =>
  Array.from({ length: n }, (_, i) => ({ addresses: [`10.0.0.${i + 1}`], nodeName: node, conditions: cond }));
const terminating = { ready: false, serving: true, terminating: true };

function weighted(holdMs = 10_000) {
  const clock = new FakeClock();
  const t = setup({ clock, advertisement: { weighting: true, weightHoldDownMs: holdMs } });
  t.setConfig(t.valid({ a: 1 }));
  t.addService('s1', IP, 'n1', local);
  t.rt.start();
  const session = t.opened[0]!;
  const weights = () => session.announced.map((r) => r.attributes.weight);
  return { ...t, clock, session, weights };
}

describe('weighted ECMP: the weight and its hold-down', () => {
  it('a new route goes out with its weight at once; a change waits for the end of the hold-down, once', () => {
    const t = weighted();
    expect(t.weights()).toEqual([1]);
    t.setEndpoints('s1', eps(2));
    t.rt.reconcile();
    t.clock.advance(3_000);
    t.setEndpoints('s1', eps(4));
    t.rt.reconcile();
    t.clock.advance(3_000);
    t.setEndpoints('s1', eps(3));
    t.rt.reconcile();
    expect(t.weights()).toEqual([1]); // three changes inside the window: nothing on the wire yet
    t.clock.advance(4_000); // the window opened by the first change ends: its timer marks the Service dirty
    t.rt.reconcile();
    expect(t.weights()).toEqual([1, 3]); // one UPDATE, with the count of that moment
    expect(t.clock.pending).toEqual([]);
  });

  it('a timer that fires before the window ends (the event loop runs timers on a stale clock) is re-armed, not lost', () => {
    // Node schedules timers on the loop's cached time, which lags Date.now() by the synchronous work done
    // before setTimeout: the timer can fire a few ms before the deadline. If the reconcile it triggers then runs
    // at or after the deadline, the window must still be acted on (seen in the lab: weights stuck for 90 s).
    const inner = new FakeClock();
    const early = 5;
    const clock: Clock = {
      now: () => inner.now(),
      setTimeout: (fn, ms) => inner.setTimeout(fn, Math.max(0, ms - early)),
      clearTimeout: (h) => inner.clearTimeout(h),
    };
    const t = setup({ clock, advertisement: { weighting: true, weightHoldDownMs: 10_000 } });
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', IP, 'n1', local);
    t.rt.start();
    const session = t.opened[0]!;
    const weights = () => session.announced.map((r) => r.attributes.weight);
    t.setEndpoints('s1', eps(2));
    t.rt.reconcile(); // opens the window [0, 10 000)
    inner.advance(10_000 - early); // the timer fires early: nothing is due yet
    inner.advance(early); // the reconcile it scheduled runs at the deadline
    t.rt.reconcile();
    expect(weights()).toEqual([1]);
    inner.advance(0); // the re-armed timer
    t.rt.reconcile();
    expect(weights()).toEqual([1, 2]);
    expect(inner.pending).toEqual([]);
  });

  it('churn that comes back to the weight on the wire sends nothing', () => {
    const t = weighted();
    t.setEndpoints('s1', eps(3));
    t.rt.reconcile();
    t.setEndpoints('s1', eps(1));
    t.rt.reconcile();
    t.clock.advance(20_000);
    t.rt.reconcile();
    expect(t.weights()).toEqual([1]);
    expect(t.session.log).toEqual([`+${PREFIX}`]);
  });

  it('weightHoldDown 0s sends every change; only terminating endpoints left count as the weight', () => {
    const t = weighted(0);
    t.setEndpoints('s1', eps(2));
    t.rt.reconcile();
    t.setEndpoints('s1', [...eps(2, terminating), ...eps(1)]);
    t.rt.reconcile();
    expect(t.weights()).toEqual([1, 2, 1]);
  });

  it('Cluster Services weigh 1 from every node, however many endpoints; no weighting, no community', () => {
    const clock = new FakeClock();
    const t = setup({ clock, advertisement: { weighting: true } });
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', IP, 'n2');
    t.rt.start();
    t.setEndpoints('s1', eps(5, { ready: true }, 'n2'));
    t.rt.reconcile();
    expect(t.opened[0]!.announced.map((r) => r.attributes.weight)).toEqual([1]);
    const plain = setup();
    plain.setConfig(plain.valid({ a: 1 }));
    plain.addService('s1', IP, 'n1', local);
    plain.rt.start();
    expect(plain.opened[0]!.announced[0]!.attributes).not.toHaveProperty('weight');
  });
});

function draining(cordonedNodes = false) {
  const clock = new FakeClock();
  const t = setup({ clock, advertisement: { drainMs: 30_000, withdrawFromCordonedNodes: cordonedNodes } });
  t.setConfig(t.valid({ a: 1 }));
  t.addService('s1', IP, 'n1', local);
  t.rt.start();
  const session = t.opened[0]!;
  /** "+" normal, "+gshut" draining announce, "-" withdraw. */
  const wire = () => {
    let i = 0;
    return session.log.map((l) =>
      l.startsWith('+') && session.announced[i++]?.attributes.gracefulShutdown ? '+gshut' : l[0]!,
    );
  };
  return { ...t, clock, session, wire };
}

describe('graceful drain (RFC 8326)', () => {
  it('a deleted Service is re-announced with GRACEFUL_SHUTDOWN, then withdrawn after drainTime', () => {
    const t = draining();
    t.services.delete('ns/s1');
    t.rt.serviceChanged('ns/s1');
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut']);
    expect(t.session.announced[1]!.drain).toEqual({
      since: t.clock.now(),
      withdrawAt: t.clock.now() + 30_000,
    });
    expect(t.rt.drainingCounts()).toEqual([{ peer: 'a', count: 1 }]);
    t.clock.advance(29_999);
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut']);
    t.clock.advance(1);
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut', '-']);
    expect(t.rt.drainingCounts()).toEqual([{ peer: 'a', count: 0 }]);
  });

  it('a changed IP drains the old prefix while the new one is announced', () => {
    const t = draining();
    const svc = t.services.get('ns/s1')!;
    t.services.set('ns/s1', { ...svc, status: { loadBalancer: { ingress: [{ ip: '198.51.100.2' }] } } });
    t.rt.serviceChanged('ns/s1');
    t.rt.reconcile();
    expect(t.session.announced.map((r) => [r.prefix, r.attributes.gracefulShutdown ?? false])).toEqual([
      [PREFIX, false],
      [PREFIX, true],
      ['198.51.100.2/32', false],
    ]);
    t.clock.advance(30_000);
    t.rt.reconcile();
    expect(t.session.log.at(-1)).toBe(`-${PREFIX}`);
  });

  it('the last local endpoint terminating drains; a new ready Pod ends the drain; nothing serving withdraws at once', () => {
    const t = draining();
    t.setEndpoints('s1', eps(1, terminating));
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut']);
    t.setEndpoints('s1', [
      ...eps(1, terminating),
      { addresses: ['10.0.0.9'], nodeName: 'n1', conditions: { ready: true } },
    ]);
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut', '+']); // back to normal: GRACEFUL_SHUTDOWN gone
    t.setEndpoints('s1', eps(1, terminating));
    t.rt.reconcile();
    t.setEndpoints('s1', []); // the Pod is gone before the drain ended: nothing can serve, withdraw now
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut', '+', '+gshut', '-']);
    expect(t.clock.pending).toEqual([]);
  });

  it('a terminating Pod that outlives drainTime stays withdrawn until a ready one comes', () => {
    const t = draining();
    t.setEndpoints('s1', eps(1, terminating));
    t.rt.reconcile();
    t.clock.advance(30_000);
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut', '-']);
    t.rt.serviceChanged('ns/s1');
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut', '-']);
    t.setEndpoints('s1', eps(1));
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut', '-', '+']);
  });

  it('unplanned losses are not delayed: the endpoint stops being ready, the network is unavailable', () => {
    const t = draining();
    t.setEndpoints('s1', eps(1, { ready: false }));
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '-']);
    t.setEndpoints('s1', eps(1));
    t.rt.reconcile();
    t.setNode({
      metadata: { name: 'n1' },
      status: { conditions: [{ type: 'NetworkUnavailable', status: 'True' }] },
    });
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '-', '+', '-']);
  });

  it('cordonedNodes: withdraw — cordon drains, uncordon during the drain keeps the route', () => {
    const t = draining(true);
    t.setNode({ metadata: { name: 'n1' }, spec: { unschedulable: true } });
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut']);
    t.setNode({ metadata: { name: 'n1' }, spec: { unschedulable: false } });
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut', '+']);
    t.setNode({ metadata: { name: 'n1' }, spec: { unschedulable: true } });
    t.rt.reconcile();
    t.clock.advance(30_000);
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut', '+', '+gshut', '-']);
  });

  it('cordoning changes nothing by default; the exclusion label is a planned withdrawal', () => {
    const t = draining();
    t.setNode({ metadata: { name: 'n1' }, spec: { unschedulable: true } });
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+']);
    t.setNode({
      metadata: { name: 'n1', labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } },
    });
    t.rt.reconcile();
    expect(t.wire()).toEqual(['+', '+gshut']);
  });

  it('a drain whose timer fires early is still withdrawn when its time has come', () => {
    const inner = new FakeClock();
    const clock: Clock = {
      now: () => inner.now(),
      setTimeout: (fn, ms) => inner.setTimeout(fn, Math.max(0, ms - 5)),
      clearTimeout: (h) => inner.clearTimeout(h),
    };
    const t = setup({ clock, advertisement: { drainMs: 30_000 } });
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', IP, 'n1', local);
    t.rt.start();
    const session = t.opened[0]!;
    t.services.delete('ns/s1');
    t.rt.serviceChanged('ns/s1');
    t.rt.reconcile();
    expect(session.log).toEqual([`+${PREFIX}`, `+${PREFIX}`]);
    inner.advance(30_000 - 5);
    inner.advance(5);
    t.rt.reconcile();
    inner.advance(0);
    t.rt.reconcile();
    expect(session.log).toEqual([`+${PREFIX}`, `+${PREFIX}`, `-${PREFIX}`]);
  });

  it('drainTime 0s (the default) withdraws at once, as before', () => {
    const t = setup({ clock: new FakeClock() });
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', IP, 'n1', local);
    t.rt.start();
    t.setEndpoints('s1', eps(1, terminating));
    t.rt.reconcile();
    t.services.delete('ns/s1');
    t.rt.serviceChanged('ns/s1');
    t.rt.reconcile();
    expect(t.opened[0]!.log).toEqual([`+${PREFIX}`, `-${PREFIX}`]);
  });

  it('a withdraw-mode stop drains every route for drainTime, then closes the sessions', async () => {
    const t = draining();
    expect(t.rt.drainBudgetMs()).toBe(30_000);
    const stopped = t.rt.stop('withdraw');
    await Promise.resolve();
    expect(t.wire()).toEqual(['+', '+gshut']);
    expect(t.session.stopped).toBeUndefined();
    t.clock.advance(30_000);
    await stopped;
    expect(t.session.stopped).toBe('withdraw');
  });

  it('a graceful-restart stop does not drain', async () => {
    const t = draining();
    await t.rt.stop('graceful-restart');
    expect(t.wire()).toEqual(['+']);
    expect(t.session.stopped).toBe('graceful-restart');
  });
});

describe('per-Service attributes', () => {
  it('annotations add what the advertisement allows; the rest is not sent', () => {
    const t = setup({
      advertisement: {
        communities: ['64512:1'],
        serviceAttributes: {
          communities: [{ text: '64512:*', asn: 64512, value: undefined }],
          largeCommunities: [],
          localPref: undefined,
        },
      },
    });
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', IP, 'n2', {}, { 'herald.dev/bgp-communities': '64512:7, 65000:1' });
    t.rt.start();
    expect(t.opened[0]!.announced[0]!.attributes.communities).toEqual(['64512:1', '64512:7']);
  });
});
