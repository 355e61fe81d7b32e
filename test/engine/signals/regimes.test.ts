import { describe, expect, it, vi } from 'vitest';
import { SignalEngine } from '../../../src/engine/signals/engine.ts';
import type { SignalEvent, SignalMode, SignalSnapshot } from '../../../src/engine/types.ts';
import { memoryWeightStore } from '../../../src/store/weights.ts';
import { CHOP, DUMP, type Regime, SyntheticMarket, TREND_DOWN, TREND_UP } from './synthetic.ts';

interface Run {
  market: SyntheticMarket;
  engine: SignalEngine;
  events: SignalEvent[];
  /** Day-mode snapshots, one per minute. */
  day: SignalSnapshot[];
}

function setup(history: Regime, symbols = ['ETH'], seed = 7): Run {
  const market = new SyntheticMarket({ symbols, seed });
  market.seedHistory(12 * 60, history);
  const engine = new SignalEngine({ state: market.state, zones: { snapshot: () => undefined }, symbols: () => market.symbols(), now: market.now });
  const events: SignalEvent[] = [];
  engine.onEvent((e) => events.push(e));
  return { market, engine, events, day: [] };
}

function live(run: Run, regime: Regime | ((symbol: string) => Regime), minutes: number, symbol = 'ETH'): void {
  for (let i = 0; i < minutes * 6; i++) {
    run.market.step(regime);
    run.engine.cycle();
    if (i % 6 === 5) run.day.push(run.engine.snapshot(symbol, 'day')!);
  }
}

const SLOWING: Regime = { drift: 0.0002, vol: 0.0004, buyShare: 0.56, oiDrift: 0.0001 };
const STALLING: Regime = { drift: 0.0001, vol: 0.0004, buyShare: 0.53, oiDrift: 0 };

