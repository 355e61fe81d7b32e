import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BINANCE_BRACKETS_AS_OF,
  BracketBook,
  GENERIC_BRACKETS,
  bybitTiersToBrackets,
  withMaintenanceAmounts,
} from '../../src/engine/brackets.ts';
import {
  binanceLiquidationPrice,
  bracketFor,
  bybitLiquidationPrice,
  liquidationPrice,
  maxLeverageFor,
  type Bracket,
} from '../../src/engine/liquidation.ts';
import fixture from '../fixtures/leverage-brackets.json' with { type: 'json' };

const btc = fixture.symbols.BTCUSDT as Bracket[];
const eth = fixture.symbols.ETHUSDT as Bracket[];

describe('published worked examples (fixture checks)', () => {
  for (const check of fixture.checks) {
    it(check.what, () => {
      const side = check.side as 'long' | 'short';
      if (check.venue === 'bybit-linear') {
        const table: Bracket[] = [{ notionalFloor: 0, notionalCap: 1e9, maxLeverage: 100, maintMarginRatio: check.mmr!, cum: 0 }];
        const r = bybitLiquidationPrice(table, { side, entry: check.entry, leverage: check.leverage, notionalUsd: check.qty! * check.entry });
        expect(r.ok).toBe(true);
        if (r.ok) expect(Math.abs(r.price - check.expectLiq)).toBeLessThanOrEqual(check.tolerance);
      } else {
        const r = binanceLiquidationPrice(btc, { side, entry: check.entry, leverage: check.leverage, notionalUsd: check.notional! });
        expect(r.ok).toBe(true);
        if (r.ok) expect(Math.abs(r.price - check.expectLiq)).toBeLessThanOrEqual(check.tolerance);
      }
    });
  }

  it('reproduces the §3.2 table row for 25x (96,386 long, 103,586 short)', () => {
    const long = binanceLiquidationPrice(btc, { side: 'long', entry: 100_000, leverage: 25, notionalUsd: 10_000 });
    const short = binanceLiquidationPrice(btc, { side: 'short', entry: 100_000, leverage: 25, notionalUsd: 10_000 });
    expect(long.ok && Math.round(long.price)).toBe(96_386);
    expect(short.ok && Math.round(short.price)).toBe(103_586);
  });
});

