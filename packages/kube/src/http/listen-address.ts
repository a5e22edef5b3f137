// host:port of a listen flag (--metrics-address). One rule, Go's net.SplitHostPort (what Kubernetes components'
// --bind-address flags use): an IPv6 host is written in brackets, `[::]:7472` or `[::1]:7472`; an unbracketed
// host must not contain ':' (`::1:7472` is ambiguous — is 7472 the port or the last group? — and is refused
// with a hint, never guessed); an empty host, `:7472`, means every IPv4 address (0.0.0.0). Port 0 asks the
// kernel for a free port (tests).

import { isIP } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const EXPECTED = 'expected host:port, e.g. 0.0.0.0:7472, [::]:7472 or 127.0.0.1:0';

function invalid(text: string, why: string): Error {
  return new Error(`invalid listen address "${text}": ${why}; ${EXPECTED}`);
}

export function parseListenAddress(text: string): HostPort {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw invalid(text, 'no port');
  const portText = text.slice(colon + 1);
  let host = text.slice(0, colon);
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) throw invalid(text, 'missing "]" after the IPv6 address');
    host = host.slice(1, -1);
    if (isIP(host) !== 6) throw invalid(text, `"${host}" in brackets is not an IPv6 address`);
  } else if (host.includes(':')) {
    throw invalid(text, `an IPv6 address must be in brackets, e.g. [${host}]:${portText || '7472'}`);
  } else if (host.includes(']') || /\s/.test(host)) {
    throw invalid(text, `"${host}" is not a host name or address`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw invalid(text, `port "${portText}" is not a number 0..65535`);
  return { host: host === '' ? '0.0.0.0' : host, port: Number(portText) };
}

/** The inverse: `host:port`, with an IPv6 host in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
