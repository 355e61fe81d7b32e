import { afterEach, expect, it } from 'vitest';
import type { SymbolRegistry, VenueInstrument } from '../../src/market/symbols.ts';
import { clearPriceTicks, formatPrice, priceTick } from '../../src/format/numbers.ts';
import { registerPriceTicks } from '../../src/format/ticks.ts';

afterEach(() => clearPriceTicks());

it('registers coin-unit ticks from the registry, finest venue first', () => {
  const list: VenueInstrument[] = [
    { venue: 'binance', symbol: 'PEPE', venueSymbol: '1000PEPEUSDT', multiplier: 1000, tickSize: 0.0000001 },
    { venue: 'bybit', symbol: 'PEPE', venueSymbol: '1000PEPEUSDT', multiplier: 1000, tickSize: 0.000001 },
    { venue: 'binance', symbol: 'ETH', venueSymbol: 'ETHUSDT', multiplier: 1, tickSize: 0.01 },
    { venue: 'bybit', symbol: 'ETH', venueSymbol: 'ETHUSDT', multiplier: 1 },
  ];
  const registry = {
    tracked: () => ['PEPE', 'ETH'],
    venuesOf: (s: string) => [...new Set(list.filter((i) => i.symbol === s).map((i) => i.venue))],
    instrument: (v: string, s: string) => list.find((i) => i.venue === v && i.symbol === s),
  } as unknown as SymbolRegistry;
  registerPriceTicks(registry);
  expect(priceTick('PEPE')).toBeCloseTo(1e-10, 20);
  expect(priceTick('ETH')).toBe(0.01);
  expect(formatPrice(3120.4, 'ETH')).toBe('3,120.40');
  expect(formatPrice(0.00000996, 'PEPE')).toBe('0.0₅9960');
});
