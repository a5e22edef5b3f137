import { PortTable, servicePorts } from './ports.ts';

const tcp80 = servicePorts([{ port: 80 }]);

describe('PortTable', () => {
  test('a port on a node belongs to one Service; others see who holds it', () => {
    const t = new PortTable();
    expect(t.conflicts('a', ['n0', 'n1'], tcp80)).toEqual([]);
    t.hold('a', ['n0', 'n1'], tcp80);
    expect(t.conflicts('a', ['n0'], tcp80)).toEqual([]);
    expect(t.conflicts('b', ['n1', 'n2'], tcp80)).toEqual([
      { node: 'n1', protocol: 'TCP', port: 80, holder: 'a' },
    ]);
    expect(t.conflicts('b', ['n1'], servicePorts([{ port: 80, protocol: 'UDP' }, { port: 443 }]))).toEqual(
      [],
    );
  });

  test('hold takes only free ports, replaces what the Service held and says when something was released', () => {
    const t = new PortTable();
    t.hold('a', ['n0', 'n1'], tcp80);
    expect(t.hold('b', ['n1', 'n2'], tcp80)).toBe(false);
    expect(t.nodesOf('b')).toEqual(new Set(['n2']));
    expect(t.hold('a', ['n0'], tcp80)).toBe(true);
    expect(t.conflicts('b', ['n1'], tcp80)).toEqual([]);
    expect(t.release('a')).toBe(true);
    expect(t.release('a')).toBe(false);
    expect(t.size).toBe(1);
  });

  test('servicePorts: protocol defaults to TCP, duplicates once', () => {
    expect(
      servicePorts([{ port: 80 }, { port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }]),
    ).toEqual([
      { protocol: 'TCP', port: 80 },
      { protocol: 'UDP', port: 53 },
    ]);
  });
});
