// The real-Kubernetes test bed: control plane, netns bridge, infrastructure gate, process hygiene.
export { apiStatus, ignoreConflict, orNotFound } from './api.ts';
export { adminCurlArgs, type ControlPlaneCerts } from './certs.ts';
export {
  type AdminResponse,
  type ControlPlane,
  type ControlPlaneOptions,
  type ControlPlaneTimings,
  freePorts,
  type ServiceAccountCredentials,
  type ServiceAccountTokenOptions,
  startControlPlane,
} from './control-plane.ts';
export {
  checkInfra,
  describeWith,
  type InfraCheck,
  type InfraRequirements,
  requireInfra,
} from './infra.ts';
export { buildKubeConfig, type KubeConfigSpec, type KubeUser, writeKubeconfig } from './kubeconfig.ts';
export type { NetnsForwarder, NetnsForwarderOptions } from './netns-bridge.ts';
export {
  type ExitInfo,
  type ManagedProcess,
  makeTempDir,
  pidAlive,
  processStart,
  removeTempDir,
  type SpawnOptions,
  type StopOptions,
  spawnManaged,
  sweepStaleTempDirs,
  trackedPids,
} from './processes.ts';
export { pinnedKubernetesVersion, type TestbinName, testbinDir, testbinPath } from './testbin.ts';
