import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import { afterAll, describe, expect, it } from 'vitest';
import type { Card } from '../../../src/engine/signals/cards/card.ts';
import { SignalEngine } from '../../../src/engine/signals/engine.ts';
import { LEARNING, WeightLearner, weightFactor } from '../../../src/engine/signals/learning.ts';
import { TIMEFRAME_SPECS } from '../../../src/engine/signals/spec.ts';
import { keyvWeightStore, memoryWeightStore, parseWeightState, type WeightStore } from '../../../src/store/weights.ts';
import { MINUTE, type Regime, rng, SyntheticMarket } from './synthetic.ts';

/** Reads the synthetic book, which the market below sets to the direction of the current move. */
const informative: Card = {
  id: 'informative',
  label: 'informative',
  prior: 1,
  read: (input, tf) => {
    const imb = input.tf[tf].bookImbalance ?? 0;
    return { score: Math.sign(imb) * 0.8, strength: 0.8, confidence: 0.8, reason: 'book says so' };
  },
};

function noiseCard(seed: number): Card {
  const random = rng(seed);
  return {
    id: 'noise',
    label: 'noise',
    prior: 1,
    read: () => ({ score: random() < 0.5 ? -0.8 : 0.8, strength: 0.8, confidence: 0.8, reason: 'coin flip' }),
  };
}

/** Moves in 30-minute legs of random direction; the book shows the leg's direction. */
function trainEngine(hours: number, store?: WeightStore, seed = 3): { engine: SignalEngine; market: SyntheticMarket } {
  const market = new SyntheticMarket({ symbols: ['ETH'], seed });
  market.seedHistory(60, { drift: 0, vol: 0.0004, buyShare: 0.5, oiDrift: 0 });
  const engine = new SignalEngine({
    state: market.state,
    zones: { snapshot: () => undefined },
    symbols: () => market.symbols(),
    now: market.now,
    cards: [informative, noiseCard(seed + 100)],
    ...(store ? { weights: store } : {}),
  });
  const legs = rng(seed + 200);
  let regime: Regime = { drift: 0, vol: 0.0003, buyShare: 0.5, oiDrift: 0 };
  const steps = (hours * 60 * MINUTE) / 10_000;
  for (let i = 0; i < steps; i++) {
    if (i % 180 === 0) {
      const dir = legs() < 0.5 ? -1 : 1;
      regime = { drift: dir * 0.0008, vol: 0.0003, buyShare: 0.5, oiDrift: 0, imbalance: dir * 0.5 };
    }
    market.step(regime);
    engine.cycle();
  }
  return { engine, market };
}

describe('weight learner', () => {
  it('shrinks toward the prior while samples are few and stays bounded', () => {
    expect(weightFactor(undefined)).toBe(1);
    // 3 of 3 right is not yet proof
    expect(weightFactor({ hits: 3, n: 3 })).toBeLessThan(1.25);
    // 300 of 300 right saturates at the bound, 0 of 300 at the floor
    expect(weightFactor({ hits: 300, n: 300 })).toBe(LEARNING.maxFactor);
    expect(weightFactor({ hits: 0, n: 300 })).toBe(LEARNING.minFactor);
    expect(weightFactor({ hits: 180, n: 300 })).toBeGreaterThan(weightFactor({ hits: 18, n: 30 }));
  });

  it('resolves a prediction only once its horizon has elapsed on the market clock', () => {
    const card: Card = { id: 'c', label: 'c', prior: 1, read: () => ({ score: 1, strength: 1, confidence: 1, reason: '' }) };
    const l = new WeightLearner([card]);
    const h = TIMEFRAME_SPECS['1m'].horizonMs;
    l.observe('ETH', '1m', 0, 100, [0.5]);
    l.observe('ETH', '1m', h - 1, 101, [0.5]);
    expect(l.accuracy('c', 'ETH', '1m').samples).toBe(0);
    l.observe('ETH', '1m', h, 101, [0.5]);
    expect(l.accuracy('c', 'ETH', '1m')).toEqual({ accuracy: 1, samples: 1 });
    // a card that made no call (|score| below the floor) is not judged
    l.observe('ETH', '1m', 10 * h, 90, [0.01]);
    l.observe('ETH', '1m', 11 * h, 80, [0.01]);
    expect(l.accuracy('c', 'ETH', '1m').samples).toBe(1);
  });

  it('drops predictions left unresolved by a data gap', () => {
    const card: Card = { id: 'c', label: 'c', prior: 1, read: () => ({ score: 1, strength: 1, confidence: 1, reason: '' }) };
    const l = new WeightLearner([card]);
    const h = TIMEFRAME_SPECS['5m'].horizonMs;
    l.observe('ETH', '5m', 0, 100, [0.5]);
    l.observe('ETH', '5m', 5 * h, 120, [0.5]);
    expect(l.accuracy('c', 'ETH', '5m').samples).toBe(0);
  });

  it('weights an informative card above a pure-noise card on synthetic data', () => {
    const { engine } = trainEngine(10);
    for (const tf of ['1m', '5m'] as const) {
      const good = engine.cardStats('informative', 'ETH', tf)!;
      const noise = engine.cardStats('noise', 'ETH', tf)!;
      expect(good.samples).toBeGreaterThan(tf === '1m' ? 400 : 80);
      expect(good.accuracy!).toBeGreaterThan(0.6);
      expect(Math.abs(noise.accuracy! - 0.5)).toBeLessThan(0.12);
      expect(good.weight).toBeGreaterThan(noise.weight);
    }
    // the snapshot reports the learned weight and measured accuracy per card
    const snap = engine.snapshot('ETH', 'scalp')!;
    const reading = snap.cards.find((c) => c.card === 'informative' && c.tf === '1m')!;
    expect(reading.weight).toBeCloseTo(engine.cardStats('informative', 'ETH', '1m')!.weight, 10);
    expect(reading.samples).toBeGreaterThan(400);
  });
});

