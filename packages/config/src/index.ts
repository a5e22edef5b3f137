// @herald/config: the one schema of Herald's configuration, shared by controller, speaker and heraldctl.
export {
  formatLargeCommunity,
  formatStandardCommunity,
  parseLargeCommunity,
  parseStandardCommunity,
  wellKnownCommunities,
} from './community.ts';
export { annotations, configMapKey, configMapName, defaults } from './constants.ts';
export { diffPeers, type PeerDiff, peerSettingsEqual, peerSettingsKey } from './diff.ts';
export { type DurationParseResult, formatDuration, parseDuration } from './duration.ts';
export {
  type AddressRange,
  type AddressRangeParseResult,
  type Cidr,
  type CidrParseResult,
  canonicalIp,
  cidrToRange,
  familyBits,
  formatCidr,
  formatIp,
  type IpAddress,
  type IpFamily,
  type IpRange,
  ipFamilyOf,
  isBuggyIp,
  maskIp,
  parseAddressRange,
  parseCidr,
  parseIp,
  rangeContains,
  rangeSize,
  rangesOverlap,
  rangeToCidrs,
} from './ip.ts';
export { type ConfigSourceResult, formatConfigError, parseConfig, parseConfigSource } from './parse.ts';
export {
  comparePoolPreference,
  poolAcceptsService,
  poolContains,
  poolOf,
  type ServiceIdentity,
} from './pool.ts';
export { type JsonSchema, jsonSchema } from './schema.ts';
export {
  type LabelSelector,
  type LabelSelectorRequirement,
  type Labels,
  labelKeyProblem,
  labelValueProblem,
  matchesAnySelector,
  matchesLabelSelector,
  type SelectorOperator,
  selectorOperators,
} from './selector.ts';
export type {
  AddressPool,
  BgpAdvertisement,
  BgpPeer,
  CommunityValue,
  ConfigError,
  ConfigResult,
  GracefulRestart,
  HeraldConfig,
  LargeCommunity,
  SecretKeyRef,
  ServiceAllocation,
} from './types.ts';
export { validateConfig } from './validate.ts';
