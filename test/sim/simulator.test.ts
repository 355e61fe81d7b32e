import { describe, expect, it } from 'vitest';
import { DEFAULT_SYMBOLS } from '../../src/market/symbols.ts';
import type { LiquidationEvent, MarketEvent, MarkEvent, TradeEvent } from '../../src/market/types.ts';
import { DEFAULT_BASE_PRICES, MarketSimulator } from '../../src/demo/simulator.ts';

const MIN = 60_000;

function liquidations(events: MarketEvent[]): LiquidationEvent[] {
  return events.filter((e): e is LiquidationEvent => e.kind === 'liquidation');
}

function btc(seed: number, warmupMs = 2 * 3_600_000): MarketSimulator {
  return new MarketSimulator({ symbols: ['BTC'], seed, warmupMs });
}

/** The long band (below price) or short band (above) holding the most notional within `withinPct`. */
function biggestBand(sim: MarketSimulator, side: 'long' | 'short', withinPct: number) {
  const price = sim.price('BTC');
  const candidates = sim
    .positions('BTC')
    .bands.filter((b) => b.side === side && (side === 'long' ? b.high < price * 0.997 && b.low > price * (1 - withinPct / 100) : b.low > price * 1.003 && b.high < price * (1 + withinPct / 100)));
  const band = candidates.sort((a, b) => b.notionalUsd - a.notionalUsd)[0];
  if (!band) throw new Error(`no ${side} band within ${withinPct}%`);
  return band;
}

describe('MarketSimulator: determinism', () => {
  it('replays the same events, prices and history for the same seed and calls', () => {
    const a = new MarketSimulator({ symbols: ['BTC', 'ETH'], seed: 11, warmupMs: 30 * MIN });
    const b = new MarketSimulator({ symbols: ['BTC', 'ETH'], seed: 11, warmupMs: 30 * MIN });
    for (let i = 0; i < 3; i++) expect(a.advance(20_000)).toEqual(b.advance(20_000));
    expect(a.history('bybit', 'ETH', { bars: 60, oiPoints: 12 })).toEqual(b.history('bybit', 'ETH', { bars: 60, oiPoints: 12 }));
    expect(a.positions('BTC')).toEqual(b.positions('BTC'));
  });

  it('gives the same stream whether advanced in one call or in 100 ms ticks', () => {
    const a = btc(5, 20 * MIN);
    const b = btc(5, 20 * MIN);
    const ticks: MarketEvent[] = [];
    for (let i = 0; i < 50; i++) ticks.push(...b.advance(100));
    expect(a.advance(5_000)).toEqual(ticks);
  });

  it('is not perturbed by reading state between steps', () => {
    const quiet = btc(17, 20 * MIN);
    const observed = btc(17, 20 * MIN);
    for (let i = 0; i < 5; i++) {
      observed.positions('BTC');
      observed.quote('bybit', 'BTC');
      observed.openInterest('binance', 'BTC');
      observed.history('binance', 'BTC', { bars: 120, oiPoints: 10 });
      expect(observed.advance(15_000)).toEqual(quiet.advance(15_000));
    }
  });

  it('differs between seeds', () => {
    expect(btc(1, 20 * MIN).advance(10_000)).not.toEqual(btc(2, 20 * MIN).advance(10_000));
  });

  it('does not let one symbol perturb another', () => {
    const alone = new MarketSimulator({ symbols: ['ETH'], seed: 3, warmupMs: 20 * MIN });
    const withBtc = new MarketSimulator({ symbols: ['BTC', 'ETH'], seed: 3, warmupMs: 20 * MIN });
    withBtc.setRegime('BTC', 'burst');
    const onlyEth = (evs: MarketEvent[]) => evs.filter((e) => e.symbol === 'ETH');
    expect(onlyEth(withBtc.advance(30_000))).toEqual(alone.advance(30_000));
  });
});

