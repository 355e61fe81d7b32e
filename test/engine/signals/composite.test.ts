import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { combineTimeframe, composite, CONFLICT, findConflict } from '../../../src/engine/signals/composite.ts';
import { sizingGuidance } from '../../../src/engine/signals/sizing.ts';
import { DIRECTION, SignalTracker } from '../../../src/engine/signals/tracker.ts';
import type { Timeframe, TimeframeSignal } from '../../../src/engine/types.ts';

const tfs = (m1: number, m5: number, h1: number, confidence = 0.6): TimeframeSignal[] =>
  (['1m', '5m', '1h'] as Timeframe[]).map((tf, i) => {
    const score = [m1, m5, h1][i]!;
    return { tf, score, strength: Math.abs(score), confidence };
  });

describe('timeframe combination', () => {
  it('agreeing cards give a confident read; disagreeing or quiet ones do not', () => {
    const agree = combineTimeframe('5m', [
      { score: 0.6, confidence: 0.8, weight: 1 },
      { score: 0.5, confidence: 0.7, weight: 1 },
    ]);
    expect(agree.score).toBeGreaterThan(0.5);
    expect(agree.confidence).toBeGreaterThan(0.8);
    const disagree = combineTimeframe('5m', [
      { score: 0.6, confidence: 0.8, weight: 1 },
      { score: -0.6, confidence: 0.8, weight: 1 },
    ]);
    expect(disagree.score).toBeCloseTo(0, 12);
    expect(disagree.confidence).toBeCloseTo(0, 12);
    const thin = combineTimeframe('5m', [
      { score: 0.6, confidence: 0.1, weight: 1 },
      { score: 0, confidence: 0, weight: 1 },
      { score: 0, confidence: 0, weight: 1 },
    ]);
    expect(thin.confidence).toBeLessThan(agree.confidence / 2);
    expect(combineTimeframe('1m', [])).toEqual({ tf: '1m', score: 0, strength: 0, confidence: 0 });
  });

  it('a heavier (learned) weight pulls the timeframe toward its card', () => {
    const base = [
      { score: 0.8, confidence: 0.8, weight: 1 },
      { score: -0.4, confidence: 0.8, weight: 1 },
    ];
    const learned = [{ ...base[0]!, weight: 2 }, { ...base[1]!, weight: 0.5 }];
    expect(combineTimeframe('1m', learned).score).toBeGreaterThan(combineTimeframe('1m', base).score);
  });
});

describe('conflicts', () => {
  it('needs opposite signs with meaningful strength on timeframes the mode weighs', () => {
    expect(findConflict(tfs(-0.5, 0.1, 0.5), 'day', false)?.map((t) => t.tf)).toEqual(['1m', '1h']);
    expect(findConflict(tfs(-0.5, 0.4, 0.45), 'day', false)?.map((t) => t.tf)).toEqual(['1m', '1h']);
    expect(findConflict(tfs(0.5, 0.4, 0.3), 'day', false)).toBeUndefined();
    expect(findConflict(tfs(-0.1, 0.1, 0.5), 'day', false)).toBeUndefined();
    // swing does not weigh the 1m enough for it to conflict; scalp ignores the 1h
    expect(findConflict(tfs(-0.5, 0.3, 0.5), 'swing', false)).toBeUndefined();
    expect(findConflict(tfs(0.5, 0.3, -0.9), 'scalp', false)).toBeUndefined();
    expect(findConflict(tfs(0.5, -0.3, 0), 'scalp', false)).toBeDefined();
    // unconfident timeframes cannot start one
    expect(findConflict(tfs(-0.5, 0.1, 0.5, 0.05), 'day', false)).toBeUndefined();
  });

  it('holds the flag until the disagreement is clearly gone (hysteresis)', () => {
    const between = (CONFLICT.enterStrength + CONFLICT.exitStrength) / 2;
    expect(findConflict(tfs(-between, 0, between), 'day', false)).toBeUndefined();
    expect(findConflict(tfs(-between, 0, between), 'day', true)).toBeDefined();
    expect(findConflict(tfs(-0.05, 0, between), 'day', true)).toBeUndefined();
  });

  it('weighs timeframes by mode and halves confidence under conflict', () => {
    const signals = tfs(0.8, 0.2, -0.4);
    expect(composite(signals, 'scalp', false).score).toBeGreaterThan(composite(signals, 'swing', false).score);
    expect(composite(signals, 'swing', false).score).toBeLessThan(0);
    expect(composite(signals, 'day', true).confidence).toBeCloseTo(composite(signals, 'day', false).confidence / 2, 12);
  });
});

