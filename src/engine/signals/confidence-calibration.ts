/**
 * Confidence that means what it says (issue 18 item 4): a table of confidence bucket → realized
 * hit rate, and when the raw confidence is not monotone in accuracy, an isotonic (pool-adjacent-
 * violators) fit of the realized hit rates, so a higher raw confidence never maps to a lower
 * calibrated one. Pure and JSON-serializable: the offline evaluation fits it on the first half of a
 * recording and scores it on the second; the live side can persist a fitted table and apply it.
 */
import { confidenceBucket, type HitTally } from './accuracy.ts';

/**
 * Weighted least-squares isotonic (non-decreasing) regression by pool-adjacent-violators.
 * `values[i]` with weight `weights[i]` (> 0; non-positive weights count as 0 and take a neighbour's
 * fit). Returns the fitted values, same length: non-decreasing, and the closest such sequence to
 * `values` in weighted squared distance.
 */
export function isotonicFit(values: readonly number[], weights?: readonly number[]): number[] {
  const n = values.length;
  // blocks: pooled weighted mean, weight, how many inputs
  const mean: number[] = [];
  const wt: number[] = [];
  const len: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = Math.max(0, weights?.[i] ?? 1);
    mean.push(values[i]!);
    wt.push(w);
    len.push(1);
    // pool while the last two blocks violate the order
    while (mean.length > 1) {
      const k = mean.length - 1;
      if (mean[k - 1]! <= mean[k]!) break;
      const w2 = wt[k - 1]! + wt[k]!;
      const m = w2 > 0 ? (mean[k - 1]! * wt[k - 1]! + mean[k]! * wt[k]!) / w2 : Math.min(mean[k - 1]!, mean[k]!);
      mean[k - 1] = m;
      wt[k - 1] = w2;
      len[k - 1] = len[k - 1]! + len[k]!;
      mean.pop();
      wt.pop();
      len.pop();
    }
  }
  const out: number[] = [];
  for (let b = 0; b < mean.length; b++) for (let j = 0; j < len[b]!; j++) out.push(mean[b]!);
  return out;
}

/** One row of a calibration table: calls whose confidence falls in [from, to). */
export interface CalibrationBucket {
  from: number;
  to: number;
  n: number;
  hits: number;
  /** Realized hit rate hits / n (NaN when n = 0). */
  hitRate: number;
}

/** A fitted rescaling: raw confidence bucket → calibrated hit probability (non-decreasing). */
export interface ConfidenceCalibration {
  version: 1;
  /** Bucket width the table was built with. */
  width: number;
  /** Buckets with samples, ascending; `calibrated` is the isotonic fit of their hit rates. */
  buckets: { from: number; n: number; hitRate: number; calibrated: number }[];
  /** Calls the fit was made from. */
  samples: number;
  /** Whether the raw hit rates were already non-decreasing in confidence (then the fit changed nothing). */
  rawMonotone: boolean;
}

/** Builds the table from tallies keyed by bucket lower edge (as `confidenceBucket` gives). */
export function calibrationTable(tallies: Iterable<{ bucket: number; tally: Pick<HitTally, 'n' | 'hits'> }>, width = 0.1): CalibrationBucket[] {
  return [...tallies]
    .map(({ bucket, tally }) => ({ from: bucket, to: bucket + width, n: tally.n, hits: tally.hits, hitRate: tally.n > 0 ? tally.hits / tally.n : Number.NaN }))
    .sort((a, b) => a.from - b.from);
}

/** True when hit rates of the buckets with samples never fall as confidence rises. */
export function isMonotone(table: readonly CalibrationBucket[]): boolean {
  const rates = table.filter((b) => b.n > 0).map((b) => b.hitRate);
  return rates.every((r, i) => i === 0 || r >= rates[i - 1]!);
}

/**
 * Fits the rescaling from a calibration table: the isotonic regression of the realized hit rates,
 * each bucket weighted by its sample count. Buckets with fewer than `minSamples` calls are left out
 * (their confidence maps like the nearest fitted bucket below, or above when none is below).
 */
export function fitConfidenceCalibration(table: readonly CalibrationBucket[], opts: { width?: number; minSamples?: number } = {}): ConfidenceCalibration {
  const width = opts.width ?? 0.1;
  const used = table.filter((b) => b.n >= (opts.minSamples ?? 1) && b.n > 0).sort((a, b) => a.from - b.from);
  const fit = isotonicFit(
    used.map((b) => b.hitRate),
    used.map((b) => b.n),
  );
  return {
    version: 1,
    width,
    buckets: used.map((b, i) => ({ from: b.from, n: b.n, hitRate: b.hitRate, calibrated: fit[i]! })),
    samples: used.reduce((a, b) => a + b.n, 0),
    rawMonotone: isMonotone(used),
  };
}

/**
 * Calibrated hit probability for a raw confidence (0..1), or undefined when the calibration has
 * no buckets. Non-decreasing in `confidence` for any fitted calibration.
 */
export function applyConfidenceCalibration(cal: ConfidenceCalibration, confidence: number): number | undefined {
  if (cal.buckets.length === 0) return undefined;
  const b = confidenceBucket(confidence, cal.width);
  let chosen = cal.buckets[0]!;
  for (const x of cal.buckets) {
    if (x.from <= b + 1e-9) chosen = x;
    else break;
  }
  return chosen.calibrated;
}

/** A stored calibration read back: undefined unless it has the shape `fitConfidenceCalibration` makes and is monotone. */
export function parseConfidenceCalibration(x: unknown): ConfidenceCalibration | undefined {
  if (!x || typeof x !== 'object') return undefined;
  const c = x as Partial<ConfidenceCalibration>;
  if (c.version !== 1 || typeof c.width !== 'number' || !(c.width > 0) || !Array.isArray(c.buckets)) return undefined;
  let prevFrom = -Infinity;
  let prevCal = -Infinity;
  for (const b of c.buckets) {
    if (!b || typeof b !== 'object') return undefined;
    const { from, n, hitRate, calibrated } = b as Record<string, unknown>;
    if (typeof from !== 'number' || typeof n !== 'number' || typeof hitRate !== 'number' || typeof calibrated !== 'number') return undefined;
    if (!(from > prevFrom) || !(calibrated >= prevCal) || calibrated < 0 || calibrated > 1) return undefined;
    prevFrom = from;
    prevCal = calibrated;
  }
  return c as ConfidenceCalibration;
}
