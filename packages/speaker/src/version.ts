import { readFileSync } from 'node:fs';

/** The version from this package's package.json, so `--version` never drifts from the release. */
export const version: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