describe('tracker', () => {
  it('turns directional only past the entry threshold and leaves only below the exit one', () => {
    const t = new SignalTracker();
    expect(t.update(0.1, 0.5, false).events).toEqual([]);
    expect(t.update(DIRECTION.enter + 0.01, 0.5, false).events).toEqual([{ kind: 'transition', from: 'neutral', to: 'up' }]);
    // dithering between the thresholds does not flap
    for (const s of [0.1, 0.14, 0.09, 0.12]) expect(t.update(s, 0.5, false).events).toEqual([]);
    expect(t.update(0.05, 0.5, false).events).toEqual([{ kind: 'transition', from: 'up', to: 'neutral' }]);
    // a flip straight from up to down is one transition
    t.update(0.3, 0.5, false);
    expect(t.update(-0.3, 0.5, false).events).toEqual([{ kind: 'transition', from: 'up', to: 'down' }]);
    // an unconfident read does not start a direction
    const u = new SignalTracker();
    expect(u.update(0.5, 0.05, false).direction).toBe('neutral');
  });

  it('emits conflict start and end on changes only', () => {
    const t = new SignalTracker();
    expect(t.update(0, 0, true).events).toEqual([{ kind: 'conflict-start' }]);
    expect(t.update(0, 0, true).events).toEqual([]);
    expect(t.update(0, 0, false).events).toEqual([{ kind: 'conflict-end' }]);
  });

  it('announces fading after consecutive declines, once, until momentum genuinely recovers', () => {
    const t = new SignalTracker();
    const kinds = (s: number) => t.update(s, 0.6, false).events.map((e) => e.kind);
    expect(kinds(0.6)).toEqual(['transition']);
    expect(kinds(0.55)).toEqual([]);
    expect(kinds(0.5)).toEqual([]);
    expect(kinds(0.45)).toEqual(['fading']);
    expect(t.fading).toBe(true);
    // small bounces and further declines stay within the same fading episode
    for (const s of [0.47, 0.4, 0.43, 0.38, 0.35, 0.3]) expect(kinds(s)).toEqual([]);
    expect(t.direction).toBe('up');
    // back near the old peak: fading over; a new decline is a new episode
    expect(kinds(0.58)).toEqual([]);
    expect(t.fading).toBe(false);
    kinds(0.5);
    kinds(0.45);
    expect(kinds(0.4)).toEqual(['fading']);
    // leaving the direction ends it
    t.update(0.0, 0.6, false);
    expect(t.fading).toBe(false);
  });
});

describe('sizing guidance', () => {
  const g = (confidence: number, conflicted: boolean, fading: boolean, warmingUp = false) => sizingGuidance({ confidence, conflicted, fading, warmingUp, direction: 'up' });
  it('is smaller when conflicted or weak, and worded as risk guidance', () => {
    const strong = g(0.7, false, false);
    const moderate = g(0.3, false, false);
    const weak = g(0.1, false, false);
    const conflicted = g(0.7, true, false);
    const fading = g(0.7, false, true);
    expect(strong.fraction).toBe(1);
    expect(moderate.fraction).toBeLessThan(strong.fraction);
    expect(weak.fraction).toBeLessThan(moderate.fraction);
    expect(conflicted.fraction).toBeLessThan(strong.fraction);
    expect(fading.fraction).toBeLessThan(strong.fraction);
    expect(conflicted.text).toMatch(/conflict/);
    for (const x of [strong, moderate, weak, conflicted, fading]) expect(x.text).toMatch(/usual risk/);
    expect(strong.text).not.toMatch(/\b(buy|sell|long|short)\b/i);
    expect(g(0.9, false, false, true)).toEqual({ fraction: 0, text: 'no sizing read yet: not enough data' });
  });

  it('never says more than the read: no direction is minimal, and "aligned" only when no timeframe leans the other way', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.constantFrom('up' as const, 'down' as const, 'neutral' as const),
        fc.subarray(['1m', '5m', '1h'] as const),
        (confidence, fading, direction, against) => {
          const s = sizingGuidance({ confidence, conflicted: false, fading, direction, against });
          if (direction === 'neutral') expect(s.fraction).toBe(0.25);
          if (/aligned/.test(s.text)) expect(against).toHaveLength(0);
          if (against.length > 0) expect(s.fraction).toBeLessThan(1);
          if (direction === 'neutral') expect(s.text).not.toMatch(/moderate read|confident read/);
        },
      ),
    );
  });
});
