import {
  parseAnnounceOptions,
  parseAsn,
  parsePrefixesFile,
  type RawAnnounceOptions,
  UsageError,
} from './options.ts';

const base: RawAnnounceOptions = {
  localAsn: '64513',
  peerAddress: '203.0.113.1',
  peerAsn: '64512',
  localAddress: '203.0.113.11',
};
const noFile = (path: string): string => {
  throw new Error(`ENOENT: no such file '${path}'`);
};

function usage(raw: RawAnnounceOptions, readFile = noFile): UsageError {
  try {
    parseAnnounceOptions(raw, readFile);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected a UsageError');
}

describe('heraldctl bgp announce options', () => {
  test('a minimal eBGP plan: next hop defaults to --local-address, family from the prefixes', () => {
    const plan = parseAnnounceOptions({ ...base, prefix: ['198.51.100.10/32'] }, noFile);
    expect(plan.peer).toMatchObject({
      localAsn: 64513,
      peerAsn: 64512,
      peerAddress: '203.0.113.1',
      localAddress: '203.0.113.11',
      families: ['ipv4'],
    });
    expect(plan.listen).toBeUndefined();
    expect(plan.routes).toEqual([
      {
        prefix: { afi: 'ipv4', address: '198.51.100.10', length: 32 },
        attributes: { nextHop: '203.0.113.11' },
      },
    ]);
  });

  test('IPv6 and IPv4 prefixes over one session need a next hop per family', () => {
    const plan = parseAnnounceOptions(
      { ...base, prefix: ['198.51.100.10/32', '2001:db8:100::10/128'], nextHop: ['2001:DB8:1::11'] },
      noFile,
    );
    expect(plan.peer.families).toEqual(['ipv4', 'ipv6']);
    expect(plan.routes[1]?.attributes.nextHop).toBe('2001:db8:1::11');
    expect(usage({ ...base, prefix: ['2001:db8:100::10/128'] }).message).toMatch(
      /^--next-hop: no ipv6 next hop/,
    );
    expect(usage({ ...base, nextHop: ['203.0.113.5', '203.0.113.6'] }).option).toBe('--next-hop');
  });

  test.each([
    [{ localAsn: undefined }, '--local-asn', /is required/],
    [{ localAsn: '0' }, '--local-asn', /out of range/],
    [{ localAsn: '23456' }, '--local-asn', /AS_TRANS/],
    [{ localAsn: 'sixty' }, '--local-asn', /not an AS number/],
    [{ peerAddress: undefined }, '--peer-address', /is required/],
    [{ peerAddress: 'router1' }, '--peer-address', /not an IP address/],
    [{ peerAsn: 'outside' }, '--peer-asn', /not an AS number/],
    [{ peerAsn: '4294967296' }, '--peer-asn', /out of range/],
    [{ peerPort: '70000' }, '--peer-port', /out of range/],
    [{ routerId: '0.0.0.0' }, '--router-id', /non-zero/],
    [{ routerId: '2001:db8::1' }, '--router-id', /IPv4/],
    [{ holdTime: '1' }, '--hold-time', /not allowed/],
    [{ holdTime: '2' }, '--hold-time', /not allowed/],
    [{ holdTime: '-3' }, '--hold-time', /not a whole number/],
    [{ localAddress: '2001:db8:1::11' }, '--local-address', /same address family/],
    [{ listenAddress: '203.0.113.11' }, '--listen-address', /requires --passive/],
    [{ listenPort: '1179' }, '--listen-port', /requires --passive/],
    [{ prefix: ['198.51.100.10/24'] }, '--prefix', /host bits/],
    [{ prefix: ['198.51.100.10/33'] }, '--prefix', /exceeds 32/],
    [{ prefix: ['not-a-prefix'] }, '--prefix', /not an IP address/],
    [{ community: ['65536:1'] }, '--community', /asn:value/],
    [{ largeCommunity: ['1:2'] }, '--large-community', /global:local1:local2/],
    [{ extendedCommunity: ['lb:4200000000:1'] }, '--extended-community', /lb:asn:bytes-per-second/],
    [{ localPref: '200' }, '--local-pref', /only sent to iBGP/],
    [{ localPref: '-1', peerAsn: 'internal' }, '--local-pref', /not a whole number/],
    [{ ebgpMultihop: '256' }, '--ebgp-multihop', /out of range/],
    [{ ebgpMultihop: '2', peerAsn: '64513' }, '--ebgp-multihop', /only applies to eBGP/],
    [{ multihop: '256' }, '--multihop', /out of range/],
    [{ multihop: '2', ebgpMultihop: '2' }, '--multihop', /older spelling of --ebgp-multihop/],
    [{ ebgpMultihop: '2', ttlSecurity: true }, '--ebgp-multihop', /cannot be combined with --ttl-security/],
    [{ bindInterface: 'eth0:1' }, '--bind-interface', /is not an interface name/],
    [{ bindInterface: 'x'.repeat(16) }, '--bind-interface', /at most 15/],
    [{ passwordFile: '/nonexistent/password' }, '--password-file', /cannot read \/nonexistent\/password/],
    [{ gracefulRestart: '5000' }, '--graceful-restart', /out of range 0..4095/],
    [{ restarting: true }, '--restarting', /requires --graceful-restart/],
    [{ prefixesFile: '/nonexistent/prefixes.txt' }, '--prefixes-file', /cannot read/],
  ] as const)('%o → %s', (override, option, reason) => {
    const err = usage({ ...base, ...override } as RawAnnounceOptions);
    expect(err.option).toBe(option);
    expect(err.message.startsWith(`${option}: `)).toBe(true);
    expect(err.message).toMatch(reason);
    expect(err.message).not.toContain('\n');
  });

  test('peer ASN external/internal, asdot ASNs', () => {
    expect(parseAnnounceOptions({ ...base, peerAsn: 'External' }, noFile).peer.peerAsn).toBe('external');
    const ibgp = parseAnnounceOptions(
      { ...base, peerAsn: 'internal', localPref: '200', prefix: ['198.51.100.1/32'] },
      noFile,
    );
    expect(ibgp.routes[0]?.attributes.localPref).toBe(200);
    expect(parseAsn('--local-asn', '1.10')).toBe(65546);
    expect(() => parseAsn('--local-asn', '1.70000')).toThrow(/asdot/);
  });

  test('passive mode listens on --listen-address, then --local-address, then ::', () => {
    expect(parseAnnounceOptions({ ...base, passive: true }, noFile).listen).toEqual({
      address: '203.0.113.11',
      port: 179,
    });
    expect(
      parseAnnounceOptions({ ...base, passive: true, listenAddress: '::', listenPort: '1790' }, noFile)
        .listen,
    ).toEqual({ address: '::', port: 1790 });
    expect(
      parseAnnounceOptions({ ...base, localAddress: undefined, passive: true }, noFile).listen?.address,
    ).toBe('::');
    expect(parseAnnounceOptions({ ...base, passive: true }, noFile).peer.passive).toBe(true);
  });

  test('graceful restart: default restart time, R bit only with --restarting', () => {
    expect(parseAnnounceOptions({ ...base, gracefulRestart: true }, noFile).peer.gracefulRestart).toEqual({
      restartTime: 120,
      restarting: false,
    });
    expect(
      parseAnnounceOptions({ ...base, gracefulRestart: '30', restarting: true }, noFile).peer.gracefulRestart,
    ).toEqual({ restartTime: 30, restarting: true });
  });

  test('attributes are attached to every route; duplicates collapse', () => {
    const plan = parseAnnounceOptions(
      {
        ...base,
        prefix: ['198.51.100.1/32', '198.51.100.1'],
        community: ['64512:100', 'no-export'],
        largeCommunity: ['64512:1:2'],
        extendedCommunity: ['LB:64513:375000', 'rt:64512:7'],
        med: '10',
      },
      noFile,
    );
    expect(plan.routes).toHaveLength(1);
    expect(plan.routes[0]?.attributes).toEqual({
      nextHop: '203.0.113.11',
      communities: ['64512:100', 'no-export'],
      largeCommunities: ['64512:1:2'],
      extendedCommunities: ['lb:64513:375000', 'rt:64512:7'],
      med: 10,
    });
  });

  test('--community takes every well-known name config.yaml takes (accept-own too), in any case', () => {
    const plan = parseAnnounceOptions(
      { ...base, prefix: ['198.51.100.1/32'], community: ['accept-own', 'NO-EXPORT', ' 64512:100 '] },
      noFile,
    );
    expect(plan.routes[0]?.attributes.communities).toEqual(['accept-own', 'no-export', '64512:100']);
    expect(usage({ ...base, community: ['accept-owns'] }).message).toBe(
      "--community: 'accept-owns' is not 'asn:value' (each 0..65535) or a well-known name",
    );
  });

  test('--prefixes-file: comments, blank lines, errors with file and line', () => {
    const file = '# pool A\n198.51.100.1/32\n\n198.51.100.2/32  # second\n';
    const plan = parseAnnounceOptions({ ...base, prefixesFile: 'p.txt' }, () => file);
    expect(plan.routes.map((r) => r.prefix.address)).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(() => parsePrefixesFile('p.txt', '198.51.100.1/32\nbogus\n')).toThrow('--prefixes-file: p.txt:2:');
  });

  test('socket options: GTSM, multihop, interface, and a password file without its final line ending', () => {
    const files: Record<string, string> = {
      'tor.pw': 's3cret with spaces\n',
      'crlf.pw': 'k\r\n',
      'empty.pw': '\n',
      'long.pw': `${'x'.repeat(81)}\n`,
      'two-lines.pw': 'a\nb\n',
    };
    const read = (path: string) => {
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT');
      return text;
    };
    const plan = parseAnnounceOptions(
      { ...base, passwordFile: 'tor.pw', ttlSecurity: true, bindInterface: 'vrf-blue' },
      read,
    );
    expect(plan.peer).toMatchObject({ ttlSecurity: true, bindInterface: 'vrf-blue' });
    expect(Buffer.from(plan.peer.password as Uint8Array).toString()).toBe('s3cret with spaces');
    expect(
      Buffer.from(
        parseAnnounceOptions({ ...base, passwordFile: 'crlf.pw' }, read).peer.password as Uint8Array,
      ).toString(),
    ).toBe('k');
    // Only the final line ending goes: a second line is part of the password, as the file says.
    expect(
      Buffer.from(
        parseAnnounceOptions({ ...base, passwordFile: 'two-lines.pw' }, read).peer.password as Uint8Array,
      ).toString(),
    ).toBe('a\nb');
    expect(usage({ ...base, passwordFile: 'empty.pw' }, read).message).toBe(
      '--password-file: the password in empty.pw is empty',
    );
    expect(usage({ ...base, passwordFile: 'long.pw' }, read).message).toBe(
      "--password-file: the password in long.pw has 81 bytes; a TCP-MD5 key has at most 80 (the kernel's TCP_MD5SIG_MAXKEYLEN)",
    );
    expect(parseAnnounceOptions({ ...base, multihop: '3' }, noFile).peer.ebgpMultihop).toBe(3);
    expect(parseAnnounceOptions({ ...base, ebgpMultihop: '2' }, noFile).peer.ebgpMultihop).toBe(2);
  });
});

describe('heraldctl bgp announce --bfd', () => {
  test('off by default; the timer flags need --bfd', () => {
    expect(parseAnnounceOptions(base, noFile).bfd).toBeUndefined();
    expect(usage({ ...base, bfdMultiplier: '5' }).message).toBe('--bfd-multiplier: requires --bfd');
  });

  test('single hop with 300 ms x 3 unless told otherwise', () => {
    expect(parseAnnounceOptions({ ...base, bfd: true }, noFile).bfd).toEqual({
      multihop: false,
      localAddress: '203.0.113.11',
      minReceiveMs: 300,
      minTransmitMs: 300,
      multiplier: 3,
    });
    expect(
      parseAnnounceOptions(
        { ...base, bfd: true, bfdMinReceive: '100', bfdMinTransmit: '200', bfdMultiplier: '5' },
        noFile,
      ).bfd,
    ).toMatchObject({ minReceiveMs: 100, minTransmitMs: 200, multiplier: 5 });
  });

  test('intervals below the floor or above a minute, and multiplier 0, are refused', () => {
    expect(usage({ ...base, bfd: true, bfdMinReceive: '10' }).message).toBe(
      '--bfd-min-receive: 10 is out of range 50..60000',
    );
    expect(usage({ ...base, bfd: true, bfdMinTransmit: '60001' }).option).toBe('--bfd-min-transmit');
    expect(usage({ ...base, bfd: true, bfdMultiplier: '0' }).message).toBe(
      '--bfd-multiplier: 0 is out of range 1..255',
    );
  });

  test('multihop BFD for an eBGP multihop session, which needs the local address', () => {
    expect(parseAnnounceOptions({ ...base, bfd: true, multihop: '3' }, noFile).bfd?.multihop).toBe(true);
    expect(parseAnnounceOptions({ ...base, bfd: true, multihop: '1' }, noFile).bfd?.multihop).toBe(false);
    const { localAddress: _, ...noLocal } = base;
    expect(usage({ ...noLocal, bfd: true, multihop: '3', nextHop: ['203.0.113.11'] }).message).toMatch(
      /^--bfd: multihop BFD .* needs --local-address/,
    );
  });
});
