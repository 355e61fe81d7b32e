import { MarketState } from '../market/state.ts';
import type { MarketEvent } from '../market/types.ts';
import { addSample, confidenceBucket, emptyTally, wilson, returnSign, summarize, SIGNAL_DEAD_ZONE, SIGNAL_HORIZON_MS, type CallSample, type HitTally, type Sign } from './signals/accuracy.ts';
import { applyConfidenceCalibration, calibrationTable, holdOutRescaling, isMonotone, type CalibrationBucket, type ConfidenceCalibration } from './signals/confidence-calibration.ts';
import { SignalEngine } from './signals/engine.ts';
import { CYCLE_MS } from './signals/spec.ts';
import { SIGNAL_MODES, TIMEFRAMES, type Timeframe } from './types.ts';
import { marketTime } from './evaluation.ts';
import { ZoneEngine } from './zone-engine.ts';

export { SIGNAL_DEAD_ZONE, SIGNAL_HORIZON_MS } from './signals/accuracy.ts';
/** A calibration bucket needs this many calls before its hit rate is judged (monotone or not) on its own. */
export const CALIBRATION_MIN_SAMPLES = 20;
/** Pseudo-calls at the overall hit rate added to each bucket before the isotonic fit (small buckets lean to the average). */
export const CALIBRATION_SHRINK = 20;

/** Timeframe reads are the same in every mode; their rows carry this in place of a mode. */
export const TIMEFRAME_READ = 'tf-read';

export interface SignalEvalRow {
  symbol: string;
  /**
   * `tf-read`: the timeframe's own read (its card composite, the row `/signal` shows per timeframe;
   * identical in every mode). A mode name: that mode's composite direction (up/down; neutral makes no
   * call), scored over the timeframe's horizon.
   */
  mode: string;
  tf: Timeframe;
  tally: HitTally;
}

export interface ConflictFollowUp {
  /** Conflict starts scored (a full hour after them in the recording). */
  n: number;
  /** Mean realized volatility (stdev of 1-min returns) over the next hour: after conflicts, after as many seeded random times. */
  volAfterConflict: number;
  volAfterRandom: number;
  /** Share whose next-hour return sign is opposite the previous hour's (flat moves not counted). */
  reversalAfterConflict: number;
  reversalAfterRandom: number;
}

/** Calibration of one timeframe read or mode composite: the table, and a fit on the first half scored on the second. */
export interface SignalCalibration {
  /** `1m` / `5m` / `1h` (timeframe reads) or a mode name (its composite). */
  key: string;
  /** Every scored call of the recording by confidence bucket. */
  table: CalibrationBucket[];
  /** First-half calls by raw bucket (what the fit was made from). */
  firstHalf: CalibrationBucket[];
  /** Isotonic rescaling fitted on the first half's calls only. */
  fit: ConfidenceCalibration;
  /** Second-half calls by raw bucket: what the fitted rescaling predicted vs what happened. */
  heldOut: CalibrationBucket[];
  /**
   * Brier score (mean squared error of a hit probability, lower is better) on the second half's
   * calls: the rescaled confidence as the probability, vs one flat probability (the first half's
   * overall hit rate). NaN without a fit or second-half calls.
   */
  brierRescaled: number;
  brierFlat: number;
}

export interface LearningComparison {
  /** `1m` / `5m` / `1h` (timeframe reads, all symbols) or `mode tf` (a mode's composite over that horizon). */
  key: string;
  /** Second-half calls with the cards' prior weights (nothing learned). */
  prior: HitTally;
  /** Second-half calls with the weights learned on the first half (frozen at the split). */
  learned: HitTally;
}

