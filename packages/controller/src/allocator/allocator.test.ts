import { type IpRange, parseAddressRange } from '@herald/inet';
import { prng } from '../testing/prng.ts';
import { Allocator } from './allocator.ts';
import type { AllocationRequest, AssignResult, PoolDefinition, ServiceAllocation, Sharing } from './types.ts';

function range(text: string): IpRange {
  const r = parseAddressRange(text);
  if (!r.ok) throw new Error(r.reason);
  return r.range;
}

function pool(name: string, addresses: string[], extra: Partial<PoolDefinition> = {}): PoolDefinition {
  return {
    name,
    addresses: addresses.map(range),
    autoAssign: true,
    avoidBuggyIPs: false,
    serviceAllocation: undefined,
    ...extra,
  };
}

function req(extra: Partial<AllocationRequest> = {}): AllocationRequest {
  return {
    namespace: 'default',
    labels: {},
    namespaceLabels: {},
    families: ['ipv4'],
    policy: 'SingleStack',
    ips: [],
    pool: undefined,
    sharing: null,
    ...extra,
  };
}

function ips(result: AssignResult): string[] {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.errors)}`);
  return result.assignment.ips.map((i) => i.address);
}

function causes(result: AssignResult): string[] {
  if (result.ok) throw new Error(`expected failure, got ${ips(result)}`);
  return result.errors.map((e) => e.cause);
}

const sa = (x: Partial<ServiceAllocation>): ServiceAllocation => ({
  priority: undefined,
  namespaces: [],
  namespaceSelectors: [],
  serviceSelectors: [],
  ...x,
});

const share = (key: string, ports: [string, number][], localSelector: string | null = null): Sharing => ({
  key,
  ports: ports.map(([protocol, port]) => ({ protocol, port })),
  localSelector,
});

describe('Allocator: automatic allocation', () => {
  it('gives the lowest free address and reuses a released one; nothing else moves', () => {
    const a = new Allocator([pool('p', ['198.51.100.0/29'])]);
    expect(ips(a.assign('ns/a', req()))).toEqual(['198.51.100.0']);
    expect(ips(a.assign('ns/b', req()))).toEqual(['198.51.100.1']);
    expect(ips(a.assign('ns/c', req()))).toEqual(['198.51.100.2']);
    a.release('ns/b');
    expect(a.assignmentOf('ns/a')!.ips[0]!.address).toBe('198.51.100.0');
    expect(a.assignmentOf('ns/c')!.ips[0]!.address).toBe('198.51.100.2');
    expect(ips(a.assign('ns/d', req()))).toEqual(['198.51.100.1']);
  });

  it('is idempotent: assigning again keeps the address and reports no change', () => {
    const a = new Allocator([pool('p', ['198.51.100.0/29'])]);
    a.assign('ns/a', req());
    const again = a.assign('ns/a', req());
    expect(again.ok && again.changed).toBe(false);
    expect(ips(again)).toEqual(['198.51.100.0']);
  });

  it('skips .0 and .255 with avoidBuggyIPs', () => {
    const a = new Allocator([pool('p', ['198.51.100.254-198.51.101.1'], { avoidBuggyIPs: true })]);
    expect(ips(a.assign('ns/a', req()))).toEqual(['198.51.100.254']);
    expect(ips(a.assign('ns/b', req()))).toEqual(['198.51.101.1']);
    expect(causes(a.assign('ns/c', req()))).toEqual(['PoolExhausted']);
    expect(causes(a.assign('ns/d', req({ ips: ['198.51.101.0'] })))).toEqual(['NotInAnyPool']);
  });

  it('uses pools in config order and moves on when one is exhausted', () => {
    const a = new Allocator([pool('first', ['198.51.100.10/31']), pool('second', ['198.51.100.0/31'])]);
    expect(ips(a.assign('ns/a', req()))).toEqual(['198.51.100.10']);
    expect(ips(a.assign('ns/b', req()))).toEqual(['198.51.100.11']);
    const c = a.assign('ns/c', req());
    expect(ips(c)).toEqual(['198.51.100.0']);
    expect(c.ok && c.assignment.ips[0]!.pool).toBe('second');
  });

  it('never auto-assigns from an autoAssign:false pool, but serves it on request', () => {
    const a = new Allocator([pool('manual', ['198.51.100.0/30'], { autoAssign: false })]);
    const r = a.assign('ns/a', req());
    expect(causes(r)).toEqual(['AutoAssignDisabled']);
    expect(!r.ok && r.errors[0]!.message).toContain('"manual"');
    expect(ips(a.assign('ns/a', req({ pool: 'manual' })))).toEqual(['198.51.100.0']);
    expect(ips(a.assign('ns/b', req({ ips: ['198.51.100.3'] })))).toEqual(['198.51.100.3']);
  });

  it('chooses by serviceAllocation: matching, then priority, then config order', () => {
    const a = new Allocator([
      pool('general', ['198.51.100.0/30']),
      pool('team-low', ['198.51.100.8/30'], {
        serviceAllocation: sa({ namespaces: ['team'], priority: 20 }),
      }),
      pool('team-high', ['198.51.100.16/30'], {
        serviceAllocation: sa({ namespaces: ['team'], priority: 10 }),
      }),
      pool('labelled', ['198.51.100.24/30'], {
        serviceAllocation: sa({
          serviceSelectors: [{ matchLabels: { tier: 'edge' }, matchExpressions: [] }],
        }),
      }),
      pool('ns-selected', ['198.51.100.32/30'], {
        serviceAllocation: sa({
          namespaceSelectors: [
            { matchLabels: {}, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
          ],
        }),
      }),
    ]);
    expect(ips(a.assign('team/a', req({ namespace: 'team' })))).toEqual(['198.51.100.16']);
    expect(ips(a.assign('other/a', req({ namespace: 'other' })))).toEqual(['198.51.100.0']);
    expect(ips(a.assign('other/b', req({ namespace: 'other', labels: { tier: 'edge' } })))).toEqual([
      '198.51.100.24',
    ]);
    expect(ips(a.assign('prod/a', req({ namespace: 'prod', namespaceLabels: { env: 'prod' } })))).toEqual([
      '198.51.100.32',
    ]);
    // A restricted pool refuses an outsider even when asked by name or by address.
    expect(causes(a.assign('other/c', req({ namespace: 'other', pool: 'team-high' })))).toEqual([
      'PoolNotAllowed',
    ]);
    expect(causes(a.assign('other/c', req({ namespace: 'other', ips: ['198.51.100.17'] })))).toEqual([
      'PoolNotAllowed',
    ]);
  });

  it('reports NoPoolMatches when no pool serves the Service or the family', () => {
    const a = new Allocator([
      pool('team', ['198.51.100.0/30'], { serviceAllocation: sa({ namespaces: ['team'] }) }),
    ]);
    expect(causes(a.assign('x/a', req({ namespace: 'x' })))).toEqual(['NoPoolMatches']);
    expect(causes(a.assign('team/a', req({ namespace: 'team', families: ['ipv6'] })))).toEqual([
      'NoPoolMatches',
    ]);
  });

  it('reports PoolExhausted and leaves the failed Service without addresses', () => {
    const a = new Allocator([pool('p', ['198.51.100.0/31'])]);
    a.assign('ns/a', req());
    a.assign('ns/b', req());
    const r = a.assign('ns/c', req());
    expect(causes(r)).toEqual(['PoolExhausted']);
    expect(!r.ok && r.kept).toBeNull();
    expect(a.assignmentOf('ns/c')).toBeNull();
  });
});

describe('Allocator: requests', () => {
  const pools = [
    pool('v4', ['198.51.100.0/24']),
    pool('v6', ['2001:db8:100::/64']),
    pool('other', ['203.0.113.0/28'], { autoAssign: false }),
  ];

  it('honours a requested address and a requested pool', () => {
    const a = new Allocator(pools);
    expect(ips(a.assign('ns/a', req({ ips: ['198.51.100.77'] })))).toEqual(['198.51.100.77']);
    expect(ips(a.assign('ns/b', req({ pool: 'other' })))).toEqual(['203.0.113.0']);
    expect(ips(a.assign('ns/c', req({ pool: 'other', ips: ['203.0.113.9'] })))).toEqual(['203.0.113.9']);
  });

  it('names every bad-input cause', () => {
    const a = new Allocator(pools);
    a.assign('ns/owner', req({ ips: ['198.51.100.5'] }));
    expect(causes(a.assign('ns/x', req({ ips: ['198.51.100.300'] })))).toEqual(['MalformedIP']);
    expect(causes(a.assign('ns/x', req({ ips: ['192.168.0.1'] })))).toEqual(['NotInAnyPool']);
    expect(causes(a.assign('ns/x', req({ pool: 'nope' })))).toEqual(['UnknownPool']);
    expect(causes(a.assign('ns/x', req({ ips: ['2001:db8:100::5'] })))).toEqual(['FamilyMismatch']);
    expect(causes(a.assign('ns/x', req({ ips: ['198.51.100.6', '198.51.100.7'] })))).toEqual([
      'FamilyMismatch',
    ]);
    expect(causes(a.assign('ns/x', req({ pool: 'v6' })))).toEqual(['FamilyMismatch']);
    expect(causes(a.assign('ns/x', req({ pool: 'other', ips: ['198.51.100.8'] })))).toEqual([
      'ConflictingRequest',
    ]);
    const inUse = a.assign('ns/x', req({ ips: ['198.51.100.5'] }));
    expect(causes(inUse)).toEqual(['IPInUse']);
    expect(!inUse.ok && inUse.errors[0]!.message).toContain('ns/owner');
  });

  it('never changes an existing assignment because of a bad request', () => {
    const a = new Allocator(pools);
    expect(ips(a.assign('ns/a', req()))).toEqual(['198.51.100.0']);
    a.assign('ns/b', req({ ips: ['198.51.100.9'] }));
    for (const bad of [
      req({ ips: ['garbage'] }),
      req({ ips: ['192.168.0.1'] }),
      req({ pool: 'nope' }),
      req({ ips: ['198.51.100.9'] }),
      req({ ips: ['2001:db8:100::1'] }),
    ]) {
      const r = a.assign('ns/a', bad);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.kept?.ips.map((i) => i.address)).toEqual(['198.51.100.0']);
      expect(a.assignmentOf('ns/a')!.ips[0]!.address).toBe('198.51.100.0');
    }
  });

  it('moves to a newly requested address or pool when the request can be met', () => {
    const a = new Allocator(pools);
    a.assign('ns/a', req());
    const moved = a.assign('ns/a', req({ ips: ['198.51.100.50'] }));
    expect(ips(moved)).toEqual(['198.51.100.50']);
    expect(moved.ok && moved.changed).toBe(true);
    expect(a.holdersOf('198.51.100.0')).toEqual([]);
    expect(ips(a.assign('ns/a', req({ pool: 'other' })))).toEqual(['203.0.113.0']);
  });
});

describe('Allocator: dual-stack', () => {
  const pools = [pool('v4', ['198.51.100.0/24']), pool('v6', ['2001:db8:100::/64'])];

  it('gives one address per family, primary first', () => {
    const a = new Allocator(pools);
    expect(ips(a.assign('ns/a', req({ families: ['ipv6', 'ipv4'], policy: 'RequireDualStack' })))).toEqual([
      '2001:db8:100::',
      '198.51.100.0',
    ]);
    expect(ips(a.assign('ns/b', req({ families: ['ipv4', 'ipv6'], policy: 'PreferDualStack' })))).toEqual([
      '198.51.100.1',
      '2001:db8:100::1',
    ]);
    expect(ips(a.assign('ns/c', req({ families: ['ipv6', 'ipv4'], policy: 'SingleStack' })))).toEqual([
      '2001:db8:100::2',
    ]);
  });

  it('PreferDualStack settles for one family; RequireDualStack does not', () => {
    const a = new Allocator([pool('v4', ['198.51.100.0/24'])]);
    const prefer = a.assign('ns/a', req({ families: ['ipv4', 'ipv6'], policy: 'PreferDualStack' }));
    expect(ips(prefer)).toEqual(['198.51.100.0']);
    expect(prefer.ok && prefer.partial.map((e) => e.cause)).toEqual(['NoPoolMatches']);
    expect(causes(a.assign('ns/b', req({ families: ['ipv4', 'ipv6'], policy: 'RequireDualStack' })))).toEqual(
      ['NoPoolMatches'],
    );
    // The failed RequireDualStack attempt returned the IPv4 address it had tentatively taken.
    expect(ips(a.assign('ns/c', req()))).toEqual(['198.51.100.1']);
  });

  it('requested addresses: one per family; RequireDualStack needs both', () => {
    const a = new Allocator(pools);
    expect(
      ips(
        a.assign(
          'ns/a',
          req({
            families: ['ipv4', 'ipv6'],
            policy: 'RequireDualStack',
            ips: ['2001:db8:100::9', '198.51.100.9'],
          }),
        ),
      ),
    ).toEqual(['198.51.100.9', '2001:db8:100::9']);
    expect(
      causes(
        a.assign(
          'ns/b',
          req({ families: ['ipv4', 'ipv6'], policy: 'RequireDualStack', ips: ['198.51.100.10'] }),
        ),
      ),
    ).toEqual(['FamilyMismatch']);
  });

  it('keeps the existing family when a Service becomes dual-stack', () => {
    const a = new Allocator(pools);
    a.assign('ns/x', req());
    expect(ips(a.assign('ns/a', req()))).toEqual(['198.51.100.1']);
    a.release('ns/x');
    expect(ips(a.assign('ns/a', req({ families: ['ipv4', 'ipv6'], policy: 'RequireDualStack' })))).toEqual([
      '198.51.100.1',
      '2001:db8:100::',
    ]);
    expect(ips(a.assign('ns/a', req()))).toEqual(['198.51.100.1']);
    expect(a.holdersOf('2001:db8:100::')).toEqual([]);
  });
});

describe('Allocator: sharing', () => {
  const pools = [pool('p', ['198.51.100.0/29'])];

  it('shares with the same key and disjoint ports, and auto-joins the shared address', () => {
    const a = new Allocator(pools);
    expect(ips(a.assign('ns/dns-tcp', req({ sharing: share('dns', [['TCP', 53]]) })))).toEqual([
      '198.51.100.0',
    ]);
    expect(ips(a.assign('ns/dns-udp', req({ sharing: share('dns', [['UDP', 53]]) })))).toEqual([
      '198.51.100.0',
    ]);
    expect(
      ips(a.assign('ns/web', req({ ips: ['198.51.100.0'], sharing: share('dns', [['TCP', 80]]) }))),
    ).toEqual(['198.51.100.0']);
    expect(a.holdersOf('198.51.100.0').sort()).toEqual(['ns/dns-tcp', 'ns/dns-udp', 'ns/web']);
    // Releasing one sharer leaves the address held.
    a.release('ns/dns-tcp');
    expect(ips(a.assign('ns/next', req()))).toEqual(['198.51.100.1']);
  });

  it('refuses overlapping ports, a different key, no key, or different Local selectors', () => {
    const a = new Allocator(pools);
    a.assign('ns/a', req({ ips: ['198.51.100.3'], sharing: share('k', [['TCP', 80]]) }));
    expect(
      causes(a.assign('ns/b', req({ ips: ['198.51.100.3'], sharing: share('k', [['TCP', 80]]) }))),
    ).toEqual(['IPInUse']);
    expect(
      causes(a.assign('ns/b', req({ ips: ['198.51.100.3'], sharing: share('other', [['TCP', 81]]) }))),
    ).toEqual(['IPInUse']);
    expect(causes(a.assign('ns/b', req({ ips: ['198.51.100.3'] })))).toEqual(['IPInUse']);
    expect(
      causes(a.assign('ns/b', req({ ips: ['198.51.100.3'], sharing: share('k', [['TCP', 81]], 'app=x') }))),
    ).toEqual(['IPInUse']);
    a.assign('ns/l1', req({ ips: ['198.51.100.4'], sharing: share('l', [['TCP', 80]], 'app=x') }));
    expect(
      ips(a.assign('ns/l2', req({ ips: ['198.51.100.4'], sharing: share('l', [['TCP', 81]], 'app=x') }))),
    ).toEqual(['198.51.100.4']);
    expect(
      causes(a.assign('ns/l3', req({ ips: ['198.51.100.4'], sharing: share('l', [['TCP', 82]], 'app=y') }))),
    ).toEqual(['IPInUse']);
  });

  it('a Service whose ports now overlap its co-holder loses the shared address, the other keeps it', () => {
    const a = new Allocator(pools);
    a.assign('ns/a', req({ sharing: share('k', [['TCP', 80]]) }));
    a.assign('ns/b', req({ sharing: share('k', [['TCP', 443]]) }));
    expect(a.holdersOf('198.51.100.0').sort()).toEqual(['ns/a', 'ns/b']);
    const moved = a.assign('ns/b', req({ sharing: share('k', [['TCP', 80]]) }));
    expect(ips(moved)).toEqual(['198.51.100.1']);
    expect(a.holdersOf('198.51.100.0')).toEqual(['ns/a']);
    // With an explicit request it cannot move, so it ends with nothing rather than a clashing address.
    a.assign('ns/c', req({ ips: ['198.51.100.5'], sharing: share('z', [['TCP', 1]]) }));
    a.assign('ns/d', req({ ips: ['198.51.100.5'], sharing: share('z', [['TCP', 2]]) }));
    const clash = a.assign('ns/d', req({ ips: ['198.51.100.5'], sharing: share('z', [['TCP', 1]]) }));
    expect(causes(clash)).toEqual(['IPInUse']);
    expect(!clash.ok && clash.kept).toBeNull();
    expect(a.holdersOf('198.51.100.5')).toEqual(['ns/c']);
  });
});

describe('Allocator: restore and config changes', () => {
  it('restores in the given order; a contested address goes to the first', () => {
    const a = new Allocator([pool('p', ['198.51.100.0/29'])]);
    expect(a.restore('ns/old', ['198.51.100.4'], null).errors).toEqual([]);
    const r = a.restore('ns/new', ['198.51.100.4'], null);
    expect(r.errors.map((e) => e.cause)).toEqual(['IPInUse']);
    expect(a.assignmentOf('ns/new')).toBeNull();
    // Automatic allocation never hands out a restored address.
    for (let i = 0; i < 7; i++) expect(ips(a.assign(`ns/s${i}`, req()))).not.toContain('198.51.100.4');
    expect(causes(a.assign('ns/full', req()))).toEqual(['PoolExhausted']);
  });

  it('keeps addresses that fall outside every pool, never hands them out, re-adopts them later', () => {
    const a = new Allocator([pool('p', ['198.51.100.0/30'])]);
    a.assign('ns/a', req());
    a.assign('ns/b', req());
    const change = a.setPools([pool('q', ['198.51.100.1/32', '198.51.100.2/31'])]);
    expect(change.orphaned.map((o) => [o.service, o.ip.address])).toEqual([['ns/a', '198.51.100.0']]);
    expect(change.changed).toContainEqual({ service: 'ns/b', address: '198.51.100.1', from: 'p', to: 'q' });
    // Still held, still the same address, the Service's request is still satisfied.
    const again = a.assign('ns/a', req());
    expect(ips(again)).toEqual(['198.51.100.0']);
    expect(again.ok && again.changed).toBe(false);
    expect(a.orphans().map((o) => o.service)).toEqual(['ns/a']);
    expect(causes(a.assign('ns/x', req({ ips: ['198.51.100.0'] })))).toEqual(['NotInAnyPool']);
    expect(ips(a.assign('ns/c', req()))).toEqual(['198.51.100.2']);
    // A pool covering it again takes it back into accounting, still held by ns/a.
    const back = a.setPools([pool('p', ['198.51.100.0/30'])]);
    expect(back.orphaned).toEqual([]);
    expect(ips(a.assign('ns/d', req()))).toEqual(['198.51.100.3']);
    expect(a.stats()).toEqual([{ pool: 'p', family: 'ipv4', total: 4n, inUse: 4n }]);
  });

  it('reports stats per pool and family', () => {
    const a = new Allocator([
      pool('dual', ['198.51.100.0/24', '2001:db8:100::/64'], { avoidBuggyIPs: true }),
    ]);
    a.assign('ns/a', req({ families: ['ipv4', 'ipv6'], policy: 'RequireDualStack' }));
    expect(a.stats()).toEqual([
      { pool: 'dual', family: 'ipv4', total: 254n, inUse: 1n },
      { pool: 'dual', family: 'ipv6', total: 1n << 64n, inUse: 1n },
    ]);
  });
});

describe('Allocator: against a naive reference model', () => {
  it('random assign/release/explicit requests agree with lowest-free-by-scan', () => {
    const base = 0xc6336400n; // 198.51.100.0, /25 with avoidBuggyIPs off
    const size = 128;
    const a = new Allocator([pool('p', ['198.51.100.0/25'])]);
    const model = new Map<string, number>(); // service → offset
    const rnd = prng(42);
    const lowestFree = (): number | null => {
      const used = new Set(model.values());
      for (let i = 0; i < size; i++) if (!used.has(i)) return i;
      return null;
    };
    const addr = (i: number) => {
      const v = base + BigInt(i);
      return `${(v >> 24n) & 255n}.${(v >> 16n) & 255n}.${(v >> 8n) & 255n}.${v & 255n}`;
    };
    for (let step = 0; step < 5000; step++) {
      const svc = `ns/s${Math.floor(rnd() * 200)}`;
      const r = rnd();
      if (r < 0.45) {
        const result = a.assign(svc, req());
        if (model.has(svc)) expect(ips(result)).toEqual([addr(model.get(svc)!)]);
        else {
          const expected = lowestFree();
          if (expected === null) expect(causes(result)).toEqual(['PoolExhausted']);
          else {
            expect(ips(result)).toEqual([addr(expected)]);
            model.set(svc, expected);
          }
        }
      } else if (r < 0.6) {
        const wanted = Math.floor(rnd() * size);
        const holder = [...model].find(([, v]) => v === wanted)?.[0];
        const result = a.assign(svc, req({ ips: [addr(wanted)] }));
        if (holder === undefined || holder === svc) {
          expect(ips(result)).toEqual([addr(wanted)]);
          model.set(svc, wanted);
        } else {
          expect(causes(result)).toEqual(['IPInUse']);
        }
      } else {
        a.release(svc);
        model.delete(svc);
      }
      expect(a.stats()[0]!.inUse).toBe(BigInt(model.size));
    }
    for (const [svc, v] of model) expect(a.assignmentOf(svc)!.ips[0]!.address).toBe(addr(v));
  });

  it('allocation and release cost O(log n) tree steps in a large fragmented pool', () => {
    const a = new Allocator([pool('big', ['198.18.0.0/16']), pool('v6', ['2001:db8:100::/64'])]);
    const n = 20000;
    for (let i = 0; i < n; i++) a.assign(`ns/s${i}`, req());
    for (let i = 0; i < n; i += 2) a.release(`ns/s${i}`); // 10,000 holes
    let worst = 0;
    for (let i = 0; i < 500; i++) {
      const before = a.treeSteps();
      a.assign(`ns/new${i}`, req());
      const mid = a.treeSteps();
      a.release(`ns/s${2 * i + 1}`);
      worst = Math.max(worst, mid - before, a.treeSteps() - mid);
    }
    expect(worst).toBeLessThanOrEqual(6 * Math.log2(n));
    // v6: 10,000 addresses in a /64 keep a single free interval.
    for (let i = 0; i < 10000; i++) a.assign(`v6/s${i}`, req({ families: ['ipv6'] }));
    expect(a.stats().find((s) => s.pool === 'v6')!.inUse).toBe(10000n);
  });
});
