import type { Platform } from '../bot/command.ts';
import type { PositionSide, Venue } from '../market/types.ts';
import type { PositionAlertPayload } from '../notify/rules.ts';

/** One position a user asked liqzone to watch. */
export interface Position {
  /** Per user, never reused (until /forgetme). */
  id: number;
  symbol: string;
  side: PositionSide;
  entry: number;
  leverage: number;
  sizeUsd: number;
  venue: Venue;
  openedAt: number;
  /** Liquidation price when added (venue brackets); alerts use the refreshed plan's. */
  liquidationPrice: number;
  /**
   * The plan fixed when the position was added (or explicitly re-planned with /position replan):
   * the stop, targets and liquidation price the lifecycle events (target / stop / liquidation
   * crossed) watch. Never changed silently. Positions stored before plans existed get one computed
   * once on first read (`plannedAt` is then that read's time and `backfilled` is true).
   */
  plan?: StoredPlan;
  /** When the mark crossed the stored liquidation price (the position is likely liquidated; no more alerts). */
  likelyLiquidatedAt?: number;
}

/** A position's fixed exit plan. Prices in the canonical per-coin unit of the symbol. */
export interface StoredPlan {
  /** null when no stop exists outside every cluster before the liquidation price. */
  stop: number | null;
  /** Take-profit prices in the order price would reach them (ascending for longs, descending for shorts). */
  targets: number[];
  liquidationPrice: number;
  /** When this plan was made (market clock, ms). */
  plannedAt: number;
  /** Price when the plan was made. */
  priceAtPlan?: number;
  /** True when computed on first read for a position stored before plans were stored. */
  backfilled?: boolean;
  /** Why the stop is where it is (or, with `stop: null`, why there is none), as the planner said. */
  stopReason?: string;
  /** The cluster behind each target (same order as `targets`), for display. */
  targetZones?: { id: string; usd: number }[];
}

/** Everything stored about one user's positions: one store key per user. */
export interface UserPositions {
  platform: Platform;
  userId: string;
  /** Next id to hand out; kept when positions close so an old alert button never opens another position. */
  nextId: number;
  positions: Position[];
}

/** What a position alert is about (the notifier's payload owns the list). */
export type PositionAlertEvent = PositionAlertPayload['event'];
