import { setup } from './testing/runtime-harness.ts';

describe('SpeakerRuntime', () => {
  it('announces to every session and withdraws when the Service goes', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1, b: 2 }));
    t.addService('s1', '198.51.100.1');
    t.rt.start();
    expect(t.opened.map((s) => [s.peer, s.log])).toEqual([
      ['a', ['+198.51.100.1/32']],
      ['b', ['+198.51.100.1/32']],
    ]);
    t.services.delete('ns/s1');
    t.rt.serviceChanged('ns/s1');
    t.rt.reconcile();
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32', '-198.51.100.1/32']);
  });

  it('startPeering opens the sessions and announces nothing; start hands over the table, then End-of-RIB', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1, b: 2 }));
    t.addService('s1', '198.51.100.1');
    t.rt.startPeering();
    expect(t.opened.map((s) => [s.peer, s.log, s.tableLoadedAfter])).toEqual([
      ['a', [], undefined],
      ['b', [], undefined],
    ]);
    expect(t.rt.ready).toBe(false);
    // Services keep arriving while the lists load: still nothing decided, nothing sent.
    t.addService('s2', '198.51.100.2');
    t.rt.reconcile();
    expect(t.opened[0]!.log).toEqual([]);
    t.rt.start();
    expect(t.rt.ready).toBe(true);
    expect(t.opened).toHaveLength(2); // the sessions opened while peering are kept, not reopened
    for (const s of t.opened) {
      expect(s.log).toEqual(['+198.51.100.1/32', '+198.51.100.2/32']);
      expect(s.tableLoadedAfter).toBe(2);
    }
  });

  it('a session opened after start has its End-of-RIB after its whole table', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', '198.51.100.1');
    t.rt.start();
    t.setConfig(t.valid({ a: 1, b: 2 }));
    t.rt.reconcile();
    expect(t.opened.map((s) => [s.peer, s.log, s.tableLoadedAfter])).toEqual([
      ['a', ['+198.51.100.1/32'], 1],
      ['b', ['+198.51.100.1/32'], 1],
    ]);
  });

  it('a full resync (relist, node update) sends nothing when nothing changed', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', '198.51.100.1');
    t.addService('s2', '198.51.100.2');
    t.rt.start();
    const before = [...t.opened[0]!.log];
    for (const k of ['ns/s1', 'ns/s2']) t.rt.serviceChanged(k);
    t.setNode({ metadata: { name: 'n1', labels: { any: 'thing' } } });
    t.rt.reconcile();
    expect(t.opened[0]!.log).toEqual(before);
    expect(t.opened).toHaveLength(1);
  });

  it('a config change to one peer restarts only that session', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1, b: 2 }));
    t.addService('s1', '198.51.100.1');
    t.rt.start();
    t.setConfig(t.valid({ a: 1, b: 3 }));
    t.rt.reconcile();
    expect(t.opened.map((s) => [s.peer, s.stopped])).toEqual([
      ['a', undefined],
      ['b', 'reconfigure'],
      ['b', undefined],
    ]);
    // The new session gets the full table; the kept one is not re-sent anything.
    expect(t.opened[2]!.log).toEqual(['+198.51.100.1/32']);
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32']);
  });

  it('a changed password (a Secret) restarts only its session, and is not a config load', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1, b: 2 }));
    t.addService('s1', '198.51.100.1');
    t.rt.start();
    const loadedAt = t.rt.configStatus.loadedAt;
    t.setPasswords(t.valid({ a: 1, b: 20 }));
    t.rt.reconcile();
    expect(t.opened.map((s) => [s.peer, s.stopped])).toEqual([
      ['a', undefined],
      ['b', 'reconfigure'],
      ['b', undefined],
    ]);
    expect(t.opened[2]!.log).toEqual(['+198.51.100.1/32']);
    expect(t.rt.configStatus.loadedAt).toBe(loadedAt);
    // While the ConfigMap is invalid, the last good config stays as it is.
    t.setConfig({ kind: 'invalid', errors: ['x: y'] });
    t.rt.reconcile();
    t.setPasswords({ kind: 'invalid', errors: ['x: y'] });
    t.rt.reconcile();
    expect(t.opened).toHaveLength(3);
  });

  it('keeps the last good config when the new one is invalid or missing', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', '198.51.100.1');
    t.rt.start();
    t.setConfig({ kind: 'invalid', errors: ['peers[0].peerASN: must be 1..4294967295'] });
    t.rt.reconcile();
    expect(t.rt.configStatus).toMatchObject({
      stale: true,
      errors: ['peers[0].peerASN: must be 1..4294967295'],
    });
    t.setConfig({ kind: 'missing' });
    t.rt.reconcile();
    expect(t.opened).toHaveLength(1);
    expect(t.opened[0]!.stopped).toBeUndefined();
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32']);
    t.setConfig(t.valid({ a: 1 }));
    t.rt.reconcile();
    expect(t.rt.configStatus.stale).toBe(false);
  });

  it('withdraws everything when the node becomes excluded, keeping the session', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', '198.51.100.1');
    t.rt.start();
    t.setNode({
      metadata: { name: 'n1', labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' } },
    });
    t.rt.reconcile();
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32', '-198.51.100.1/32']);
    expect(t.opened[0]!.stopped).toBeUndefined();
  });

  it('moves a Local Service when its endpoint moves between slices', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', '198.51.100.1', 'n1');
    const svc = t.services.get('ns/s1')!;
    t.services.set('ns/s1', { ...svc, spec: { ...svc.spec, externalTrafficPolicy: 'Local' } });
    t.rt.start();
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32']);
    t.addService('s1', '198.51.100.1', 'n2');
    t.services.set('ns/s1', { ...svc, spec: { ...svc.spec, externalTrafficPolicy: 'Local' } });
    t.rt.reconcile();
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32', '-198.51.100.1/32']);
  });
});
