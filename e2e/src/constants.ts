// Names and numbers the test bed uses in more than one place, defined once. Lab addressing and the lab
// router's ASN live with the lab (lab/topology.ts, lab/lab.ts); everything Herald-specific is here.
import { join } from 'node:path';

/** The repository root (absolute, with a trailing slash). */
export const REPO_ROOT = new URL('../../', import.meta.url).pathname;
export const CHART_DIR = join(REPO_ROOT, 'charts/herald');

/** The Helm release the test bed installs, and the names the chart derives from it. */
export const RELEASE = 'herald';
export const HERALD_NAMESPACE = 'herald-system';
export const CONFIG_MAP = 'herald-config';
export const CONTROLLER_SA = 'herald-controller';
export const SPEAKER_SA = 'herald-speaker';
export const LEASE = 'herald-controller';
export const CONTROLLER_DEPLOYMENT = `${RELEASE}-controller`;
export const SPEAKER_DAEMONSET = `${RELEASE}-speaker`;

/** The speakers' AS number in every test that runs them. */
export const NODE_ASN = 64600;
/** The speakers' /metrics and /status port on every node (the chart's default; HTTPS with a token). */
export const SPEAKER_METRICS_PORT = 7473;
/** The speakers' /healthz and /readyz port, on each node's loopback only (the chart's default). */
export const SPEAKER_HEALTH_PORT = 7474;
/**
 * The ServiceAccount the test bed reads /metrics and /status as: the chart's values bind it as a status
 * reader (values.ts), the way an operator binds whoever runs `heraldctl status`.
 */
export const READER_SA = 'herald-e2e-reader';

/** The Node object for lab node namespace INDEX. */
export function nodeName(index: number): string {
  return `node-${index}`;
}
