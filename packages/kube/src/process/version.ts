import { readFileSync } from 'node:fs';

/**
 * The version in the package.json at `packageJson` (pass `new URL('../package.json', import.meta.url)`), so
 * `--version` never drifts from the release; the same relative path holds in the repo (src/) and in the
 * images (dist/).
 */
export function packageVersion(packageJson: URL): string {
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}
