import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { measuredLine, signalReply } from '../../../commands/signal.ts';
import { returnSign, SIGNAL_DEAD_ZONE, SIGNAL_HORIZON_MS } from '../../../src/engine/signals/accuracy.ts';
import { applyConfidenceCalibration } from '../../../src/engine/signals/confidence-calibration.ts';
import { ACCURACY_WINDOW_DAYS, LiveAccuracy, MIN_CALIBRATION_CALLS, MIN_CONFLICTS, MIN_SCORED_CALLS } from '../../../src/engine/signals/live-accuracy.ts';
import type { Timeframe } from '../../../src/engine/types.ts';
import { conflictFollowUpText } from '../../../src/notify/render.ts';
import { parseWeightState } from '../../../src/store/weights.ts';

const T0 = Date.UTC(2026, 0, 5);
const CYCLE = 10_000;
const TFS: Timeframe[] = ['1m', '5m', '1h'];

/**
 * The rule written out plainly over whole arrays (the model): one call per horizon per timeframe
 * once the previous horizon's price exists, scored with the first price at or after the horizon.
 */
function model(prices: number[], scores: number[][]): Record<Timeframe, { n: number; hits: number; momentum: number }> {
  const out = {} as Record<Timeframe, { n: number; hits: number; momentum: number }>;
  const at = (t: number) => {
    let p: number | undefined;
    for (let i = 0; i < prices.length && T0 + i * CYCLE <= t; i++) p = prices[i];
    return p;
  };
  TFS.forEach((tf, k) => {
    const h = SIGNAL_HORIZON_MS[tf];
    const tally = { n: 0, hits: 0, momentum: 0 };
    let last = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < prices.length; i++) {
      const t = T0 + i * CYCLE;
      if (t - last < h || t - h < T0) continue;
      last = t;
      const score = scores[i]![k]!;
      const call = score > 0 ? 1 : score < 0 ? -1 : 0;
      const j = i + Math.ceil(h / CYCLE);
      if (call === 0 || j >= prices.length) continue;
      const outcome = returnSign(prices[j]! / prices[i]! - 1, SIGNAL_DEAD_ZONE);
      const previous = returnSign(prices[i]! / at(t - h)! - 1, SIGNAL_DEAD_ZONE);
      if (outcome === 0) continue;
      tally.n++;
      if (call === outcome) tally.hits++;
      if (previous !== 0 && previous === outcome) tally.momentum++;
    }
    out[tf] = tally;
  });
  return out;
}

function run(acc: LiveAccuracy, prices: number[], scores: number[][], from = 0): void {
  for (let i = from; i < prices.length; i++) acc.observe('ETH', T0 + i * CYCLE, prices[i]!, { '1m': scores[i]![0], '5m': scores[i]![1], '1h': scores[i]![2] });
}

const pathArb = fc.integer({ min: 400, max: 1100 }).chain((len) =>
  fc.record({
    steps: fc.array(fc.double({ min: -0.004, max: 0.004, noNaN: true }), { minLength: len, maxLength: len }),
    scores: fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }), { minLength: len, maxLength: len }),
  }),
);

const toPrices = (steps: number[]) => {
  let p = 3000;
  return steps.map((s) => (p *= 1 + s));
};

