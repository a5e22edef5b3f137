// The speaker's /status document as heraldctl reads it (the contract herald-speaker serves; see
// docs/concepts.md). Only the fields heraldctl shows are typed; the rest passes through with --output json.

export interface SpeakerSession {
  readonly peer: string;
  readonly peerAddress: string;
  readonly state: string;
  readonly established: boolean;
  readonly uptimeSeconds: number | null;
  readonly prefixes?: { readonly ipv4: number; readonly ipv6: number };
  readonly lastError: string | null;
  /** Present when the peer runs BFD (peers[].bfd.enabled). */
  readonly bfd?: {
    readonly state: string;
    readonly transmitIntervalMs: number;
    readonly multiplier: number;
    readonly lastError: string | null;
  };
}

/** The `l2` section (layer-2 mode), as heraldctl reads it. */
export interface SpeakerL2 {
  readonly enabled: boolean;
  readonly member: boolean;
  readonly ready: boolean;
  readonly notReady: readonly string[];
  readonly mesh: {
    readonly peers: ReadonlyArray<{ readonly node: string; readonly state: string; readonly ready: boolean }>;
  };
  readonly interfaces: ReadonlyArray<{
    readonly name: string;
    readonly up: boolean;
    readonly answering: number;
    readonly error?: string;
  }>;
  readonly addresses: ReadonlyArray<{
    readonly address: string;
    readonly announcer: string | null;
    readonly services: readonly string[];
  }>;
  readonly conflicts?: ReadonlyArray<{ readonly address: string; readonly mac: string }>;
}

export interface SpeakerStatus {
  readonly kind: 'HeraldSpeakerStatus';
  readonly node: string;
  readonly ready: boolean;
  readonly config?: { readonly stale: boolean; readonly errors: readonly string[] };
  readonly sessions: readonly SpeakerSession[];
  readonly l2?: SpeakerL2;
  readonly announced?: Readonly<Record<string, readonly AnnouncedRoute[]>>;
}

/** One route a speaker announces to one peer. */
export interface AnnouncedRoute {
  readonly prefix: string;
  readonly services?: readonly string[];
  /** weighting: endpoints — the endpoints behind this node; absent without weighting. */
  readonly weight?: number;
  /** Present while the route carries GRACEFUL_SHUTDOWN before its withdrawal. */
  readonly drain?: { readonly since: string; readonly withdrawAt: string };
}

/** One speaker's answer, or why there is none. */
export type SpeakerResult =
  | { readonly target: string; readonly ok: true; readonly status: SpeakerStatus }
  | { readonly target: string; readonly ok: false; readonly error: string };
