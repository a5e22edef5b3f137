// The vocabulary of `heraldctl migrate metallb`: MetalLB objects as read (from files, a legacy ConfigMap or the
// cluster), and the notes that say what has no Herald equivalent, naming the source object and field.

/** The metallb.io kinds that carry configuration (MetalLB v0.13+, as documented for v0.15). */
export const metallbKinds = [
  'IPAddressPool',
  'BGPPeer',
  'BGPAdvertisement',
  'Community',
  'BFDProfile',
  'L2Advertisement',
] as const;
export type MetallbKind = (typeof metallbKinds)[number];

/** Where an object came from, so a note can name the field as the user wrote it. */
export interface SourceRef {
  /** "BGPPeer metallb-system/tor-1", or "ConfigMap metallb-system/config" for the legacy format. */
  readonly label: string;
  /** A field of the CR shape ("spec.holdTime") as it is spelled in the source ("peers[0].hold-time"). */
  readonly field: (crField: string) => string;
}

export interface MetallbObject {
  readonly kind: MetallbKind;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly source: SourceRef;
}

/**
 * One thing the conversion could not carry over as it was: `dropped` (no equivalent: not in the output),
 * `adapted` (carried over in a different form that keeps the meaning), `ignored` (not configuration).
 */
export interface MigrationNote {
  readonly action: 'dropped' | 'adapted' | 'ignored';
  /** The source object, e.g. "BGPPeer metallb-system/tor-1". */
  readonly source: string;
  /** The field in the source, e.g. "spec.bfdProfile" ('' for the whole object). */
  readonly field: string;
  readonly reason: string;
}

export const crSource = (kind: string, name: string, namespace: string | undefined): SourceRef => ({
  label: `${kind} ${namespace ? `${namespace}/` : ''}${name}`,
  field: (f) => f,
});

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function formatNote(n: MigrationNote): string {
  return `${n.action.padEnd(7)} ${n.source}${n.field ? ` ${n.field}` : ''}: ${n.reason}`;
}
