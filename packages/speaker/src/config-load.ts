// From the ConfigMap object to the speaker's configuration: @herald/kube's one ConfigMap source (missing,
// invalid with every error and its path, or valid), reduced to the speaker's view when valid, with each
// peer's password resolved from its Secret. A config whose socket settings this node cannot apply (the
// native socket layer does not load) is invalid here, with the layer's reason.

import { type ConfigResult, type HeraldConfig, nativeSocketErrors } from '@herald/config';
import { type ConfigMapData, describeConfigError, loadConfigMap } from '@herald/kube';
import type { NativeSupport } from '@herald/native';
import { type PasswordSource, type PeerSettings, toSpeakerView } from './config-view.ts';
import type { SpeakerConfigLoad } from './runtime.ts';

export type ParseResult = ConfigResult;

export interface SpeakerConfigContext {
  /** The peers' passwords (default: none can be resolved). */
  readonly passwords?: PasswordSource;
  /** Whether the native socket layer works on this node (default: it does). */
  readonly native?: NativeSupport;
  /** Called with every valid config before it is reduced (the speaker watches the Secrets it names). */
  readonly loaded?: (config: HeraldConfig) => void;
}

export function loadSpeakerConfig(
  configMap: unknown,
  key: string,
  parse: (text: string) => ParseResult,
  context: SpeakerConfigContext = {},
): SpeakerConfigLoad<PeerSettings> {
  const load = loadConfigMap((configMap ?? undefined) as ConfigMapData | undefined, key, parse);
  if (load.kind !== 'valid') return load;
  const native = context.native;
  if (native !== undefined && !native.ok) {
    const errors = nativeSocketErrors(load.config, native.reason);
    if (errors.length > 0) return { kind: 'invalid', errors: errors.map(describeConfigError) };
  }
  context.loaded?.(load.config);
  const { view, sessions } = toSpeakerView(load.config, context.passwords);
  return { kind: 'valid', view, sessions, digest: load.digest };
}
