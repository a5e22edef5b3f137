/**
 * Which node announces an address: rendezvous (highest random weight) hashing, Thaler & Ravishankar 1998.
 * Every candidate node gets a score for the address; the highest score wins. Every speaker computes the
 * same answer from the same inputs (the address and the set of eligible, alive nodes) without talking to
 * anyone, addresses spread evenly over the nodes, and when a node leaves only the addresses it held move
 * (each to its own runner-up), while a node that returns takes back exactly those.
 *
 * The score is part of Herald's contract between speakers, like a wire format: speakers of different
 * versions in one cluster (a rolling upgrade) must compute the same winner, so it is specified here and
 * in docs/l2.md and never changed silently:
 *
 *   score(node, address) = the first 6 bytes of SHA-256(node name, 0x00, canonical address text),
 *                          read as an unsigned big-endian integer; ties go to the node name that sorts first.
 */
import { createHash } from 'node:crypto';

export function rendezvousScore(node: string, address: string): number {
  return createHash('sha256').update(node).update('\u0000').update(address).digest().readUIntBE(0, 6);
}

/** The winner among `candidates` (node name → its score for the address); undefined when there is none. */
export function highestScore(candidates: Iterable<readonly [string, number]>): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const [node, score] of candidates) {
    if (score > bestScore || (score === bestScore && best !== undefined && node < best)) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}

/** The announcer of `address` among `nodes` (convenience for tools and tests; the engine caches scores). */
export function chooseAnnouncer(address: string, nodes: Iterable<string>): string | undefined {
  const scored: Array<[string, number]> = [];
  for (const n of nodes) scored.push([n, rendezvousScore(n, address)]);
  return highestScore(scored);
}
