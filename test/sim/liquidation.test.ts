import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allowedLeverage, liquidationPrice, tierFor } from '../../src/demo/sim/liquidation.ts';

interface Check {
  what: string;
  venue?: string;
  entry: number;
  notional?: number;
  qty?: number;
  leverage: number;
  side: 'long' | 'short';
  expectLiq: number;
  tolerance: number;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/leverage-brackets.json', import.meta.url), 'utf8')) as { checks: Check[] };

describe('simulated liquidation prices', () => {
  for (const c of fixture.checks) {
    it(`matches the reference vector: ${c.what}`, () => {
      const venue = c.venue === 'bybit-linear' ? 'bybit' : 'binance';
      const qty = c.qty ?? c.notional! / c.entry;
      expect(Math.abs(liquidationPrice(venue, c.side, c.entry, qty, c.leverage) - c.expectLiq)).toBeLessThanOrEqual(c.tolerance);
    });
  }

  it('puts long liquidations below entry and short ones above, closer at higher leverage', () => {
    for (const venue of ['binance', 'bybit'] as const) {
      let lastLong = 0;
      let lastShort = Infinity;
      for (const lev of [5, 10, 25, 50, 100]) {
        const long = liquidationPrice(venue, 'long', 3000, 1, lev);
        const short = liquidationPrice(venue, 'short', 3000, 1, lev);
        expect(long).toBeLessThan(3000);
        expect(short).toBeGreaterThan(3000);
        expect(long).toBeGreaterThan(lastLong);
        expect(short).toBeLessThan(lastShort);
        lastLong = long;
        lastShort = short;
      }
    }
  });

  it('caps leverage by the notional tier', () => {
    expect(allowedLeverage('binance', 10_000, 100)).toBe(100);
    expect(allowedLeverage('binance', 1_000_000, 100)).toBe(75);
    expect(allowedLeverage('bybit', 5_000_000, 100)).toBe(50);
    expect(tierFor('binance', 200_000).mmr).toBe(0.005);
  });
});
