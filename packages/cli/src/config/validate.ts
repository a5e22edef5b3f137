// `heraldctl config validate`, the work: the same validation the controller and speaker run. Loaded only when
// the command runs (YAML parser and schema), so other heraldctl commands never load it.
import { type ConfigError, formatConfigError, type HeraldConfig, parseConfigSource } from '@herald/config';
import { inputName, readInput } from '../read-input.ts';
import type { ConfigCommandIo } from './command.ts';

/** The one-line summary of a valid configuration (`config validate`, `doctor`). */
export function configSummary(config: HeraldConfig): string {
  const n = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  return (
    `valid: ${n(config.addressPools.length, 'address pool')}, ${n(config.peers.length, 'peer')}, ${n(
      config.bgpAdvertisements.length,
      'advertisement',
    )}, ${n(config.bgpCommunities.size, 'community alias')}`.replace(
      'community aliass',
      'community aliases',
    ) +
    (config.l2Advertisements.length > 0 ? `, ${n(config.l2Advertisements.length, 'L2 advertisement')}` : '')
  );
}

const jsonError = (e: ConfigError) => ({ ...e, text: formatConfigError(e) });

/** Runs `config validate`; returns the exit code (0 valid, 1 invalid, 2 usage / unreadable input). */
export function runValidate(file: string, output: string, io: ConfigCommandIo): number {
  const input = readInput(file, io.readStdin);
  if (!input.ok) {
    io.stderr(`error: ${input.error}\n`);
    return 2;
  }
  const r = parseConfigSource(input.text);
  if (output === 'json') {
    const body = r.ok
      ? {
          valid: true,
          source: r.source,
          summary: configSummary(r.config),
          errors: [],
          warnings: r.warnings.map(jsonError),
        }
      : {
          valid: false,
          source: r.source,
          errors: r.errors.map(jsonError),
          warnings: r.warnings.map(jsonError),
        };
    io.stdout(`${JSON.stringify(body, null, 2)}\n`);
    return r.ok ? 0 : 1;
  }
  for (const w of r.warnings) io.stderr(`warning: ${formatConfigError(w)}\n`);
  if (!r.ok) {
    for (const e of r.errors) io.stdout(`${formatConfigError(e)}\n`);
    io.stderr(`${inputName(file)}: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}\n`);
    return 1;
  }
  io.stdout(`${configSummary(r.config)}\n`);
  return 0;
}
