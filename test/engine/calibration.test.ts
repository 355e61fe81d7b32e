import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BracketBook } from '../../src/engine/brackets.ts';
import { Calibration, calibrationLine, parseCalibrationRecord, projectMix } from '../../src/engine/calibration.ts';
import { DEFAULT_LEVERAGE_MIX, LevelBook } from '../../src/engine/levels.ts';
import { MarketState } from '../../src/market/state.ts';
import type { MarketEvent } from '../../src/market/types.ts';
import { memoryCalibrationStore } from '../../src/store/calibration.ts';
import { liquidation, synthEvents, T0 } from './synthetic.ts';

const MIN = 60_000;
const PRIOR = DEFAULT_LEVERAGE_MIX.map((m) => m.weight);
const GRID = DEFAULT_LEVERAGE_MIX.map((m) => m.leverage);
const unit = (j: number) => GRID.map((_, k) => (k === j ? 1 : 0));

describe('calibration math', () => {
  it('stays at the prior without enough prints', () => {
    const cal = new Calibration(DEFAULT_LEVERAGE_MIX);
    const c = cal.for('binance', 'ETH');
    c.addExposure(T0, [1, 1, 1, 1, 1], [1, 1, 1, 1, 1]);
    for (let i = 0; i < 19; i++) c.observePrint(T0 + i, 1000, unit(4));
    expect(c.fit(T0 + MIN)).toEqual(PRIOR);
    expect(c.mix(T0 + MIN)).toEqual(PRIOR);
    expect(c.summary(T0 + MIN)).toMatchObject({ status: 'prior', prints: 19, needed: 1 });
    expect(calibrationLine([c.summary(T0 + MIN)])).toBe('Leverage mix: prior mix (not enough liquidations yet: 19 seen, 20 per venue needed).');
  });

  it('raises the leverage whose levels the prints hit, in bounded steps, and forgets it when the evidence ages out', () => {
    const cal = new Calibration(DEFAULT_LEVERAGE_MIX, { windowMs: 24 * 3_600_000 });
    const c = cal.for('bybit', 'ETH');
    // price crossed equal unit notional of every leverage; every print sat on 50x levels
    c.addExposure(T0, [1e6, 1e6, 1e6, 1e6, 1e6], [0, 0, 0, 0, 0]);
    for (let i = 0; i < 200; i++) c.observePrint(T0 + i * 1000, 5000, unit(3));
    const fit = c.fit(T0 + 10 * MIN);
    expect(fit.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 12);
    expect(fit[3]!).toBeGreaterThan(0.5);
    let prev = c.mix(T0 + 10 * MIN);
    // one refit moves a weight at most ×1.25 + 1 point before renormalizing (which the others' fall can lift by ≤ ×1.25 + 5 points)
    const bound = (w: number) => (w * 1.25 + 0.01) / (1 / 1.25 - 0.05);
    expect(prev[3]!).toBeLessThanOrEqual(bound(PRIOR[3]!) + 1e-9);
    for (let k = 1; k <= 40; k++) {
      const next = c.mix(T0 + 10 * MIN + k * MIN);
      for (let j = 0; j < GRID.length; j++) expect(next[j]!).toBeLessThanOrEqual(bound(prev[j]!) + 1e-9);
      prev = next;
    }
    expect(prev[3]!).toBeCloseTo(fit[3]!, 6);
    expect(c.summary(T0 + 51 * MIN).status).toBe('calibrated');
    expect(calibrationLine([c.summary(T0 + 51 * MIN)])).toMatch(/^Leverage mix: calibrated on 200 liquidations \(\$1M\) over the last 51 min \(bybit\)\.$/);
    // two days later the window is empty: back to the prior, step by step
    const later = T0 + 48 * 3_600_000;
    expect(c.fit(later)).toEqual(PRIOR);
    for (let k = 0; k < 40; k++) c.mix(later + k * MIN);
    c.observePrint(later, 1, unit(0)); // any change triggers refits
    for (let k = 40; k < 80; k++) c.mix(later + k * MIN);
    c.mix(later + 81 * MIN).forEach((w, j) => expect(w).toBeCloseTo(PRIOR[j]!, 6));
  });

  it('properties: the fit is a distribution within the ratio bounds, and evidence that agrees with the prior keeps it', () => {
    const vec = fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 5, maxLength: 5 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 1, max: 1e6, noNaN: true }), vec), { minLength: 0, maxLength: 80 }), vec, (prints, exposure) => {
        const c = new Calibration(DEFAULT_LEVERAGE_MIX).for('binance', 'BTC');
        c.addExposure(T0, exposure, [0, 0, 0, 0, 0]);
        prints.forEach(([usd, u], i) => c.observePrint(T0 + i, usd, u));
        const w = c.fit(T0 + 1000);
        expect(w.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 9);
        w.forEach((x, j) => {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeGreaterThanOrEqual((PRIOR[j]! / 10) * 0.5);
        });
      }),
      { numRuns: 200 },
    );
    // prints spread exactly as the prior predicts (each print sees all leverages equally; realized ∝ π·U)
    const c = new Calibration(DEFAULT_LEVERAGE_MIX).for('binance', 'BTC');
    c.addExposure(T0, [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]);
    for (let i = 0; i < 100; i++) c.observePrint(T0 + i, 100, unit(i % 5 < 0 ? 0 : Math.min(4, [0, 0, 0, 1, 1, 1, 2, 2, 3, 4][i % 10]!)));
    const w = c.fit(T0 + 1000);
    // 30/30/20/12/8 of prints vs 30/30/20/10/10 in the pattern above: only small moves, towards the evidence
    w.forEach((x, j) => expect(Math.abs(x - PRIOR[j]!)).toBeLessThan(0.05));
  });

  it('thins old evidence when full, keeping every print counted and the fit on the same evidence', () => {
    const small = new Calibration(DEFAULT_LEVERAGE_MIX, { maxPrints: 40, minPrints: 10 }).for('bybit', 'ETH');
    const big = new Calibration(DEFAULT_LEVERAGE_MIX, { maxPrints: 1000, minPrints: 10 }).for('bybit', 'ETH');
    for (const c of [small, big]) {
      c.addExposure(T0, [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]);
      // a quarter of the prints on 100x levels, in no regular order
      for (let i = 0; i < 200; i++) c.observePrint(T0 + i * 1000, 1000, unit(Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1 < 0.25 ? 4 : 1));
    }
    const s = small.summary(T0 + 300_000);
    expect(s.prints).toBe(200);
    expect(s.usd).toBeCloseTo(200_000, 6);
    expect((small.toRecord(T0 + 300_000).prints.length)).toBeLessThanOrEqual(40);
    // merged prints keep their notional and one shape: the fit stays close
    small.fit(T0 + 300_000).forEach((w, j) => expect(Math.abs(w - big.fit(T0 + 300_000)[j]!)).toBeLessThan(0.2));
  });

  it('keeps hourly exposure for the window only: buckets per hour, the oldest dropped, restored as saved', () => {
    const HOUR = 60 * MIN;
    const a = new Calibration(DEFAULT_LEVERAGE_MIX, { windowMs: 5 * HOUR });
    const c = a.for('bybit', 'SOL');
    // 30 hours, two crossings an hour (the ring of 6 hours wraps several times)
    for (let h = 0; h < 30; h++) {
      c.addExposure(T0 + h * HOUR, [h, 0, 1, 0, 0], [0, 1, 0, 0, 0]);
      c.addExposure(T0 + h * HOUR + 30 * MIN, [h, 0, 0, 0, 2], [0, 0, 0, 0, 0]);
    }
    const now = T0 + 29 * HOUR + 40 * MIN;
    const r = c.toRecord(now);
    // hours 24..29 end after now − 5 h (hour 24 ends at 25 h, after 24 h 40 min)
    expect(r.exposure.map((b) => (b.t - T0) / HOUR)).toEqual([24, 25, 26, 27, 28, 29]);
    expect(r.exposure.map((b) => b.u)).toEqual([24, 25, 26, 27, 28, 29].map((h) => [2 * h, 1, 1, 0, 2]));
    const b = new Calibration(DEFAULT_LEVERAGE_MIX, { windowMs: 5 * HOUR });
    b.for('bybit', 'SOL').restore(r);
    expect(b.for('bybit', 'SOL').toRecord(now).exposure).toEqual(r.exposure);
  });

  it('projects any mix onto the grid and keeps grid leverages in place', () => {
    expect(projectMix(DEFAULT_LEVERAGE_MIX, GRID)).toEqual(PRIOR.map((x) => expect.closeTo(x, 12)));
    const p = projectMix([{ leverage: 20, weight: 1 }, { leverage: 200, weight: 1 }, { leverage: 2, weight: 2 }], GRID);
    expect(p[0]).toBeCloseTo(0.5, 12);
    expect(p[4]).toBeCloseTo(0.25, 12);
    expect(p[1]! + p[2]!).toBeCloseTo(0.25, 12);
    expect(p[2]!).toBeGreaterThan(p[1]!);
    fc.assert(
      fc.property(fc.array(fc.record({ leverage: fc.double({ min: 1, max: 500, noNaN: true }), weight: fc.double({ min: 0, max: 10, noNaN: true }) }), { maxLength: 10 }), (mix) => {
        const q = projectMix(mix, GRID);
        expect(q.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 9);
        expect(q.every((x) => x >= 0)).toBe(true);
      }),
    );
  });

  it('persists versioned evidence and restores the same fit; other versions and grids are refused', async () => {
    const a = new Calibration(DEFAULT_LEVERAGE_MIX);
    const c = a.for('bybit', 'SOL');
    c.addExposure(T0, [1, 2, 3, 4, 5], [5, 4, 3, 2, 1]);
    for (let i = 0; i < 40; i++) c.observePrint(T0 + i * 1000, 1000 + i, [0, 0, 1, 2, 0]);
    c.mix(T0 + MIN);
    const store = memoryCalibrationStore();
    await store.save(a.records(T0 + MIN));
    expect(a.records(T0 + MIN)).toEqual([]); // saved: nothing dirty
    const { records, skipped } = await store.load();
    expect(skipped).toBe(0);
    const b = new Calibration(DEFAULT_LEVERAGE_MIX);
    expect(b.restore(records)).toBe(1);
    const restored = b.for('bybit', 'SOL');
    expect(b.records(T0 + MIN, true)[0]!.weights).toEqual(records[0]!.weights.map((x) => expect.closeTo(x, 4)));
    expect(restored.fit(T0 + MIN)).toEqual(c.fit(T0 + MIN).map((x) => expect.closeTo(x, 4)));
    expect(parseCalibrationRecord({ ...records[0], version: 2 })).toBeUndefined();
    expect(parseCalibrationRecord({ ...records[0], weights: [1] })).toBeUndefined();
    const other = new Calibration([{ leverage: 10, weight: 1 }, { leverage: 20, weight: 1 }]);
    expect(other.restore(records)).toBe(0);
    store.raw.set('junk', { version: 1, venue: 'bybit' });
    expect((await store.load()).skipped).toBe(1);
  });

  it('a measured prior replaces the default one for a symbol (the hook for observed leverage)', () => {
    const cal = new Calibration(DEFAULT_LEVERAGE_MIX);
    const c = cal.for('hyperliquid' as never, 'ETH');
    cal.setPrior('*', 'ETH', [{ leverage: 20, weight: 1 }]);
    expect(c.priorWeights()[2]!).toBeGreaterThan(0.7);
    expect(c.fit(T0)).toEqual(c.priorWeights());
    // not calibrated: the mix in use is the new prior at once (what /calibration calls "prior mix")
    expect(c.mix(T0)).toEqual(c.priorWeights());
    expect(c.summary(T0).mix.every((m) => m.weight === m.prior)).toBe(true);
    expect(cal.for('binance', 'BTC').priorWeights()).toEqual(PRIOR);
  });
});

