/**
 * Per-symbol parameters of the simulated market: realistic price level, venue-like tick and
 * quantity steps, volatility relative to BTC, and the typical position size (which also sets
 * book depth, so price impact is comparable across symbols).
 */

export interface SymbolSpec {
  symbol: string;
  basePrice: number;
  /** Price tick per coin. */
  tick: number;
  /** Quantity step in coins. */
  qtyStep: number;
  /** Volatility relative to BTC (1 = BTC). */
  vol: number;
  /** Typical position notional, USD. */
  scale: number;
  /** Background (position-neutral) trades per second across all venues. */
  tradesPerSec: number;
}

type SpecRow = Omit<SymbolSpec, 'symbol'>;

const ROWS: Record<string, SpecRow> = {
  BTC: { basePrice: 95_000, tick: 0.1, qtyStep: 0.001, vol: 1, scale: 120_000, tradesPerSec: 10 },
  ETH: { basePrice: 3_100, tick: 0.01, qtyStep: 0.001, vol: 1.3, scale: 60_000, tradesPerSec: 8 },
  SOL: { basePrice: 140, tick: 0.01, qtyStep: 0.01, vol: 1.6, scale: 25_000, tradesPerSec: 6 },
  XRP: { basePrice: 2.2, tick: 0.0001, qtyStep: 0.1, vol: 1.5, scale: 20_000, tradesPerSec: 5 },
  DOGE: { basePrice: 0.16, tick: 0.00001, qtyStep: 1, vol: 1.8, scale: 15_000, tradesPerSec: 5 },
  BNB: { basePrice: 900, tick: 0.01, qtyStep: 0.01, vol: 1, scale: 10_000, tradesPerSec: 4 },
  HYPE: { basePrice: 35, tick: 0.001, qtyStep: 0.01, vol: 2.2, scale: 12_000, tradesPerSec: 4 },
  SUI: { basePrice: 2.5, tick: 0.0001, qtyStep: 0.1, vol: 2, scale: 8_000, tradesPerSec: 4 },
  ADA: { basePrice: 0.45, tick: 0.0001, qtyStep: 1, vol: 1.7, scale: 8_000, tradesPerSec: 3 },
  LINK: { basePrice: 14, tick: 0.001, qtyStep: 0.01, vol: 1.7, scale: 8_000, tradesPerSec: 3 },
  AVAX: { basePrice: 14, tick: 0.001, qtyStep: 1, vol: 1.8, scale: 7_000, tradesPerSec: 3 },
  LTC: { basePrice: 90, tick: 0.01, qtyStep: 0.001, vol: 1.5, scale: 7_000, tradesPerSec: 3 },
  BCH: { basePrice: 550, tick: 0.01, qtyStep: 0.001, vol: 1.5, scale: 7_000, tradesPerSec: 3 },
  DOT: { basePrice: 2.5, tick: 0.001, qtyStep: 0.1, vol: 1.7, scale: 5_000, tradesPerSec: 3 },
  TRX: { basePrice: 0.28, tick: 0.00001, qtyStep: 1, vol: 0.8, scale: 5_000, tradesPerSec: 2 },
  NEAR: { basePrice: 2, tick: 0.001, qtyStep: 1, vol: 1.9, scale: 5_000, tradesPerSec: 3 },
  AAVE: { basePrice: 200, tick: 0.01, qtyStep: 0.1, vol: 1.9, scale: 6_000, tradesPerSec: 3 },
  ENA: { basePrice: 0.3, tick: 0.0001, qtyStep: 1, vol: 2.3, scale: 6_000, tradesPerSec: 3 },
  WIF: { basePrice: 0.45, tick: 0.0001, qtyStep: 1, vol: 2.6, scale: 5_000, tradesPerSec: 3 },
  PEPE: { basePrice: 0.00001, tick: 1e-10, qtyStep: 1_000, vol: 2.4, scale: 8_000, tradesPerSec: 4 },
  TON: { basePrice: 1.8, tick: 0.0001, qtyStep: 0.1, vol: 1.6, scale: 5_000, tradesPerSec: 3 },
};

/** Default base prices of the symbols the simulator knows (USD per coin). */
export const DEFAULT_BASE_PRICES: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(Object.entries(ROWS).map(([symbol, row]) => [symbol, row.basePrice])),
);

function powerOfTen(x: number): number {
  return Math.pow(10, Math.floor(Math.log10(x)));
}

/** Steps derived from the price alone, for symbols without a row or with a far-off base price. */
function derivedSteps(price: number): { tick: number; qtyStep: number } {
  return { tick: powerOfTen(price) / 10_000, qtyStep: Math.min(1_000, powerOfTen(5 / price)) };
}

/**
 * The spec for a symbol. `basePrice` overrides the default level; ticks are re-derived when the
 * override is far from the default (a tick of 0.1 makes no sense on a 1-dollar coin).
 */
export function specFor(symbol: string, basePrice?: number): SymbolSpec {
  const row = ROWS[symbol];
  if (basePrice !== undefined && !(Number.isFinite(basePrice) && basePrice > 0)) {
    throw new RangeError(`base price for ${symbol} must be a positive number, got ${basePrice}`);
  }
  if (row) {
    if (basePrice === undefined) return { symbol, ...row };
    const ratio = basePrice / row.basePrice;
    const steps = ratio > 0.2 && ratio < 5 ? { tick: row.tick, qtyStep: row.qtyStep } : derivedSteps(basePrice);
    return { symbol, ...row, ...steps, basePrice };
  }
  const price = basePrice ?? 1;
  return { symbol, basePrice: price, ...derivedSteps(price), vol: 1.8, scale: 5_000, tradesPerSec: 3 };
}
