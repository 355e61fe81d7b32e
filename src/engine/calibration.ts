import { z } from 'zod';
import { formatUsd } from '../format/numbers.ts';
import type { PositionSide, Venue } from '../market/types.ts';

/**
 * Online calibration of the leverage mix from realized liquidations, per venue and symbol.
 *
 * The level book keeps each leverage's levels per unit of mix weight, so for every realized
 * liquidation it can say how much of each leverage's (unit) notional sat where the print happened
 * (`u_j`), and for every price move how much of each leverage's notional price crossed (the
 * exposure `U_j`). Under mix `w`, a print at P came from leverage j with probability
 * `r_j = w_j·u_j / Σ w_k·u_k`; expectation-maximization of the Poisson model "realized
 * liquidation notional ∝ Σ w_j·(unit levels crossed)_j" gives `w_j ∝ A_j / U_j` with
 * `A_j = Σ prints c·r_j` (c = the print's capped notional weight). A Gamma prior centred on the
 * prior mix (strength `priorStrength` prints) turns that into
 *
 *     w_j ∝ (A_j + τ·π_j) / (κ·U_j + τ),   κ = Σ c / Σ π_k·U_k,
 *
 * so with little evidence the mix stays at the prior π, and a symbol whose prints age out of the
 * window returns to it. Learning is bounded twice: one print moves the fit by at most
 * `maxPrintWeight / priorStrength`, and the mix in use moves towards the fit by at most a factor
 * `maxStep` (plus one point) per minute of market time. Evidence (print shapes and hourly exposure) is what persists; the mix is
 * re-derived from it, so a changed prior keeps the evidence.
 */

/** Share of new open interest assumed at one leverage: the leverage mix (levels.ts applies it). */
export interface LeverageWeight {
  leverage: number;
  weight: number;
}

export interface CalibrationOptions {
  /** Evidence older than this is dropped (default 7 days). */
  windowMs?: number;
  /** Matched prints needed before the learned mix is used (default 20). */
  minPrints?: number;
  /** Strength of the prior, in prints of average size (default 30). */
  priorStrength?: number;
  /** A print weighs its notional over the window's mean print, capped at this (default 5). */
  maxPrintWeight?: number;
  /** Per refit period (`refitEveryMs` of market time), a weight changes by at most this factor, plus one point (default 1.25). */
  maxStep?: number;
  /** A learned weight stays at least its prior weight / maxRatio (default 10). */
  maxRatio?: number;
  /** Refit at most this often on the market clock (default 60 s). */
  refitEveryMs?: number;
  /** Prints kept per venue and symbol, newest first kept (default 512). */
  maxPrints?: number;
  /** Half-width of the price window a print is matched in, fraction of price (default 0.25 %). */
  matchHalfWidth?: number;
  /**
   * Prints sit near the bankruptcy price, beyond the trigger by about a maintenance rate: the
   * match window reaches this much further back towards the trigger (default 0.4 %).
   */
  bankruptcyShift?: number;
}

const HOUR = 3_600_000;
const EM_ITERATIONS = 40;
/** Per refit a weight may also move by this much in absolute terms (lets a weight at 0 start growing). */
const STEP_POINTS = 0.01;

/** One matched print: when, how big, and the shape of the unit levels around it (sums to 1). */
interface PrintEvidence {
  t: number;
  usd: number;
  u: number[];
  /** Prints merged into this one when the store thinned (absent: 1). */
  n?: number;
}

/** Unit notional price crossed per leverage in one hour (both sides together). */
interface ExposureBucket {
  t: number;
  u: number[];
}

/**
 * Hourly exposure buckets in a ring of typed arrays, allocated in full (the window's hours) on first
 * use: one venue and symbol holds 169 hours × (1 + leverages) numbers, 8 KB with five leverages,
 * instead of an object and an array per hour that grew for the window's 7 days (0.2 MB a day on 42
 * venue·symbol pairs in the soak).
 */
class HourlyExposure {
  private t = new Float64Array(0);
  private u = new Float64Array(0);
  private head = 0;
  private n = 0;

