import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SYMBOLS } from '../../src/market/symbols.ts';
import type { MarketEvent } from '../../src/market/types.ts';
import { MarketSimulator, REGIMES } from '../../src/demo/simulator.ts';

const positive = (x: number | undefined) => typeof x === 'number' && Number.isFinite(x) && x > 0;

/** Every field of an event is a usable number where one is expected; returns the first problem. */
function problem(e: MarketEvent): string | undefined {
  if (!Number.isInteger(e.exchTime) || e.recvTime !== e.exchTime) return 'times';
  switch (e.kind) {
    case 'trade':
      return positive(e.price) && positive(e.qty) && (e.side === 'buy' || e.side === 'sell') ? undefined : 'trade';
    case 'mark':
      return positive(e.mark) && positive(e.index) && Number.isFinite(e.fundingRateHourly) && e.nextFundingTime! > e.exchTime ? undefined : 'mark';
    case 'oi':
      return positive(e.oiBase) && positive(e.oiUsd) ? undefined : 'oi';
    case 'liquidation':
      return positive(e.price) && positive(e.qty) && Math.abs(e.notionalUsd - e.price * e.qty) <= 1e-9 * e.notionalUsd && (e.side === 'long' || e.side === 'short') ? undefined : 'liquidation';
    case 'book':
      return positive(e.bid) && positive(e.ask) && e.bid < e.ask && positive(e.bidSize) && positive(e.askSize) && Math.abs(e.imbalance) <= 1 ? undefined : 'book';
    case 'bar':
      return 'bar events are history only';
  }
}

describe('MarketSimulator: event stream properties', () => {
  it('emits time-ordered events with valid numbers inside the advanced window, for any seed, symbols and regime', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.subarray([...DEFAULT_SYMBOLS], { minLength: 1, maxLength: 3 }),
        fc.constantFrom('auto' as const, ...REGIMES),
        fc.array(fc.integer({ min: 1, max: 7_000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 999 }),
        (seed, symbols, regime, steps, startOffset) => {
          const sim = new MarketSimulator({ symbols, seed, warmupMs: 10 * 60_000, startTime: Date.UTC(2026, 1, 1) + startOffset });
          sim.setRegime('all', regime);
          for (const dt of steps) {
            const from = sim.now();
            const events = sim.advance(dt);
            expect(sim.now()).toBe(from + dt);
            let last = from;
            for (const e of events) {
              expect(problem(e)).toBeUndefined();
              expect(symbols).toContain(e.symbol);
              expect(e.exchTime).toBeGreaterThanOrEqual(last);
              expect(e.exchTime).toBeLessThanOrEqual(from + dt);
              last = e.exchTime;
            }
            for (const symbol of symbols) expect(positive(sim.price(symbol))).toBe(true);
          }
        },
      ),
      { numRuns: 12, seed: 20260101 },
    );
  });
});
