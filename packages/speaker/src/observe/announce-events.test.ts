import { FakeClock } from '@herald/kube';
import { AnnouncementEventThrottle } from './announce-events.ts';

function fakeClock() {
  const clock = new FakeClock(0);
  return { clock, advance: (ms: number) => clock.advance(ms) };
}

const on = { announcing: true, detail: 'x' };
const off = { announcing: false, detail: 'y' };

describe('AnnouncementEventThrottle', () => {
  it('emits on a transition and coalesces flaps inside the cooldown', () => {
    const { clock, advance } = fakeClock();
    const events: string[] = [];
    const t = new AnnouncementEventThrottle((k, s) => events.push(`${k}:${s.announcing}`), 1000, clock);
    t.observe('a', on);
    expect(events).toEqual(['a:true']);
    t.observe('a', off);
    t.observe('a', on);
    advance(1000);
    // Flipped back before the cooldown ended: nothing to report.
    expect(events).toEqual(['a:true']);
    t.observe('a', off);
    expect(events).toEqual(['a:true', 'a:false']);
    t.observe('a', on);
    expect(events).toHaveLength(2);
    advance(999);
    expect(events).toHaveLength(2);
    advance(1);
    expect(events).toEqual(['a:true', 'a:false', 'a:true']);
  });

  it('does not emit for the baseline or for unchanged states, and forgets deleted Services', () => {
    const { clock, advance } = fakeClock();
    const events: string[] = [];
    const t = new AnnouncementEventThrottle((k, s) => events.push(`${k}:${s.announcing}`), 1000, clock);
    t.baseline('a', on);
    t.observe('a', on);
    t.observe('b', off);
    expect(events).toEqual([]);
    t.observe('a', off);
    t.observe('a', on);
    t.forget('a');
    advance(5000);
    expect(events).toEqual(['a:false']);
  });
});