  constructor(
    private readonly width: number,
    private readonly hours: number,
  ) {}

  get length(): number {
    return this.n;
  }

  private slot(i: number): number {
    return (this.head + i) % this.t.length;
  }

  /** Adds `long[j] + short[j]` (negatives as 0) to the bucket of hour `h` (the newest or a new one after it). */
  add(h: number, long: readonly number[], short: readonly number[]): void {
    if (this.t.length === 0) {
      this.t = new Float64Array(this.hours);
      this.u = new Float64Array(this.hours * this.width);
    }
    let s = this.n > 0 ? this.slot(this.n - 1) : -1;
    if (s < 0 || this.t[s] !== h) {
      if (this.n === this.t.length) this.dropOldest(1);
      s = this.slot(this.n);
      this.t[s] = h;
      this.u.fill(0, s * this.width, (s + 1) * this.width);
      this.n++;
    }
    for (let j = 0; j < this.width; j++) this.u[s * this.width + j]! += Math.max(0, long[j]!) + Math.max(0, short[j]!);
  }

  /** Drops buckets whose hour ended at or before `from`. */
  prune(from: number): void {
    let k = 0;
    while (k < this.n && this.t[this.slot(k)]! + HOUR <= from) k++;
    this.dropOldest(k);
  }

  private dropOldest(k: number): void {
    if (k <= 0) return;
    this.head = (this.head + k) % this.t.length;
    this.n -= k;
  }

  /** Σ over the buckets, per leverage, into `out`. */
  sum(out: number[]): number[] {
    out.fill(0);
    for (let i = 0; i < this.n; i++) {
      const s = this.slot(i) * this.width;
      for (let j = 0; j < this.width; j++) out[j]! += this.u[s + j]!;
    }
    return out;
  }

  toBuckets(map: (x: number) => number = (x) => x): ExposureBucket[] {
    const out: ExposureBucket[] = [];
    for (let i = 0; i < this.n; i++) {
      const s = this.slot(i);
      out.push({ t: this.t[s]!, u: Array.from(this.u.subarray(s * this.width, (s + 1) * this.width), map) });
    }
    return out;
  }

  /** Replaces the contents with stored buckets (oldest first; only the newest that fit are kept). */
  restore(buckets: readonly ExposureBucket[]): void {
    this.head = 0;
    this.n = 0;
    const zero = new Array<number>(this.width).fill(0);
    for (const b of buckets.slice(-this.hours)) this.add(b.t, b.u, zero);
  }
}

export type CalibrationStatus = 'prior' | 'calibrated';

export interface CalibrationSummary {
  venue: Venue;
  symbol: string;
  status: CalibrationStatus;
  /** Matched prints in the window. */
  prints: number;
  /** Their notional, USD. */
  usd: number;
  /** Prints in the window with no estimated level near them (not used). */
  unmatchedPrints: number;
  /** From the oldest print in the window to now, ms (0 without prints). */
  spanMs: number;
  /** Prints still needed before the learned mix is used (0 when calibrated). */
  needed: number;
  /** Whether price has crossed any estimated levels in the window (needed to weigh prints against). */
  exposed: boolean;
  mix: { leverage: number; prior: number; weight: number }[];
}

/** Everything that persists for one venue and symbol. */
export interface CalibrationRecord {
  version: 1;
  venue: Venue;
  symbol: string;
  leverages: number[];
  weights: number[];
  prints: PrintEvidence[];
  exposure: ExposureBucket[];
  unmatched: { t: number; usd: number }[];
  savedAt: number;
}

export const CALIBRATION_VERSION = 1 as const;

const recordSchema = z.object({
  version: z.literal(CALIBRATION_VERSION),
  venue: z.string().min(1),
  symbol: z.string().min(1),
  leverages: z.array(z.number().positive().finite()).min(1),
  weights: z.array(z.number().nonnegative().finite()),
  prints: z.array(z.object({ t: z.number().finite(), usd: z.number().nonnegative().finite(), u: z.array(z.number().nonnegative().finite()), n: z.number().int().positive().optional() })),
  exposure: z.array(z.object({ t: z.number().finite(), u: z.array(z.number().nonnegative().finite()) })),
  unmatched: z.array(z.object({ t: z.number().finite(), usd: z.number().nonnegative().finite() })),
  savedAt: z.number().finite(),
});

