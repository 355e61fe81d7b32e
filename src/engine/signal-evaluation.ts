import { MarketState } from '../market/state.ts';
import type { MarketEvent } from '../market/types.ts';
import { addSample, emptyTally, returnSign, summarize, type HitTally, type Sign } from './signals/accuracy.ts';
import { SignalEngine } from './signals/engine.ts';
import { CYCLE_MS } from './signals/spec.ts';
import { SIGNAL_MODES, type Timeframe } from './types.ts';
import { marketTime } from './evaluation.ts';
import { ZoneEngine } from './zone-engine.ts';

/** Horizon over which a timeframe's call is scored (its own bar length). */
export const SIGNAL_HORIZON_MS: Record<Timeframe, number> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000 };
/** Moves smaller than this fraction are flat and not scored (5 bp). */
export const SIGNAL_DEAD_ZONE = 0.0005;

export interface SignalEvalRow {
  symbol: string;
  mode: string;
  tf: Timeframe;
  tally: HitTally;
}

export interface SignalEvalReport {
  rows: SignalEvalRow[];
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
  const calls: { symbol: string; mode: string; tf: Timeframe; t: number; call: Sign }[] = [];
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
          calls.push({ symbol, mode, tf: tf.tf, t: clock, call: tf.score > 0 ? 1 : tf.score < 0 ? -1 : 0 });
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
  for (const c of calls) {
    const h = SIGNAL_HORIZON_MS[c.tf];
    const p0 = priceAt(c.symbol, c.t, false);
    const p1 = priceAt(c.symbol, c.t + h, true);
    const pPrev = priceAt(c.symbol, c.t - h, false);
    if (p0 === undefined || p1 === undefined || pPrev === undefined) continue;
    const key = `${c.symbol}|${c.mode}|${c.tf}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { symbol: c.symbol, mode: c.mode, tf: c.tf, tally: emptyTally() }));
    addSample(row.tally, { call: c.call, previous: returnSign(p0 / pPrev - 1, SIGNAL_DEAD_ZONE), outcome: returnSign(p1 / p0 - 1, SIGNAL_DEAD_ZONE) });
  }
  engine.stop();
  return { rows: [...rows.values()], fromT, toT: clock, cycles };
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
  return lines.join('\n');
}
