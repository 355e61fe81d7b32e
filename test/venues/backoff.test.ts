import { describe, expect, it } from 'vitest';
import { createBackoff, delay } from '../../src/venues/backoff.ts';

describe('backoff', () => {
  it('grows exponentially from 1 s and caps at 60 s', () => {
    const b = createBackoff({ random: () => 0 });
    const delays = Array.from({ length: 9 }, () => b.next());
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(b.attempts()).toBe(9);
  });

  it('jitters downwards within the configured fraction, never above the cap', () => {
    const low = createBackoff({ random: () => 0.999, jitter: 0.3 });
    const high = createBackoff({ random: () => 0, jitter: 0.3 });
    for (let i = 0; i < 10; i++) {
      const l = low.next();
      const h = high.next();
      expect(l).toBeLessThanOrEqual(h);
      expect(l).toBeGreaterThanOrEqual(Math.floor(h * 0.7));
      expect(h).toBeLessThanOrEqual(60_000);
    }
  });

  it('different random draws give different delays (jitter spreads reconnect storms)', () => {
    let r = 0;
    const draws = [0.1, 0.9];
    const b1 = createBackoff({ random: () => draws[r++ % 2]! });
    const first = b1.next();
    const b2 = createBackoff({ random: () => draws[r++ % 2]! });
    expect(b2.next()).not.toBe(first);
  });

  it('resets after a healthy minute, not after a short-lived connection', () => {
    const b = createBackoff({ random: () => 0 });
    b.next();
    b.next();
    b.next();
    b.connectionEnded(10_000, 10_000 + 59_999); // healthy for just under a minute
    expect(b.next()).toBe(8_000);
    b.connectionEnded(undefined, 1e9); // never delivered data: not healthy
    expect(b.next()).toBe(16_000);
    b.connectionEnded(0, 60_000);
    expect(b.attempts()).toBe(0);
    expect(b.next()).toBe(1_000);
  });

  it('reset() starts over', () => {
    const b = createBackoff({ random: () => 0, initialMs: 10, maxMs: 100 });
    for (let i = 0; i < 6; i++) b.next();
    b.reset();
    expect(b.next()).toBe(10);
  });

  it('delay() resolves false as soon as it is aborted', async () => {
    const ac = new AbortController();
    const p = delay(60_000, ac.signal);
    ac.abort();
    await expect(p).resolves.toBe(false);
    await expect(delay(1)).resolves.toBe(true);
    await expect(delay(10, ac.signal)).resolves.toBe(false);
  });
});
