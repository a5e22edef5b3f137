// Service annotation hygiene: which `herald.dev/` keys exist (the one list is `annotations` in constants.ts —
// add a key there and it is known everywhere), what a valid value of a key looks like where the controller
// cannot find out otherwise, and the one wording of every annotation problem:
//
//   herald.dev/adress-pool: unknown annotation, ignored; did you mean "herald.dev/address-pool"?
//   herald.dev/ip-mode: "proxy" is not one of VIP, Proxy; did you mean "Proxy"?
//
// the same `what: reason; did you mean "x"?` shape as configuration errors. Values that are allocation inputs
// (loadBalancerIPs, address-pool) are checked by the allocator, which knows the pools; its AllocationFailed
// messages use annotationProblem() for them, so both kinds of Event read alike.
import { annotations } from './constants.ts';
import { didYouMean } from './shape.ts';

export const annotationPrefix = 'herald.dev/';

/** Every annotation key Herald reads or writes. */
export const knownAnnotations: readonly string[] = Object.values(annotations);

/** Values of `status.loadBalancer.ingress[].ipMode` (KEP-1860), as the API spells them. */
export const ipModes = ['VIP', 'Proxy'] as const;
export type IPMode = (typeof ipModes)[number];

/** `KEY: REASON; did you mean "X"?` — the suggestion only when a candidate is close to WORD. */
export function annotationProblem(
  key: string,
  reason: string,
  suggest?: { readonly word: string; readonly candidates: readonly string[] },
): string {
  const close = suggest === undefined ? undefined : didYouMean(suggest.word, suggest.candidates);
  return `${key}: ${reason}${close === undefined ? '' : `; did you mean "${close}"?`}`;
}

/** A value check: undefined when VALUE is valid, else the reason (without the key). */
type ValueCheck = (
  value: string,
) => { reason: string; word?: string; candidates?: readonly string[] } | undefined;

/**
 * Checks of values that nothing else reports. A key another helper adds whose value the controller does not
 * otherwise use gets its check here, so a bad value is reported once, by the controller.
 */
const valueChecks: Readonly<Record<string, ValueCheck>> = {
  [annotations.ipMode]: (value) =>
    (ipModes as readonly string[]).includes(value)
      ? undefined
      : { reason: `"${value}" is not one of ${ipModes.join(', ')}`, word: value, candidates: ipModes },
};

export interface AnnotationReport {
  readonly key: string;
  /** annotationProblem() text. */
  readonly message: string;
}

/**
 * Problems with a Service's `herald.dev/` annotations: unknown keys (with the closest known key) and invalid
 * values of keys in `valueChecks`. Other prefixes are not ours and are never reported. Sorted by key.
 */
export function annotationReports(all: Readonly<Record<string, string>> | undefined): AnnotationReport[] {
  const out: AnnotationReport[] = [];
  for (const key of Object.keys(all ?? {}).sort()) {
    if (!key.startsWith(annotationPrefix)) continue;
    if (!knownAnnotations.includes(key)) {
      // Compare whole keys: a typo in the prefix ("herald.dev/address-pol") and in the name read the same.
      const reason = 'unknown annotation, ignored';
      out.push({ key, message: annotationProblem(key, reason, { word: key, candidates: knownAnnotations }) });
      continue;
    }
    const problem = valueChecks[key]?.(all?.[key] ?? '');
    if (problem !== undefined) {
      const suggest =
        problem.word === undefined ? undefined : { word: problem.word, candidates: problem.candidates ?? [] };
      out.push({ key, message: annotationProblem(key, problem.reason, suggest) });
    }
  }
  return out;
}

/** The ipMode a Service asks for; undefined when the annotation is absent or invalid (see annotationReports). */
export function requestedIPMode(all: Readonly<Record<string, string>> | undefined): IPMode | undefined {
  const value = all?.[annotations.ipMode];
  return (ipModes as readonly string[]).includes(value ?? '') ? (value as IPMode) : undefined;
}
