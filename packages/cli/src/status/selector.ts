/** The labels the Helm chart puts on speaker Pods. Kept apart from discover.ts so that loading heraldctl
 * does not load the Kubernetes client unless a command needs it. */
export const speakerLabelSelector = 'app.kubernetes.io/name=herald,app.kubernetes.io/component=speaker';