describe('signal engine on synthetic regimes', () => {
  it('follows a steady uptrend on every timeframe and mode', () => {
    const run = setup(TREND_UP);
    live(run, TREND_UP, 20);
    for (const mode of ['scalp', 'day', 'swing'] as SignalMode[]) {
      const s = run.engine.snapshot('ETH', mode)!;
      expect(s.composite.direction).toBe('up');
      expect(s.composite.score).toBeGreaterThan(0.2);
      expect(s.composite.confidence).toBeGreaterThan(0.4);
      expect(s.conflicted).toBe(false);
      for (const tf of s.timeframes) expect(tf.score, tf.tf).toBeGreaterThan(0);
      expect(s.sizing).not.toMatch(/conflict/);
    }
    // the top contributor says why, in words
    const top = run.engine.snapshot('ETH', 'day')!.cards[0]!;
    expect(top.score).toBeGreaterThan(0);
    expect(top.reason.length).toBeGreaterThan(10);
  });

  it('follows a downtrend and reads each symbol on its own', () => {
    const run = setup(TREND_DOWN, ['ETH', 'BTC']);
    live(run, (s) => (s === 'ETH' ? TREND_DOWN : TREND_UP), 20);
    expect(run.engine.snapshot('ETH', 'day')!.composite.direction).toBe('down');
    expect(run.engine.snapshot('ETH', 'day')!.composite.score).toBeLessThan(-0.2);
    // BTC's history was a downtrend too, but its last 20 minutes rallied: the short timeframes turn
    const btc = run.engine.snapshot('BTC', 'scalp')!;
    expect(btc.timeframes.find((t) => t.tf === '1m')!.score).toBeGreaterThan(0.2);
  });

  it('gives chop low confidence and no direction', () => {
    const trend = setup(TREND_UP);
    live(trend, TREND_UP, 30);
    const chop = setup(CHOP);
    live(chop, CHOP, 30);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const chopConfidence = mean(chop.day.map((s) => s.composite.confidence));
    const trendConfidence = mean(trend.day.map((s) => s.composite.confidence));
    expect(chopConfidence).toBeLessThan(0.2);
    expect(chopConfidence).toBeLessThan(trendConfidence / 3);
    expect(Math.max(...chop.day.map((s) => Math.abs(s.composite.score)))).toBeLessThan(0.15);
    expect(chop.day.filter((s) => s.composite.direction === 'neutral').length).toBeGreaterThanOrEqual(chop.day.length * 0.9);
    expect(chop.engine.snapshot('ETH', 'day')!.sizing).toMatch(/minimal size|reduced size/);
  });

  it('announces a reversal: a conflict on the way, then a transition down', () => {
    const run = setup(TREND_UP);
    live(run, TREND_UP, 10);
    run.events.length = 0;
    live(run, DUMP, 40);
    const day = run.events.filter((e) => e.mode === 'day');
    const conflictStart = day.find((e) => e.kind === 'conflict-start');
    const toDown = day.find((e) => e.kind === 'transition' && e.to === 'down');
    expect(conflictStart, JSON.stringify(day.map((e) => e.kind))).toBeDefined();
    expect(toDown).toBeDefined();
    expect(conflictStart!.t).toBeLessThanOrEqual(toDown!.t);
    // while conflicted, conviction was lowered and sizing said so
    expect(conflictStart!.snapshot.conflicted).toBe(true);
    expect(conflictStart!.snapshot.sizing).toMatch(/conflict/);
    const tfs = conflictStart!.snapshot.timeframes;
    expect(Math.min(...tfs.map((t) => t.score))).toBeLessThan(0);
    expect(Math.max(...tfs.map((t) => t.score))).toBeGreaterThan(0);
    // the scalp read flips too, and the conflict clears once the hour turns with it
    expect(run.events.some((e) => e.mode === 'scalp' && e.kind === 'transition' && e.to === 'down')).toBe(true);
    live(run, DUMP, 30);
    expect(run.events.some((e) => e.mode === 'day' && e.kind === 'conflict-end')).toBe(true);
    expect(run.engine.snapshot('ETH', 'day')!.conflicted).toBe(false);
    // every event carries a snapshot of its own symbol and mode
    for (const e of run.events) expect([e.snapshot.symbol, e.snapshot.mode]).toEqual([e.symbol, e.mode]);
  });

  it('announces fading momentum once while the direction still holds', () => {
    const run = setup(TREND_UP);
    live(run, TREND_UP, 15);
    run.events.length = 0;
    live(run, SLOWING, 10);
    live(run, STALLING, 5);
    const fading = run.events.filter((e) => e.kind === 'fading');
    const dayFading = fading.filter((e) => e.mode === 'day');
    expect(dayFading.length).toBe(1);
    expect(dayFading[0]!.snapshot.composite.direction).toBe('up');
    expect(dayFading[0]!.snapshot.decelerating).toBe(true);
    // no mode announces fading twice in one directional episode
    for (const mode of ['scalp', 'day', 'swing']) expect(fading.filter((e) => e.mode === mode).length).toBeLessThanOrEqual(1);
  });

  it('refreshes each mode at its own cadence', () => {
    const run = setup(TREND_UP);
    const refreshes = { scalp: 0, day: 0, swing: 0 };
    let last = { scalp: undefined as SignalSnapshot | undefined, day: undefined as SignalSnapshot | undefined, swing: undefined as SignalSnapshot | undefined };
    // ten minutes of 10-second cycles
    for (let i = 0; i < 60; i++) {
      run.market.step(TREND_UP);
      run.engine.cycle();
      for (const mode of ['scalp', 'day', 'swing'] as const) {
        const s = run.engine.snapshot('ETH', mode);
        if (s !== last[mode]) refreshes[mode]++;
        last = { ...last, [mode]: s };
      }
    }
    expect(refreshes).toEqual({ scalp: 20, day: 10, swing: 2 });
  });

  it('has nothing to say before data arrives, and says it is warming up on a thin history', () => {
    const market = new SyntheticMarket({ symbols: ['ETH'] });
    const engine = new SignalEngine({ state: market.state, zones: { snapshot: () => undefined }, symbols: () => market.symbols(), now: market.now });
    engine.cycle();
    expect(engine.snapshot('ETH', 'day')).toBeUndefined();
    market.step(CHOP);
    engine.cycle();
    const s = engine.snapshot('ETH', 'day')!;
    expect(s.sizing).toMatch(/not enough data/);
    expect(s.composite.direction).toBe('neutral');
  });

  it('keeps cycling when a card throws', () => {
    const market = new SyntheticMarket({ symbols: ['ETH'] });
    market.seedHistory(60, TREND_UP);
    const engine = new SignalEngine({
      state: market.state,
      zones: { snapshot: () => undefined },
      symbols: () => market.symbols(),
      now: market.now,
      cards: [{ id: 'broken', label: 'broken', prior: 1, read: () => { throw new Error('boom'); } }],
    });
    market.step(TREND_UP);
    engine.cycle();
    const s = engine.snapshot('ETH', 'day')!;
    expect(s.cards[0]!.reason).toMatch(/broken: failed \(boom\)/);
    expect(s.composite.score).toBe(0);
  });
});

describe('signal engine timers', () => {
  it('cycles every 10 s once started, autosaves learned weights, and stops', async () => {
    vi.useFakeTimers();
    try {
      const market = new SyntheticMarket({ symbols: ['ETH'] });
      market.seedHistory(60, TREND_UP);
      let saves = 0;
      const store = memoryWeightStore();
      const engine = new SignalEngine({
        state: market.state,
        zones: { snapshot: () => undefined },
        symbols: () => market.symbols(),
        now: market.now,
        weights: { load: () => store.load(), save: async (s) => { saves++; await store.save(s); } },
        autosaveMs: 60 * 60_000,
      });
      engine.start();
      engine.start(); // idempotent
      expect(engine.snapshot('ETH', 'day')).toBeUndefined();
      // drive the market alongside the timer so predictions resolve and there is something to save
      for (let i = 0; i < 360; i++) {
        market.step(TREND_UP);
        await vi.advanceTimersByTimeAsync(10_000);
      }
      expect(engine.snapshot('ETH', 'day')).toBeDefined();
      expect(saves).toBe(1);
      engine.stop();
      const last = engine.snapshot('ETH', 'scalp');
      market.step(TREND_DOWN);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(engine.snapshot('ETH', 'scalp')).toBe(last);
    } finally {
      vi.useRealTimers();
    }
  });
});
