import type { SymbolRegistry } from './symbols.ts';
import { VENUES } from './types.ts';

/**
 * What a user typed for a symbol, resolved: the canonical symbol, and the price unit they wrote it
 * in. `1000PEPE` and `1000PEPEUSDT` quote prices per 1,000 coins (unit 1000), the way the exchanges
 * list them; `PEPE`, `$PEPE`, `ETHUSDT`, `ETH-USDT-SWAP`, `ETH-PERP` quote per coin (unit 1).
 */
export interface SymbolAlias {
  symbol: string;
  /** Coins per quoted price unit (1, or the venue multiplier such as 1000). */
  unit: number;
  /** As written, upper-cased, without a leading `$`: for replies (`1000PEPE`). */
  written: string;
}

const MULTIPLIER_PREFIX = /^(1000000|1M|10000|1000|100)([A-Z][A-Z0-9]*)$/;
const MULTIPLIER_SUFFIX = /^([A-Z][A-Z0-9]*?)(1000)$/;

/** Strips the quote currency and contract suffixes a venue ticker carries: ETH-USDT-SWAP, ETHUSDT, ETH/USDT:USDT, ETH-PERP. */
export function stripTicker(upper: string): string {
  return upper
    .replace(/[:][A-Z]+$/, '')
    .replace(/[-_/]?(SWAP|PERP)$/, '')
    .replace(/[-_/]?(USDT|USDC|USD)$/, '');
}

/** Resolves typed symbol text against the tracked symbols; undefined when nothing matches. */
export function resolveSymbolAlias(reg: SymbolRegistry, text: string): SymbolAlias | undefined {
  const written = text.trim().replace(/^\$/, '').toUpperCase();
  if (!written) return undefined;
  const tracked = reg.tracked();
  if (tracked.includes(written)) return { symbol: written, unit: 1, written };
  // A venue's own ticker, as listed (1000PEPEUSDT, ETH-USDT-SWAP) or without the quote (1000PEPE).
  for (const venue of VENUES) {
    const inst = reg.byVenueSymbol(venue, written) ?? reg.byVenueSymbol(venue, `${written}USDT`);
    if (inst && tracked.includes(inst.symbol)) return { symbol: inst.symbol, unit: inst.multiplier, written: stripTicker(written) };
  }
  const base = stripTicker(written);
  if (tracked.includes(base)) return { symbol: base, unit: 1, written: base };
  const m = MULTIPLIER_PREFIX.exec(base) ?? MULTIPLIER_SUFFIX.exec(base);
  if (m) {
    const [coin, mult] = MULTIPLIER_PREFIX.test(base) ? [m[2]!, m[1]!] : [m[1]!, m[2]!];
    const unit = mult === '1M' ? 1e6 : Number(mult);
    // Only a multiplier some venue actually lists for that coin: 1000ETH is not a ticker.
    const listed = VENUES.some((v) => reg.instrument(v, coin)?.multiplier === unit);
    if (tracked.includes(coin) && listed) return { symbol: coin, unit, written: base };
  }
  return undefined;
}

/** The largest price multiplier any venue lists the symbol with (1 when none). */
export function venueMultiplier(reg: SymbolRegistry, symbol: string): { unit: number; ticker: string } | undefined {
  let best: { unit: number; ticker: string } | undefined;
  for (const v of VENUES) {
    const inst = reg.instrument(v, symbol);
    if (inst && inst.multiplier > 1 && (!best || inst.multiplier > best.unit)) best = { unit: inst.multiplier, ticker: stripTicker(inst.venueSymbol.toUpperCase()) };
  }
  return best;
}