describe('MarketSimulator: liquidations', () => {
  it('liquidates the long cluster when price falls through it, longs only, and removes it', () => {
    const sim = btc(21);
    sim.setRegime('BTC', 'calm');
    const band = biggestBand(sim, 'long', 4);
    const before = sim.price('BTC');
    const target = band.low * 0.997;
    sim.driveToward('BTC', target, 3 * MIN);
    const liqs = liquidations(sim.advance(3 * MIN));

    expect(liqs.length).toBeGreaterThan(0);
    expect(liqs.every((l) => l.side === 'long')).toBe(true);
    expect(liqs.every((l) => l.price < before && l.price > target * 0.99)).toBe(true);
    const inBand = liqs.filter((l) => l.price <= band.high * 1.002 && l.price >= band.low * 0.99);
    expect(inBand.reduce((a, l) => a + l.notionalUsd, 0)).toBeGreaterThan(0.8 * band.notionalUsd);
    const after = sim.positions('BTC');
    expect(after.bands.some((b) => b.side === 'long' && b.low === band.low)).toBe(false);
    expect(after.long.nearestLiquidation!).toBeLessThan(after.price * 1.001);
  });

  it('liquidates shorts, not longs, when price rises through a short cluster', () => {
    const sim = btc(22);
    sim.setRegime('BTC', 'calm');
    const band = biggestBand(sim, 'short', 4);
    sim.driveToward('BTC', band.high * 1.003, 3 * MIN);
    const liqs = liquidations(sim.advance(3 * MIN));
    expect(liqs.length).toBeGreaterThan(0);
    expect(liqs.every((l) => l.side === 'short')).toBe(true);
    expect(sim.positions('BTC').short.nearestLiquidation!).toBeGreaterThan(sim.price('BTC') * 0.999);
  });

  it('books every liquidation on a simulated venue with notional = price × qty, plus a market order the same way', () => {
    const sim = btc(23);
    sim.setRegime('BTC', 'burst', { direction: 'down' });
    const events = sim.advance(2 * MIN);
    const liqs = liquidations(events);
    expect(liqs.length).toBeGreaterThan(0);
    for (const l of liqs) {
      expect(['binance', 'bybit']).toContain(l.venue);
      expect(l.notionalUsd).toBeCloseTo(l.price * l.qty, 6);
      const fill = events.find((e): e is TradeEvent => e.kind === 'trade' && e.venue === l.venue && e.exchTime === l.exchTime && e.qty === l.qty);
      expect(fill?.side).toBe(l.side === 'long' ? 'sell' : 'buy');
    }
  });

  for (const seed of [1, 2, 3]) {
    it(`cascades under a burst: many liquidations within seconds while price runs their way (seed ${seed})`, () => {
      const sim = btc(seed);
      sim.setRegime('BTC', 'calm');
      sim.advance(MIN);
      const oiBefore = sim.openInterest('binance', 'BTC').oiBase + sim.openInterest('bybit', 'BTC').oiBase;
      sim.setRegime('BTC', 'burst', { direction: 'down' });
      const events = sim.advance(2 * MIN);
      const liqs = liquidations(events).filter((l) => l.side === 'long');

      // densest 10-second window
      let best = { count: 0, from: 0, to: 0 };
      for (let i = 0, j = 0; i < liqs.length; i++) {
        while (liqs[i]!.exchTime - liqs[j]!.exchTime > 10_000) j++;
        if (i - j + 1 > best.count) best = { count: i - j + 1, from: liqs[j]!.exchTime, to: liqs[i]!.exchTime };
      }
      expect(best.count).toBeGreaterThanOrEqual(10);
      const marks = events.filter((e): e is MarkEvent => e.kind === 'mark' && e.venue === 'binance');
      const markAt = (t: number) => marks.filter((m) => m.exchTime <= t).at(-1)?.mark ?? marks[0]!.mark;
      expect(markAt(best.to + 1000)).toBeLessThan(markAt(best.from - 1000));
      const oiAfter = sim.openInterest('binance', 'BTC').oiBase + sim.openInterest('bybit', 'BTC').oiBase;
      expect(oiAfter).toBeLessThan(oiBefore);
    });
  }
});

