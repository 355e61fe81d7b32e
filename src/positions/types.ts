import type { Platform } from '../bot/command.ts';
import type { PositionSide, Venue } from '../market/types.ts';

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
}

/** Everything stored about one user's positions: one store key per user. */
export interface UserPositions {
  platform: Platform;
  userId: string;
  /** Next id to hand out; kept when positions close so an old alert button never opens another position. */
  nextId: number;
  positions: Position[];
}

export type PositionAlertEvent = 'target-near' | 'target-swept' | 'cascade' | 'liquidation-near' | 'conflict';
