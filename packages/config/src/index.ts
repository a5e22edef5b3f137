// @herald/config: the one schema of Herald's configuration, shared by controller, speaker and heraldctl.
// Addresses, prefixes, ranges and community text forms in it are @herald/inet's; import them from there.
export {
  type AnnotationReport,
  annotationPrefix,
  annotationProblem,
  annotationReports,
  type IPMode,
  ipModes,
  knownAnnotations,
  requestedIPMode,
} from './annotations.ts';
export { annotations, conditionTypes, configMapKey, configMapName, defaults } from './constants.ts';
export { diffPeers, type PeerDiff, peerSettingsEqual, peerSettingsKey } from './diff.ts';
export { type DurationParseResult, formatDuration, parseDuration } from './duration.ts';
export { matchesInterfacePattern } from './interface-pattern.ts';
export { type ConfigSourceResult, formatConfigError, parseConfig, parseConfigSource } from './parse.ts';
export {
  describePermission,
  type InstallNames,
  metricsAuthPermissions,
  type Permission,
  type PermissionScope,
  type Program,
  permissionAttributes,
  programPermissions,
  referencedSecrets,
  speakerSecretPermissions,
} from './permissions.ts';
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
export {
  type AttributeRefusal,
  type CommunityPattern,
  formatRefusal,
  hasServiceAttributeAnnotations,
  type LargeCommunityPattern,
  type ServiceAttributePolicy,
  type ServiceBgpAttributes,
  serviceAttributeAnnotations,
  serviceAttributeRefusals,
  serviceBgpAttributes,
} from './service-attributes.ts';
export type {
  AddressPool,
  BfdSettings,
  BgpAdvertisement,
  BgpPeer,
  CommunityValue,
  ConfigError,
  ConfigResult,
  GracefulRestart,
  GracefulShutdown,
  HeraldConfig,
  L2Advertisement,
  NodeAddressSource,
  NodeAddressType,
  SecretKeyRef,
  ServiceAllocation,
  Weighting,
} from './types.ts';
export { nativeSocketErrors, nativeSocketFields } from './validate/transport.ts';
export { validateConfig } from './validate.ts';
