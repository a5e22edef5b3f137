// Kubernetes label selectors (metav1.LabelSelector): the typed form, the matcher, and the syntax rules for
// label keys and values, so a selector that Kubernetes would reject is rejected here too, with a reason.

export const selectorOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type SelectorOperator = (typeof selectorOperators)[number];

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** Non-empty for In/NotIn, empty for Exists/DoesNotExist (validation enforces it). */
  readonly values: readonly string[];
}

/**
 * A parsed selector. Both parts are always present (empty when omitted). An empty selector (`{}`) matches
 * every label set, as in Kubernetes. "Nil" selectors do not exist in the typed config: a selector LIST that is
 * omitted or empty means "no restriction" (see matchesAnySelector).
 */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

export type Labels = Readonly<Record<string, string>>;

/**
 * Kubernetes semantics: every matchLabels pair must be present with that value AND every expression must hold.
 * In: key present with one of values. NotIn: key absent, or present with a value not in values.
 * Exists: key present. DoesNotExist: key absent.
 */
export function matchesLabelSelector(selector: LabelSelector, labels: Labels | undefined): boolean {
  const l: Labels = labels ?? {};
  const has = (k: string): boolean => Object.hasOwn(l, k);
  for (const [k, v] of Object.entries(selector.matchLabels)) {
    if (!has(k) || l[k] !== v) return false;
  }
  for (const req of selector.matchExpressions) {
    switch (req.operator) {
      case 'In':
        if (!has(req.key) || !req.values.includes(l[req.key]!)) return false;
        break;
      case 'NotIn':
        if (has(req.key) && req.values.includes(l[req.key]!)) return false;
        break;
      case 'Exists':
        if (!has(req.key)) return false;
        break;
      case 'DoesNotExist':
        if (has(req.key)) return false;
        break;
    }
  }
  return true;
}

/** OR over a list of selectors; an empty list means "no restriction" and matches everything. */
export function matchesAnySelector(selectors: readonly LabelSelector[], labels: Labels | undefined): boolean {
  if (selectors.length === 0) return true;
  return selectors.some((s) => matchesLabelSelector(s, labels));
}

// k8s.io/apimachinery/pkg/util/validation: qualified name and label value.
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why a label key is invalid (Kubernetes qualified-name rules), or undefined when it is valid. */
export function labelKeyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return `label key "${key}" has more than one "/"`;
  let name = parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) return `label key "${key}" has an empty prefix before "/"`;
    if (prefix.length > 253) return `label key prefix "${prefix}" is longer than 253 characters`;
    if (!DNS1123_SUBDOMAIN.test(prefix))
      return `label key prefix "${prefix}" must be a DNS subdomain (lower case alphanumerics, "-" and ".")`;
  }
  if (name.length === 0) return `label key "${key}" has an empty name`;
  if (name.length > 63) return `label key name "${name}" is longer than 63 characters`;
  if (!NAME_PART.test(name))
    return `label key name "${name}" must start and end with an alphanumeric and contain only alphanumerics, "-", "_" and "."`;
  return undefined;
}

/** Why a label value is invalid, or undefined when it is valid (the empty value is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value.length === 0) return undefined;
  if (value.length > 63) return `label value "${value}" is longer than 63 characters`;
  if (!NAME_PART.test(value))
    return `label value "${value}" must start and end with an alphanumeric and contain only alphanumerics, "-", "_" and "."`;
  return undefined;
}
