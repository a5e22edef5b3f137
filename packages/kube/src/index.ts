// @herald/kube: the one Kubernetes platform layer every Herald program uses (client-go's tools/cache,
// tools/record and util/workqueue, controller-runtime's metrics/health server), so a fix to watching, Events
// or rate limits lands once. Process helpers (logger, version, signals) are in @herald/kube/process.

export { apiErrorCode, KubeApiError, KubeClient, type KubeClientOptions, type Query } from './api/client.ts';
export {
  type Credentials,
  inClusterConnection,
  type KubeConnection,
  KubeconfigError,
  kubeconfigConnection,
  loadKubeConnection,
  type TlsMaterial,
} from './api/connection.ts';
export { microTime } from './api/time.ts';
export { describeApiError } from './api-error.ts';
export { type Clock, realClock } from './clock.ts';
export {
  type ConfigLoad,
  type ConfigMapData,
  type ConfigStatus,
  configDigest,
  configMapReflector,
  describeConfigError,
  loadConfigMap,
  missingConfigMapMessage,
} from './config/source.ts';
export {
  type EndpointConditionsView,
  endpointCanServe,
  slimEndpointSlice,
} from './endpoints.ts';
export {
  EventRecorder,
  type EventRecorderOptions,
  type EventsApi,
  type EventTarget,
  type EventType,
  type EventVerb,
  TokenBuckets,
} from './events/recorder.ts';
export {
  type AuthorizationDecision,
  KubeRequestAuthorizer,
  type KubeRequestAuthorizerOptions,
  type RequestAuthorizer,
  type ResourceAttribute,
} from './http/auth.ts';
export { formatHostPort, type HostPort, parseListenAddress } from './http/listen-address.ts';
export {
  bearerToken,
  closeServer,
  DEFAULT_SERVER_LIMITS,
  type MetricsSource,
  type ObservabilityHandlers,
  type ObservabilityServerOptions,
  type ServerLimits,
  type ServerTls,
  startHealthServer,
  startObservabilityServer,
} from './http/server.ts';
export {
  addServingOptions,
  checkServingFlags,
  METRICS_AUTHZ_GROUP,
  type MetricsAuthMode,
  metricsAuthModes,
  type Serving,
  type ServingDefaults,
  type ServingFlags,
  servingFlags,
  servingOptions,
  startServing,
} from './http/serving.ts';
export { nodeChanged, slimNode } from './nodes.ts';
export { type NamedReflectorOptions, namedReflector, secretReflector } from './reflector/named.ts';
export {
  type Change,
  defaultReflectorBackoff,
  type ListPage,
  type ListRequest,
  Reflector,
  type ReflectorOptions,
  type ReflectorStatus,
  type ReflectorVerb,
  type Watcher,
} from './reflector/reflector.ts';
export { objectKey, relistDelta, type Versioned } from './reflector/relist.ts';
export { FakeClock } from './testing/fake-clock.ts';
export { loadedModules } from './testing/loaded-modules.ts';
export { excludeFromExternalLoadBalancersLabel, serviceNameLabel } from './well-known.ts';
export { type Timers, WorkQueue, type WorkQueueOptions } from './workqueue/queue.ts';
export { type KeyHandler, runWorkers } from './workqueue/workers.ts';
