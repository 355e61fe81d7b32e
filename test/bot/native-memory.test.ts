import { afterEach, describe, expect, it, vi } from 'vitest';
import { NativeMemorySettler } from '../../src/bot/native-memory.ts';

describe('NativeMemorySettler (resvg memory V8 cannot see)', () => {
  afterEach(() => vi.useRealTimers());

  it('asks for one concurrent major GC after a burst of renders, and one per later burst', () => {
    vi.useFakeTimers();
    const calls: unknown[] = [];
    const s = new NativeMemorySettler(1000, () => (o) => calls.push(o));
    for (let i = 0; i < 5; i++) s.rendered();
    expect(calls).toHaveLength(0); // not while the burst is on
    vi.advanceTimersByTime(1000);
    expect(calls).toEqual([{ type: 'major', execution: 'async' }]);
    vi.advanceTimersByTime(10_000);
    expect(calls).toHaveLength(1); // nothing rendered since: no more collections
    s.rendered();
    vi.advanceTimersByTime(1000);
    expect(calls).toHaveLength(2);
    expect(s.collections).toBe(2);
  });

  it('keeps working where the runtime gives no gc (renders are not affected)', () => {
    vi.useFakeTimers();
    const s = new NativeMemorySettler(10, () => null);
    s.rendered();
    vi.advanceTimersByTime(10);
    expect(s.collections).toBe(0);
  });

  it('reaches V8 gc without --expose-gc on the command line', async () => {
    const s = new NativeMemorySettler(1);
    s.rendered();
    await new Promise((r) => setTimeout(r, 20));
    expect(s.collections).toBe(1);
  });
});