describe('weight persistence', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function survivesRestart(makeStore: () => WeightStore): Promise<void> {
    const { engine } = trainEngine(3, makeStore());
    await engine.save();
    const before = engine.cardStats('informative', 'ETH', '1m')!;
    expect(before.samples).toBeGreaterThan(100);

    const market = new SyntheticMarket({ symbols: ['ETH'] });
    const restarted = new SignalEngine({
      state: market.state,
      zones: { snapshot: () => undefined },
      symbols: () => market.symbols(),
      now: market.now,
      cards: [informative, noiseCard(1)],
      weights: makeStore(),
    });
    expect(restarted.cardStats('informative', 'ETH', '1m')!.samples).toBe(0);
    await restarted.load();
    const after = restarted.cardStats('informative', 'ETH', '1m')!;
    expect(after.samples).toBe(before.samples);
    expect(after.weight).toBeCloseTo(before.weight, 12);
    expect(after.accuracy).toBeCloseTo(before.accuracy!, 12);
  }

  it('survives a restart through a shared in-memory keyv', async () => {
    const keyv = new Keyv();
    await survivesRestart(() => keyvWeightStore(keyv));
  });

  it('survives a restart through SQLite on a temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'liqzone-weights-'));
    dirs.push(dir);
    const uri = `sqlite://${join(dir, 'weights.sqlite')}`;
    const opened: Keyv[] = [];
    await survivesRestart(() => {
      const keyv = new Keyv({ store: new KeyvSqlite(uri) });
      opened.push(keyv);
      return keyvWeightStore(keyv);
    });
    for (const k of opened) await k.disconnect();
  });

  it('the in-memory store hands out copies', async () => {
    const store = memoryWeightStore();
    const state = { version: 1 as const, savedAt: 1, stats: { 'a|ETH|1m': { hits: 1, n: 2, total: 2 } } };
    await store.save(state);
    state.stats['a|ETH|1m'].hits = 99;
    expect((await store.load())!.stats['a|ETH|1m']!.hits).toBe(1);
  });

  it('reads malformed stored values as nothing stored', async () => {
    expect(parseWeightState(undefined)).toBeUndefined();
    expect(parseWeightState({ version: 2, savedAt: 0, stats: {} })).toBeUndefined();
    expect(parseWeightState({ version: 1, savedAt: 0, stats: { x: { hits: 'a', n: 1, total: 1 } } })).toBeUndefined();
    const keyv = new Keyv();
    await keyv.set('signals:weights', 'garbage');
    const market = new SyntheticMarket({ symbols: ['ETH'] });
    const engine = new SignalEngine({ state: market.state, zones: { snapshot: () => undefined }, symbols: () => [], weights: keyvWeightStore(keyv) });
    await engine.load();
    expect(engine.cardStats('taker-flow', 'ETH', '1m')).toEqual({ weight: 1, samples: 0 });
  });
});
