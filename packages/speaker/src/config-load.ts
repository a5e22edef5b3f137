// From the ConfigMap object to a ConfigLoad for the runtime: missing, invalid (every error with its path),
// or valid (reduced to the speaker's view).

import type { ConfigResult } from '@herald/config';
import { type PeerSettings, toSpeakerView } from './config-view.ts';
import type { ConfigLoad } from './runtime.ts';

export type ParseResult = ConfigResult;

export function loadSpeakerConfig(
  configMap: unknown,
  key: string,
  parse: (text: string) => ParseResult,
): ConfigLoad<PeerSettings> {
  if (!configMap) return { kind: 'missing' };
  const data = (configMap as { data?: Record<string, string> }).data ?? {};
  const text = data[key];
  if (text === undefined) return { kind: 'invalid', errors: [`data.${key}: key missing from the ConfigMap`] };
  let result: ParseResult;
  try {
    result = parse(text);
  } catch (err) {
    // A parser bug must not take the speaker down; it is reported like any invalid config.
    return {
      kind: 'invalid',
      errors: [`config parser failed: ${err instanceof Error ? err.message : String(err)}`],
    };
  }
  if (!result.ok) {
    return {
      kind: 'invalid',
      errors: result.errors.map(
        (e) => `${e.path || '(document)'}: ${e.message}${e.line !== undefined ? ` (line ${e.line})` : ''}`,
      ),
    };
  }
  const { view, sessions } = toSpeakerView(result.config);
  return { kind: 'valid', view, sessions };
}