/** Validates a stored record; anything malformed or of another version reads as nothing stored. */
export function parseCalibrationRecord(value: unknown): CalibrationRecord | undefined {
  const r = recordSchema.safeParse(value);
  if (!r.success) return undefined;
  const n = r.data.leverages.length;
  if (r.data.weights.length !== n || r.data.prints.some((p) => p.u.length !== n) || r.data.exposure.some((b) => b.u.length !== n)) return undefined;
  return r.data as CalibrationRecord;
}

/**
 * A mix over any leverages, projected onto a leverage grid: each weight is split between the two
 * grid leverages around it in log-leverage (beyond the grid it goes to the end point). The hook
 * for priors measured elsewhere (e.g. leverage observed on Hyperliquid).
 */
export function projectMix(mix: readonly LeverageWeight[], grid: readonly number[]): number[] {
  const out = new Array<number>(grid.length).fill(0);
  if (grid.length === 0) return out;
  for (const { leverage, weight } of mix) {
    if (!(weight > 0 && leverage >= 1 && Number.isFinite(weight) && Number.isFinite(leverage))) continue;
    if (leverage <= grid[0]!) {
      out[0]! += weight;
      continue;
    }
    if (leverage >= grid[grid.length - 1]!) {
      out[grid.length - 1]! += weight;
      continue;
    }
    let k = 1;
    while (grid[k]! < leverage) k++;
    const f = Math.log(leverage / grid[k - 1]!) / Math.log(grid[k]! / grid[k - 1]!);
    out[k - 1]! += weight * (1 - f);
    out[k]! += weight * f;
  }
  const total = out.reduce((a, x) => a + x, 0);
  return total > 0 ? out.map((x) => x / total) : grid.map(() => 1 / grid.length);
}

interface Resolved {
  windowMs: number;
  minPrints: number;
  priorStrength: number;
  maxPrintWeight: number;
  maxStep: number;
  maxRatio: number;
  refitEveryMs: number;
  maxPrints: number;
  matchHalfWidth: number;
  bankruptcyShift: number;
}

function resolve(o: CalibrationOptions): Resolved {
  return {
    windowMs: o.windowMs ?? 7 * 24 * HOUR,
    minPrints: o.minPrints ?? 20,
    priorStrength: o.priorStrength ?? 30,
    maxPrintWeight: o.maxPrintWeight ?? 5,
    maxStep: o.maxStep ?? 1.25,
    maxRatio: o.maxRatio ?? 10,
    refitEveryMs: o.refitEveryMs ?? 60_000,
    maxPrints: o.maxPrints ?? 512,
    matchHalfWidth: o.matchHalfWidth ?? 0.0025,
    bankruptcyShift: o.bankruptcyShift ?? 0.004,
  };
}

/** The price window a print of `side` at `price` is matched in: around it, reaching back towards the trigger. */
export function matchWindow(side: PositionSide, price: number, halfWidth: number, shift: number): [number, number] {
  return side === 'long' ? [price * (1 - halfWidth), price * (1 + shift + halfWidth)] : [price * (1 - shift - halfWidth), price * (1 + halfWidth)];
}

/** Calibration state of one venue and symbol. */
export class SymbolCalibration {
  private prior: number[];
  /** What the fit is pulled towards: mostly the prior, a little of it spread to neighbouring leverages of the grid. */
  private target: number[];
  private weights: number[];
  private prints: PrintEvidence[] = [];
  private readonly exposure: HourlyExposure;
  private unmatched: { t: number; usd: number }[] = [];
  private lastFitT = Number.NEGATIVE_INFINITY;
  private lastFit: number[] | undefined;
  private changed = false;
  /** The newest print already read from the market state: its log (identity), sequence number and time. */
  cursor: { log: object; seq: number; t: number } | undefined;
  dirty = false;