describe('MarketSimulator: open interest and flow', () => {
  it('raises open interest with taker buying when longs pile in, and drops it when they are liquidated', () => {
    const sim = btc(31);
    sim.setRegime('BTC', 'calm');
    const oi0 = sim.openInterest('binance', 'BTC');
    const longs0 = sim.positions('BTC').long.qty;
    sim.crowdIn('BTC', 'long', 5 * MIN);
    const events = sim.advance(5 * MIN);
    let buy = 0;
    let sell = 0;
    for (const e of events) if (e.kind === 'trade') (e.side === 'buy' ? (buy += e.qty) : (sell += e.qty));
    expect(buy).toBeGreaterThan(1.3 * sell);
    const oi1 = sim.openInterest('binance', 'BTC');
    expect(oi1.oiBase).toBeGreaterThan(oi0.oiBase * 1.02);
    expect(sim.positions('BTC').long.qty).toBeGreaterThan(longs0);

    sim.driveToward('BTC', sim.price('BTC') * 0.97, 3 * MIN);
    const liqs = liquidations(sim.advance(3 * MIN));
    expect(liqs.length).toBeGreaterThan(0);
    expect(sim.openInterest('binance', 'BTC').oiBase).toBeLessThan(oi1.oiBase);
  });

  it('pushes Bybit open interest every 3 s and leaves Binance to polling; marks every second per venue', () => {
    const sim = new MarketSimulator({ symbols: ['ETH', 'SOL'], seed: 4, warmupMs: 10 * MIN, startTime: Date.UTC(2026, 2, 1) });
    const events = sim.advance(9_000);
    for (const symbol of ['ETH', 'SOL']) {
      for (const venue of ['binance', 'bybit'] as const) {
        const marks = events.filter((e) => e.kind === 'mark' && e.venue === venue && e.symbol === symbol);
        expect(marks.map((m) => m.exchTime)).toEqual(Array.from({ length: 9 }, (_, i) => Date.UTC(2026, 2, 1) + (i + 1) * 1000));
      }
      expect(events.filter((e) => e.kind === 'oi' && e.venue === 'bybit' && e.symbol === symbol)).toHaveLength(3);
      expect(events.filter((e) => e.kind === 'oi' && e.venue === 'binance')).toHaveLength(0);
      const polled = sim.openInterest('binance', symbol);
      expect(polled.oiBase).toBeGreaterThan(0);
      expect(polled.oiUsd / polled.oiBase).toBeCloseTo(sim.quote('binance', symbol).mark, -1);
    }
  });

  it('keeps venue marks apart by a small basis around a common index, with hourly funding', () => {
    const sim = btc(8, 30 * MIN);
    sim.advance(30_000);
    const a = sim.quote('binance', 'BTC');
    const b = sim.quote('bybit', 'BTC');
    expect(a.index).toBe(b.index);
    expect(Math.abs(a.mark / a.index - 1)).toBeLessThan(0.003);
    expect(Math.abs(b.mark / b.index - 1)).toBeLessThan(0.003);
    expect(a.mark).not.toBe(b.mark);
    expect(Math.abs(a.fundingRateHourly)).toBeLessThan(0.001);
    expect(a.nextFundingTime % (8 * 3_600_000)).toBe(0);
    expect(a.bid).toBeLessThan(a.ask);
  });
});

