import type { PositionSide, Venue } from '../market/types.ts';
import type { Quarantine } from '../market/validation.ts';
import type { CalibrationSummary } from './calibration.ts';

/**
 * Engine outputs. Immutable snapshots: commands and the notifier read these only,
 * never the live market state.
 */

/** One price bin of the estimated liquidation map. */
export interface LiquidationBin {
  /** Bin centre price. */
  price: number;
  /** Estimated USD notional of long positions liquidated at this price (lies below the mark). */
  longUsd: number;
  /** Estimated USD notional of short positions liquidated at this price (lies above the mark). */
  shortUsd: number;
}

export interface Zone {
  /** Stable while the zone persists across snapshots, e.g. `ETH:S:3190`. */
  id: string;
  /** Whose positions would be liquidated: `long` zones lie below price, `short` zones above. */
  side: PositionSide;
  low: number;
  high: number;
  /** Price of the heaviest bin. */
  peak: number;
  /**
   * The densest part of the band: the narrowest run of bins around the peak holding at least
   * `CORE_SHARE` of the zone's notional. Absent when that is the whole band.
   */
  core?: { low: number; high: number };
  notionalUsd: number;
  /** Share of its side's total estimated notional, 0…1. */
  share: number;
  /** Signed distance from price to the near edge, in % of price (positive above, negative below). */
  distancePct: number;
  /** Distance to the near edge in ATR(1h) units (unsigned). */
  distanceAtr: number;
  /** 1 = largest zone on its side. */
  rank: number;
  /** Notional per leverage bucket, e.g. `{ "25": 1.2e6 }`. */
  leverage: Record<string, number>;
  /** Notional per venue. */
  venues: Partial<Record<Venue, number>>;
}

/**
 * What the snapshot's price rests on (market/validation.ts). The notifier gates alerts on it: an
 * URGENT alert should need `confirmed` (and agreement over consecutive snapshots).
 */
export interface SnapshotValidation {
  /** Venues whose fresh marks, trades and book mids made the reference price. */
  venues: Venue[];
  /** Departure bound in force, as a fraction (max(3 %, 8 × 1-minute ATR)). */
  bound: number;
  /** Venues held out for this symbol and why (`departs`: others disagree; `unconfirmed`: a lone venue's jump awaiting trades). */
  quarantined: Quarantine[];
  /** The price is backed by at least one venue in good standing and no jump awaits confirmation. */
  confirmed: boolean;
}

export interface ZoneSnapshot {
  symbol: string;
  /** Snapshot time (market clock), ms. */
  t: number;
  /** Validated reference price at snapshot time: median of fresh marks, trades and book mids of venues in good standing. */
  price: number;
  /** Which venues the price rests on and which are quarantined (absent on snapshots built outside the zone engine). */
  validation?: SnapshotValidation;
  /** ATR used for bin sizing and distances (1h-equivalent, price units). */
  atr: number;
  binSize: number;
  /** Bins sorted by price ascending. */
  bins: LiquidationBin[];
  /** Zones on both sides, sorted by distance from price (nearest first). */
  zones: Zone[];
  /** Venues contributing. */
  venues: Venue[];
  /** Age of the newest input data at snapshot time, ms. */
  dataAgeMs: number;
  /** Monotonic snapshot sequence, per symbol. */
  seq: number;
  /** Leverage mix in use per venue: learned from realized liquidations, or the prior. Absent when calibration is off. */
  calibration?: CalibrationSummary[];
  /** Zones built only from positions observed on Hyperliquid (actual liquidation prices); absent when none is observed. */
  observed?: ObservedZones;
}

/** What Hyperliquid's public positions show for a symbol, beside (never inside) the estimate. */
export interface ObservedZones {
  /** Same shape as the estimated zones, built only from observed positions. */
  zones: Zone[];
  positions: number;
  usd: number;
  /** Accounts polled so far (a sample of the venue). */
  accounts: number;
  /** Newest and oldest confirmation among the positions, ms. */
  refreshedAt?: number;
  oldestSeenAt?: number;
  /** Observed notional ÷ Hyperliquid open interest (both sides): how much of the venue the sample covers. */
  coverage?: number;
  /** Notional-weighted leverage distribution of the observed positions (the prior hook for calibration). */
  leverageMix: { leverage: number; weight: number }[];
  /** The snapshot the zones came from (ids carry over between snapshots through it); not serialized, absent after a round trip. */
  snapshot?: ZoneSnapshot;
}

/** A zone that price traded through: modeled notional against realized liquidations. */
export interface SweepEvent {
  symbol: string;
  zoneId: string;
  side: PositionSide;
  low: number;
  high: number;
  t: number;
  modeledUsd: number;
  /** Realized liquidations of that side inside the band in the window after the sweep (lower bound). */
  realizedUsd: number;
  /** Window over which realized liquidations were summed, ms. */
  windowMs: number;
  /**
   * `crossed`: sent by the snapshot update that saw price trade through the zone (`t` is that
   * update, realized not counted yet; the zone was in the snapshot just before, taken at
   * `previousT`). `settled` (also when absent): after the realized window, with `realizedUsd`.
   */
  phase?: 'crossed' | 'settled';
  /** Crossed: seq of the snapshot built at the crossing. */
  seq?: number;
  /** Crossed: time of the snapshot just before the crossing (the zone was in it). */
  previousT?: number;
}