  constructor(
    readonly venue: Venue,
    readonly symbol: string,
    readonly leverages: readonly number[],
    prior: readonly number[],
    private readonly o: Resolved,
    private readonly flags: { readonly frozen: boolean } = { frozen: false },
  ) {
    this.prior = normalized(prior);
    this.target = explorationPrior(this.prior, leverages);
    this.weights = [...this.prior];
    this.exposure = new HourlyExposure(leverages.length, Math.ceil(o.windowMs / HOUR) + 1);
  }

  /**
   * Replaces the prior (already on this grid); evidence is kept. Without enough evidence the mix in
   * use is the prior, so it switches at once; a calibrated mix moves towards the new fit at the
   * bounded pace.
   */
  setPrior(prior: readonly number[]): void {
    if (prior.length !== this.leverages.length) return;
    this.prior = normalized(prior);
    this.target = explorationPrior(this.prior, this.leverages);
    this.lastFit = undefined;
    if (this.printCount() < this.o.minPrints || this.exposure.length === 0) this.weights = [...this.prior];
    this.changed = true;
    this.lastFitT = Number.NEGATIVE_INFINITY;
    this.dirty = true;
  }

  priorWeights(): number[] {
    return [...this.prior];
  }

  /** A realized print and the unit level notional per leverage in its match window. */
  observePrint(t: number, usd: number, density: ArrayLike<number>): void {
    if (!(usd > 0) || !Number.isFinite(t) || this.flags.frozen) return;
    let total = 0;
    for (let j = 0; j < this.leverages.length; j++) total += density[j]! > 0 ? density[j]! : 0;
    this.dirty = true;
    if (!(total > 0)) {
      this.unmatched.push({ t, usd });
      if (this.unmatched.length > this.o.maxPrints) this.unmatched.shift();
      return;
    }
    const u = new Array<number>(this.leverages.length);
    for (let j = 0; j < u.length; j++) u[j] = density[j]! > 0 ? density[j]! / total : 0;
    this.prints.push({ t, usd, u });
    if (this.prints.length > this.o.maxPrints) this.thin();
    this.changed = true;
  }

  /**
   * Full: the older half is thinned by merging neighbours in pairs (notional summed, one of the
   * two shapes kept), so evidence keeps covering the whole window instead of its last burst.
   */
  private thin(): void {
    const half = Math.floor(this.prints.length / 2);
    const merged: PrintEvidence[] = [];
    for (let i = 0; i + 1 < half; i += 2) {
      const a = this.prints[i]!;
      const b = this.prints[i + 1]!;
      // keep one print's shape (averaging shapes would blur what tells leverages apart), with both notionals
      // chosen with odds by notional (a deterministic hash of the time stands in for a coin): unbiased in expectation
      const coin = Math.abs(Math.sin((b.t % 1e7) * 12.9898 + i) * 43758.5453) % 1;
      const keep = coin < a.usd / (a.usd + b.usd) ? a : b;
      merged.push({ t: b.t, usd: a.usd + b.usd, u: keep.u, n: (a.n ?? 1) + (b.n ?? 1) });
    }
    if (half % 2 === 1) merged.push(this.prints[half - 1]!);
    this.prints = [...merged, ...this.prints.slice(half)];
  }

  /** Unit notional price crossed per leverage (long and short ladders), at market time t. */
  addExposure(t: number, long: readonly number[], short: readonly number[]): void {
    let any = false;
    for (let j = 0; j < this.leverages.length; j++) if (long[j]! > 0 || short[j]! > 0) any = true;
    if (!any || !Number.isFinite(t) || this.flags.frozen) return;
    this.exposure.add(t - (t % HOUR), long, short);
    this.changed = true;
    this.dirty = true;
  }

  /** The mix to use at market time `now` (refits when due). */
  mix(now: number): number[] {
    if (this.changed && !this.flags.frozen && now - this.lastFitT >= this.o.refitEveryMs) this.refit(now);
    return this.weights;
  }