export interface SignalEvalReport {
  /** Calls of the learned engine over the whole recording (learning online before the split, frozen after). */
  rows: SignalEvalRow[];
  /** Calls of every timeframe read and mode composite by confidence bucket (lower edge), all pooled. */
  calibration: { bucket: number; tally: HitTally }[];
  /** Per timeframe read and per mode composite. */
  calibrations: SignalCalibration[];
  /** Hit rates after the split: prior weights vs weights learned before it. */
  learning: LearningComparison[];
  conflicts: ConflictFollowUp;
  fromT: number;
  toT: number;
  /** Market time splitting learning (before) from scoring the learned weights (after). */
  splitAt: number;
  cycles: number;
}

export interface SignalEvalOptions {
  /**
   * Market time of the learn/score split. Default: the middle of the recording's live events (an
   * iterable that is not an array is read into one to find it).
   */
  splitAt?: number;
}

const LIVE_KINDS = new Set(['trade', 'mark', 'liquidation', 'book']);

type Variant = 'prior' | 'learned';

interface Call {
  variant: Variant;
  symbol: string;
  /** TIMEFRAME_READ or a mode */
  mode: string;
  tf: Timeframe;
  t: number;
  call: Sign;
  confidence: number;
}

function liveSpan(events: readonly MarketEvent[]): { from: number; to: number } | undefined {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const ev of events) {
    if (!LIVE_KINDS.has(ev.kind)) continue;
    const t = marketTime(ev);
    if (t < from) from = t;
    if (t > to) to = t;
  }
  return from <= to ? { from, to } : undefined;
}

/**
 * Replays events through the same market state and signal engine on the recording's market clock,
 * one engine cycle per 10 s of market time, and scores every call over the next horizon of its
 * timeframe against always-up, always-down and momentum on the same samples. Samples per (symbol,
 * mode, timeframe) do not overlap (one per horizon).
 *
 * Two engines read the same market: `learned` learns card weights online until `splitAt` and keeps
 * them frozen after it; `prior` never learns. Only calls after the split compare the two, so the
 * learned weights are never scored on the data they were learned from. The confidence rescaling is
 * likewise fitted on calls before the split and judged on calls after it.
 */
