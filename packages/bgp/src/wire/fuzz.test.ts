/**
 * Mutation fuzzing of the decoder: bit flips, truncations, length-field edits and byte insertions applied to
 * valid messages, with a fixed seed and a fixed count so the run is deterministic. Every input must decode or
 * fail with a BgpError carrying a valid NOTIFICATION code — never throw, never hang.
 */
import { describe, expect, test } from '@jest/globals';
import { BgpError } from '../errors.ts';
import { corpus, mutate, rng } from '../testing/mutations.ts';
import { MessageFramer } from './header.ts';
import { decodeMessage } from './message.ts';
import type { CodecContext } from './messages.ts';

describe('decoder mutation fuzz', () => {
  test('20,000 mutated messages: no exception, every error a valid NOTIFICATION', () => {
    const r = rng(0x5eed);
    const seeds = corpus();
    const contexts: CodecContext[] = [
      { fourOctetAsn: true, maxMessageSize: 4096, ebgp: true },
      { fourOctetAsn: false, maxMessageSize: 65535, ebgp: false },
    ];
    let decodedOk = 0;
    let errors = 0;
    const codes = new Set<string>();
    for (let n = 0; n < 20_000; n++) {
      const input = mutate(seeds[n % seeds.length]!, r);
      const ctx = contexts[n & 1]!;
      const framer = new MessageFramer(ctx.maxMessageSize);
      framer.push(input);
      let next: ReturnType<MessageFramer['next']>;
      try {
        next = framer.next();
        if (next === undefined) continue; // incomplete message: the real session waits (hold timer bounds it)
        if (!next.ok) {
          expect(next.error).toBeInstanceOf(BgpError);
          expect(next.error.code).toBe(1);
          errors++;
          codes.add(`${next.error.code}/${next.error.subcode}`);
          continue;
        }
        const d = decodeMessage(next.value.message, next.value.header.type, ctx);
        if (d.ok) decodedOk++;
        else {
          expect(d.error).toBeInstanceOf(BgpError);
          expect(d.error.code >= 1 && d.error.code <= 7).toBe(true);
          expect(d.error.message).not.toMatch(/decoder failure/);
          errors++;
          codes.add(`${d.error.code}/${d.error.subcode}`);
        }
      } catch (err) {
        throw new Error(`decoder threw on ${input.toString('hex')}: ${(err as Error).stack}`);
      }
    }
    // The mutations must actually exercise both outcomes and many distinct error paths.
    expect(decodedOk).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(1000);
    expect(codes.size).toBeGreaterThan(10);
  });
});
