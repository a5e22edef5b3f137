import { FakeClock } from '@herald/kube';
import { Damper } from './damper.ts';

describe('Damper', () => {
  const params = { settleMs: 2000, maxDelayMs: 10_000 };

  test('a change is written once it has been the same for settleMs', () => {
    const clock = new FakeClock();
    const d = new Damper(params, () => clock.now());
    expect(d.decide('s', 'A')).toBe(2000);
    clock.advance(1500);
    expect(d.decide('s', 'A')).toBe(500);
    clock.advance(500);
    expect(d.decide('s', 'A')).toBe(0);
    expect(d.pending).toBe(0);
  });

  test('a flap that returns inside settleMs is never written', () => {
    const clock = new FakeClock();
    const d = new Damper(params, () => clock.now());
    expect(d.decide('s', 'B')).toBe(2000);
    clock.advance(800);
    d.forget('s'); // the status shows what is wanted again
    clock.advance(5000);
    expect(d.decide('s', 'B')).toBe(2000); // a new change starts a new wait
  });

  test('a list that never settles is still written every maxDelayMs', () => {
    const clock = new FakeClock();
    const d = new Damper(params, () => clock.now());
    // The wanted list flips every second, forever: a write 10 s after the first unwritten change, each time.
    const writes: number[] = [];
    for (let t = 0; t < 35_000; t += 1000) {
      if (d.decide('s', t % 2000 === 0 ? 'A' : 'B') === 0) writes.push(t);
      clock.advance(1000);
    }
    expect(writes).toEqual([10_000, 21_000, 32_000]);
  });

  test('keys are independent', () => {
    const clock = new FakeClock();
    const d = new Damper(params, () => clock.now());
    d.decide('a', 'X');
    clock.advance(1000);
    expect(d.decide('b', 'X')).toBe(2000);
    clock.advance(1000);
    expect(d.decide('a', 'X')).toBe(0);
    expect(d.decide('b', 'X')).toBe(1000);
  });
});
