import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyConfidenceCalibration,
  calibrationTable,
  fitConfidenceCalibration,
  isMonotone,
  isotonicFit,
  parseConfidenceCalibration,
} from '../../../src/engine/signals/confidence-calibration.ts';

const sse = (a: readonly number[], b: readonly number[], w: readonly number[]) => a.reduce((s, x, i) => s + w[i]! * (x - b[i]!) ** 2, 0);
const values = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 });

describe('isotonic (PAV) fit', () => {
  it('is non-decreasing, same length, and keeps the weighted mean', () => {
    fc.assert(
      fc.property(values.chain((v) => fc.tuple(fc.constant(v), fc.array(fc.double({ min: 0.1, max: 100, noNaN: true }), { minLength: v.length, maxLength: v.length }))), ([v, w]) => {
        const f = isotonicFit(v, w);
        expect(f).toHaveLength(v.length);
        for (let i = 1; i < f.length; i++) expect(f[i]!).toBeGreaterThanOrEqual(f[i - 1]! - 1e-12);
        const mean = (xs: number[]) => xs.reduce((s, x, i) => s + w[i]! * x, 0) / w.reduce((s, x) => s + x, 0);
        expect(mean(f)).toBeCloseTo(mean(v), 9);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves an already monotone sequence unchanged', () => {
    fc.assert(
      fc.property(values, (v) => {
        const sorted = [...v].sort((a, b) => a - b);
        expect(isotonicFit(sorted)).toEqual(sorted);
      }),
    );
  });

  it('is the closest non-decreasing sequence in weighted least squares (no monotone candidate does better)', () => {
    fc.assert(
      fc.property(
        values.chain((v) =>
          fc.tuple(
            fc.constant(v),
            fc.array(fc.double({ min: 0.1, max: 100, noNaN: true }), { minLength: v.length, maxLength: v.length }),
            fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: v.length, maxLength: v.length }),
            fc.double({ min: 0, max: 1, noNaN: true }),
          ),
        ),
        ([v, w, cand, mix]) => {
          const f = isotonicFit(v, w);
          const best = sse(f, v, w);
          // a random monotone candidate, and mixtures of it with the fit (the set is convex)
          const c = [...cand].sort((a, b) => a - b);
          expect(best).toBeLessThanOrEqual(sse(c, v, w) + 1e-9);
          const m = f.map((x, i) => (1 - mix) * x + mix * c[i]!);
          expect(best).toBeLessThanOrEqual(sse(m, v, w) + 1e-9);
          // small monotone-preserving perturbations of the fit: shifting a whole constant block
          for (const eps of [1e-3, -1e-3]) {
            const p = f.map((x) => x + eps);
            expect(best).toBeLessThanOrEqual(sse(p, v, w) + 1e-12);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('matches a brute-force search on short sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 4, maxLength: 4 }), (vi, wi) => {
        const v = vi.map((x) => x / 10);
        const w = wi.slice(0, v.length);
        const f = isotonicFit(v, w);
        // grid of monotone sequences with step 0.05
        const grid = Array.from({ length: 21 }, (_, i) => i / 20);
        let bestGrid = Infinity;
        const walk = (prefix: number[]) => {
          if (prefix.length === v.length) {
            bestGrid = Math.min(bestGrid, sse(prefix, v, w));
            return;
          }
          for (const g of grid) if (prefix.length === 0 || g >= prefix[prefix.length - 1]!) walk([...prefix, g]);
        };
        walk([]);
        expect(sse(f, v, w)).toBeLessThanOrEqual(bestGrid + 1e-9);
      }),
      { numRuns: 200 },
    );
  });
});

describe('confidence calibration', () => {
  const tally = fc.record({ n: fc.integer({ min: 0, max: 500 }), frac: fc.double({ min: 0, max: 1, noNaN: true }) });
  const tables = fc.array(tally, { minLength: 1, maxLength: 10 }).map((ts) =>
    calibrationTable(ts.map((t, i) => ({ bucket: i / 10, tally: { n: t.n, hits: Math.round(t.frac * t.n) } }))),
  );

  it('the applied rescaling is monotone in raw confidence, within [0,1], and survives a JSON round trip', () => {
    fc.assert(
      fc.property(tables, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 20 }), fc.integer({ min: 0, max: 50 }), (table, cs, shrink) => {
        const cal = fitConfidenceCalibration(table, { shrink });
        const stored = parseConfidenceCalibration(JSON.parse(JSON.stringify(cal)));
        expect(stored).toEqual(cal);
        const sorted = [...cs].sort((a, b) => a - b);
        const mapped = sorted.map((c) => applyConfidenceCalibration(cal, c));
        if (cal.buckets.length === 0) {
          expect(mapped.every((m) => m === undefined)).toBe(true);
          return;
        }
        for (let i = 0; i < mapped.length; i++) {
          expect(mapped[i]!).toBeGreaterThanOrEqual(0);
          expect(mapped[i]!).toBeLessThanOrEqual(1);
          if (i > 0) expect(mapped[i]!).toBeGreaterThanOrEqual(mapped[i - 1]! - 1e-12);
        }
        if (cal.rawMonotone && shrink === 0) for (const b of cal.buckets) expect(b.calibrated).toBeCloseTo(b.hitRate, 12);
      }),
      { numRuns: 500 },
    );
  });

  it('pools a non-monotone table (the 80–90 % bucket below its neighbours) into a monotone one', () => {
    const table = calibrationTable([
      { bucket: 0.5, tally: { n: 100, hits: 50 } },
      { bucket: 0.7, tally: { n: 100, hits: 60 } },
      { bucket: 0.8, tally: { n: 100, hits: 21 } },
      { bucket: 0.9, tally: { n: 20, hits: 14 } },
    ]);
    expect(isMonotone(table)).toBe(false);
    const cal = fitConfidenceCalibration(table);
    expect(cal.rawMonotone).toBe(false);
    expect(cal.buckets.map((b) => Number(b.calibrated.toFixed(4)))).toEqual([0.4367, 0.4367, 0.4367, 0.7]);
    expect(applyConfidenceCalibration(cal, 0.85)).toBeCloseTo(131 / 300, 10);
    expect(applyConfidenceCalibration(cal, 0.95)).toBeCloseTo(0.7, 10);
    // below the first fitted bucket: maps like the first
    expect(applyConfidenceCalibration(cal, 0.1)).toBeCloseTo(131 / 300, 10);
    expect(parseConfidenceCalibration({ ...cal, buckets: [...cal.buckets].reverse() })).toBeUndefined();
    // shrinking pulls the lone 20-call top bucket toward the overall rate (145 of 320): (14 + 20·0.453) / 40
    const shrunk = fitConfidenceCalibration(table, { shrink: 20 });
    expect(shrunk.buckets.at(-1)!.calibrated).toBeCloseTo((14 + 20 * (145 / 320)) / 40, 10);
    expect(shrunk.buckets.at(-1)!.hitRate).toBe(0.7);
  });
});