export interface ExitRequest {
  symbol: string;
  side: PositionSide;
  entry: number;
  leverage: number;
  /** Position notional in USD (default 10 000). */
  sizeUsd: number;
  venue: Venue;
  /**
   * Coins per quoted price when the user wrote a venue ticker with a multiplier (1000 for 1000PEPE):
   * `entry` and every price in the plan are then per that many coins. Absent or 1: per coin.
   */
  priceUnit?: number;
}

export interface ExitTarget {
  price: number;
  zoneId: string;
  /** Zone notional behind the target. */
  zoneUsd: number;
  /** The zone's share of its side's estimated total, 0…1. */
  zoneShare?: number;
  /**
   * When the zone touches others of its side (one band a move runs through): how many zones that
   * band holds and their notional together. Absent for a zone standing alone.
   */
  run?: { zones: number; usd: number; low: number; high: number };
  /** Distance from the current price, % (signed). */
  distancePct: number;
  /** (target − price) / (price − stop), in the profit direction: reward/risk from here (no stop: absent). */
  rewardRisk?: number;
  /** (target − entry) / (entry − stop), in the profit direction: reward/risk as planned at entry. */
  rewardRiskFromEntry?: number;
}

export interface ExitPlan {
  request: ExitRequest;
  price: number;
  liquidationPrice: number;
  /** Maintenance-margin bracket used (venue-specific). */
  bracket: { maintMarginRatio: number; maxLeverage: number; notionalCap: number };
  targets: ExitTarget[];
  /** Outside every cluster, past the nearest stop-hunt cluster, before liquidation; null when no such price exists. */
  stop: { price: number; reason: string; zoneId?: string } | null;
  /** Why there is no stop (when `stop` is null). */
  noStop?: string;
  /** Price is already past the liquidation price: no stop and no targets. */
  alreadyLiquidated?: true;
  /** Sizeable target-side clusters nearer than TP1 that got no target (price or the entry already inside or at their band). */
  crowded?: { low: number; high: number; usd: number; zones: number };
  /** The same-side cluster band that leaves no room for a stop (when `noStop` names one). */
  noStopBand?: { low: number; high: number };
  /** The same-side cluster the liquidation price sits inside (or, when none holds it, next to): the cascade warning's cluster. */
  liquidationCluster?: { zoneId: string; inside: boolean };
  /** Unrealized PnL at `price`: move from entry in %, and on margin (× leverage). */
  pnl: { movePct: number; onMarginPct: number };
  /** Size floor used for targets and stop-hunt clusters (share of the side's total). */
  minClusterShare: number;
  warnings: string[];
  snapshotT: number;
}

export const TIMEFRAMES = ['1m', '5m', '1h'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];
export const SIGNAL_MODES = ['scalp', 'day', 'swing'] as const;
export type SignalMode = (typeof SIGNAL_MODES)[number];

export interface CardReading {
  card: string;
  tf: Timeframe;
  /** −1…+1; positive = up. */
  score: number;
  strength: number;
  confidence: number;
  reason: string;
  /** Weight used in the composite. */
  weight: number;
  /** Measured sign-hit rate so far, with its sample count. */
  accuracy?: number;
  samples: number;
}

export interface TimeframeSignal {
  tf: Timeframe;
  score: number;
  strength: number;
  confidence: number;
  /**
   * How often reads of this timeframe at this confidence were right, measured live over the last
   * 7 days (all symbols) and made monotone in confidence; absent until enough calls are scored.
   */
  measuredConfidence?: number;
}

/** /signal's measured line for one timeframe's read (signals/live-accuracy.ts). */
export interface TimeframeAccuracy {
  tf: Timeframe;
  /** Scored calls over the window, and how many were right; momentum's hits on the same samples. */
  n: number;
  hits: number;
  momentum: number;
  days: number;
  /** n ≥ MIN_SCORED_CALLS (signals/live-accuracy.ts). */
  enough: boolean;
}

export interface ConflictFollowUpSummary {
  /** Conflict starts with their next hour seen, over the window. */
  n: number;
  /** Mean 1-hour realized volatility after them ÷ the symbol's mean hourly volatility (NaN until both exist). */
  volRatio: number;
  days: number;
  enough: boolean;
}

export interface SignalSnapshot {
  symbol: string;
  mode: SignalMode;
  t: number;
  composite: { score: number; confidence: number; direction: 'up' | 'down' | 'neutral' };
  timeframes: TimeframeSignal[];
  conflicted: boolean;
  /** e.g. 'fading momentum' or undefined. */
  decelerating: boolean;
  cards: CardReading[];
  /** Risk guidance (not advice), e.g. "reduced size: timeframes conflict". */
  sizing: string;
  /**
   * Each timeframe read's measured hit rate over the last 7 days, scored live (signals/live-accuracy.ts);
   * absent in snapshots from older market processes.
   */
  accuracy?: TimeframeAccuracy[];
  /** What followed this symbol's conflict flags: 1-hour volatility vs usual. */
  conflictFollowUp?: ConflictFollowUpSummary;
}

/** Events the signal engine emits for the notifier. */
export type SignalEvent =
  | { kind: 'conflict-start' | 'conflict-end'; symbol: string; mode: SignalMode; t: number; snapshot: SignalSnapshot }
  | { kind: 'transition'; symbol: string; mode: SignalMode; t: number; from: string; to: string; snapshot: SignalSnapshot }
  | { kind: 'fading'; symbol: string; mode: SignalMode; t: number; snapshot: SignalSnapshot };
