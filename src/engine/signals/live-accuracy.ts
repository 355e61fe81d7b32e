/**
 * The live measure of /signal (issue 18): every timeframe's read is scored as it happens, with the
 * same rule as `liqzone evaluate --signals` (sign of the read vs the sign of the return over that
 * timeframe's next horizon, moves under the dead zone not scored, one call per horizon, momentum on
 * the same samples), over a rolling 7 days; and what followed conflict flags: realized 1-hour
 * volatility after a conflict start against the same symbol's usual hourly volatility.
 *
 * Everything runs on the market clock the engine is fed (replays and tests are exact). The state is
 * a few hundred numbers per symbol and persists with the learned weights; the price path it keeps to
 * score against (about 70 minutes) does not, so a call or conflict whose outcome falls across a
 * restart is scored only if it can still be (calls: yes, they keep their start price; conflicts: no).
 */
import { addSample, confidenceBucket, emptyTally, returnSign, SIGNAL_DEAD_ZONE, SIGNAL_HORIZON_MS, type HitTally, type Sign } from './accuracy.ts';
import { calibrationTable, fitConfidenceCalibration, type ConfidenceCalibration } from './confidence-calibration.ts';
import { TIMEFRAMES, type ConflictFollowUpSummary, type Timeframe, type TimeframeAccuracy } from '../types.ts';

export type { ConflictFollowUpSummary, TimeframeAccuracy } from '../types.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Rolling window of the published figures. */
export const ACCURACY_WINDOW_DAYS = 7;
/** Scored calls a timeframe needs before /signal quotes its hit rate. */
export const MIN_SCORED_CALLS = 30;
/** Conflict starts (each with its next hour seen) before an alert quotes what followed them. */
export const MIN_CONFLICTS = 3;
/** Scored calls of a timeframe (all symbols together) before its confidence is rescaled from them. */
export const MIN_CALIBRATION_CALLS = 200;
/** Each confidence bucket is pulled toward the overall rate as if it had this many more calls. */
const CALIBRATION_SHRINK = 20;
/** Confidence buckets: 10 points wide. */
const BUCKETS = 10;
/** Hours of ordinary volatility the comparison needs. */
const MIN_BASELINE_HOURS = 6;
/** Price path kept per symbol: one point per engine cycle, a little over an hour and one horizon. */
const PATH_MS = HOUR + 10 * MINUTE;

export interface DayTally extends HitTally {
  /** UTC day index (ms / 86 400 000). */
  day: number;
  /** Scored calls and hits per confidence bucket (0–10 %, …, 90–100 %); absent in states saved before. */
  byConfidence?: { n: number[]; hits: number[] };
}

interface DayVol {
  day: number;
  /** Conflict starts whose next hour was seen, and the sum of their hour's volatility. */
  conflicts: number;
  conflictVol: number;
  /** Whole clock hours seen, and the sum of their volatility. */
  hours: number;
  hourVol: number;
}

export interface PendingCall {
  symbol: string;
  tf: Timeframe;
  t: number;
  call: Sign;
  previous: Sign;
  p0: number;
  /** The read's raw confidence when it was made. */
  confidence?: number;
}

export interface LiveAccuracyState {
  version: 1;
  /** `symbol|tf` → day tallies, oldest first. */
  calls: Record<string, DayTally[]>;
  /** symbol → day volatility tallies, oldest first. */
  vol: Record<string, DayVol[]>;
  pending: PendingCall[];
}

interface Path {
  t: Float64Array;
  p: Float64Array;
  /** Index of the next write; `size` points are valid, oldest at (head − size). */
  head: number;
  size: number;
  lastHour: number;
}

function copyDay(d: DayTally): DayTally {
  return { ...d, ...(d.byConfidence ? { byConfidence: { n: [...d.byConfidence.n], hits: [...d.byConfidence.hits] } } : {}) };
}

function stdev(xs: number[]): number {
  if (xs.length < 2) return Number.NaN;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
}

