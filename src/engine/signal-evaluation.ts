import { MarketState } from '../market/state.ts';
import type { MarketEvent } from '../market/types.ts';
import { addSample, confidenceBucket, emptyTally, wilson, returnSign, summarize, SIGNAL_DEAD_ZONE, SIGNAL_HORIZON_MS, type HitTally, type Sign } from './signals/accuracy.ts';
import { SignalEngine } from './signals/engine.ts';
import { CYCLE_MS } from './signals/spec.ts';
import { SIGNAL_MODES, type Timeframe } from './types.ts';
import { marketTime } from './evaluation.ts';
import { ZoneEngine } from './zone-engine.ts';

export { SIGNAL_DEAD_ZONE, SIGNAL_HORIZON_MS } from './signals/accuracy.ts';

export interface SignalEvalRow {
  symbol: string;
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

export interface SignalEvalReport {
  rows: SignalEvalRow[];
  /** Calls of every timeframe and mode by confidence bucket (lower edge). */
  calibration: { bucket: number; tally: HitTally }[];
  conflicts: ConflictFollowUp;
  fromT: number;
  toT: number;
  cycles: number;
}

const LIVE_KINDS = new Set(['trade', 'mark', 'liquidation', 'book']);

/**
 * Replays events through the same market state and signal engine on the recording's market clock,
 * one engine cycle per 10 s of market time, and scores each timeframe's call (sign of its score)
 * over the next horizon of that timeframe against always-up, always-down and momentum on the same
 * samples. Samples per (symbol, mode, timeframe) do not overlap (one per horizon).
 */
export function evaluateSignals(events: Iterable<MarketEvent>): SignalEvalReport {
  const state = new MarketState({}, { futureToleranceMs: Number.POSITIVE_INFINITY });
  let clock = Number.NEGATIVE_INFINITY;
  const zones = new ZoneEngine(state, { symbols: () => state.symbols(), now: () => clock });
  const engine = new SignalEngine({ state, zones, symbols: () => state.symbols(), now: () => clock, autosaveMs: 0, log: () => {} });
  const prices = new Map<string, { t: number[]; p: number[] }>();
  const calls: { symbol: string; mode: string; tf: Timeframe; t: number; call: Sign; confidence: number }[] = [];
  const conflictStarts: { symbol: string; t: number }[] = [];
  engine.onEvent((ev) => {
    if (ev.kind === 'conflict-start') conflictStarts.push({ symbol: ev.symbol, t: ev.t });
  });
  const lastSample = new Map<string, number>();
  let next = Number.NaN;
  let fromT = Number.NaN;
  let cycles = 0;
  const runCycle = () => {
    cycles++;
    zones.update();
    engine.cycle();
    for (const symbol of state.symbols()) {
      const price = state.price(symbol);
      if (price === undefined || !(price > 0)) continue;
      let series = prices.get(symbol);
      if (!series) prices.set(symbol, (series = { t: [], p: [] }));
      series.t.push(clock);
      series.p.push(price);
      for (const mode of SIGNAL_MODES) {
        const snap = engine.snapshot(symbol, mode);
        if (!snap) continue;
        for (const tf of snap.timeframes) {
          const key = `${symbol}|${mode}|${tf.tf}`;
          const last = lastSample.get(key) ?? Number.NEGATIVE_INFINITY;
          if (clock - last < SIGNAL_HORIZON_MS[tf.tf]) continue;
          lastSample.set(key, clock);
          calls.push({ symbol, mode, tf: tf.tf, t: clock, call: tf.score > 0 ? 1 : tf.score < 0 ? -1 : 0, confidence: tf.confidence });
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
  const rows = new Map<string, SignalEvalRow>();
  const buckets = new Map<number, HitTally>();
  for (const c of calls) {
    const h = SIGNAL_HORIZON_MS[c.tf];
    const p0 = priceAt(c.symbol, c.t, false);
    const p1 = priceAt(c.symbol, c.t + h, true);
    const pPrev = priceAt(c.symbol, c.t - h, false);
    if (p0 === undefined || p1 === undefined || pPrev === undefined) continue;
    const key = `${c.symbol}|${c.mode}|${c.tf}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { symbol: c.symbol, mode: c.mode, tf: c.tf, tally: emptyTally() }));
    const sample = { call: c.call, previous: returnSign(p0 / pPrev - 1, SIGNAL_DEAD_ZONE), outcome: returnSign(p1 / p0 - 1, SIGNAL_DEAD_ZONE) };
    addSample(row.tally, sample);
    const b = Math.round(confidenceBucket(c.confidence) * 10) / 10;
    let bt = buckets.get(b);
    if (!bt) buckets.set(b, (bt = emptyTally()));
    addSample(bt, sample);
  }
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
  engine.stop();
  return { rows: [...rows.values()], calibration, conflicts, fromT, toT: clock, cycles };
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

export function formatSignalEvaluation(r: SignalEvalReport): string {
  const lines = [
    `Signals: ${r.cycles} engine cycles over ${((r.toT - r.fromT) / 60_000).toFixed(1)} min of market time (${new Date(r.fromT).toISOString()} → ${new Date(r.toT).toISOString()}); each call scored over its timeframe's next horizon, flat moves (< ${SIGNAL_DEAD_ZONE * 10_000} bp) not scored`,
    'symbol    mode   tf   n      hit    95 % CI      up     down   momentum',
  ];
  const sorted = [...r.rows].sort((a, b) => a.symbol.localeCompare(b.symbol) || a.mode.localeCompare(b.mode) || a.tf.localeCompare(b.tf));
  for (const row of sorted) {
    const s = summarize(row.tally);
    const hit = s.n ? pct(s.caller.p) : '—';
    const ci = s.n ? `${pct(s.caller.low)}–${pct(s.caller.high)}` : '—';
    lines.push(
      `${row.symbol.padEnd(9)} ${row.mode.padEnd(6)} ${row.tf.padEnd(4)} ${String(s.n).padEnd(6)} ${hit.padEnd(6)} ${ci.padEnd(12)} ${(s.n ? pct(s.up) : '—').padEnd(6)} ${(s.n ? pct(s.down) : '—').padEnd(6)} ${s.n ? pct(s.momentum) : '—'}`,
    );
  }
  if (sorted.length === 0) lines.push('(no scored calls: the recording is shorter than the horizons)');
  lines.push('', 'Calibration (all timeframes and modes): confidence   n      hit    95 % CI');
  for (const { bucket, tally } of r.calibration) {
    const w = wilson(tally.hits, tally.n);
    lines.push(
      `  ${pct(bucket)}–${pct(bucket + 0.1)}`.padEnd(16) +
        `${String(tally.n).padEnd(6)} ${tally.n ? pct(w.p) : '—'}`.padEnd(14) +
        (tally.n ? `${pct(w.low)}–${pct(w.high)}` : '—'),
    );
  }
  const c = r.conflicts;
  lines.push(
    '',
    c.n
      ? `Conflict flag: ${c.n} conflict starts with an hour after them; 1 h volatility ${(c.volAfterConflict * 100).toFixed(3)} % vs ${(c.volAfterRandom * 100).toFixed(3)} % after as many seeded random times (${(c.volAfterConflict / c.volAfterRandom).toFixed(2)}×); reversal rate ${Number.isNaN(c.reversalAfterConflict) ? '—' : pct(c.reversalAfterConflict)} vs ${Number.isNaN(c.reversalAfterRandom) ? '—' : pct(c.reversalAfterRandom)}`
      : 'Conflict flag: no conflict start with a full hour after it in the recording',
  );
  return lines.join('\n');
}