describe('brackets', () => {
  it('picks the bracket of the notional with inclusive caps', () => {
    expect(bracketFor(btc, 10_000)?.maintMarginRatio).toBe(0.004);
    expect(bracketFor(btc, 50_000)?.maxLeverage).toBe(125);
    expect(bracketFor(btc, 50_001)?.maxLeverage).toBe(100);
    expect(bracketFor(btc, 2e9)).toBeUndefined();
    expect(maxLeverageFor(eth, 4_000_000)).toBe(50);
    expect(maxLeverageFor(eth, 5e9)).toBe(0);
  });

  it('derives the maintenance amounts of the dated table from floors and rates', () => {
    const derived = withMaintenanceAmounts(btc.map(({ cum: _cum, ...rest }) => rest));
    expect(derived.map((b) => b.cum)).toEqual(btc.map((b) => b.cum));
  });

  it('recomputes with the bracket the liquidation notional falls in', () => {
    // 52k notional is bracket 2 (MMR 0.5 %, cum 50); at 10x the notional at the liquidation price is
    // about 47k, bracket 1 (MMR 0.4 %, cum 0): Binance's rule recomputes with bracket 1.
    const r = binanceLiquidationPrice(btc, { side: 'long', entry: 100_000, leverage: 10, notionalUsd: 52_000 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.bracket.maintMarginRatio).toBe(0.004);
    expect(r.price).toBeCloseTo((100_000 * 0.9) / 0.996, 6);
  });

  it('refuses leverage above the bracket cap with a value, not a throw', () => {
    const r = binanceLiquidationPrice(btc, { side: 'long', entry: 100_000, leverage: 125, notionalUsd: 100_000 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.maxLeverage).toBe(100);
    expect(r.error).toMatch(/above the maximum of 100x/);
    expect(liquidationPrice('binance', btc, { side: 'long', entry: 0, leverage: 5, notionalUsd: 1000 }).ok).toBe(false);
    expect(liquidationPrice('bybit', btc, { side: 'long', entry: 10, leverage: 0.5, notionalUsd: 1000 }).ok).toBe(false);
    expect(liquidationPrice('binance', btc, { side: 'short', entry: 10, leverage: 2, notionalUsd: 5e9 }).ok).toBe(false);
  });

  it('serves dated Binance tables for BTC/ETH and the generic table elsewhere', () => {
    const book = new BracketBook();
    expect(BINANCE_BRACKETS_AS_OF).toBe('2024-10-24');
    expect(book.get('binance', 'BTC')).toMatchObject({ source: 'dated-default', asOf: '2024-10-24' });
    expect(book.get('binance', 'ETH').brackets[1]).toEqual({ notionalFloor: 50_000, notionalCap: 600_000, maxLeverage: 100, maintMarginRatio: 0.005, cum: 50 });
    expect(book.get('binance', 'SOL').source).toBe('generic');
    expect(book.get('bybit', 'BTC').brackets).toBe(GENERIC_BRACKETS);
    book.setBybitTiers('BTC', [
      { id: 1, symbol: 'BTCUSDT', riskLimitValue: 2_000_000, maintenanceMargin: 0.005, initialMargin: 0.01, maxLeverage: 100, mmDeduction: 0 },
    ]);
    expect(book.get('bybit', 'BTC').source).toBe('exchange');
    expect(book.get('bybit', 'BTC').brackets[0]!.notionalCap).toBe(2_000_000);
  });

  it('the generic table keeps maintenance margin continuous at every floor', () => {
    for (let i = 1; i < GENERIC_BRACKETS.length; i++) {
      const [a, b] = [GENERIC_BRACKETS[i - 1]!, GENERIC_BRACKETS[i]!];
      const f = b.notionalFloor;
      expect(f * b.maintMarginRatio - b.cum).toBeCloseTo(f * a.maintMarginRatio - a.cum, 6);
      expect(b.maxLeverage).toBeLessThan(a.maxLeverage);
    }
  });

  it('turns Bybit tiers into brackets, deriving a missing mmDeduction', () => {
    const b = bybitTiersToBrackets([
      { id: 2, symbol: 'X', riskLimitValue: 4_000_000, maintenanceMargin: 0.01, initialMargin: 0.0175, maxLeverage: 57.14 },
      { id: 1, symbol: 'X', riskLimitValue: 2_000_000, maintenanceMargin: 0.005, initialMargin: 0.01, maxLeverage: 100, mmDeduction: 0 },
    ]);
    expect(b.map((x) => [x.notionalFloor, x.notionalCap, x.cum])).toEqual([
      [0, 2_000_000, 0],
      [2_000_000, 4_000_000, 10_000],
    ]);
  });
});

describe('properties', () => {
  const tables = fc.constantFrom(btc, eth, GENERIC_BRACKETS as Bracket[]);
  const venue = fc.constantFrom('binance' as const, 'bybit' as const);
  const entry = fc.double({ min: 1e-6, max: 1e6, noNaN: true });
  const notional = fc.double({ min: 10, max: 1e6, noNaN: true });

  it('long liquidates below entry and short above', () => {
    fc.assert(
      fc.property(venue, tables, entry, notional, fc.double({ min: 0, max: 1, noNaN: true }), (v, t, ep, n, u) => {
        const cap = maxLeverageFor(t, n);
        fc.pre(cap >= 1.01);
        const lev = 1.01 + u * (cap - 1.01);
        const long = liquidationPrice(v, t, { side: 'long', entry: ep, leverage: lev, notionalUsd: n });
        const short = liquidationPrice(v, t, { side: 'short', entry: ep, leverage: lev, notionalUsd: n });
        expect(long.ok && short.ok).toBe(true);
        if (long.ok) expect(long.price).toBeLessThan(ep);
        if (short.ok) expect(short.price).toBeGreaterThan(ep);
      }),
    );
  });

  it('distance to liquidation shrinks as leverage grows', () => {
    fc.assert(
      fc.property(venue, tables, entry, notional, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (v, t, ep, n, a, b) => {
        const cap = maxLeverageFor(t, n);
        fc.pre(cap >= 2);
        const [lo, hi] = [1 + Math.min(a, b) * (cap - 1), 1 + Math.max(a, b) * (cap - 1)];
        fc.pre(hi - lo > 1e-6);
        for (const side of ['long', 'short'] as const) {
          const p1 = liquidationPrice(v, t, { side, entry: ep, leverage: lo, notionalUsd: n });
          const p2 = liquidationPrice(v, t, { side, entry: ep, leverage: hi, notionalUsd: n });
          if (!p1.ok || !p2.ok) throw new Error('refused within cap');
          expect(Math.abs(p2.price - ep)).toBeLessThanOrEqual(Math.abs(p1.price - ep) + ep * 1e-12);
        }
      }),
    );
  });

  it('leverage above the cap is refused', () => {
    fc.assert(
      fc.property(venue, tables, entry, notional, fc.double({ min: 1e-3, max: 200, noNaN: true }), (v, t, ep, n, extra) => {
        const cap = maxLeverageFor(t, n);
        fc.pre(cap > 0);
        const r = liquidationPrice(v, t, { side: 'long', entry: ep, leverage: cap + extra, notionalUsd: n });
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.maxLeverage).toBe(cap);
      }),
    );
  });
});

describe('size errors say the numbers through the shared formatter', () => {
  const table = [{ notionalFloor: 0, notionalCap: 50_000, maxLeverage: 125, maintMarginRatio: 0.004, cum: 0 }];
  it('compact when the sizes differ, whole dollars when compact would read the same', () => {
    expect(binanceLiquidationPrice(table, { side: 'long', entry: 3000, leverage: 10, notionalUsd: 2_000_000 })).toMatchObject({ error: 'A $2M position is above the largest bracket ($50k).' });
    expect(binanceLiquidationPrice(table, { side: 'long', entry: 3000, leverage: 10, notionalUsd: 50_001 })).toMatchObject({ error: 'A $50,001 position is above the largest bracket ($50,000).' });
  });
});