  private prune(now: number): void {
    const from = now - this.o.windowMs;
    let k = 0;
    while (k < this.prints.length && this.prints[k]!.t < from) k++;
    if (k > 0) this.prints.splice(0, k);
    this.exposure.prune(from);
    k = 0;
    while (k < this.unmatched.length && this.unmatched[k]!.t < from) k++;
    if (k > 0) this.unmatched.splice(0, k);
  }

  /** The regularized EM fit on the evidence in the window (the prior without enough of it). */
  fit(now: number): number[] {
    this.prune(now);
    const n = this.leverages.length;
    const prior = this.target;
    const U = this.exposure.sum(new Array<number>(n));
    let priorExposure = 0;
    for (let j = 0; j < n; j++) priorExposure += prior[j]! * U[j]!;
    const count = this.printCount();
    if (count < this.o.minPrints || !(priorExposure > 0)) return [...this.prior];

    let mean = 0;
    for (const p of this.prints) mean += p.usd;
    mean /= count;
    // a merged entry weighs as its prints would (each capped at maxPrintWeight of the mean)
    const c = this.prints.map((p) => Math.min(this.o.maxPrintWeight * (p.n ?? 1), p.usd / mean));
    let C = 0;
    for (const x of c) C += x;
    const kappa = C / priorExposure;
    const tau = this.o.priorStrength;
    // warm start: EM on overlapping components converges slowly, so each refit continues the last one
    let w = this.lastFit && this.lastFit.length === n ? [...this.lastFit] : [...prior];
    const A = new Array<number>(n);
    for (let it = 0; it < EM_ITERATIONS; it++) {
      A.fill(0);
      for (let i = 0; i < this.prints.length; i++) {
        const u = this.prints[i]!.u;
        let z = 0;
        for (let j = 0; j < n; j++) z += w[j]! * u[j]!;
        if (!(z > 0)) continue;
        const f = c[i]! / z;
        for (let j = 0; j < n; j++) A[j]! += f * w[j]! * u[j]!;
      }
      const next = new Array<number>(n);
      for (let j = 0; j < n; j++) next[j] = (A[j]! + tau * prior[j]!) / (kappa * U[j]! + tau);
      w = floorRatios(normalized(next), this.prior, this.o.maxRatio);
    }
    this.lastFit = w;
    return w;
  }

  private refit(now: number): void {
    const target = this.fit(now);
    // The learning rate is bounded per refit period of market time: each weight moves at most
    // ×maxStep plus one point (so a weight can leave 0) per period elapsed since the last refit
    // (up to 10 periods), whether the engine updates every 3 s (live) or every 5 min (evaluation).
    const periods = Number.isFinite(this.lastFitT) ? Math.min(10, Math.max(1, Math.floor((now - this.lastFitT) / this.o.refitEveryMs))) : 1;
    const step = Math.pow(this.o.maxStep, periods);
    const points = STEP_POINTS * periods;
    const moved = this.weights.map((w, j) => Math.min(w * step + points, Math.max(w / step - points, target[j]!)));
    this.weights = normalized(moved);
    this.lastFitT = now;
    this.changed = this.weights.some((w, j) => Math.abs(w - target[j]!) > 1e-9);
    this.dirty = true;
  }

  /** Prints in the window (merged entries count every print they hold). */
  private printCount(): number {
    let n = 0;
    for (const p of this.prints) n += p.n ?? 1;
    return n;
  }

  summary(now: number): CalibrationSummary {
    this.prune(now);
    const prints = this.printCount();
    const usd = this.prints.reduce((a, p) => a + p.usd, 0);
    const calibrated = prints >= this.o.minPrints && this.exposure.length > 0;
    return {
      venue: this.venue,
      symbol: this.symbol,
      status: calibrated ? 'calibrated' : 'prior',
      prints,
      usd,
      unmatchedPrints: this.unmatched.length,
      spanMs: prints > 0 ? Math.max(0, now - this.prints[0]!.t) : 0,
      needed: calibrated ? 0 : Math.max(0, this.o.minPrints - prints),
      exposed: this.exposure.length > 0,
      mix: this.leverages.map((leverage, j) => ({ leverage, prior: this.prior[j]!, weight: this.weights[j]! })),
    };
  }

