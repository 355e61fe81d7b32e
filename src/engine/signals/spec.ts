import type { SignalMode, Timeframe } from '../types.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** How each timeframe is read, scored and judged. */
export interface TimeframeSpec {
  /** Bucket length of the timeframe's bar series. */
  bucketMs: number;
  /** Buckets kept in the view (the forming bucket included). */
  buckets: number;
  /** Buckets that make the "recent" window: price change, OI change, liquidation flow, venue flow. */
  recent: number;
  /** Forward-return horizon a card's sign is judged against. */
  horizonMs: number;
  /** At most one learning sample per symbol and timeframe this often (market clock). */
  sampleEveryMs: number;
  /** Reach of the zone cards, in ATR(1h) units: how far price plausibly travels within the horizon. */
  reachAtr: number;
}

export const TIMEFRAME_SPECS: Record<Timeframe, TimeframeSpec> = {
  '1m': { bucketMs: MINUTE, buckets: 15, recent: 5, horizonMs: 5 * MINUTE, sampleEveryMs: MINUTE, reachAtr: 0.6 },
  '5m': { bucketMs: 5 * MINUTE, buckets: 12, recent: 5, horizonMs: 30 * MINUTE, sampleEveryMs: 5 * MINUTE, reachAtr: 1.5 },
  '1h': { bucketMs: HOUR, buckets: 12, recent: 5, horizonMs: 4 * HOUR, sampleEveryMs: HOUR, reachAtr: 4 },
};

/** Oldest bar any view needs, relative to the market clock. */
export const MAX_LOOKBACK_MS = Math.max(
  ...Object.values(TIMEFRAME_SPECS).map((s) => s.bucketMs * s.buckets),
);

export interface ModeSpec {
  /** How often the mode's composite and events are refreshed (the card cycle itself runs every 10 s). */
  cadenceMs: number;
  /** Timeframe emphasis, sums to 1. */
  weights: Record<Timeframe, number>;
}

export const MODE_SPECS: Record<SignalMode, ModeSpec> = {
  scalp: { cadenceMs: 30_000, weights: { '1m': 0.6, '5m': 0.3, '1h': 0.1 } },
  day: { cadenceMs: 60_000, weights: { '1m': 0.25, '5m': 0.5, '1h': 0.25 } },
  swing: { cadenceMs: 300_000, weights: { '1m': 0.1, '5m': 0.3, '1h': 0.6 } },
};

/** Card cycle period. */
export const CYCLE_MS = 10_000;

/** A timeframe takes part in a mode's conflict check only when the mode weighs it at least this much. */
export const CONFLICT_MIN_MODE_WEIGHT = 0.2;
