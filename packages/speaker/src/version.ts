import { packageVersion } from '@herald/kube/process';

/** The version from this package's package.json, so `--version` never drifts from the release. */
export const version: string = packageVersion(new URL('../package.json', import.meta.url));
