// peers[]: what a router may do to a speaker — the lowest hold time it may impose (minHoldTime) and how many
// prefixes it may send (maxPrefixes). The numbers' rules are @herald/inet's; the defaults are constants.ts'.
import { HOLD_TIME_MAX, isHoldTime } from '@herald/inet';
import { defaults } from '../constants.ts';
import { parseDuration } from '../duration.ts';
import type { Path } from '../path.ts';
import { type Ctx, err, field, duration as seconds } from './context.ts';

const defaultSeconds = (text: string): number => (parseDuration(text) as { seconds: number }).seconds;

/** The minHoldTime in force: as written, else 3s — or 0s when the peer's own holdTime is 0s (nothing to refuse). */
export function effectiveMinHoldTime(peer: unknown): number {
  const written = seconds(field(peer, 'minHoldTime'));
  if (written !== undefined) return written;
  return seconds(field(peer, 'holdTime')) === 0 ? 0 : defaultSeconds(defaults.minHoldTime);
}

export function checkPeerLimits(ctx: Ctx, peer: unknown, p: Path): void {
  const min = seconds(field(peer, 'minHoldTime'));
  if (min !== undefined) {
    const hold = seconds(field(peer, 'holdTime')) ?? defaultSeconds(defaults.holdTime);
    if (!isHoldTime(min))
      err(
        ctx,
        [...p, 'minHoldTime'],
        min > HOLD_TIME_MAX
          ? `${min}s exceeds 65535s (16-bit field)`
          : `${min}s is not a hold time: 0s or at least 3s (RFC 4271 §4.2)`,
      );
    else if (hold === 0 && min !== 0)
      err(ctx, [...p, 'minHoldTime'], 'must be 0s when holdTime is 0s (the session has no hold timer)');
    else if (isHoldTime(hold) && min > hold)
      err(
        ctx,
        [...p, 'minHoldTime'],
        `${min}s is longer than holdTime ${hold}s; it must be at most the hold time`,
      );
  }
  const restart = seconds(field(field(peer, 'maxPrefixes'), 'restartTime'));
  if (restart !== undefined && (restart < 1 || restart > HOLD_TIME_MAX))
    err(ctx, [...p, 'maxPrefixes', 'restartTime'], `${restart}s is out of range: must be 1s..65535s`);
}
