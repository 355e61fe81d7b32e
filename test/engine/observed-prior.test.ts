import { describe, expect, it } from 'vitest';
import { ObservedBook } from '../../src/market/observed.ts';
import { MarketState } from '../../src/market/state.ts';
import type { MarketEvent, Venue } from '../../src/market/types.ts';
import { ZoneEngine } from '../../src/engine/zone-engine.ts';
import { synthEvents, T0 } from './synthetic.ts';

const MIN = 60_000;

function setup(positions: number) {
  const state = new MarketState();
  const eth = (venue: Venue): MarketEvent[] => synthEvents({ symbol: 'ETH', venue, start: T0, minutes: 30, price: () => 3000, oi: (m) => 10_000 + 5 * m, buyFrac: () => 0.5 });
  for (const e of [...eth('binance'), ...eth('bybit')].sort((a, b) => a.recvTime - b.recvTime)) state.apply(e);
  const now = T0 + 30 * MIN;
  const book = new ObservedBook();
  // three quarters of the observed notional at 10x, a quarter at 50x
  for (let i = 0; i < positions; i++) {
    const lev = i % 4 === 0 ? 50 : 10;
    book.setAccount(i, [{ symbol: 'ETH', side: 'long', liquidationPx: 3000 * (1 - 0.9 / lev), notionalUsd: 10_000, leverage: lev, seenAt: now }]);
  }
  const engine = new ZoneEngine(state, { symbols: () => ['ETH'], now: () => now, observed: book });
  engine.update();
  return engine;
}

const priorOf = (engine: ZoneEngine, venue: Venue) => engine.calibration!.summaries('ETH', T0 + 30 * MIN).find((s) => s.venue === venue)?.mix;

describe('observed leverage as the calibration prior', () => {
  it('with enough observed positions, every venue of the symbol takes the observed mix as its prior', () => {
    const engine = setup(40);
    const snap = engine.snapshot('ETH')!;
    expect(snap.observed!.positions).toBe(40);
    expect(snap.observed!.leverageMix).toEqual([
      { leverage: 10, weight: 0.75 },
      { leverage: 50, weight: 0.25 },
    ]);
    for (const venue of ['binance', 'bybit'] as const) {
      const mix = priorOf(engine, venue)!;
      const at = (l: number) => mix.find((m) => m.leverage === l)?.prior ?? 0;
      expect(at(10)).toBeCloseTo(0.75, 6);
      expect(at(50)).toBeCloseTo(0.25, 6);
    }
  });

  it('a small sample leaves the assumed prior alone', () => {
    const engine = setup(10);
    expect(engine.snapshot('ETH')!.observed!.positions).toBe(10);
    const mix = priorOf(engine, 'binance')!;
    expect(mix.find((m) => m.leverage === 10)?.prior ?? 0).not.toBeCloseTo(0.75, 2);
  });
});
