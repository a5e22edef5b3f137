// heraldctl doctor's vocabulary: a Snapshot of what it read (plain data, gathered once by gather.ts) and the
// Findings the pure checks derive from it. Checks never do I/O, so each one is a unit test over a Snapshot.

export type Severity = 'error' | 'warning' | 'ok';

/** The sections of the report, in the order they are printed. */
export const areas = ['install', 'config', 'controller', 'speakers', 'rbac', 'services', 'pools'] as const;
export type Area = (typeof areas)[number];

export interface Finding {
  readonly area: Area;
  /** Stable identifier of the check, e.g. `speaker.session`; scripts match on it. */
  readonly check: string;
  readonly severity: Severity;
  /** What it is about: `ConfigMap herald-system/herald-config`, `node-1`, `default/web`, ... */
  readonly subject: string;
  readonly message: string;
  /** What to do about it (never on `ok`). */
  readonly fix?: string;
}

/** A JSON document from a program's HTTP endpoint, or why there is none. */
export type Fetched<T> =
  | { readonly ok: true; readonly doc: T }
  | { readonly ok: false; readonly error: string };

export interface ConfigState {
  readonly loaded: boolean;
  readonly stale: boolean;
  readonly errors: readonly string[];
  readonly loadedAt: string | null;
  /** Absent from programs older than the digest. */
  readonly digest?: string | null;
}

/** The fields of a speaker's /status doctor reads (the document is a public contract: docs/operations.md). */
export interface SpeakerStatusDoc {
  readonly kind: 'HeraldSpeakerStatus';
  readonly node: string;
  readonly ready: boolean;
  readonly config: ConfigState;
  readonly sessions: ReadonlyArray<{
    readonly peer: string;
    readonly peerAddress: string;
    readonly state: string;
    readonly established: boolean;
    readonly lastError: string | null;
  }>;
  readonly announced: Readonly<
    Record<string, ReadonlyArray<{ readonly prefix: string; readonly services: readonly string[] }>>
  >;
  readonly kube?: ReadonlyArray<{
    readonly resource: string;
    readonly connected: boolean;
    readonly lastError: string | null;
  }>;
}

export interface ControllerStatusDoc {
  readonly kind: 'HeraldControllerStatus';
  readonly identity: string;
  readonly leader: boolean;
  readonly ready: boolean;
  readonly config: ConfigState;
  readonly pools: ReadonlyArray<{
    readonly pool: string;
    readonly family: string;
    readonly total: number;
    readonly inUse: number;
  }>;
  readonly waiting: number;
}

export interface PodState {
  readonly name: string;
  readonly node: string | undefined;
  readonly phase: string;
  readonly ready: boolean;
  readonly restarts: number;
  /** Why a container is not running (`CrashLoopBackOff`, `Error`, ...), when the kubelet said. */
  readonly waitingReason: string | undefined;
  /** Where its /status is served (`http://ip:port`), when the Pod has an IP and a metrics port. */
  readonly endpoint: string | undefined;
}

/** How a program is run, from its workload's pod template. */
export interface WorkloadState {
  readonly name: string;
  readonly serviceAccount: string;
  /** spec.replicas (Deployment) or status.desiredNumberScheduled (DaemonSet; 0 without a DaemonSet controller). */
  readonly desired: number;
  /** The container's `--flag=value` arguments. */
  readonly flags: Readonly<Record<string, string>>;
}

export interface ServiceState {
  readonly key: string;
  readonly ingress: readonly string[];
  /** herald.dev/AddressAllocated, when written. */
  readonly allocated?: { readonly status: string; readonly reason: string; readonly message: string };
}

export interface RbacCheck {
  readonly program: 'controller' | 'speaker';
  readonly serviceAccount: string;
  /** describePermission() text. */
  readonly permission: string;
  readonly why: string;
  readonly expected: 'allowed' | 'denied';
  readonly allowed: boolean;
  /** The Secret a peer names, when the permission is the speaker's for it (the chart grants those by name). */
  readonly secret?: string;
}

export interface Snapshot {
  readonly namespace: string;
  /** Time of the snapshot (Lease age, ...). */
  readonly now: Date;
  /** Set when the apiserver could not be read at all: nothing else is. */
  readonly apiError?: string;
  readonly controller?: WorkloadState;
  readonly speaker?: WorkloadState;
  readonly controllerPods: readonly PodState[];
  readonly speakerPods: readonly PodState[];
  /** By Pod name. */
  readonly controllerStatus: Readonly<Record<string, Fetched<ControllerStatusDoc>>>;
  readonly speakerStatus: Readonly<Record<string, Fetched<SpeakerStatusDoc>>>;
  readonly lease?:
    | { readonly found: false; readonly error?: string }
    | {
        readonly found: true;
        readonly holder: string;
        readonly renewTime: Date | undefined;
        readonly durationSeconds: number | undefined;
      };
  readonly configMap:
    | { readonly found: false; readonly name: string; readonly error?: string }
    | {
        readonly found: true;
        readonly name: string;
        readonly digest: string | undefined;
        readonly errors: readonly string[];
        readonly warnings: readonly string[];
        readonly summary: string;
      };
  readonly services: readonly ServiceState[] | { readonly error: string };
  readonly rbac: readonly RbacCheck[] | { readonly error: string };
}