export function evaluateSignals(input: Iterable<MarketEvent>, opts: SignalEvalOptions = {}): SignalEvalReport {
  let events: Iterable<MarketEvent> = input;
  let splitAt = opts.splitAt;
  if (splitAt === undefined) {
    const list = Array.isArray(input) ? (input as MarketEvent[]) : [...input];
    events = list;
    const span = liveSpan(list);
    splitAt = span ? span.from + (span.to - span.from) / 2 : Number.POSITIVE_INFINITY;
  }
  const state = new MarketState({}, { futureToleranceMs: Number.POSITIVE_INFINITY });
  let clock = Number.NEGATIVE_INFINITY;
  const zones = new ZoneEngine(state, { symbols: () => state.symbols(), now: () => clock });
  const common = { state, zones, symbols: () => state.symbols(), now: () => clock, autosaveMs: 0, log: () => {} };
  const engines: Record<Variant, SignalEngine> = {
    learned: new SignalEngine({ ...common, learning: true }),
    prior: new SignalEngine({ ...common, learning: false }),
  };
  const prices = new Map<string, { t: number[]; p: number[] }>();
  const calls: Call[] = [];
  const conflictStarts: { symbol: string; t: number }[] = [];
  engines.learned.onEvent((ev) => {
    if (ev.kind === 'conflict-start') conflictStarts.push({ symbol: ev.symbol, t: ev.t });
  });
  const lastSample = new Map<string, number>();
  const sample = (variant: Variant, symbol: string, mode: string, tf: Timeframe, call: Sign, confidence: number) => {
    const key = `${variant}|${symbol}|${mode}|${tf}`;
    const last = lastSample.get(key) ?? Number.NEGATIVE_INFINITY;
    if (clock - last < SIGNAL_HORIZON_MS[tf]) return;
    lastSample.set(key, clock);
    calls.push({ variant, symbol, mode, tf, t: clock, call, confidence });
  };
  let next = Number.NaN;
  let fromT = Number.NaN;
  let cycles = 0;
  let frozen = false;
  const runCycle = () => {
    cycles++;
    if (!frozen && clock >= splitAt) {
      engines.learned.setLearning(false);
      frozen = true;
    }
    zones.update();
    engines.learned.cycle();
    engines.prior.cycle();
    for (const symbol of state.symbols()) {
      const price = state.price(symbol);
      if (price === undefined || !(price > 0)) continue;
      let series = prices.get(symbol);
      if (!series) prices.set(symbol, (series = { t: [], p: [] }));
      series.t.push(clock);
      series.p.push(price);
      for (const variant of ['learned', 'prior'] as const) {
        const engine = engines[variant];
        // timeframe reads as /signal shows them in its default mode (they are the same in every mode)
        const read = engine.snapshot(symbol, 'day');
        if (read) for (const tf of read.timeframes) sample(variant, symbol, TIMEFRAME_READ, tf.tf, tf.score > 0 ? 1 : tf.score < 0 ? -1 : 0, tf.confidence);
        for (const mode of SIGNAL_MODES) {
          const snap = engine.snapshot(symbol, mode);
          if (!snap) continue;
          const d = snap.composite.direction;
          for (const tf of TIMEFRAMES) sample(variant, symbol, mode, tf, d === 'up' ? 1 : d === 'down' ? -1 : 0, snap.composite.confidence);
        }
      }
    }
  };
  for (const ev of events) {
    const t = marketTime(ev);
    if (LIVE_KINDS.has(ev.kind) && t > clock) {
      if (Number.isNaN(next)) {
        next = t + CYCLE_MS;
        fromT = t;
      }
      while (t >= next) {
        clock = next;
        runCycle();
        next += CYCLE_MS;
      }
      clock = t;
    }
    state.apply(ev);
  }
  const priceAt = (symbol: string, t: number, after: boolean): number | undefined => {
    const s = prices.get(symbol);
    if (!s) return undefined;
    let lo = 0;
    let hi = s.t.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s.t[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    if (after) return lo < s.t.length ? s.p[lo] : undefined;
    const i = lo < s.t.length && s.t[lo] === t ? lo : lo - 1;
    return i >= 0 ? s.p[i] : undefined;
  };
  const tallyIn = <K>(m: Map<K, HitTally>, k: K): HitTally => {
    let t = m.get(k);
    if (!t) m.set(k, (t = emptyTally()));
    return t;
  };
  const rows = new Map<string, SignalEvalRow>();
  const buckets = new Map<number, HitTally>();
  /** calibration key → half → bucket → tally */
  const calib = new Map<string, { all: Map<number, HitTally>; first: Map<number, HitTally>; second: Map<number, HitTally> }>();
  const learning = new Map<string, { prior: HitTally; learned: HitTally }>();
  for (const c of calls) {
    const h = SIGNAL_HORIZON_MS[c.tf];
    const p0 = priceAt(c.symbol, c.t, false);
    const p1 = priceAt(c.symbol, c.t + h, true);
    const pPrev = priceAt(c.symbol, c.t - h, false);
    if (p0 === undefined || p1 === undefined || pPrev === undefined) continue;
    // a call whose horizon ends past the recording is not scored
    if (c.t + h > clock) continue;
    const s: CallSample = { call: c.call, previous: returnSign(p0 / pPrev - 1, SIGNAL_DEAD_ZONE), outcome: returnSign(p1 / p0 - 1, SIGNAL_DEAD_ZONE) };
    const second = c.t >= splitAt;
    if (second) {
      const lk = c.mode === TIMEFRAME_READ ? c.tf : `${c.mode} ${c.tf}`;
      let l = learning.get(lk);
      if (!l) learning.set(lk, (l = { prior: emptyTally(), learned: emptyTally() }));
      addSample(l[c.variant], s);
    }
    if (c.variant !== 'learned') continue;
    const key = `${c.symbol}|${c.mode}|${c.tf}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { symbol: c.symbol, mode: c.mode, tf: c.tf, tally: emptyTally() }));
    addSample(row.tally, s);
    const b = Math.round(confidenceBucket(c.confidence) * 10) / 10;
    addSample(tallyIn(buckets, b), s);
    // a timeframe read is calibrated per timeframe; a mode composite on its own horizon... per mode, over every horizon
    const ck = c.mode === TIMEFRAME_READ ? c.tf : c.mode;
    let cb = calib.get(ck);
    if (!cb) calib.set(ck, (cb = { all: new Map(), first: new Map(), second: new Map() }));
    addSample(tallyIn(cb.all, b), s);
    addSample(tallyIn(second ? cb.second : cb.first, b), s);
  }
  const asTable = (m: Map<number, HitTally>) => calibrationTable([...m.entries()].filter(([, t]) => t.n > 0).map(([bucket, tally]) => ({ bucket, tally })));
  const calKeys = [...TIMEFRAMES, ...SIGNAL_MODES].filter((k) => calib.has(k));
  const calibrations: SignalCalibration[] = calKeys.map((key) => {
    const cb = calib.get(key)!;
    const first = asTable(cb.first);
    const heldOut = asTable(cb.second);
    const { fit, brierRescaled, brierFlat } = holdOutRescaling(first, heldOut, { shrink: CALIBRATION_SHRINK });
    return { key, table: asTable(cb.all), firstHalf: first, fit, heldOut, brierRescaled, brierFlat };
  });
  const learningKeys = [...TIMEFRAMES, ...SIGNAL_MODES.flatMap((m) => TIMEFRAMES.map((tf) => `${m} ${tf}`))];
  const learningRows = learningKeys.filter((k) => learning.has(k)).map((key) => ({ key, ...learning.get(key)! }));
  const HOUR = 3_600_000;
  const followUp = (symbol: string, t: number): { vol: number; rev: Sign | undefined } | undefined => {
    const rets: number[] = [];
    for (let m = 1; m <= 60; m++) {
      const a = priceAt(symbol, t + (m - 1) * 60_000, false);
      const b = priceAt(symbol, t + m * 60_000, false);
      if (a === undefined || b === undefined) return undefined;
      rets.push(b / a - 1);
    }
    const mean = rets.reduce((x, y) => x + y, 0) / rets.length;
    const vol = Math.sqrt(rets.reduce((x, y) => x + (y - mean) ** 2, 0) / rets.length);
    const p0 = priceAt(symbol, t, false);
    const prev = priceAt(symbol, t - HOUR, false);
    const next = priceAt(symbol, t + HOUR, true);
    if (p0 === undefined || prev === undefined || next === undefined) return { vol, rev: undefined };
    const before = returnSign(p0 / prev - 1, SIGNAL_DEAD_ZONE);
    const after = returnSign(next / p0 - 1, SIGNAL_DEAD_ZONE);
    return { vol, rev: before === 0 || after === 0 ? undefined : before !== after ? 1 : 0 };
  };
  const scoreTimes = (times: { symbol: string; t: number }[]) => {
    let n = 0;
    let vol = 0;
    let revN = 0;
    let rev = 0;
    for (const x of times) {
      if (x.t + HOUR > clock) continue;
      const f = followUp(x.symbol, x.t);
      if (!f) continue;
      n++;
      vol += f.vol;
      if (f.rev !== undefined) {
        revN++;
        rev += f.rev;
      }
    }
    return { n, vol: n ? vol / n : Number.NaN, rev: revN ? rev / revN : Number.NaN };
  };
  const conflictScore = scoreTimes(conflictStarts);
  // As many random times as conflicts, from a fixed seed (mulberry32), over the same symbols and span.
  let seed = 0x5eed1234;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const syms = [...prices.keys()];
  const randomTimes = conflictStarts.map(() => ({
    symbol: syms[Math.floor(rand() * syms.length)]!,
    t: fromT + HOUR + rand() * Math.max(0, clock - fromT - 2 * HOUR),
  }));
  const randomScore = scoreTimes(randomTimes);
  const conflicts: ConflictFollowUp = {
    n: conflictScore.n,
    volAfterConflict: conflictScore.vol,
    volAfterRandom: randomScore.vol,
    reversalAfterConflict: conflictScore.rev,
    reversalAfterRandom: randomScore.rev,
  };
  const calibration = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([bucket, tally]) => ({ bucket, tally }));
  engines.learned.stop();
  engines.prior.stop();
  return { rows: [...rows.values()], calibration, calibrations, learning: learningRows, conflicts, fromT, toT: clock, splitAt, cycles };
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

const MODE_ORDER = [TIMEFRAME_READ, ...SIGNAL_MODES] as string[];
const TF_ORDER = TIMEFRAMES as readonly string[];
const ratePct = (k: number, n: number) => (n > 0 ? pct(k / n) : '—');

/** The calibration tables: per timeframe read and mode composite, bucket → realized hit rate, and the rescaling fitted on the first half. */
export function formatSignalCalibration(cals: readonly SignalCalibration[]): string[] {
  const lines: string[] = [];
  for (const c of cals) {
    const what = (TF_ORDER as string[]).includes(c.key) ? `${c.key} read` : `${c.key} composite`;
    const solid = c.table.filter((b) => b.n >= CALIBRATION_MIN_SAMPLES);
    const shape = solid.length < 2 ? 'has too few calls per bucket to judge against' : isMonotone(solid) ? 'rises with' : 'is NOT monotone in';
    lines.push(
      `  ${what}: hit rate ${shape} confidence (buckets with ≥ ${CALIBRATION_MIN_SAMPLES} calls)${
        c.fit.buckets.length
          ? `; rescaling fitted on the first half (${c.fit.samples} calls, shrunk ${CALIBRATION_SHRINK} calls to the mean, isotonic), Brier on the second half ${c.brierRescaled.toFixed(3)} vs ${c.brierFlat.toFixed(3)} for one flat rate`
          : '; no first-half calls to fit a rescaling'
      }`,
      '    confidence   n      hit    95 % CI      | rescaled (1st half) | 2nd half n  hit',
    );
    for (const b of c.table) {
      const w = wilson(b.hits, b.n);
      const fitted = applyConfidenceCalibration(c.fit, b.from);
      const held = c.heldOut.find((x) => Math.abs(x.from - b.from) < 1e-9);
      lines.push(
        `    ${`${pct(b.from)}–${pct(b.to)}`.padEnd(12)} ${String(b.n).padEnd(6)} ${pct(w.p).padEnd(6)} ${`${pct(w.low)}–${pct(w.high)}`.padEnd(12)} | ${(fitted !== undefined ? pct(fitted) : '—').padEnd(19)} | ${String(held?.n ?? 0).padEnd(10)} ${held ? ratePct(held.hits, held.n) : '—'}`,
      );
    }
  }
  return lines;
}

/** Prior weights vs weights learned on the first half, both scored on the second half's calls. */
export function formatLearningComparison(rows: readonly LearningComparison[]): string[] {
  const lines = ['    read            n prior  hit prior  n learned  hit learned  momentum (learned samples)'];
  for (const l of rows) {
    const what = (TF_ORDER as string[]).includes(l.key) ? `${l.key} read` : l.key;
    lines.push(
      `    ${what.padEnd(15)} ${String(l.prior.n).padEnd(7)} ${ratePct(l.prior.hits, l.prior.n).padEnd(10)} ${String(l.learned.n).padEnd(10)} ${ratePct(l.learned.hits, l.learned.n).padEnd(12)} ${ratePct(l.learned.momentum, l.learned.n)}`,
    );
  }
  return lines;
}

export function formatSignalEvaluation(r: SignalEvalReport): string {
  const lines = [
    `Signals: ${r.cycles} engine cycles over ${((r.toT - r.fromT) / 60_000).toFixed(1)} min of market time (${new Date(r.fromT).toISOString()} → ${new Date(r.toT).toISOString()}); each call scored over its timeframe's next horizon (1m: 1 min, 5m: 5 min, 1h: 1 h), flat moves (< ${SIGNAL_DEAD_ZONE * 10_000} bp) not scored`,
    `Card weights learn online until ${Number.isFinite(r.splitAt) ? new Date(r.splitAt).toISOString() : 'the end'} (the middle) and stay frozen after it. mode ${TIMEFRAME_READ}: the timeframe's own read (the same in every mode); scalp/day/swing: that mode's composite direction (neutral makes no call) over the timeframe's horizon.`,
    'symbol    mode     tf   n      hit    95 % CI      up     down   momentum',
  ];
  const sorted = [...r.rows].sort(
    (a, b) => a.symbol.localeCompare(b.symbol) || MODE_ORDER.indexOf(a.mode) - MODE_ORDER.indexOf(b.mode) || TF_ORDER.indexOf(a.tf) - TF_ORDER.indexOf(b.tf),
  );
  const empty = sorted.filter((row) => row.tally.n === 0);
  for (const row of sorted) {
    if (row.tally.n === 0) continue; // listed once below, not as a row of dashes
    const s = summarize(row.tally);
    const ci = `${pct(s.caller.low)}–${pct(s.caller.high)}`;
    lines.push(
      `${row.symbol.padEnd(9)} ${row.mode.padEnd(8)} ${row.tf.padEnd(4)} ${String(s.n).padEnd(6)} ${pct(s.caller.p).padEnd(6)} ${ci.padEnd(12)} ${pct(s.up).padEnd(6)} ${pct(s.down).padEnd(6)} ${pct(s.momentum)}`,
    );
  }
  if (sorted.length === empty.length) lines.push('(no scored calls: the recording is shorter than the horizons)');
  else if (empty.length > 0)
    lines.push(`No scored calls (the read stayed neutral, or the recording ends before the horizon): ${empty.map((row) => `${row.symbol} ${row.mode} ${row.tf}`).join(', ')}`);
  lines.push('', 'Calibration (all timeframe reads and mode composites pooled): confidence   n      hit    95 % CI');
  for (const { bucket, tally } of r.calibration) {
    const w = wilson(tally.hits, tally.n);
    lines.push(
      `  ${pct(bucket)}–${pct(bucket + 0.1)}`.padEnd(16) +
        `${String(tally.n).padEnd(6)} ${tally.n ? pct(w.p) : '—'}`.padEnd(14) +
        (tally.n ? `${pct(w.low)}–${pct(w.high)}` : '—'),
    );
  }
  lines.push('', 'Calibration per timeframe read and mode composite:', ...formatSignalCalibration(r.calibrations));
  lines.push('', 'Learning: second half only (all symbols), cards at their prior weights vs the weights learned on the first half:', ...formatLearningComparison(r.learning));
  const c = r.conflicts;
  lines.push(
    '',
    c.n
      ? `Conflict flag: ${c.n} conflict starts with an hour after them; 1 h volatility ${(c.volAfterConflict * 100).toFixed(3)} % vs ${(c.volAfterRandom * 100).toFixed(3)} % after as many seeded random times (${(c.volAfterConflict / c.volAfterRandom).toFixed(2)}×); reversal rate ${Number.isNaN(c.reversalAfterConflict) ? '—' : pct(c.reversalAfterConflict)} vs ${Number.isNaN(c.reversalAfterRandom) ? '—' : pct(c.reversalAfterRandom)}`
      : 'Conflict flag: no conflict start with a full hour after it in the recording',
  );
  return lines.join('\n');
}