describe('live accuracy of the reads', () => {
  it('scores exactly as the rule says: hits and momentum on the same calls (property against a plain model)', () => {
    fc.assert(
      fc.property(pathArb, ({ steps, scores }) => {
        const prices = toPrices(steps);
        const acc = new LiveAccuracy();
        run(acc, prices, scores);
        const want = model(prices, scores);
        const now = T0 + (prices.length - 1) * CYCLE;
        for (const tf of TFS) {
          const got = acc.summary('ETH', tf, now);
          expect({ tf, n: got.n, hits: got.hits, momentum: got.momentum }).toEqual({ tf, ...want[tf] });
          expect(got.hits).toBeLessThanOrEqual(got.n);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a restart in the middle loses nothing: pending calls are scored after it (state through the store schema)', () => {
    fc.assert(
      fc.property(pathArb, fc.double({ min: 0.2, max: 0.8, noNaN: true }), ({ steps, scores }, cut) => {
        const prices = toPrices(steps);
        const whole = new LiveAccuracy();
        run(whole, prices, scores);
        const split = Math.floor(prices.length * cut);
        const before = new LiveAccuracy();
        run(before, prices.slice(0, split), scores);
        const stored = parseWeightState(JSON.parse(JSON.stringify({ version: 1, savedAt: 0, stats: {}, accuracy: before.toState() })));
        expect(stored?.accuracy).toBeDefined();
        const after = new LiveAccuracy();
        after.loadState(stored!.accuracy!);
        run(after, prices, scores, split);
        const end = T0 + (prices.length - 1) * CYCLE;
        // every call pending at the restart whose horizon has passed since was scored (or was flat)
        const due = before.toState().pending.filter((c) => c.t + SIGNAL_HORIZON_MS[c.tf] <= end);
        const left = after.toState().pending;
        for (const c of due) expect(left.some((x) => x.tf === c.tf && x.t === c.t)).toBe(false);
        const stillPending = before.toState().pending.filter((c) => c.t + SIGNAL_HORIZON_MS[c.tf] > end);
        for (const c of stillPending) expect(left.some((x) => x.tf === c.tf && x.t === c.t)).toBe(true);
        for (const tf of TFS) {
          const a = after.summary('ETH', tf, end);
          const b = before.summary('ETH', tf, end);
          expect(a.n).toBeGreaterThanOrEqual(b.n);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('a steady trend: every up call right, and momentum just as right — said plainly', () => {
    const n = 2 * 360 + 50;
    const prices = Array.from({ length: n }, (_, i) => 3000 * 1.0004 ** i);
    const scores = prices.map(() => [0.5, 0.5, 0.5]);
    const acc = new LiveAccuracy();
    run(acc, prices, scores);
    const a = acc.summary('ETH', '1m', T0 + (n - 1) * CYCLE);
    expect(a.n).toBeGreaterThanOrEqual(MIN_SCORED_CALLS);
    expect(a.hits).toBe(a.n);
    expect(a.momentum).toBe(a.n);
    expect(measuredLine(a)).toMatch(/^1m  calls right 100% of \d+ over the last 1 day \(95 % CI \d+%–100%\); momentum 100% — no better than momentum$/);
    const hour = acc.summary('ETH', '1h', T0 + (n - 1) * CYCLE);
    expect(hour.enough).toBe(false);
    expect(measuredLine(hour)).toBe(`1h  not enough history yet (${hour.n} of ${MIN_SCORED_CALLS} scored calls)`);
  });

  it('wording: better than momentum but a wide interval is "not yet distinguishable from a coin flip"; a clear edge has no caveat', () => {
    const base = { tf: '5m' as const, days: ACCURACY_WINDOW_DAYS, enough: true };
    expect(measuredLine({ ...base, n: 40, hits: 24, momentum: 18 })).toMatch(/calls right 60% of 40 over the last 7 days .* momentum 45% — not yet distinguishable from a coin flip$/);
    expect(measuredLine({ ...base, n: 1240, hits: 694, momentum: 645 })).toBe('5m  calls right 56% of 1,240 over the last 7 days (95 % CI 53%–59%); momentum 52%');
  });

  it('keeps 7 days: older tallies drop out of the figures', () => {
    const acc = new LiveAccuracy();
    let p = 3000;
    // one up call resolved per minute, every minute, for 9 days (rising price: all right)
    for (let i = 0; i < 9 * 1440 * 6; i++) {
      p *= 1.0001;
      acc.observe('ETH', T0 + i * CYCLE, p, { '1m': 1 });
    }
    const now = T0 + (9 * 1440 * 6 - 1) * CYCLE;
    const a = acc.summary('ETH', '1m', now);
    expect(a.days).toBe(ACCURACY_WINDOW_DAYS);
    expect(a.n).toBeLessThanOrEqual(ACCURACY_WINDOW_DAYS * 1440);
    expect(a.n).toBeGreaterThan((ACCURACY_WINDOW_DAYS - 1) * 1440);
    expect(acc.toState().calls['ETH|1m']!.length).toBeLessThanOrEqual(ACCURACY_WINDOW_DAYS);
  });

  it('conflict follow-up: the hour after each conflict against the symbol’s usual hour; quoted only with enough of both', () => {
    const acc = new LiveAccuracy();
    let p = 3000;
    let t = T0;
    const conflictsAt = new Set([10, 14, 18]);
    // 24 hours: calm (±0.01 % per cycle) except the hour after each conflict (±0.1 %)
    let wild = 0;
    for (let h = 0; h < 24; h++) {
      if (conflictsAt.has(h)) {
        acc.noteConflict('ETH', t);
        acc.noteConflict('ETH', t + 1000); // a second flag within the hour is the same episode
        wild = 360;
      }
      for (let k = 0; k < 360; k++) {
        const amp = wild-- > 0 ? 0.001 : 0.0001;
        p *= 1 + (k % 2 === 0 ? amp : -amp * 0.99);
        acc.observe('ETH', t, p, {});
        t += CYCLE;
      }
      if (h === 12) expect(acc.conflictFollowUp('ETH', t).enough).toBe(false);
    }
    const f = acc.conflictFollowUp('ETH', t);
    expect(f.n).toBe(MIN_CONFLICTS);
    expect(f.enough).toBe(true);
    expect(f.volRatio).toBeGreaterThan(2);
    expect(conflictFollowUpText('ETH', f)).toMatch(/^After 3 past conflicts on ETH over the last 1 day, 1 h volatility was \d+\.\d× usual \(above normal\)\.$/);
    expect(conflictFollowUpText('ETH', { n: 1, volRatio: Number.NaN, days: 1, enough: false })).toBe(`What follows ETH's conflict flags is not measured yet (1 of ${MIN_CONFLICTS} with their next hour seen).`);
  });

  it('a stored state with impossible counts is cleaned; a malformed one is dropped without losing the weights', () => {
    const good = { version: 1, savedAt: 1, stats: { 'x|ETH|1m': { hits: 1, n: 2, total: 2 } } };
    const s = parseWeightState({ ...good, accuracy: { version: 1, calls: { 'ETH|1m': [{ day: 1, n: 2, hits: 5, up: 1, down: 1, momentum: 9 }] }, vol: {}, pending: [] } });
    expect(s!.accuracy!.calls['ETH|1m']![0]).toMatchObject({ hits: 2, momentum: 2 });
    const bad = parseWeightState({ ...good, accuracy: { version: 2 } });
    expect(bad?.stats['x|ETH|1m']).toBeDefined();
    expect(bad?.accuracy).toBeUndefined();
  });

  it('confidence that means what it says: an anti-calibrated read is rescaled monotone from its measured calls, and survives a restart', () => {
    const acc = new LiveAccuracy();
    let p = 3000;
    const ticks = (MIN_CALIBRATION_CALLS + 60) * 6;
    // price rises every cycle; the 1m read alternates: right at 20 % confidence, wrong at 80 %
    for (let i = 0; i < ticks; i++) {
      p *= 1.0003;
      const wrongAndSure = Math.floor(i / 6) % 2 === 1;
      acc.observe('ETH', T0 + i * CYCLE, p, { '1m': wrongAndSure ? -0.6 : 0.6 }, { '1m': wrongAndSure ? 0.85 : 0.25 });
    }
    const now = T0 + (ticks - 1) * CYCLE;
    expect(acc.calibration('5m', now)).toBeUndefined(); // no 5m calls carried a confidence
    const cal = acc.calibration('1m', now)!;
    expect(cal).toBeDefined();
    expect(cal.samples).toBeGreaterThanOrEqual(MIN_CALIBRATION_CALLS);
    expect(cal.rawMonotone).toBe(false);
    const low = applyConfidenceCalibration(cal, 0.25)!;
    const high = applyConfidenceCalibration(cal, 0.85)!;
    expect(high).toBeGreaterThanOrEqual(low); // never less sure at a higher raw confidence
    expect(high).toBeLessThan(0.6); // and 85 % raw is not presented as 85 %
    expect(Math.abs(high - 0.5)).toBeLessThan(0.05); // pooled: right half the time
    // restart: the tallies behind it are saved; the same fit comes back
    const stored = parseWeightState(JSON.parse(JSON.stringify({ version: 1, savedAt: 0, stats: {}, accuracy: acc.toState() })))!;
    const again = new LiveAccuracy();
    again.loadState(stored.accuracy!);
    expect(again.calibration('1m', now)).toEqual(cal);
  });

  it('/signal shows the measured confidence, with the raw one beside it, once there is one', () => {
    const snap = {
      symbol: 'ETH',
      mode: 'day' as const,
      t: T0,
      composite: { score: 0.3, confidence: 0.5, direction: 'up' as const },
      timeframes: [
        { tf: '1m' as const, score: 0.4, strength: 0.4, confidence: 0.85, measuredConfidence: 0.52 },
        { tf: '5m' as const, score: 0.3, strength: 0.3, confidence: 0.6 },
        { tf: '1h' as const, score: 0.2, strength: 0.2, confidence: 0.4 },
      ],
      conflicted: false,
      decelerating: false,
      cards: [],
      sizing: 'x',
    };
    const text = signalReply(snap, T0).text;
    expect(text).toMatch(/^  1m  ▲ \+0\.40  strength 40%  confidence 52% measured \(raw 85%\)$/m);
    expect(text).toMatch(/^  5m  ▲ \+0\.30  strength 30%  confidence 60%$/m);
  });
});
