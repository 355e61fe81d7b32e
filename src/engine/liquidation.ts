import type { PositionSide, Venue } from '../market/types.ts';
import { formatNumber, formatUsd } from '../format/numbers.ts';

/**
 * Liquidation-price math for isolated one-way positions. Pure: no I/O, no clocks.
 * Formulas: reference/zone-models.md §3.2 (Binance USD-M closed form) and §3.4 (Bybit linear).
 * Cross-margin positions do not follow these; the level book's leverage mix absorbs that.
 */

/** One maintenance-margin bracket (Binance) or risk-limit tier (Bybit). Notional in USD(T). */
export interface Bracket {
  notionalFloor: number;
  notionalCap: number;
  maxLeverage: number;
  /** Maintenance margin rate, a fraction (0.004 = 0.4 %). */
  maintMarginRatio: number;
  /** Maintenance amount: Binance `cum`, Bybit `mmDeduction` (the same cumulative "tax bracket" term). */
  cum: number;
}

export interface PositionInput {
  side: PositionSide;
  /** Entry price (> 0). */
  entry: number;
  /** Leverage (≥ 1). */
  leverage: number;
  /** Position notional at entry in USD (> 0). */
  notionalUsd: number;
}

export type LiquidationResult =
  | { ok: true; price: number; bracket: Bracket }
  | { ok: false; error: string; maxLeverage?: number };

/** The bracket holding a notional; caps are inclusive (a 50 000 USD BTC position still gets 125x). */
export function bracketFor(table: readonly Bracket[], notional: number): Bracket | undefined {
  if (!(notional >= 0)) return undefined;
  for (const b of table) if (notional <= b.notionalCap) return notional >= b.notionalFloor ? b : undefined;
  return undefined;
}

/** Highest leverage the venue allows for a position of this notional (0 when the size exceeds every bracket). */
export function maxLeverageFor(table: readonly Bracket[], notional: number): number {
  return bracketFor(table, notional)?.maxLeverage ?? 0;
}

function validate(table: readonly Bracket[], p: PositionInput): { ok: false; error: string; maxLeverage?: number } | { ok: true; bracket: Bracket } {
  if (!(p.entry > 0) || !Number.isFinite(p.entry)) return { ok: false, error: 'Entry price must be a number above 0.' };
  if (!(p.notionalUsd > 0) || !Number.isFinite(p.notionalUsd)) return { ok: false, error: 'Position size must be a number above 0.' };
  if (!(p.leverage >= 1) || !Number.isFinite(p.leverage)) return { ok: false, error: 'Leverage must be at least 1.' };
  const bracket = bracketFor(table, p.notionalUsd);
  if (!bracket) {
    const top = table[table.length - 1]?.notionalCap ?? 0;
    // Compact sizes, unless they would read the same ($50k above $50k): then whole dollars.
    const [size, cap] = fmtUsd(p.notionalUsd) === fmtUsd(top) ? [`$${formatNumber(p.notionalUsd)}`, `$${formatNumber(top)}`] : [fmtUsd(p.notionalUsd), fmtUsd(top)];
    return { ok: false, error: `A ${size} position is above the largest bracket (${cap}).` };
  }
  if (p.leverage > bracket.maxLeverage) {
    return {
      ok: false,
      error: `Leverage ${fmtNum(p.leverage)}x is above the maximum of ${bracket.maxLeverage}x for a ${fmtUsd(p.notionalUsd)} position.`,
      maxLeverage: bracket.maxLeverage,
    };
  }
  return { ok: true, bracket };
}

function binanceClosedForm(p: PositionInput, b: Bracket): number {
  const q = p.notionalUsd / p.entry;
  const mmr = b.maintMarginRatio;
  if (p.side === 'long') return (p.entry * (1 - 1 / p.leverage)) / (1 - mmr) - b.cum / (q * (1 - mmr));
  return (p.entry * (1 + 1 / p.leverage)) / (1 + mmr) + b.cum / (q * (1 + mmr));
}

/**
 * Binance USD-M isolated, one-way: exact closed form with the bracket of the position's notional;
 * when the notional at the liquidation price falls in another bracket, recomputed with that bracket
 * (Binance's documented rule). A long at 1x has no liquidation price above 0 and returns 0.
 */
export function binanceLiquidationPrice(table: readonly Bracket[], p: PositionInput): LiquidationResult {
  const v = validate(table, p);
  if (!v.ok) return v;
  let bracket = v.bracket;
  let price = binanceClosedForm(p, bracket);
  const q = p.notionalUsd / p.entry;
  const atLiq = bracketFor(table, Math.max(0, q * price));
  if (atLiq && atLiq !== bracket) {
    bracket = atLiq;
    price = binanceClosedForm(p, bracket);
  }
  return { ok: true, price: Math.max(0, price), bracket };
}

/**
 * Bybit linear isolated: LP = EP·(1 ∓ 1/L ± MMR) ∓ mmDeduction/size, with the tier of the
 * position value (IM − MM over the size, no extra margin, fees to close left out).
 */
export function bybitLiquidationPrice(table: readonly Bracket[], p: PositionInput): LiquidationResult {
  const v = validate(table, p);
  if (!v.ok) return v;
  const b = v.bracket;
  const size = p.notionalUsd / p.entry;
  const mmr = b.maintMarginRatio;
  const price =
    p.side === 'long'
      ? p.entry * (1 - 1 / p.leverage + mmr) - b.cum / size
      : p.entry * (1 + 1 / p.leverage - mmr) + b.cum / size;
  return { ok: true, price: Math.max(0, price), bracket: b };
}

/**
 * OKX linear isolated (and Hyperliquid isolated): the tier's maintenance ratio applies to the whole
 * position, with no deduction: LP = EP·(1 ∓ 1/L) / (1 ∓ MMR) (fees to close left out). The tier is
 * chosen by position size, which does not change as the price moves, so there is no re-selection.
 */
export function wholePositionLiquidationPrice(table: readonly Bracket[], p: PositionInput): LiquidationResult {
  const v = validate(table, p);
  if (!v.ok) return v;
  const mmr = v.bracket.maintMarginRatio;
  const price = p.side === 'long' ? (p.entry * (1 - 1 / p.leverage)) / (1 - mmr) : (p.entry * (1 + 1 / p.leverage)) / (1 + mmr);
  return { ok: true, price: Math.max(0, price), bracket: v.bracket };
}

/** The venue's formula. */
export function liquidationPrice(venue: Venue, table: readonly Bracket[], p: PositionInput): LiquidationResult {
  switch (venue) {
    case 'bybit':
      return bybitLiquidationPrice(table, p);
    case 'okx':
    case 'hyperliquid':
      return wholePositionLiquidationPrice(table, p);
    default:
      return binanceLiquidationPrice(table, p);
  }
}

function fmtNum(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

const fmtUsd = formatUsd;
