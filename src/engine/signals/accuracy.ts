/**
 * Pure statistics for measuring directional calls (issue 18): the sign of a return with a dead zone
 * for flat moves, a Wilson 95 % score interval for a hit rate, and a tally of a caller's hits against
 * naive baselines (always-up, always-down, momentum) scored on exactly the same samples.
 */

import type { Timeframe } from '../types.ts';

/** Horizon over which a timeframe's call is scored (its own bar length). */
export const SIGNAL_HORIZON_MS: Record<Timeframe, number> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000 };
/** Moves smaller than this fraction are flat and not scored (5 bp). */
export const SIGNAL_DEAD_ZONE = 0.0005;

/** z for a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

/** +1 up, −1 down, 0 flat (|return| inside the dead zone). */
export type Sign = -1 | 0 | 1;

/** Sign of a fractional return; moves with |r| ≤ deadZone are flat (0). Non-finite returns are flat. */
export function returnSign(ret: number, deadZone: number): Sign {
  if (!Number.isFinite(ret) || Math.abs(ret) <= deadZone) return 0;
  return ret > 0 ? 1 : -1;
}

export interface Interval {
  /** Point estimate hits / n (0 when n = 0). */
  readonly p: number;
  readonly low: number;
  readonly high: number;
}

/**
 * Wilson score interval for `hits` successes out of `n` trials. Bounds lie in [0, 1] and contain
 * the point estimate; with n = 0 the interval is the whole [0, 1] (nothing is known).
 */
export function wilson(hits: number, n: number, z: number = Z95): Interval {
  if (!(n > 0)) return { p: 0, low: 0, high: 1 };
  const h = Math.min(Math.max(hits, 0), n);
  const p = h / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Clamp against rounding so p is always inside and bounds stay in [0, 1].
  const low = Math.max(0, Math.min(p, centre - half));
  const high = Math.min(1, Math.max(p, centre + half));
  return { p, low, high };
}

export type Baseline = 'up' | 'down' | 'momentum';

/** One scored sample: the caller's direction, the previous horizon's return sign, the outcome sign. */
export interface CallSample {
  readonly call: Sign;
  readonly previous: Sign;
  readonly outcome: Sign;
}

export interface HitTally {
  /** Samples scored: the caller made a call (≠ 0) and the outcome was not flat. */
  n: number;
  hits: number;
  /** Baseline hits on the same n samples (momentum with a flat previous move counts as a miss). */
  up: number;
  down: number;
  momentum: number;
}

export function emptyTally(): HitTally {
  return { n: 0, hits: 0, up: 0, down: 0, momentum: 0 };
}

/** Adds one sample; returns false (and counts nothing) when there was no call or the move was flat. */
export function addSample(t: HitTally, s: CallSample): boolean {
  if (s.call === 0 || s.outcome === 0) return false;
  t.n += 1;
  if (s.call === s.outcome) t.hits += 1;
  if (s.outcome === 1) t.up += 1;
  else t.down += 1;
  if (s.previous !== 0 && s.previous === s.outcome) t.momentum += 1;
  return true;
}

export interface TallySummary {
  readonly n: number;
  readonly caller: Interval;
  readonly up: number;
  readonly down: number;
  readonly momentum: number;
}

export function summarize(t: HitTally): TallySummary {
  const rate = (k: number) => (t.n > 0 ? k / t.n : 0);
  return { n: t.n, caller: wilson(t.hits, t.n), up: rate(t.up), down: rate(t.down), momentum: rate(t.momentum) };
}

/** Confidence bucket (0..1 → lower edge of a 10-point bucket, e.g. 0.66 → 0.6). */
export function confidenceBucket(confidence: number, width = 0.1): number {
  const c = Math.min(Math.max(Number.isFinite(confidence) ? confidence : 0, 0), 0.999999);
  return Math.floor(c / width + 1e-9) * width;
}
