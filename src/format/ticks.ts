import type { SymbolRegistry } from '../market/symbols.ts';
import { setPriceTick } from './numbers.ts';

/**
 * Feeds the formatter the price tick of every tracked symbol, in coin units (a venue quotes
 * `1000PEPE`: its tick divided by the multiplier). Called whenever the symbol registry is (re)built.
 */
export function registerPriceTicks(registry: SymbolRegistry): void {
  for (const symbol of registry.tracked()) {
    for (const venue of registry.venuesOf(symbol)) {
      const inst = registry.instrument(venue, symbol);
      if (inst?.tickSize && inst.multiplier > 0) setPriceTick(symbol, inst.tickSize / inst.multiplier);
    }
  }
}
