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
}

export interface SpeakerStatus {
  readonly kind: 'HeraldSpeakerStatus';
  readonly node: string;
  readonly ready: boolean;
  readonly config?: { readonly stale: boolean; readonly errors: readonly string[] };
  readonly sessions: readonly SpeakerSession[];
  readonly announced?: Readonly<Record<string, ReadonlyArray<{ readonly prefix: string }>>>;
}

/** One speaker's answer, or why there is none. */
export type SpeakerResult =
  | { readonly target: string; readonly ok: true; readonly status: SpeakerStatus }
  | { readonly target: string; readonly ok: false; readonly error: string };
