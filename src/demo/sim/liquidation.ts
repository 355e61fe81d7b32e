/**
 * Liquidation prices of simulated isolated positions (reference zone-models.md §3).
 * Binance: the exact isolated one-way closed form with the BTCUSDT bracket table (used for every
 * symbol: simulated alt positions are small enough to sit in the first brackets anyway).
 * Bybit: LP = EP·(1 ∓ 1/L ± MMR) ∓ mmDeduction/size with a BTCUSDT-like risk-limit table.
 */
import type { PositionSide, Venue } from '../../market/types.ts';

export interface MarginTier {
  /** Upper notional bound of the tier, USD. */
  cap: number;
  maxLeverage: number;
  /** Maintenance margin rate. */
  mmr: number;
  /** Maintenance amount (Binance `cum`, Bybit `mmDeduction`). */
  maintAmount: number;
}

/** Binance USD-M BTCUSDT brackets as of 2024-10-24 (fixtures/leverage-brackets.json). */
export const BINANCE_TIERS: readonly MarginTier[] = [
  { cap: 50_000, maxLeverage: 125, mmr: 0.004, maintAmount: 0 },
  { cap: 600_000, maxLeverage: 100, mmr: 0.005, maintAmount: 50 },
  { cap: 3_000_000, maxLeverage: 75, mmr: 0.0065, maintAmount: 950 },
  { cap: 12_000_000, maxLeverage: 50, mmr: 0.01, maintAmount: 11_450 },
  { cap: 70_000_000, maxLeverage: 25, mmr: 0.02, maintAmount: 131_450 },
  { cap: 100_000_000, maxLeverage: 20, mmr: 0.025, maintAmount: 481_450 },
  { cap: 230_000_000, maxLeverage: 10, mmr: 0.05, maintAmount: 2_981_450 },
  { cap: Infinity, maxLeverage: 5, mmr: 0.1, maintAmount: 14_481_450 },
];

/** Bybit linear risk-limit tiers, BTCUSDT-like; mmDeduction_n = cap_{n−1}·(mmr_n − mmr_{n−1}) + mmDeduction_{n−1}. */
export const BYBIT_TIERS: readonly MarginTier[] = [
  { cap: 2_000_000, maxLeverage: 100, mmr: 0.005, maintAmount: 0 },
  { cap: 10_000_000, maxLeverage: 50, mmr: 0.01, maintAmount: 10_000 },
  { cap: 50_000_000, maxLeverage: 25, mmr: 0.02, maintAmount: 110_000 },
  { cap: Infinity, maxLeverage: 10, mmr: 0.05, maintAmount: 1_610_000 },
];

export function tiersOf(venue: Venue): readonly MarginTier[] {
  return venue === 'bybit' ? BYBIT_TIERS : BINANCE_TIERS;
}

export function tierFor(venue: Venue, notionalUsd: number): MarginTier {
  const tiers = tiersOf(venue);
  return tiers.find((t) => notionalUsd <= t.cap) ?? tiers[tiers.length - 1]!;
}

/** The leverage a venue actually allows for a position of this notional. */
export function allowedLeverage(venue: Venue, notionalUsd: number, wanted: number): number {
  return Math.min(wanted, tierFor(venue, notionalUsd).maxLeverage);
}

/**
 * Liquidation (trigger) price of an isolated position opened at `entry` with `qty` coins and
 * `leverage`, margin = initial margin, no fees. Compared against the mark price.
 */
export function liquidationPrice(venue: Venue, side: PositionSide, entry: number, qty: number, leverage: number): number {
  const notional = entry * qty;
  const { mmr, maintAmount } = tierFor(venue, notional);
  if (venue === 'bybit') {
    return side === 'long'
      ? entry * (1 - 1 / leverage + mmr) - maintAmount / qty
      : entry * (1 + 1 / leverage - mmr) + maintAmount / qty;
  }
  const wallet = notional / leverage;
  return side === 'long'
    ? (notional - wallet - maintAmount) / (qty * (1 - mmr))
    : (notional + wallet + maintAmount) / (qty * (1 + mmr));
}