  toRecord(now: number): CalibrationRecord {
    this.prune(now);
    const round = (x: number) => Number(x.toPrecision(5));
    return {
      version: CALIBRATION_VERSION,
      venue: this.venue,
      symbol: this.symbol,
      leverages: [...this.leverages],
      weights: this.weights.map(round),
      prints: this.prints.map((p) => ({ t: p.t, usd: round(p.usd), u: p.u.map(round), ...(p.n && p.n > 1 ? { n: p.n } : {}) })),
      exposure: this.exposure.toBuckets(round),
      unmatched: this.unmatched.map((x) => ({ t: x.t, usd: round(x.usd) })),
      savedAt: now,
    };
  }

  /** Restores evidence and the mix in use; false (nothing changed) when the leverage grid differs. */
  restore(r: CalibrationRecord): boolean {
    if (r.leverages.length !== this.leverages.length || r.leverages.some((l, j) => l !== this.leverages[j])) return false;
    this.prints = r.prints.map((p) => ({ t: p.t, usd: p.usd, u: [...p.u], ...(p.n ? { n: p.n } : {}) }));
    this.exposure.restore(r.exposure);
    this.unmatched = r.unmatched.map((x) => ({ ...x }));
    if (r.weights.reduce((a, x) => a + x, 0) > 0) this.weights = floorRatios(normalized(r.weights), this.prior, this.o.maxRatio);
    this.changed = true;
    this.lastFitT = Number.NEGATIVE_INFINITY;
    return true;
  }
}

/** Calibration of every venue and symbol over one leverage grid. */
export class Calibration {
  readonly leverages: readonly number[];
  private readonly defaultPrior: number[];
  private readonly opts: Resolved;
  private readonly byKey = new Map<string, SymbolCalibration>();
  private readonly priors = new Map<string, number[]>();
  private readonly flags = { frozen: false };

  constructor(prior: readonly LeverageWeight[], opts: CalibrationOptions = {}) {
    this.leverages = Object.freeze(prior.map((m) => m.leverage));
    this.defaultPrior = normalized(prior.map((m) => m.weight));
    this.opts = resolve(opts);
  }

  get options(): Readonly<Resolved> {
    return this.opts;
  }

  /** Stops learning: evidence is no longer recorded and the mixes in use stay as they are (evaluation splits). */
  freeze(): void {
    this.flags.frozen = true;
  }

  get frozen(): boolean {
    return this.flags.frozen;
  }

  /** The calibration of one venue and symbol, created at the prior on first use. */
  for(venue: Venue, symbol: string): SymbolCalibration {
    const key = `${venue}:${symbol}`;
    let c = this.byKey.get(key);
    if (!c) {
      c = new SymbolCalibration(venue, symbol, this.leverages, this.priors.get(key) ?? this.priors.get(`*:${symbol}`) ?? this.defaultPrior, this.opts, this.flags);
      this.byKey.set(key, c);
    }
    return c;
  }

  /**
   * Hook for a measured prior (e.g. leverage observed on Hyperliquid): a mix over any leverages,
   * projected onto the grid, for one symbol on one venue (or every venue when `venue` is '*').
   */
  setPrior(venue: Venue | '*', symbol: string, mix: readonly LeverageWeight[]): void {
    const prior = projectMix(mix, this.leverages);
    this.priors.set(`${venue}:${symbol}`, prior);
    for (const c of this.byKey.values()) if (c.symbol === symbol && (venue === '*' || c.venue === venue)) c.setPrior(prior);
  }

  summaries(symbol: string, now: number): CalibrationSummary[] {
    return [...this.byKey.values()].filter((c) => c.symbol === symbol).map((c) => c.summary(now));
  }

  /** Records of states changed since the last call (all with `all`). */
  records(now: number, all = false): CalibrationRecord[] {
    const out: CalibrationRecord[] = [];
    for (const c of this.byKey.values()) {
      if (!all && !c.dirty) continue;
      out.push(c.toRecord(now));
      c.dirty = false;
    }
    return out;
  }

