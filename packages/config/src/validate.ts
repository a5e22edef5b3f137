import type { ConfigResult } from './types.ts';

/** Validates a plain object (already parsed from YAML/JSON) and builds the typed, defaulted config. */
export function validateConfig(input: unknown): ConfigResult {
  void input;
  return { ok: false, errors: [{ path: '', message: 'not implemented yet' }], warnings: [] };
}
