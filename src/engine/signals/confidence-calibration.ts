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
 * each bucket weighted by its sample count. Buckets with fewer than `minSamples` calls (default 1)
 * are left out (their confidence maps like the nearest fitted bucket below, or above when none is
 * below). With `shrink` = k > 0, each bucket's rate is first pulled toward the table's overall
 * rate as if it had k more calls at that rate (hits + k·p̄) / (n + k), so a bucket of a few calls
 * cannot set the scale on its own.
 */
export function fitConfidenceCalibration(
  table: readonly CalibrationBucket[],
  opts: { width?: number; minSamples?: number; shrink?: number } = {},
): ConfidenceCalibration {
  const width = opts.width ?? 0.1;
  const k = Math.max(0, opts.shrink ?? 0);
  const used = table.filter((b) => b.n >= (opts.minSamples ?? 1) && b.n > 0).sort((a, b) => a.from - b.from);
  const total = used.reduce((a, b) => a + b.n, 0);
  const overall = total > 0 ? used.reduce((a, b) => a + b.hits, 0) / total : 0.5;
  const fit = isotonicFit(
    used.map((b) => (k > 0 ? (b.hits + k * overall) / (b.n + k) : b.hitRate)),
    used.map((b) => b.n),
  );
  return {
    version: 1,
    width,
    buckets: used.map((b, i) => ({ from: b.from, n: b.n, hitRate: b.hitRate, calibrated: fit[i]! })),
    samples: total,
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

/** Brier score (mean squared error, lower is better) of predicting each call's hit with `prob(bucket)`; NaN without calls or predictions. */
export function brierScore(table: readonly CalibrationBucket[], prob: (from: number) => number | undefined): number {
  let n = 0;
  let sq = 0;
  for (const b of table) {
    const p = prob(b.from);
    if (p === undefined || !Number.isFinite(p) || b.n === 0) continue;
    n += b.n;
    sq += b.hits * (1 - p) ** 2 + (b.n - b.hits) * p ** 2;
  }
  return n ? sq / n : Number.NaN;
}

/**
 * Fits the rescaling on one sample (`fitOn`) and scores it on another (`scoreOn`, later in time):
 * Brier score of the rescaled confidence vs one flat probability (the fit sample's overall hit rate).
 */
export function holdOutRescaling(
  fitOn: readonly CalibrationBucket[],
  scoreOn: readonly CalibrationBucket[],
  opts: { width?: number; minSamples?: number; shrink?: number } = {},
): { fit: ConfidenceCalibration; brierRescaled: number; brierFlat: number } {
  const fit = fitConfidenceCalibration(fitOn, opts);
  const n1 = fitOn.reduce((a, b) => a + b.n, 0);
  const flat = n1 > 0 ? fitOn.reduce((a, b) => a + b.hits, 0) / n1 : Number.NaN;
  if (fit.buckets.length === 0) return { fit, brierRescaled: Number.NaN, brierFlat: Number.NaN };
  return { fit, brierRescaled: brierScore(scoreOn, (c) => applyConfidenceCalibration(fit, c)), brierFlat: brierScore(scoreOn, () => flat) };
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
