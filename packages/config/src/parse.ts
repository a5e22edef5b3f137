import type { ConfigError, ConfigResult } from './types.ts';

/** Parses config.yaml text (YAML 1.2 core schema; JSON is YAML) and validates it. Never throws. */
export function parseConfig(text: string): ConfigResult {
  void text;
  return { ok: false, errors: [{ path: '', message: 'not implemented yet' }], warnings: [] };
}

export type ConfigSourceResult = ConfigResult & { readonly source: 'config' | 'configmap' };

/**
 * Accepts either config.yaml itself or a Kubernetes manifest (one or more YAML documents) holding the
 * ConfigMap `herald-config` with data["config.yaml"]; validates the config inside.
 */
export function parseConfigSource(text: string): ConfigSourceResult {
  return { ...parseConfig(text), source: 'config' };
}

/** `path: reason` (just the reason for document-level errors whose path is empty). */
export function formatConfigError(e: ConfigError): string {
  return e.path === '' ? e.message : `${e.path}: ${e.message}`;
}