export class LiveAccuracy {
  private calls = new Map<string, DayTally[]>();
  private vols = new Map<string, DayVol[]>();
  private pending: PendingCall[] = [];
  private readonly lastCall = new Map<string, number>();
  private readonly paths = new Map<string, Path>();
  private readonly conflictsPending: { symbol: string; t: number }[] = [];
  private readonly lastConflict = new Map<string, number>();
  private readonly capacity: number;
  private readonly calibrationCache = new Map<Timeframe, { key: string; fit: ConfidenceCalibration }>();

  constructor(opts: { cycleMs?: number } = {}) {
    // one point per cycle over PATH_MS, with room for irregular cycles
    this.capacity = Math.ceil(PATH_MS / Math.max(1_000, opts.cycleMs ?? 10_000)) * 2 + 8;
  }

  /**
   * One engine cycle for a symbol: its price at market time `t` and each timeframe's read score.
   * Resolves what is due, then records a new call per timeframe once per horizon.
   */
  observe(symbol: string, t: number, price: number, scores: Partial<Record<Timeframe, number>>, confidences: Partial<Record<Timeframe, number>> = {}): void {
    if (!(price > 0) || !Number.isFinite(t)) return;
    this.notePrice(symbol, t, price);
    this.resolve(symbol, t, price);
    for (const tf of TIMEFRAMES) {
      const score = scores[tf];
      if (score === undefined || !Number.isFinite(score)) continue;
      const key = `${symbol}|${tf}`;
      const h = SIGNAL_HORIZON_MS[tf];
      if (t - (this.lastCall.get(key) ?? Number.NEGATIVE_INFINITY) < h) continue;
      const before = this.priceAt(symbol, t - h);
      if (before === undefined) continue; // no previous horizon yet: momentum could not be scored on it
      this.lastCall.set(key, t);
      const call: Sign = score > 0 ? 1 : score < 0 ? -1 : 0;
      if (call === 0) continue;
      const confidence = confidences[tf];
      this.pending.push({ symbol, tf, t, call, previous: returnSign(price / before - 1, SIGNAL_DEAD_ZONE), p0: price, ...(confidence !== undefined && Number.isFinite(confidence) ? { confidence } : {}) });
    }
  }

  /** A conflict flag went up on `symbol` (any mode); one per symbol per hour is followed up. */
  noteConflict(symbol: string, t: number): void {
    if (t - (this.lastConflict.get(symbol) ?? Number.NEGATIVE_INFINITY) < HOUR) return;
    this.lastConflict.set(symbol, t);
    this.conflictsPending.push({ symbol, t });
  }

  /** Hit rate of a timeframe's read over the window ending at `now`. */
  summary(symbol: string, tf: Timeframe, now: number): TimeframeAccuracy {
    const firstDay = Math.floor(now / DAY) - ACCURACY_WINDOW_DAYS + 1;
    const days = (this.calls.get(`${symbol}|${tf}`) ?? []).filter((d) => d.day >= firstDay);
    const sum = days.reduce((a, d) => ({ n: a.n + d.n, hits: a.hits + d.hits, momentum: a.momentum + d.momentum }), { n: 0, hits: 0, momentum: 0 });
    return { tf, ...sum, days: days.length, enough: sum.n >= MIN_SCORED_CALLS };
  }

