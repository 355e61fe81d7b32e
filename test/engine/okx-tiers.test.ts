import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { okxTiersToBrackets } from '../../src/engine/brackets.ts';
import { liquidationPrice, wholePositionLiquidationPrice } from '../../src/engine/liquidation.ts';
import { mapOkxPositionTiers } from '../../src/venues/okx/rest-mappers.ts';
import { sample } from '../support/samples.ts';

const tiers = mapOkxPositionTiers(sample('okx.v5/rest GET /api/v5/public/position-tiers SWAP ETH-USDT isolated'))!;

describe('OKX tiers in the exit planner', () => {
  it('contract bounds × ctVal × price become USD brackets with no maintenance deduction', () => {
    const b = okxTiersToBrackets(tiers, 0.1, 3000);
    expect(b.map((x) => [x.notionalFloor, x.notionalCap, x.maxLeverage, x.maintMarginRatio, x.cum])).toEqual([
      [0, 50_000 * 300, 100, 0.004, 0],
      [50_000 * 300, 100_000 * 300, 75, 0.006, 0],
      [100_000 * 300, 200_000 * 300, 50, 0.01, 0],
      [200_000 * 300, 400_000 * 300, 20, 0.015, 0],
    ]);
  });

  it('/exit ETH long 3000 20x 10000 okx: EP·(1 − 1/L)/(1 − MMR) with the first tier', () => {
    const r = liquidationPrice('okx', okxTiersToBrackets(tiers, 0.1, 3000), { side: 'long', entry: 3000, leverage: 20, notionalUsd: 10_000 });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.price).toBeCloseTo((3000 * 0.95) / 0.996, 9);
  });

  it('property: a long liquidates below entry and a short above; higher leverage moves it closer; refusals above the tier cap', () => {
    const table = okxTiersToBrackets(tiers, 0.1, 3000);
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 1e6, noNaN: true }), fc.double({ min: 1, max: 100, noNaN: true }), fc.double({ min: 1, max: 1e8, noNaN: true }), (entry, lev, usd) => {
        const long = wholePositionLiquidationPrice(table, { side: 'long', entry, leverage: lev, notionalUsd: usd });
        const short = wholePositionLiquidationPrice(table, { side: 'short', entry, leverage: lev, notionalUsd: usd });
        if (!long.ok) {
          // refused only above the largest tier, or above the tier's leverage cap
          const tier = table.find((t) => usd <= t.notionalCap);
          expect(tier === undefined || lev > tier.maxLeverage).toBe(true);
          return;
        }
        expect(lev).toBeLessThanOrEqual(long.bracket.maxLeverage);
        expect(long.price).toBeLessThan(entry);
        expect(short.ok && short.price > entry).toBe(true);
        const closer = wholePositionLiquidationPrice(table, { side: 'long', entry, leverage: Math.min(lev * 1.5, long.bracket.maxLeverage), notionalUsd: usd });
        if (closer.ok) expect(closer.price).toBeGreaterThanOrEqual(long.price - 1e-9 * entry);
      }),
      { numRuns: 500 },
    );
  });
});
