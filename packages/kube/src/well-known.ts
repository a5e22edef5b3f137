// Well-known Kubernetes labels Herald's programs read, named once.

/** The label tying an EndpointSlice to its Service (same namespace). */
export const serviceNameLabel = 'kubernetes.io/service-name';

/**
 * A Node with this label (any value) takes no LoadBalancer traffic: the speaker announces nothing from it and
 * node-address pools never list it (the same rule Kubernetes' service controller applies).
 */
export const excludeFromExternalLoadBalancersLabel =
  'node.kubernetes.io/exclude-from-external-load-balancers';
