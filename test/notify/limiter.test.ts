import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter, SlidingWindow, TELEGRAM_POLICY } from '../../src/notify/limiter.ts';
import type { Destination } from '../../src/store/types.ts';

/** Largest number of times inside any window (x − W, x]. */
function maxInWindow(times: number[], windowMs: number): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    while (s[j]! <= s[i]! - windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

const chat = (id: string): Destination => ({ platform: 'telegram', kind: 'user', id });
const group = (id: string): Destination => ({ platform: 'telegram', kind: 'channel', id });

describe('sliding-window slot reservation', () => {
  it('never exceeds the limit, for arbitrary request times (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 120 }), fc.integer({ min: 1, max: 5 }), (requests, limit) => {
        const w = new SlidingWindow(limit, 1000);
        const granted: number[] = [];
        let now = 0;
        for (const r of requests.sort((a, b) => a - b)) {
          now = r;
          w.prune(now);
          const t = w.earliest(now);
          expect(t).toBeGreaterThanOrEqual(now);
          w.reserve(t);
          granted.push(t);
        }
        expect(maxInWindow(granted, 1000)).toBeLessThanOrEqual(limit);
      }),
    );
  });

  it('grants the earliest slot: a gap before future reservations is used', () => {
    const w = new SlidingWindow(1, 1000);
    w.reserve(5000);
    expect(w.earliest(0)).toBe(0);
    expect(w.earliest(4500)).toBe(6000);
  });

  it('Telegram: 1/s per chat, 20/min per group, 30/s overall — and exactly those rates', () => {
    const lim = new RateLimiter({ telegram: TELEGRAM_POLICY });
    const one = Array.from({ length: 5 }, () => lim.reserve(chat('a'), 0));
    expect(one).toEqual([0, 1000, 2000, 3000, 4000]);

    const g = new RateLimiter({ telegram: TELEGRAM_POLICY });
    const slots = Array.from({ length: 41 }, () => g.reserve(group('-100'), 0));
    expect(maxInWindow(slots, 60_000)).toBe(20);
    expect(maxInWindow(slots, 1000)).toBe(1);
    expect(slots[20]).toBe(60_000);
    expect(slots[40]).toBe(120_000);

    const all = new RateLimiter({ telegram: TELEGRAM_POLICY });
    const many = Array.from({ length: 300 }, (_, i) => all.reserve(chat(`c${i}`), 0));
    expect(maxInWindow(many, 1000)).toBe(30);
    expect(Math.max(...many)).toBe(9000);
  });

  it('a busy chat does not delay another chat; platforms without a policy are not paced', () => {
    const lim = new RateLimiter({ telegram: TELEGRAM_POLICY });
    for (let i = 0; i < 10; i++) lim.reserve(chat('busy'), 0);
    expect(lim.reserve(chat('other'), 0)).toBe(0);
    expect(lim.reserve({ platform: 'discord', kind: 'channel', id: '1' }, 7)).toBe(7);
  });
});