  /** Restores stored records; returns how many were usable (same leverage grid). */
  restore(records: readonly CalibrationRecord[]): number {
    let n = 0;
    for (const r of records) if (this.for(r.venue, r.symbol).restore(r)) n++;
    return n;
  }
}

function normalized(xs: readonly number[]): number[] {
  let total = 0;
  for (const x of xs) total += x > 0 && Number.isFinite(x) ? x : 0;
  if (!(total > 0)) return xs.map(() => 1 / Math.max(1, xs.length));
  return xs.map((x) => (x > 0 && Number.isFinite(x) ? x / total : 0));
}

/** Keeps each weight at least its prior weight / maxRatio (no prior leverage is ruled out), renormalized. */
function floorRatios(w: number[], prior: readonly number[], maxRatio: number): number[] {
  return normalized(w.map((x, j) => Math.max(prior[j]! / maxRatio, x)));
}

/** Share of the fit's prior target spread to neighbouring leverages, and the spread (σ in ln leverage). */
const EXPLORE_SHARE = 0.15;
const EXPLORE_SIGMA = 0.35;

/**
 * The target the fit is regularized towards: (1 − ε)·prior + ε·(prior smoothed over ln leverage),
 * so grid leverages the prior does not name can gain weight when prints point at them.
 */
export function explorationPrior(prior: readonly number[], leverages: readonly number[]): number[] {
  const n = leverages.length;
  const smooth = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    if (!(prior[i]! > 0)) continue;
    let z = 0;
    const k = leverages.map((l) => {
      const d = Math.log(l / leverages[i]!) / EXPLORE_SIGMA;
      const x = Math.exp(-0.5 * d * d);
      z += x;
      return x;
    });
    for (let j = 0; j < n; j++) smooth[j]! += (prior[i]! * k[j]!) / z;
  }
  return normalized(prior.map((p, j) => (1 - EXPLORE_SHARE) * p + EXPLORE_SHARE * smooth[j]!));
}

function spanText(ms: number): string {
  if (ms >= 86_400_000) return `${(ms / 86_400_000).toFixed(1)} days`;
  if (ms >= HOUR) return `${(ms / HOUR).toFixed(1)} h`;
  return `${Math.max(1, Math.round(ms / 60_000))} min`;
}


/** One venue's state in words, e.g. `calibrated on 143 liquidations ($2.1M) over the last 2.3 days`. */
export function describeCalibration(c: CalibrationSummary): string {
  if (c.status === 'calibrated') return `calibrated on ${c.prints} liquidations (${formatUsd(c.usd)}) over the last ${spanText(c.spanMs)}`;
  if (c.needed === 0 && !c.exposed) return `prior mix (${c.prints} liquidations seen, but price has not crossed estimated levels yet)`;
  return `prior mix (not enough liquidations yet: ${c.prints} of ${c.prints + c.needed})`;
}

/** The /zones line about the leverage mix behind the zones; undefined without calibration. */
export function calibrationLine(cals: readonly CalibrationSummary[] | undefined): string | undefined {
  if (!cals || cals.length === 0) return undefined;
  const done = cals.filter((c) => c.status === 'calibrated');
  if (done.length === 0) {
    const prints = cals.reduce((a, c) => a + c.prints, 0);
    const needed = Math.min(...cals.map((c) => c.prints + c.needed));
    return `Leverage mix: prior mix (not enough liquidations yet: ${prints} seen, ${needed} per venue needed).`;
  }
  const prints = done.reduce((a, c) => a + c.prints, 0);
  const usd = done.reduce((a, c) => a + c.usd, 0);
  const span = Math.max(...done.map((c) => c.spanMs));
  const per = done.length > 1 ? ` (${done.map((c) => `${c.venue} ${c.prints}`).join(', ')})` : ` (${done[0]!.venue})`;
  const rest = cals.filter((c) => c.status !== 'calibrated');
  const prior = rest.length > 0 ? `; prior mix on ${rest.map((c) => c.venue).join(', ')}` : '';
  return `Leverage mix: calibrated on ${prints} liquidations (${formatUsd(usd)}) over the last ${spanText(span)}${per}${prior}.`;
}
