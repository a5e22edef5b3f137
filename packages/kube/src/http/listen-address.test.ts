import { formatHostPort, parseListenAddress } from './listen-address.ts';

describe('parseListenAddress', () => {
  it('accepts host:port and [v6]:port and rejects the rest with the expected form', () => {
    expect(parseListenAddress('0.0.0.0:7473')).toEqual({ host: '0.0.0.0', port: 7473 });
    expect(parseListenAddress('[::]:7473')).toEqual({ host: '::', port: 7473 });
    expect(parseListenAddress(':9000')).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(() => parseListenAddress('7473')).toThrow(/expected host:port/);
    expect(() => parseListenAddress('a:70000')).toThrow(/invalid listen address/);
  });

  it('takes host names, bracketed IPv6 with a zone-free address, and port 0', () => {
    expect(parseListenAddress('localhost:7472')).toEqual({ host: 'localhost', port: 7472 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[2001:db8::1]:65535')).toEqual({ host: '2001:db8::1', port: 65535 });
  });

  it('refuses unbracketed IPv6: "::1:7472" could be port 7472 or the address ::1:7472', () => {
    expect(() => parseListenAddress('::1:7472')).toThrow(
      'invalid listen address "::1:7472": an IPv6 address must be in brackets, e.g. [::1]:7472',
    );
    expect(() => parseListenAddress('2001:db8::1:80')).toThrow(
      /must be in brackets, e\.g\. \[2001:db8::1\]:80/,
    );
    expect(() => parseListenAddress('::')).toThrow(/must be in brackets/);
  });

  it('names what is wrong', () => {
    expect(() => parseListenAddress('[::1:7472')).toThrow(/missing "\]"/);
    expect(() => parseListenAddress('[example]:7472')).toThrow(
      /"example" in brackets is not an IPv6 address/,
    );
    expect(() => parseListenAddress('[198.51.100.1]:7472')).toThrow(/not an IPv6 address/);
    expect(() => parseListenAddress('host:')).toThrow(/port "" is not a number 0\.\.65535/);
    expect(() => parseListenAddress('host:-1')).toThrow(/port "-1"/);
    expect(() => parseListenAddress('host:7472 ')).toThrow(/port "7472 "/);
    expect(() => parseListenAddress('my host:7472')).toThrow(/"my host" is not a host name or address/);
  });
});

describe('formatHostPort', () => {
  it('brackets IPv6 hosts, and parses back to the same host and port', () => {
    for (const [host, port, text] of [
      ['198.51.100.7', 7473, '198.51.100.7:7473'],
      ['2001:db8::7', 7473, '[2001:db8::7]:7473'],
      ['::', 0, '[::]:0'],
    ] as const) {
      expect(formatHostPort(host, port)).toBe(text);
      expect(parseListenAddress(text)).toEqual({ host, port });
    }
  });
});