describe('MarketSimulator: control', () => {
  it('driveToward reaches the target at the requested time', () => {
    const sim = btc(41, 30 * MIN);
    const target = sim.price('BTC') * 1.025;
    sim.driveToward('BTC', target, 4 * MIN);
    sim.advance(2 * MIN);
    const halfway = sim.price('BTC');
    expect(halfway).toBeGreaterThan(target / 1.025);
    expect(halfway).toBeLessThan(target);
    sim.advance(2 * MIN);
    expect(Math.abs(sim.price('BTC') / target - 1)).toBeLessThan(2e-4);
  });

  for (const seed of [1, 2, 3]) {
    it(`'reversal' flips the sign of the 5-minute return between its halves (seed ${seed})`, () => {
      const sim = btc(seed, 30 * MIN);
      sim.setRegime('BTC', 'reversal', { direction: 'up', legMs: 15 * MIN });
      const start = sim.price('BTC');
      const prices: number[] = [];
      for (let m = 0; m < 30; m++) {
        sim.advance(MIN);
        prices.push(sim.price('BTC'));
      }
      const firstHalf5m = prices[14]! / prices[9]! - 1;
      const secondHalf5m = prices[29]! / prices[24]! - 1;
      expect(firstHalf5m).toBeGreaterThan(0);
      expect(secondHalf5m).toBeLessThan(0);
      expect(prices[14]!).toBeGreaterThan(start);
      expect(sim.regime('BTC')).toEqual({ setting: 'reversal', active: 'reversal' });
    });
  }

  it("applies a regime to 'all' symbols and hands back to the scheduler with 'auto'", () => {
    const sim = new MarketSimulator({ symbols: ['BTC', 'SOL'], seed: 2, warmupMs: 10 * MIN });
    sim.setRegime('all', 'chop');
    expect(sim.regime('SOL')).toEqual({ setting: 'chop', active: 'chop' });
    sim.setRegime('all', 'auto');
    sim.advance(1000);
    expect(sim.regime('BTC').setting).toBe('auto');
  });

  it('rejects bad input with clear errors', () => {
    const sim = btc(1, 10 * MIN);
    expect(() => sim.price('NOPE')).toThrow(/NOPE is not simulated/);
    expect(() => sim.advance(-5)).toThrow(RangeError);
    expect(() => sim.driveToward('BTC', -1, 1000)).toThrow(/price must be > 0/);
    expect(() => sim.setRegime('BTC', 'moon' as 'calm')).toThrow(/unknown regime moon/);
    expect(() => sim.history('binance', 'BTC', { bars: 10, oiPoints: 2, oiIntervalMs: 90_000 })).toThrow(/multiple of 60000/);
    expect(() => new MarketSimulator({ symbols: ['BTC'], venues: ['bybit'] }).quote('binance', 'BTC')).toThrow(/venue binance is not simulated/);
    expect(() => new MarketSimulator({ symbols: ['BTC'], stepMs: 70 })).toThrow(/stepMs must divide/);
  });
});

