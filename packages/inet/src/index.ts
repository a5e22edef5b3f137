/**
 * @herald/inet — the vocabulary every Herald package shares, and a leaf: it depends on nothing of ours.
 * Addresses and prefixes (text through `ip-address`, a fast numeric core for the hot paths), the one spelling
 * of an address family, BGP community text forms, the numbers a BGP peer and a BFD session may be configured with,
 * the one retry backoff, the one way to print text that came from the network, and the one text order.
 */
export {
  addressFamily,
  addressToBytes,
  bytesToAddress,
  canonicalAddress,
  formatIp,
  InvalidAddressError,
  type IpAddress,
  ipToBytes,
  isBuggyIPv4,
  isBuggyIp,
  isIPv6LinkLocal,
  maskIp,
  parseIp,
} from './address.ts';
export { Backoff, type BackoffParams, backoffDelay } from './backoff.ts';
export {
  BFD_DEFAULTS,
  BFD_INTERVAL_MAX_MS,
  BFD_INTERVAL_MIN_MS,
  BFD_MULTIPLIER_MAX,
  bfdMicroseconds,
  isBfdInterval,
  isBfdMultiplier,
  isMultihopBfd,
} from './bfd.ts';
export {
  formatCommunity,
  formatExtendedCommunity,
  formatLargeCommunity,
  isWellKnownCommunityName,
  type LargeCommunity,
  linkBandwidthCommunity,
  parseCommunity,
  parseExtendedCommunity,
  parseLargeCommunity,
  WELL_KNOWN_COMMUNITIES,
} from './community.ts';
export {
  type Family,
  families,
  familyBits,
  fromIPFamily,
  type IPFamily,
  maxLength,
  toIPFamily,
} from './family.ts';
export { compareText } from './order.ts';
export {
  AS_TRANS,
  ASN_MAX,
  HOLD_TIME_MAX,
  INTERFACE_NAME_MAX,
  interfaceNameProblem,
  isAsn,
  isConnectRetryTime,
  isHoldTime,
  isPort,
  isReservedAsn,
  isRestartTime,
  isTtl,
  type KeepaliveProblem,
  keepaliveProblem,
  RESTART_TIME_MAX,
  type RouterIdProblem,
  routerIdProblem,
  TCP_MD5_KEY_MAX,
  tcpMd5KeyProblem,
} from './peer.ts';
export {
  type CidrParseResult,
  formatPrefix,
  InvalidPrefixError,
  type Prefix,
  type PrefixProblem,
  parseCidr,
  parsePrefix,
  prefixOf,
  prefixRange,
  tryParsePrefix,
} from './prefix.ts';
export { printable } from './printable.ts';
export { prng } from './prng.ts';
export {
  type AddressRange,
  type AddressRangeParseResult,
  type IpRange,
  parseAddressRange,
  rangeContains,
  rangeSize,
  rangesOverlap,
  rangeToCidrs,
} from './range.ts';
