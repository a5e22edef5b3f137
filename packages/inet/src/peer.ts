/**
 * The numbers a BGP peer is configured with, and which values the RFCs allow. The config validator, the BGP
 * library's peer config and heraldctl's flags all check these rules here, each wording the answer for its
 * own readers (a config path, a library issue, a command-line flag).
 */
import { parseIp } from './address.ts';

const isInt = (n: unknown, min: number, max: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

/** RFC 6793 §9: the 2-octet stand-in for a 4-octet AS number, never a real AS. */
export const AS_TRANS = 23456;
export const ASN_MAX = 4294967295;

/** An AS number: 1..4294967295 (4 octets, RFC 6793; AS 0 is reserved, RFC 7607). AS_TRANS is checked apart. */
export function isAsn(n: unknown): n is number {
  return isInt(n, 1, ASN_MAX);
}

/** The last AS of the 2- and 4-octet spaces, reserved by RFC 7300: valid on the wire, wrong in a config. */
export function isReservedAsn(n: number): boolean {
  return n === 65535 || n === ASN_MAX;
}

export const HOLD_TIME_MAX = 65535;

/** RFC 4271 §4.2: the Hold Time is 0 (no keepalives, no hold timer) or at least 3 seconds; 16 bits. */
export function isHoldTime(seconds: unknown): seconds is number {
  return isInt(seconds, 0, HOLD_TIME_MAX) && seconds !== 1 && seconds !== 2;
}

/** Why a keepalive interval does not fit a (valid) hold time, or undefined when it does. */
export type KeepaliveProblem =
  /** Hold time 0 disables keepalives: the interval must be 0 (or left to its default). */
  | 'hold-time-zero'
  /** Keepalives every 0 s only make sense with hold time 0. */
  | 'zero'
  /** A keepalive later than the hold time lets the peer's hold timer expire. */
  | 'longer-than-hold-time';

/** RFC 4271 §4.4, §10: keepalives at least one second apart, and sent within the hold time. */
export function keepaliveProblem(
  keepaliveSeconds: number,
  holdTimeSeconds: number,
): KeepaliveProblem | undefined {
  if (holdTimeSeconds === 0) return keepaliveSeconds === 0 ? undefined : 'hold-time-zero';
  if (keepaliveSeconds === 0) return 'zero';
  return keepaliveSeconds > holdTimeSeconds ? 'longer-than-hold-time' : undefined;
}

/** ConnectRetryTime (RFC 4271 §8, §10): a 1..65535-second timer. */
export function isConnectRetryTime(seconds: unknown): seconds is number {
  return isInt(seconds, 1, 65535);
}

export const RESTART_TIME_MAX = 4095;

/** RFC 4724 §3: the Restart Time is a 12-bit count of seconds. */
export function isRestartTime(seconds: unknown): seconds is number {
  return isInt(seconds, 0, RESTART_TIME_MAX);
}

/** A TCP port to connect to (0 is not one). */
export function isPort(n: unknown): n is number {
  return isInt(n, 1, 65535);
}

/** An IP TTL for eBGP multihop: 1..255. */
export function isTtl(n: unknown): n is number {
  return isInt(n, 1, 255);
}

/** Why a text is not a BGP Identifier, or undefined when it is one. */
export type RouterIdProblem = 'not-ipv4' | 'zero';

/** RFC 6286 §2.1: a BGP Identifier is a non-zero 4-octet number, written as a dotted quad. */
export function routerIdProblem(text: string): RouterIdProblem | undefined {
  const ip = parseIp(text);
  if (ip === undefined || ip.family !== 'ipv4') return 'not-ipv4';
  return ip.value === 0n ? 'zero' : undefined;
}

/** RFC 2385 keys as Linux takes them (TCP_MD5SIG_MAXKEYLEN): 1..80 bytes. */
export const TCP_MD5_KEY_MAX = 80;

/** Why a TCP-MD5 key of `bytes` bytes cannot be used, or undefined when it can. */
export function tcpMd5KeyProblem(bytes: number): string | undefined {
  if (bytes === 0) return 'is empty';
  return bytes > TCP_MD5_KEY_MAX
    ? `has ${bytes} bytes; a TCP-MD5 key has at most ${TCP_MD5_KEY_MAX} (the kernel's TCP_MD5SIG_MAXKEYLEN)`
    : undefined;
}

/** Linux interface (and VRF device) names: IFNAMSIZ 16 bytes with the terminating NUL. */
export const INTERFACE_NAME_MAX = 15;

/** Why a text cannot be a Linux interface name (the kernel's dev_valid_name), or undefined when it can. */
export function interfaceNameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name);
  if (bytes === 0) return 'is empty';
  if (bytes > INTERFACE_NAME_MAX)
    return `has ${bytes} bytes; an interface name has at most ${INTERFACE_NAME_MAX}`;
  if (name === '.' || name === '..' || /[/:\s]/.test(name))
    return 'is not an interface name (no "/", ":" or spaces, not "." or "..")';
  return undefined;
}