describe('calibration through the level book', () => {
  /** An hour of balanced OI build-up at 1000, then a slide to 940; long prints only where the 25x levels sit. */
  function market(levelPrice: number): MarketEvent[] {
    const price = (m: number) => (m <= 60 ? 1000 : m <= 120 ? 1000 - (m - 60) : 940);
    return synthEvents({
      symbol: 'ETH',
      venue: 'bybit',
      start: T0,
      minutes: 200,
      price,
      oi: (m) => 1000 + 20 * Math.min(m, 60),
      extra: (m, t) => {
        const lo = price(m);
        const hi = price(m - 1);
        if (!(lo <= levelPrice && hi >= levelPrice)) return [];
        return Array.from({ length: 60 }, (_, i) => liquidation('ETH', 'bybit', t + i, 'long', levelPrice * (1 - 0.001 * (i % 3)), 10_000));
      },
    });
  }

  it('learns the leverage the realized prints point at, and uses it for the zones', () => {
    const brackets = new BracketBook();
    const cal = new Calibration(DEFAULT_LEVERAGE_MIX);
    const book = new LevelBook({ brackets, calibration: cal });
    // Bybit's ETH tiers cap a $10k position at 50x, so the 50x and 100x levels coincide (one price, no way to tell them apart)
    const ratios = book.ratios('bybit', 'ETH').long;
    expect(ratios[3]).toBe(ratios[4]);
    const at25 = ratios[2]! * 1000;
    const state = new MarketState();
    const events = market(at25);
    let i = 0;
    for (let m = 0; m <= 200; m++) {
      const until = T0 + m * MIN;
      while (i < events.length && events[i]!.exchTime <= until) state.apply(events[i++]!);
      book.update(state, 'ETH', until);
    }
    const s = cal.summaries('ETH', T0 + 200 * MIN)[0]!;
    expect(s.status).toBe('calibrated');
    expect(s.prints).toBe(60);
    expect(s.unmatchedPrints).toBe(0);
    const w = s.mix.map((m) => m.weight);
    expect(w[2]!).toBeGreaterThan(PRIOR[2]! * 1.5);
    // the 50x/100x levels were crossed with no prints: down, together (same price; only their decay differs)
    expect(w[3]!).toBeLessThan(PRIOR[3]! * 0.75);
    expect(Math.abs(w[4]! / w[3]! / (PRIOR[4]! / PRIOR[3]!) - 1)).toBeLessThan(0.05);
    // the level book reads with the learned weights
    expect(book.venues('ETH')[0]!.mixWeights()).toEqual(w.map((x) => expect.closeTo(x, 12)));
  });

  it('reads every realized print once while the state prunes its liquidation log at the front', () => {
    const cal = new Calibration(DEFAULT_LEVERAGE_MIX);
    const book = new LevelBook({ brackets: new BracketBook(), calibration: cal });
    // five minutes of liquidations kept; the book reads every 3 minutes, so the front is pruned between reads
    const state = new MarketState({ liquidationMs: 5 * MIN });
    const price = (m: number) => 1000 - 0.3 * m;
    const events = synthEvents({
      symbol: 'ETH',
      venue: 'bybit',
      start: T0,
      minutes: 180,
      price,
      oi: (m) => 1000 + 10 * m,
      extra: (m, t) => (m >= 60 ? [0, 1, 2].map((i) => liquidation('ETH', 'bybit', t + i, 'long', price(m), 1000)) : []),
    });
    let i = 0;
    for (let m = 0; m <= 180; m += 3) {
      const until = T0 + m * MIN;
      while (i < events.length && events[i]!.exchTime <= until) state.apply(events[i++]!);
      book.update(state, 'ETH', until);
    }
    const log = state.venues('ETH')[0]!.liquidations;
    expect(log.firstSeq).toBeGreaterThan(300); // most were pruned before the end
    const s = cal.summaries('ETH', T0 + 180 * MIN)[0]!;
    expect(state.counts.liquidation).toBe(3 * 121);
    expect(s.prints + s.unmatchedPrints).toBe(state.counts.liquidation);
  });
});