describe('MarketSimulator: defaults and history', () => {
  it('knows realistic base prices for the 21 default symbols and stays near them after warm-up', () => {
    for (const s of DEFAULT_SYMBOLS) expect(DEFAULT_BASE_PRICES[s]).toBeGreaterThan(0);
    expect(DEFAULT_BASE_PRICES.BTC).toBeGreaterThan(80_000);
    expect(DEFAULT_BASE_PRICES.PEPE).toBeLessThan(0.0001);
    const sim = new MarketSimulator({ symbols: [...DEFAULT_SYMBOLS], seed: 9 });
    for (const s of DEFAULT_SYMBOLS) {
      const ratio = sim.price(s) / DEFAULT_BASE_PRICES[s]!;
      expect(ratio).toBeGreaterThan(0.8);
      expect(ratio).toBeLessThan(1.25);
      const pos = sim.positions(s);
      expect(pos.long.count).toBeGreaterThan(100);
      expect(pos.short.count).toBeGreaterThan(100);
    }
  });

  it('serves contiguous, OHLC-consistent 1m bars and 5m OI ending at the clock, past the recorded span too', () => {
    const start = Date.UTC(2026, 0, 5, 12, 0, 30, 250);
    const sim = new MarketSimulator({ symbols: ['SOL', 'PEPE'], seed: 6, warmupMs: 3_600_000, startTime: start });
    sim.advance(4 * MIN + 1234);
    for (const symbol of ['SOL', 'PEPE']) {
      for (const venue of ['binance', 'bybit'] as const) {
        const { bars, oi } = sim.history(venue, symbol, { bars: 300, oiPoints: 48 });
        expect(bars).toHaveLength(300);
        const end = Math.floor(sim.now() / MIN) * MIN;
        expect(bars.at(-1)!.openTime + MIN).toBe(end);
        bars.forEach((b, i) => {
          if (i > 0) expect(b.openTime - bars[i - 1]!.openTime).toBe(MIN);
          expect(b.low).toBeLessThanOrEqual(Math.min(b.open, b.close));
          expect(b.high).toBeGreaterThanOrEqual(Math.max(b.open, b.close));
          expect(b.low).toBeGreaterThan(0);
          expect(b.takerBuyVolume!).toBeGreaterThanOrEqual(0);
          expect(b.takerBuyVolume!).toBeLessThanOrEqual(b.volume);
          expect(b.venue).toBe(venue);
        });
        // the synthetic prehistory joins the recorded bars without a jump
        for (let i = 1; i < bars.length; i++) expect(Math.abs(bars[i]!.open / bars[i - 1]!.close - 1)).toBeLessThan(0.01);
        expect(oi).toHaveLength(48);
        expect(oi.at(-1)!.exchTime).toBe(Math.floor(sim.now() / (5 * MIN)) * 5 * MIN);
        oi.forEach((p, i) => {
          if (i > 0) expect(p.exchTime - oi[i - 1]!.exchTime).toBe(5 * MIN);
          expect(p.oiBase).toBeGreaterThan(0);
        });
      }
    }
  });

  it('builds history bars from the very trades it streamed', () => {
    const sim = new MarketSimulator({ symbols: ['ETH'], seed: 12, warmupMs: 30 * MIN, startTime: Date.UTC(2026, 0, 2, 0, 0, 0) });
    const trades = sim.advance(3 * MIN).filter((e): e is TradeEvent => e.kind === 'trade' && e.venue === 'bybit');
    const bar = sim.history('bybit', 'ETH', { bars: 2, oiPoints: 0 }).bars[0]!;
    const inBar = trades.filter((t) => t.exchTime >= bar.openTime && t.exchTime < bar.openTime + MIN);
    expect(inBar.length).toBeGreaterThan(10);
    expect(bar.open).toBe(inBar[0]!.price);
    expect(bar.close).toBe(inBar.at(-1)!.price);
    expect(bar.high).toBe(Math.max(...inBar.map((t) => t.price)));
    expect(bar.low).toBe(Math.min(...inBar.map((t) => t.price)));
    expect(bar.volume).toBeCloseTo(inBar.reduce((a, t) => a + t.qty, 0), 2);
    expect(bar.takerBuyVolume!).toBeCloseTo(inBar.filter((t) => t.side === 'buy').reduce((a, t) => a + t.qty, 0), 2);
  });

  it('summarizes positions by side with liquidation bands on the right side of price', () => {
    const sim = btc(13, 60 * MIN);
    const p = sim.positions('BTC', { bandPct: 0.5 });
    expect(p.venues).toEqual(['binance', 'bybit']);
    expect(p.long.notionalUsd).toBeGreaterThan(0);
    const mark = Math.max(sim.quote('binance', 'BTC').mark, sim.quote('bybit', 'BTC').mark);
    const lowMark = Math.min(sim.quote('binance', 'BTC').mark, sim.quote('bybit', 'BTC').mark);
    for (const b of p.bands) {
      if (b.side === 'long') expect(b.low).toBeLessThan(mark);
      else expect(b.high).toBeGreaterThan(lowMark);
      expect(b.high).toBeGreaterThan(b.low);
    }
    const onlyBybit = sim.positions('BTC', { venue: 'bybit' });
    expect(onlyBybit.long.count).toBeLessThan(p.long.count);
  });
});
