/**
 * The numbers a BFD session is configured with (RFC 5880 §4.1, §6.8.1) and Herald's limits on them, checked
 * here once for the config validator, heraldctl and the speaker. Intervals are milliseconds in
 * configuration and on the command line; the wire and @herald/bfd use microseconds (`bfdMicroseconds`).
 */

/**
 * The shortest interval Herald accepts for minReceive / minTransmit. Measured, not guessed: see
 * docs/bfd.md ("How fast Node can go") for the transmit-delay figures under load it rests on.
 */
export const BFD_INTERVAL_MIN_MS = 50;
/** The longest: one minute (FRR and BIRD stop at 60 s too); slower detection is BGP's hold timer's job. */
export const BFD_INTERVAL_MAX_MS = 60_000;
/** Detect Mult is an 8-bit field; 0 is invalid (§6.8.6). */
export const BFD_MULTIPLIER_MAX = 255;

/** FRR's and BIRD's defaults, the usual production choice: 300 ms × 3, detection within 900 ms. */
export const BFD_DEFAULTS = { minReceiveMs: 300, minTransmitMs: 300, multiplier: 3 } as const;

const isInt = (n: unknown, min: number, max: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

export function isBfdInterval(ms: unknown): ms is number {
  return isInt(ms, BFD_INTERVAL_MIN_MS, BFD_INTERVAL_MAX_MS);
}

export function isBfdMultiplier(n: unknown): n is number {
  return isInt(n, 1, BFD_MULTIPLIER_MAX);
}

/** Milliseconds (configuration) → microseconds (RFC 5880 fields). */
export function bfdMicroseconds(ms: number): number {
  return ms * 1000;
}

/**
 * Which BFD a BGP session gets: multihop (RFC 5883, port 4784) when the session is configured to span more
 * than one hop (eBGP multihop TTL above 1), as FRR decides it; single hop (RFC 5881, port 3784) otherwise.
 */
export function isMultihopBfd(ebgpMultihop: number | undefined): boolean {
  return ebgpMultihop !== undefined && ebgpMultihop > 1;
}