  /**
   * The confidence rescaling of a timeframe's read, fitted on every symbol's scored calls over the
   * window (isotonic in confidence, small buckets shrunk toward the overall rate); undefined until
   * MIN_CALIBRATION_CALLS calls carry a confidence. Refitted on demand, cached per day and count.
   */
  calibration(tf: Timeframe, now: number): ConfidenceCalibration | undefined {
    const firstDay = Math.floor(now / DAY) - ACCURACY_WINDOW_DAYS + 1;
    const n = new Array<number>(BUCKETS).fill(0);
    const hits = new Array<number>(BUCKETS).fill(0);
    for (const [key, days] of this.calls) {
      if (!key.endsWith(`|${tf}`)) continue;
      for (const d of days) {
        if (d.day < firstDay || !d.byConfidence) continue;
        for (let b = 0; b < BUCKETS; b++) {
          n[b]! += d.byConfidence.n[b] ?? 0;
          hits[b]! += d.byConfidence.hits[b] ?? 0;
        }
      }
    }
    const total = n.reduce((a, b) => a + b, 0);
    if (total < MIN_CALIBRATION_CALLS) return undefined;
    const cacheKey = `${tf}|${firstDay}|${total}`;
    const cached = this.calibrationCache.get(tf);
    if (cached?.key === cacheKey) return cached.fit;
    const table = calibrationTable(
      n.map((k, b) => ({ bucket: b / BUCKETS, tally: { n: k, hits: hits[b]! } })).filter((x) => x.tally.n > 0),
      1 / BUCKETS,
    );
    const fit = fitConfidenceCalibration(table, { width: 1 / BUCKETS, shrink: CALIBRATION_SHRINK });
    this.calibrationCache.set(tf, { key: cacheKey, fit });
    return fit;
  }

  conflictFollowUp(symbol: string, now: number): ConflictFollowUpSummary {
    const firstDay = Math.floor(now / DAY) - ACCURACY_WINDOW_DAYS + 1;
    const days = (this.vols.get(symbol) ?? []).filter((d) => d.day >= firstDay);
    const c = days.reduce((a, d) => ({ n: a.n + d.conflicts, vol: a.vol + d.conflictVol, hours: a.hours + d.hours, hourVol: a.hourVol + d.hourVol }), { n: 0, vol: 0, hours: 0, hourVol: 0 });
    const usual = c.hours > 0 ? c.hourVol / c.hours : Number.NaN;
    const after = c.n > 0 ? c.vol / c.n : Number.NaN;
    const volRatio = usual > 0 ? after / usual : Number.NaN;
    return { n: c.n, volRatio, days: days.length, enough: c.n >= MIN_CONFLICTS && c.hours >= MIN_BASELINE_HOURS && Number.isFinite(volRatio) };
  }

  toState(): LiveAccuracyState {
    return {
      version: 1,
      calls: Object.fromEntries([...this.calls].map(([k, v]) => [k, v.map(copyDay)])),
      vol: Object.fromEntries([...this.vols].map(([k, v]) => [k, v.map((d) => ({ ...d }))])),
      pending: this.pending.map((p) => ({ ...p })),
    };
  }

  /** Restores a saved state (already validated by the store). */
  loadState(s: LiveAccuracyState): void {
    this.calls = new Map(Object.entries(s.calls).map(([k, v]) => [k, v.map(copyDay)]));
    this.vols = new Map(Object.entries(s.vol).map(([k, v]) => [k, v.map((d) => ({ ...d }))]));
    this.pending = s.pending.map((p) => ({ ...p }));
    // a restored call blocks a new one for the rest of its horizon, as if the process had not stopped
    for (const p of this.pending) {
      const key = `${p.symbol}|${p.tf}`;
      if ((this.lastCall.get(key) ?? Number.NEGATIVE_INFINITY) < p.t) this.lastCall.set(key, p.t);
    }
  }

  private notePrice(symbol: string, t: number, price: number): void {
    let path = this.paths.get(symbol);
    if (!path) {
      path = { t: new Float64Array(this.capacity), p: new Float64Array(this.capacity), head: 0, size: 0, lastHour: Math.floor(t / HOUR) };
      this.paths.set(symbol, path);
    }
    const newest = path.size > 0 ? path.t[(path.head - 1 + this.capacity) % this.capacity]! : Number.NEGATIVE_INFINITY;
    if (t <= newest) return; // the market clock only moves forward
    path.t[path.head] = t;
    path.p[path.head] = price;
    path.head = (path.head + 1) % this.capacity;
    path.size = Math.min(this.capacity, path.size + 1);
    // a whole clock hour just ended: its volatility is the symbol's "usual"
    const hour = Math.floor(t / HOUR);
    if (hour > path.lastHour) {
      const vol = this.hourVolatility(symbol, (hour - 1) * HOUR);
      if (vol !== undefined && hour === path.lastHour + 1) {
        const d = this.volDay(symbol, hour * HOUR);
        d.hours += 1;
        d.hourVol += vol;
      }
      path.lastHour = hour;
    }
  }

