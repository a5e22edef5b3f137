// The one way a Herald program turns its ConfigMap into configuration: watch the one ConfigMap by name (a
// field selector, which the chart's resourceNames-restricted RBAC requires), and parse + validate its
// config.yaml with @herald/config, reporting every error at once with its path. Callers keep the last good
// configuration when the result is not `valid`.

import { createHash } from 'node:crypto';
import {
  type ConfigError,
  type ConfigResult,
  configMapKey,
  formatConfigError,
  type HeraldConfig,
  parseConfig,
} from '@herald/config';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { KubeClient } from '../api/client.ts';
import { type NamedReflectorOptions, namedReflector } from '../reflector/named.ts';
import type { Reflector } from '../reflector/reflector.ts';

export type ConfigLoad =
  | {
      readonly kind: 'valid';
      readonly config: HeraldConfig;
      readonly warnings: readonly string[];
      /** configDigest() of the text: which configuration a program runs, comparable with the ConfigMap's. */
      readonly digest: string;
    }
  | { readonly kind: 'invalid'; readonly errors: readonly string[] }
  | { readonly kind: 'missing' };

/** The part of a ConfigMap that is read. */
export interface ConfigMapData {
  readonly data?: Readonly<Record<string, string>>;
}

/**
 * What a program shows in /status about its configuration (both programs, one shape): whether one is in force,
 * whether the ConfigMap has since become invalid or gone (stale: the last good one stays in force), the errors,
 * and the digest of the text in force — `heraldctl doctor` compares it with the ConfigMap's.
 */
export interface ConfigStatus {
  readonly loaded: boolean;
  readonly stale: boolean;
  readonly errors: readonly string[];
  readonly loadedAt: string | null;
  readonly digest: string | null;
}

/** `sha256:<hex>` of a config.yaml text, byte for byte (so any edit, even a comment, is a new digest). */
export function configDigest(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/** `path: reason (line N)`. */
export function describeConfigError(e: ConfigError): string {
  return formatConfigError(e) + (e.line !== undefined ? ` (line ${e.line})` : '');
}

/** The config in `configMap.data[key]`, validated; a missing ConfigMap is `missing`, not an error list. */
export function loadConfigMap(
  configMap: ConfigMapData | undefined,
  key: string = configMapKey,
  parse: (text: string) => ConfigResult = parseConfig,
): ConfigLoad {
  if (configMap === undefined) return { kind: 'missing' };
  const text = configMap.data?.[key];
  if (text === undefined) return { kind: 'invalid', errors: [`data.${key}: key missing from the ConfigMap`] };
  let result: ConfigResult;
  try {
    result = parse(text);
  } catch (err) {
    // A parser bug must not take a program down; it is reported like any invalid config.
    return {
      kind: 'invalid',
      errors: [`config parser failed: ${err instanceof Error ? err.message : String(err)}`],
    };
  }
  if (!result.ok) return { kind: 'invalid', errors: result.errors.map(describeConfigError) };
  return {
    kind: 'valid',
    config: result.config,
    warnings: result.warnings.map(describeConfigError),
    digest: configDigest(text),
  };
}

/** The text a missing ConfigMap is reported with. */
export function missingConfigMapMessage(namespace: string, name: string): string {
  return `ConfigMap ${namespace}/${name} does not exist`;
}

export type ConfigMapReflectorOptions = NamedReflectorOptions<V1ConfigMap> & {
  readonly api: Pick<KubeClient, 'list'>;
};

/** A cache of exactly one ConfigMap, kept whole (it is small); its key is `namespace/name`. */
export function configMapReflector(o: ConfigMapReflectorOptions): Reflector<V1ConfigMap> {
  const { api, ...rest } = o;
  return namedReflector<V1ConfigMap>('configmaps', api, rest);
}
