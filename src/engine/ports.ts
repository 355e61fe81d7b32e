/**
 * What the engine offers to commands and other processes (zone and signal services), and what it
 * needs from persistence (the learned-weight store). The engine owns these contracts; bot/services.ts
 * and store/weights.ts re-export them for their users.
 */
import type { CalibrationRecord } from './calibration.ts';
import type { HeatmapView, HeatmapWindow } from './heatmap.ts';
import type { LiveAccuracyState } from './signals/live-accuracy.ts';
import type { ExitPlan, ExitRequest, SignalMode, SignalSnapshot, ZoneSnapshot } from './types.ts';

export interface ZoneService {
  snapshot(symbol: string): ZoneSnapshot | undefined;
  planExit(req: ExitRequest): ExitPlan | { error: string };
  /** Running track record for the symbol, one line, if any. */
  trackRecord?(symbol: string): string | undefined;
}

/**
 * Liquidation heatmap history (engine/heatmap.ts): a window of the per-symbol price × time grid.
 * The zone engine answers at once; a bot process asks the market process (ops/heatmap-bus.ts) and
 * may reject when none answers.
 */
export interface HeatmapService {
  heatmap(symbol: string, window: HeatmapWindow): HeatmapView | undefined | Promise<HeatmapView | undefined>;
}

export interface SignalService {
  snapshot(symbol: string, mode: SignalMode): SignalSnapshot | undefined;
}

/** Persistence for the signal engine's learned card weights (implemented in store/weights.ts). */
/** Sign-hit counts for one card on one symbol and timeframe. */
export interface WeightStats {
  /** Exponentially decayed hit count. */
  hits: number;
  /** Exponentially decayed sample count (hits ≤ n). */
  n: number;
  /** Samples ever resolved (not decayed), for display. */
  total: number;
  /** The weight in use when saved (derived from the counts; informational). */
  weight?: number;
}

export interface WeightState {
  version: 1;
  /** Save time, ms. */
  savedAt: number;
  /** Keyed `card|symbol|timeframe`, e.g. `taker-flow|ETH|5m`. */
  stats: Record<string, WeightStats>;
  /** The live accuracy of the reads (7 days of tallies, calls awaiting their outcome). */
  accuracy?: LiveAccuracyState;
}

export interface WeightStore {
  load(): Promise<WeightState | undefined>;
  save(s: WeightState): Promise<void>;
}

/** Persistence of the leverage-mix calibration (implemented in store/calibration.ts). */
export interface CalibrationStore {
  load(): Promise<{ records: CalibrationRecord[]; skipped: number }>;
  save(records: readonly CalibrationRecord[]): Promise<void>;
}