  /** Price at or before `t` on the kept path (undefined when the path does not reach back that far). */
  private priceAt(symbol: string, t: number): number | undefined {
    const path = this.paths.get(symbol);
    if (!path || path.size === 0) return undefined;
    const oldest = (path.head - path.size + this.capacity) % this.capacity;
    if (path.t[oldest]! > t) return undefined;
    // newest first: the lookups are for recent times
    for (let k = 1; k <= path.size; k++) {
      const i = (path.head - k + this.capacity) % this.capacity;
      if (path.t[i]! <= t) return path.p[i];
    }
    return undefined;
  }

  /** Standard deviation of the 1-minute returns over [from, from + 1 h), from the kept path. */
  private hourVolatility(symbol: string, from: number): number | undefined {
    const rets: number[] = [];
    let prev = this.priceAt(symbol, from);
    if (prev === undefined) return undefined;
    for (let m = 1; m <= 60; m++) {
      const p = this.priceAt(symbol, from + m * MINUTE);
      if (p === undefined) return undefined;
      rets.push(p / prev - 1);
      prev = p;
    }
    const v = stdev(rets);
    return Number.isFinite(v) ? v : undefined;
  }

  private resolve(symbol: string, now: number, price: number): void {
    if (this.pending.length > 0) {
      const keep: PendingCall[] = [];
      for (const p of this.pending) {
        if (p.symbol !== symbol || now < p.t + SIGNAL_HORIZON_MS[p.tf]) {
          keep.push(p);
          continue;
        }
        // scored with the price when the horizon had passed, as the offline evaluation does
        const sample = { call: p.call, previous: p.previous, outcome: returnSign(price / p.p0 - 1, SIGNAL_DEAD_ZONE) };
        const tally = emptyTally();
        if (!addSample(tally, sample)) continue;
        const d = this.callDay(`${symbol}|${p.tf}`, now);
        d.n += tally.n;
        d.hits += tally.hits;
        d.up += tally.up;
        d.down += tally.down;
        d.momentum += tally.momentum;
        if (p.confidence !== undefined) {
          const b = Math.min(BUCKETS - 1, Math.round(confidenceBucket(p.confidence) * BUCKETS));
          d.byConfidence ??= { n: new Array<number>(BUCKETS).fill(0), hits: new Array<number>(BUCKETS).fill(0) };
          d.byConfidence.n[b]! += 1;
          d.byConfidence.hits[b]! += tally.hits;
        }
      }
      this.pending = keep;
    }
    for (let i = this.conflictsPending.length - 1; i >= 0; i--) {
      const c = this.conflictsPending[i]!;
      if (c.symbol !== symbol || now < c.t + HOUR) continue;
      this.conflictsPending.splice(i, 1);
      const vol = this.hourVolatility(symbol, c.t);
      if (vol === undefined) continue;
      const d = this.volDay(symbol, now);
      d.conflicts += 1;
      d.conflictVol += vol;
    }
  }

  private callDay(key: string, t: number): DayTally {
    return this.dayOf(this.calls, key, t, (day) => ({ day, ...emptyTally() }));
  }

  private volDay(symbol: string, t: number): DayVol {
    return this.dayOf(this.vols, symbol, t, (day) => ({ day, conflicts: 0, conflictVol: 0, hours: 0, hourVol: 0 }));
  }

  private dayOf<T extends { day: number }>(map: Map<string, T[]>, key: string, t: number, fresh: (day: number) => T): T {
    const day = Math.floor(t / DAY);
    let days = map.get(key);
    if (!days) map.set(key, (days = []));
    let last = days[days.length - 1];
    if (!last || last.day !== day) {
      last = fresh(day);
      days.push(last);
      // only the window is kept
      while (days.length > 0 && days[0]!.day <= day - ACCURACY_WINDOW_DAYS) days.shift();
    }
    return last;
  }
}
