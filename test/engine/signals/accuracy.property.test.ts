import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addSample, confidenceBucket, emptyTally, returnSign, summarize, wilson, type Sign } from '../../../src/engine/signals/accuracy.ts';

const sign = fc.constantFrom<Sign>(-1, 0, 1);

describe('signal accuracy statistics', () => {
  it('Wilson interval: bounds in [0,1], contain p̂, narrow as n grows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, frac) => {
        const hits = Math.round(frac * n);
        const w = wilson(hits, n);
        expect(w.p).toBeCloseTo(hits / n, 12);
        expect(w.low).toBeGreaterThanOrEqual(0);
        expect(w.high).toBeLessThanOrEqual(1);
        expect(w.low).toBeLessThanOrEqual(w.p);
        expect(w.high).toBeGreaterThanOrEqual(w.p);
        const w4 = wilson(hits * 4, n * 4);
        expect(w4.high - w4.low).toBeLessThanOrEqual(w.high - w.low + 1e-12);
      }),
      { numRuns: 2000 },
    );
  });

  it('Wilson interval: known value and the empty case', () => {
    const w = wilson(56, 100);
    expect(w.low).toBeCloseTo(0.4622, 3);
    expect(w.high).toBeCloseTo(0.6532, 3);
    expect(wilson(0, 0)).toEqual({ p: 0, low: 0, high: 1 });
    expect(wilson(0, 10).low).toBe(0);
    expect(wilson(10, 10).high).toBe(1);
  });

  it('returnSign: flat inside the dead zone, sign outside', () => {
    fc.assert(
      fc.property(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: 0, max: 0.05, noNaN: true }), (r, dz) => {
        const s = returnSign(r, dz);
        if (Math.abs(r) <= dz) expect(s).toBe(0);
        else expect(s).toBe(r > 0 ? 1 : -1);
      }),
    );
    expect(returnSign(Number.NaN, 0)).toBe(0);
  });

  it('tally: baselines scored on the same samples; up + down = n; counts within n', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ call: sign, previous: sign, outcome: sign }), { maxLength: 300 }), (samples) => {
        const t = emptyTally();
        for (const s of samples) addSample(t, s);
        const counted = samples.filter((s) => s.call !== 0 && s.outcome !== 0);
        expect(t.n).toBe(counted.length);
        expect(t.up + t.down).toBe(t.n);
        expect(t.hits).toBe(counted.filter((s) => s.call === s.outcome).length);
        expect(t.momentum).toBe(counted.filter((s) => s.previous === s.outcome).length);
        const sum = summarize(t);
        expect(sum.caller.low).toBeLessThanOrEqual(sum.caller.p);
        expect(sum.caller.high).toBeGreaterThanOrEqual(sum.caller.p);
      }),
    );
  });

  it('a caller that copies momentum scores exactly momentum', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ previous: fc.constantFrom<Sign>(-1, 1), outcome: sign }), { maxLength: 200 }), (xs) => {
        const t = emptyTally();
        for (const x of xs) addSample(t, { call: x.previous, previous: x.previous, outcome: x.outcome });
        expect(t.hits).toBe(t.momentum);
      }),
    );
  });

  it('confidence buckets are monotone and in [0, 0.9]', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(confidenceBucket(lo)).toBeLessThanOrEqual(confidenceBucket(hi));
        expect(confidenceBucket(hi)).toBeGreaterThanOrEqual(0);
        expect(confidenceBucket(hi)).toBeLessThanOrEqual(0.9 + 1e-9);
      }),
    );
    expect(confidenceBucket(0.66)).toBeCloseTo(0.6, 9);
  });
});
