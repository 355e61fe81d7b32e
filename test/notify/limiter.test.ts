import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter, SendLog, TELEGRAM_POLICY } from '../../src/notify/limiter.ts';
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

/**
 * Simulates the delivery-queue protocol: each destination has a backlog, sends one at a time,
 * waits for readyAt, then reserves a slot. Returns send times per destination.
 */
function simulate(backlog: Map<Destination, number>, lim = new RateLimiter({ telegram: TELEGRAM_POLICY })): Map<Destination, number[]> {
  const sent = new Map<Destination, number[]>([...backlog.keys()].map((d) => [d, []]));
  const wake = new Map<Destination, number>([...backlog.keys()].map((d) => [d, 0]));
  for (;;) {
    const live = [...wake].filter(([d]) => backlog.get(d)! > 0);
    if (live.length === 0) return sent;
    const [d, now] = live.reduce((a, b) => (b[1] < a[1] ? b : a));
    const ready = lim.readyAt(d, now);
    if (ready > now) {
      wake.set(d, ready);
      continue;
    }
    const slot = lim.reserve(d, now);
    sent.get(d)!.push(slot);
    backlog.set(d, backlog.get(d)! - 1);
    wake.set(d, slot);
  }
}

describe('rate limiter', () => {
  it('SendLog: the next slot is the send `limit` places back plus the window', () => {
    const log = new SendLog(2, 1000);
    expect(log.nextAllowed()).toBe(Number.NEGATIVE_INFINITY);
    log.append(0);
    log.append(10);
    expect(log.nextAllowed()).toBe(1000);
    log.append(1000);
    expect(log.nextAllowed()).toBe(1010);
    expect(() => log.append(5)).toThrow(/precedes/);
  });

  it('Telegram: 1/s per chat, 20/min per group, 30/s overall — exactly those rates', () => {
    const one = simulate(new Map([[chat('a'), 5]]));
    expect([...one.values()][0]).toEqual([0, 1000, 2000, 3000, 4000]);

    const g = [...simulate(new Map([[group('-100'), 41]])).values()][0]!;
    expect(maxInWindow(g, 60_000)).toBe(20);
    expect(maxInWindow(g, 1000)).toBe(1);
    expect(g[20]).toBe(60_000);
    expect(g[40]).toBe(120_000);

    const many = [...simulate(new Map(Array.from({ length: 300 }, (_, i) => [chat(`c${i}`), 1] as const))).values()].flat();
    expect(maxInWindow(many, 1000)).toBe(30);
    expect(Math.max(...many)).toBe(9000);
  });

  it('a busy chat does not delay another chat; platforms without a policy are not paced', () => {
    const lim = new RateLimiter({ telegram: TELEGRAM_POLICY });
    lim.reserve(chat('busy'), 0);
    expect(lim.readyAt(chat('busy'), 0)).toBe(1000);
    expect(lim.readyAt(chat('other'), 0)).toBe(0);
    expect(lim.reserve(chat('other'), 0)).toBe(0);
    expect(lim.reserve({ platform: 'discord', kind: 'channel', id: '1' }, 7)).toBe(7);
  });

  it('never exceeds any limit for arbitrary mixes of chats and groups (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 30 })), { minLength: 1, maxLength: 40 }), (spec) => {
        const backlog = new Map<Destination, number>();
        spec.forEach(([isGroup, id, n], i) => backlog.set(isGroup ? group(`g${id}-${i}`) : chat(`c${id}-${i}`), n));
        const sent = simulate(backlog);
        const all = [...sent.values()].flat();
        expect(maxInWindow(all, 1000)).toBeLessThanOrEqual(30);
        for (const [d, times] of sent) {
          expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(1);
          if (d.kind === 'channel') expect(maxInWindow(times, 60_000)).toBeLessThanOrEqual(20);
        }
        // Saturated overall: the busiest second holds exactly the limit.
        if (backlog.size >= 30) expect(maxInWindow(all, 1000)).toBe(30);
      }),
      { numRuns: 60 },
    );
  });
});
