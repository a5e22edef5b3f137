// From the ConfigMap to pools: parse with @herald/config and report every error at once. The caller keeps
// the last good config when this fails.

import {
  type ConfigError,
  configMapKey,
  formatConfigError,
  type HeraldConfig,
  parseConfig,
} from '@herald/config';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { PoolDefinition } from './allocator/index.ts';

export type ConfigLoad =
  | {
      readonly ok: true;
      readonly config: HeraldConfig;
      readonly pools: readonly PoolDefinition[];
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly errors: readonly string[] };

export function loadConfig(cm: V1ConfigMap | undefined, namespace: string, name: string): ConfigLoad {
  if (cm === undefined) return { ok: false, errors: [`ConfigMap ${namespace}/${name} does not exist`] };
  const text = cm.data?.[configMapKey];
  if (text === undefined)
    return { ok: false, errors: [`ConfigMap ${namespace}/${name} has no data key "${configMapKey}"`] };
  const result = parseConfig(text);
  const fmt = (e: ConfigError): string =>
    formatConfigError(e) + (e.line !== undefined ? ` (line ${e.line})` : '');
  if (!result.ok) return { ok: false, errors: result.errors.map(fmt) };
  return {
    ok: true,
    config: result.config,
    pools: result.config.addressPools,
    warnings: result.warnings.map(fmt),
  };
}
