// peers: the numbers' rules are @herald/inet's (shared with the BGP library and heraldctl), worded here for a
// config file; then what only a config can get wrong: address families, iBGP vs eBGP options, two peers
// fighting over one TCP session. The session's transport (password, GTSM, interface) is validate/transport.ts.
import {
  AS_TRANS,
  canonicalAddress,
  HOLD_TIME_MAX,
  type IpAddress,
  isConnectRetryTime,
  isHoldTime,
  isReservedAsn,
  isRestartTime,
  type KeepaliveProblem,
  keepaliveProblem,
  parseIp,
  routerIdProblem,
  toIPFamily,
} from '@herald/inet';
import { defaults } from '../constants.ts';
import { parseDuration } from '../duration.ts';
import type { Path } from '../path.ts';
import { type Ctx, checkDuplicateNames, duration, err, field, int, str, warn } from './context.ts';
import { checkPeerLimits } from './peer-limits.ts';
import { checkSelectorList } from './selectors.ts';
import { checkTransport } from './transport.ts';

/** What the advertisements' checks need to know about each named peer. */
export interface PeerFacts {
  readonly name: string;
  /** peerASN === myASN; undefined when either is missing or invalid. */
  readonly internal: boolean | undefined;
}

function checkAsn(ctx: Ctx, v: unknown, path: Path): void {
  const n = int(v);
  if (n === undefined) return;
  if (n === AS_TRANS)
    err(ctx, path, 'AS 23456 is AS_TRANS (RFC 6793), a placeholder for 4-octet ASNs; it cannot be a real AS');
  else if (isReservedAsn(n)) warn(ctx, path, `AS ${n} is reserved (RFC 7300) and should not be used`);
}

/** peerAddress, sourceAddress, routerID. Returns the parsed peer address for the session check. */
function checkAddresses(ctx: Ctx, peer: unknown, p: Path): IpAddress | undefined {
  const addrText = str(field(peer, 'peerAddress'));
  const addr = addrText === undefined ? undefined : parseIp(addrText);
  if (addrText !== undefined && addr === undefined)
    err(ctx, [...p, 'peerAddress'], `"${addrText}" is not an IP address`);
  else if (addr !== undefined && addr.value === 0n)
    err(ctx, [...p, 'peerAddress'], `"${addrText}" is the unspecified address`);
  const srcText = str(field(peer, 'sourceAddress'));
  if (srcText !== undefined) {
    const src = parseIp(srcText);
    if (src === undefined) err(ctx, [...p, 'sourceAddress'], `"${srcText}" is not an IP address`);
    else if (addr !== undefined && src.family !== addr.family)
      err(
        ctx,
        [...p, 'sourceAddress'],
        `"${srcText}" is ${toIPFamily(src.family)} but peerAddress "${addrText}" is ${toIPFamily(addr.family)}; they must be the same family`,
      );
  }
  const rid = str(field(peer, 'routerID'));
  const ridProblem = rid === undefined ? undefined : routerIdProblem(rid);
  if (ridProblem === 'not-ipv4')
    err(
      ctx,
      [...p, 'routerID'],
      `"${rid}" is not a dotted-quad IPv4 address (a BGP Identifier is 4 octets, RFC 6286)`,
    );
  else if (ridProblem === 'zero') err(ctx, [...p, 'routerID'], 'the BGP Identifier must not be 0.0.0.0');
  return addr;
}

const KEEPALIVE_REASON = (keepalive: number, hold: number): Record<KeepaliveProblem, string> => ({
  'hold-time-zero': 'must be 0s or omitted when holdTime is 0s (keepalives are disabled)',
  zero: 'must be at least 1s when holdTime is not 0s',
  'longer-than-hold-time': `${keepalive}s is longer than holdTime ${hold}s; it must be at most the hold time`,
});

/** holdTime, keepaliveTime, connectTime, gracefulRestart.restartTime. */
function checkTimers(ctx: Ctx, peer: unknown, p: Path): void {
  const hold = duration(field(peer, 'holdTime'));
  if (hold !== undefined && !isHoldTime(hold))
    err(
      ctx,
      [...p, 'holdTime'],
      hold > HOLD_TIME_MAX
        ? `${hold}s exceeds 65535s (16-bit field)`
        : `${hold}s is not allowed: hold time must be 0s (disabled) or at least 3s (RFC 4271 §4.2)`,
    );
  const keepalive = duration(field(peer, 'keepaliveTime'));
  const effectiveHold = hold ?? (parseDuration(defaults.holdTime) as { seconds: number }).seconds;
  // Against a hold time that is itself wrong there is nothing sensible to say.
  if (keepalive !== undefined && isHoldTime(effectiveHold)) {
    const problem = keepaliveProblem(keepalive, effectiveHold);
    if (problem !== undefined)
      err(ctx, [...p, 'keepaliveTime'], KEEPALIVE_REASON(keepalive, effectiveHold)[problem]);
  }
  const connect = duration(field(peer, 'connectTime'));
  if (connect !== undefined && !isConnectRetryTime(connect))
    err(ctx, [...p, 'connectTime'], `${connect}s is out of range: must be 1s..65535s`);
  const restart = duration(field(field(peer, 'gracefulRestart'), 'restartTime'));
  if (restart !== undefined && !isRestartTime(restart))
    err(
      ctx,
      [...p, 'gracefulRestart', 'restartTime'],
      `${restart}s exceeds 4095s (12-bit Restart Time, RFC 4724)`,
    );
}

export function checkPeers(ctx: Ctx, peers: readonly unknown[]): PeerFacts[] {
  checkDuplicateNames(ctx, peers, 'peers', 'peer');
  const facts: PeerFacts[] = [];
  const sessions = new Map<string, number>();
  peers.forEach((peer, i) => {
    const p: Path = ['peers', i];
    const peerASN = int(field(peer, 'peerASN'));
    const myASN = int(field(peer, 'myASN'));
    checkAsn(ctx, field(peer, 'peerASN'), [...p, 'peerASN']);
    checkAsn(ctx, field(peer, 'myASN'), [...p, 'myASN']);
    const internal = peerASN !== undefined && myASN !== undefined ? peerASN === myASN : undefined;
    const name = str(field(peer, 'name'));
    if (name !== undefined) facts.push({ name, internal });

    const addr = checkAddresses(ctx, peer, p);
    checkTimers(ctx, peer, p);
    checkPeerLimits(ctx, peer, p);
    const multihop = field(peer, 'ebgpMultihop');
    if (multihop !== undefined && multihop !== null && internal === true)
      err(
        ctx,
        [...p, 'ebgpMultihop'],
        `applies to eBGP only; this peer is iBGP (peerASN = myASN = ${peerASN}), whose sessions may span hops already`,
      );
    checkTransport(ctx, peer, p);
    checkSelectorList(ctx, field(peer, 'nodeSelectors'), [...p, 'nodeSelectors']);

    // Two peers that would open the same TCP session from the same nodes fight over it.
    if (addr !== undefined) {
      const addrText = str(field(peer, 'peerAddress'))!;
      const port = int(field(peer, 'peerPort')) ?? defaults.peerPort;
      const key = JSON.stringify([
        canonicalAddress(addrText),
        port,
        canonicalAddress(str(field(peer, 'sourceAddress')) ?? '') ?? null,
        field(peer, 'nodeSelectors') ?? [],
      ]);
      const first = sessions.get(key);
      if (first !== undefined)
        err(
          ctx,
          [...p, 'peerAddress'],
          `peers[${first}] already peers with ${addrText} port ${port} from the same nodes`,
        );
      else sessions.set(key, i);
    }
  });
  return facts;
}
