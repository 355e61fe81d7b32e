import type { Bar, MarketState, OiPoint, VenueSymbolState } from '../market/state.ts';
import type { PositionSide, Venue } from '../market/types.ts';
import type { BracketBook } from './brackets.ts';
import { matchWindow, type Calibration, type SymbolCalibration } from './calibration.ts';
import { liquidationPrice, maxLeverageFor } from './liquidation.ts';
import type { LeverageWeight } from './calibration.ts';

/**
 * The level book: where leveraged positions opened in the recent past would be liquidated.
 *
 * Per venue and symbol, per OI interval (≥ `minIntervalMs`, from the bootstrapped OI history and
 * then live polling):
 *  - ΔOI > 0 → new positions worth ΔOI(coins) × interval VWAP, split long/short from the interval's
 *    taker flow (tilted a little by funding), spread over the leverage mix, each placed at its
 *    liquidation price computed with the venue's own bracket math;
 *  - ΔOI < 0 → every level shrinks by the same fraction of the open interest that closed;
 *  - each leverage decays with its own half-life;
 *  - a level is consumed when price crosses it (bar lows/highs, then the live mark).
 * Updates are incremental: each call only processes OI points and bars it has not seen.
 */

export type { LeverageWeight } from './calibration.ts';

/**
 * ASSUMPTION: the share of new open interest taken at each leverage. No venue publishes it; this
 * default (5/10/25/50/100x at 30/30/20/12/8 %) sits between the public reconstructions in
 * reference/zone-models.md §6.2 and leans towards lower leverage. Configurable via LEVERAGE_MIX.
 */
export const DEFAULT_LEVERAGE_MIX: readonly LeverageWeight[] = Object.freeze([
  { leverage: 5, weight: 0.3 },
  { leverage: 10, weight: 0.3 },
  { leverage: 25, weight: 0.2 },
  { leverage: 50, weight: 0.12 },
  { leverage: 100, weight: 0.08 },
]);

/** ASSUMPTION: higher leverage is held for less time (pcdogyu's 168 h at 5x … 18 h at 100x). */
const HALF_LIFE_POINTS: readonly [number, number][] = [
  [5, 168],
  [10, 120],
  [25, 72],
  [50, 36],
  [100, 18],
];

/** Half-life in hours for a leverage: log-linear interpolation between the points above. */
export function halfLifeHoursFor(leverage: number): number {
  const pts = HALF_LIFE_POINTS;
  if (leverage <= pts[0]![0]) return pts[0]![1];
  for (let i = 1; i < pts.length; i++) {
    const [l1, h1] = pts[i]!;
    if (leverage <= l1) {
      const [l0, h0] = pts[i - 1]!;
      const f = Math.log(leverage / l0) / Math.log(l1 / l0);
      return h0 + f * (h1 - h0);
    }
  }
  return pts[pts.length - 1]![1];
}

/**
 * Leverages the level book also tracks when the mix is calibrated: a grid fine enough (about
 * ×1.4 apart) that a market trading mostly 35x or 75x can be learned, where the prior only names
 * 5/10/25/50/100x. They start at weight 0, so an uncalibrated map is exactly the prior's.
 */
export const CALIBRATION_GRID: readonly number[] = Object.freeze([2, 3, 5, 7, 10, 15, 20, 25, 35, 50, 75, 100, 125]);

/** The mix with every `extra` leverage it lacks added at weight 0, sorted by leverage. */
export function extendMix(mix: readonly LeverageWeight[], extra: readonly number[]): LeverageWeight[] {
  const have = new Set(mix.map((m) => m.leverage));
  return [...mix.map((m) => ({ ...m })), ...extra.filter((l) => !have.has(l)).map((leverage) => ({ leverage, weight: 0 }))].sort((a, b) => a.leverage - b.leverage);
}

/** Normalizes weights to sum 1 and sorts by leverage; drops invalid entries. */
export function normalizeMix(mix: readonly LeverageWeight[]): LeverageWeight[] {
  const ok = mix.filter((m) => m.leverage >= 1 && m.weight > 0 && Number.isFinite(m.leverage) && Number.isFinite(m.weight));
  const total = ok.reduce((a, m) => a + m.weight, 0);
  if (ok.length === 0 || total <= 0) return DEFAULT_LEVERAGE_MIX.map((m) => ({ ...m }));
  return ok.map((m) => ({ leverage: m.leverage, weight: m.weight / total })).sort((a, b) => a.leverage - b.leverage);
}

export interface LevelBookOptions {
  brackets: BracketBook;
  leverageMix?: readonly LeverageWeight[];
  /** Size of the typical position the liquidation math assumes (bracket choice), USD. */
  representativeNotionalUsd?: number;
  /** Shortest OI interval processed; shorter OI updates are coalesced. */
  minIntervalMs?: number;
  /** Leverages tracked at weight 0 besides the mix's (for calibration, e.g. CALIBRATION_GRID). */
  extraLeverages?: readonly number[];
  /**
   * Learns the mix per venue and symbol from realized liquidations (built over the same leverage
   * grid, e.g. `new Calibration(book.mix)`); without it every venue and symbol uses the prior mix.
   */
  calibration?: Calibration;
}

/** ASSUMPTION: positive funding means longs are crowded; an hourly rate of 0.0025 % shifts 5 % of new OI. */
const FUNDING_TILT_PER_HOURLY_RATE = 2000;
const MAX_FUNDING_TILT = 0.05;
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Levels are stored on a log grid of 0.01 % (far finer than any bin), merging near-equal prices. */
const LOG_STEP = Math.log1p(1e-4);
const DUST_USD = 1;
/**
 * A level worth less than this share of its ladder is dropped too. With absolute dust alone the
 * ladders kept every decayed level for weeks (5x halves every 168 h): 5.3 k levels per venue at hour
 * 24, 8.0 k at 48, 9.7 k at 96 (one symbol). At 1e-5 the count levels off by hour 48 (~6.9 k) and
 * what is dropped is ~0.02 % of the notional, far below anything a zone shows.
 */
const DUST_SHARE = 1e-5;

/** Levels of one side and one leverage, prices ascending, stored as raw × scale (O(1) decay). */
class Ladder {
  keys: number[] = [];
  prices: number[] = [];
  raw: number[] = [];
  scale = 1;

  add(price: number, usd: number): void {
    if (!(price > 0) || !(usd > 0)) return;
    const key = Math.round(Math.log(price) / LOG_STEP);
    const i = lowerBound(this.keys, key);
    const v = usd / this.scale;
    if (this.keys[i] === key) this.raw[i]! += v;
    else {
      this.keys.splice(i, 0, key);
      this.prices.splice(i, 0, Math.exp(key * LOG_STEP));
      this.raw.splice(i, 0, v);
    }
  }

  /** USD of levels priced within [lo, hi]. */
  sumWithin(lo: number, hi: number): number {
    let s = 0;
    for (let i = lowerBound(this.prices, lo); i < this.prices.length && this.prices[i]! <= hi; i++) s += this.raw[i]!;
    return s * this.scale;
  }

  /** Removes levels priced at or above `p` (longs die when price falls to them). Returns USD removed. */
  consumeAtOrAbove(p: number): number {
    let i = this.prices.length;
    while (i > 0 && this.prices[i - 1]! >= p) i--;
    return this.cut(i, this.prices.length);
  }

  /** Removes levels priced at or below `p` (shorts die when price rises to them). */
  consumeAtOrBelow(p: number): number {
    let i = 0;
    while (i < this.prices.length && this.prices[i]! <= p) i++;
    return this.cut(0, i);
  }

  multiply(f: number): void {
    this.scale *= f;
    if (this.scale < 1e-120) this.renormalize();
  }

  total(): number {
    let s = 0;
    for (const r of this.raw) s += r;
    return s * this.scale;
  }

  /** Drops levels worth less than `minUsd` or than `share` of the ladder's total. */
  compact(minUsd: number, share = 0): void {
    const min = Math.max(minUsd / this.scale, share > 0 ? (this.total() / this.scale) * share : 0);
    let w = 0;
    for (let r = 0; r < this.raw.length; r++) {
      if (this.raw[r]! < min) continue;
      this.keys[w] = this.keys[r]!;
      this.prices[w] = this.prices[r]!;
      this.raw[w] = this.raw[r]!;
      w++;
    }
    this.keys.length = this.prices.length = this.raw.length = w;
  }

  get size(): number {
    return this.raw.length;
  }

  private cut(from: number, to: number): number {
    if (to <= from) return 0;
    let s = 0;
    for (let i = from; i < to; i++) s += this.raw[i]!;
    this.keys.splice(from, to - from);
    this.prices.splice(from, to - from);
    this.raw.splice(from, to - from);
    return s * this.scale;
  }

  private renormalize(): void {
    for (let i = 0; i < this.raw.length; i++) this.raw[i]! *= this.scale;
    this.scale = 1;
  }
}

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What the zone builder reads from a venue's levels. */
export interface LevelSource {
  readonly venue: Venue;
  /** Calls `fn` for each live level priced within [lo, hi], with its current USD notional. */
  forEachLevel(lo: number, hi: number, fn: (side: PositionSide, leverageIndex: number, price: number, usd: number) => void): void;
}

export interface LevelStats {
  intervals: number;
  addedUsd: number;
  /** Open interest that closed (ΔOI < 0), USD; the book shrank by the same fraction. */
  closedUsd: number;
  consumedUsd: number;
  levels: number;
}

/** Liquidation price as a multiple of the entry price, per leverage (linear in the entry for a fixed size). */
export interface LiquidationRatios {
  long: number[];
  short: number[];
}

/**
 * The levels of one venue and symbol. Each leverage's ladders hold the notional *per unit of mix
 * weight* (as if all new open interest were taken at that leverage); the mix weights are applied
 * when levels are read, so a recalibrated mix re-weights the whole book at once.
 */
export class VenueLevels implements LevelSource {
  private readonly long: Ladder[];
  private readonly short: Ladder[];
  private readonly halfLivesMs: number[];
  /** Mix weight per leverage index, applied on read. */
  private readonly weights: Float64Array;
  /** Per-unit-weight USD consumed per leverage since the last `drainConsumed()`, longs then shorts. */
  private readonly consumedUnit: Float64Array;
  private anchor: OiPoint | undefined;
  private startT: number | undefined;
  private clockT = Number.NEGATIVE_INFINITY;
  /** Bars from this open time on are re-read for consumption (the newest bar is still growing). */
  private consumeFromBarT = Number.NEGATIVE_INFINITY;
  private lastCompactT = Number.NEGATIVE_INFINITY;
  readonly stats: LevelStats = { intervals: 0, addedUsd: 0, closedUsd: 0, consumedUsd: 0, levels: 0 };

  constructor(
    readonly venue: Venue,
    readonly symbol: string,
    private readonly mix: readonly LeverageWeight[],
    private readonly minIntervalMs: number,
  ) {
    this.long = mix.map(() => new Ladder());
    this.short = mix.map(() => new Ladder());
    this.halfLivesMs = mix.map((m) => halfLifeHoursFor(m.leverage) * HOUR);
    this.weights = Float64Array.from(mix.map((m) => m.weight));
    this.consumedUnit = new Float64Array(2 * mix.length);
  }

  /** Mix weights in use, per leverage index (a copy). */
  mixWeights(): number[] {
    return [...this.weights];
  }

  /** Replaces the mix weights (same leverage grid; normalized here, invalid input ignored). */
  setMixWeights(weights: readonly number[]): void {
    if (weights.length !== this.weights.length) return;
    let total = 0;
    for (const w of weights) {
      if (!(Number.isFinite(w) && w >= 0)) return;
      total += w;
    }
    if (!(total > 0)) return;
    for (let j = 0; j < weights.length; j++) this.weights[j] = weights[j]! / total;
  }

  /**
   * Per-unit-weight USD of one side's levels within [lo, hi], per leverage index (the evidence a
   * realized liquidation there gives about each leverage).
   */
  unitDensity(side: PositionSide, lo: number, hi: number, out: Float64Array): Float64Array {
    const ladders = side === 'long' ? this.long : this.short;
    for (let j = 0; j < ladders.length; j++) out[j] = ladders[j]!.sumWithin(lo, hi);
    return out;
  }

  /** Per-unit-weight USD consumed by price since the last call, per leverage: `{ long, short }`; resets. */
  drainConsumed(): { long: number[]; short: number[] } {
    const n = this.weights.length;
    const out = { long: [...this.consumedUnit.subarray(0, n)], short: [...this.consumedUnit.subarray(n)] };
    this.consumedUnit.fill(0);
    return out;
  }

  /**
   * `until` (history backfill): only OI points up to that time are processed, the live bars and
   * mark are left for the next update (each interval already consumed by its own price range).
   */
  update(vs: VenueSymbolState, now: number, ratios: LiquidationRatios, until = Number.POSITIVE_INFINITY): void {
    const pts = vs.oiHistory;
    // History that reaches further back than where we started arrived late (REST backfill after
    // live polling began): rebuild once from the full history.
    if (this.startT !== undefined && pts.length > 0 && pts[0]!.t < this.startT - this.minIntervalMs) this.reset();
    if (!this.anchor && pts.length > 0) {
      this.anchor = pts[0]!;
      this.startT = pts[0]!.t;
      this.clockT = pts[0]!.t;
    }
    if (this.anchor) {
      let i = upperBoundT(pts, this.anchor.t);
      for (; i < pts.length && pts[i]!.t <= until; i++) {
        const p = pts[i]!;
        if (p.t - this.anchor.t < this.minIntervalMs) continue;
        this.processInterval(vs, this.anchor, p, ratios);
        this.anchor = p;
      }
      if (until === Number.POSITIVE_INFINITY) this.consumeRecent(vs, this.anchor.t);
    }
    this.decayTo(now);
    if (now - this.lastCompactT > 10 * MINUTE) {
      for (const l of [...this.long, ...this.short]) l.compact(DUST_USD, DUST_SHARE);
      this.lastCompactT = now;
    }
    this.stats.levels = this.levelCount();
  }

  forEachLevel(lo: number, hi: number, fn: (side: PositionSide, leverageIndex: number, price: number, usd: number) => void): void {
    for (const [side, ladders] of [['long', this.long], ['short', this.short]] as const) {
      for (let j = 0; j < ladders.length; j++) {
        const l = ladders[j]!;
        const w = this.weights[j]!;
        if (!(w > 0)) continue;
        for (let i = lowerBound(l.prices, lo); i < l.prices.length; i++) {
          const p = l.prices[i]!;
          if (p > hi) break;
          fn(side, j, p, l.raw[i]! * l.scale * w);
        }
      }
    }
  }

  totalUsd(side: PositionSide): number {
    return (side === 'long' ? this.long : this.short).reduce((a, l, j) => a + l.total() * this.weights[j]!, 0);
  }

  levelCount(): number {
    let n = 0;
    for (const l of this.long) n += l.size;
    for (const l of this.short) n += l.size;
    return n;
  }

  private reset(): void {
    for (const l of [...this.long, ...this.short]) {
      l.keys = [];
      l.prices = [];
      l.raw = [];
      l.scale = 1;
    }
    this.anchor = undefined;
    this.startT = undefined;
    this.clockT = Number.NEGATIVE_INFINITY;
    this.consumeFromBarT = Number.NEGATIVE_INFINITY;
    this.consumedUnit.fill(0);
    Object.assign(this.stats, { intervals: 0, addedUsd: 0, closedUsd: 0, consumedUsd: 0, levels: 0 });
  }

  private processInterval(vs: VenueSymbolState, a: OiPoint, b: OiPoint, ratios: LiquidationRatios): void {
    this.decayTo(b.t);
    const flow = intervalFlow(vs.bars, a.t, b.t);
    const pa = a.oiBase > 0 ? a.oiUsd / a.oiBase : undefined;
    const pb = b.oiBase > 0 ? b.oiUsd / b.oiBase : undefined;
    // Price path first: positions already open die before this interval's new ones are placed.
    if (flow.volume > 0 || flow.high > 0) this.consume(flow.low, flow.high);
    else if (pa !== undefined && pb !== undefined) this.consume(Math.min(pa, pb), Math.max(pa, pb));
    if (flow.high > 0) this.consumeFromBarT = Math.max(this.consumeFromBarT, b.t - (b.t % MINUTE));

    const dBase = b.oiBase - a.oiBase;
    this.stats.intervals++;
    if (dBase > 0) {
      const vwap = flow.volume > 0 && flow.notional > 0 ? flow.notional / flow.volume : (pb ?? pa);
      if (!(vwap !== undefined && vwap > 0)) return;
      const takers = flow.buy + flow.sell;
      const buyFrac = takers > 0 ? flow.buy / takers : 0.5;
      const funding = fundingAt(vs, b.t);
      const tilt = clamp(funding * FUNDING_TILT_PER_HOURLY_RATE, -MAX_FUNDING_TILT, MAX_FUNDING_TILT);
      // Takers are assumed to be the leveraged side, but only half-way: makers open positions too.
      const longShare = clamp(0.25 + 0.5 * buyFrac + tilt, 0.1, 0.9);
      const usd = dBase * vwap;
      for (let j = 0; j < this.mix.length; j++) {
        this.long[j]!.add(vwap * ratios.long[j]!, usd * longShare);
        this.short[j]!.add(vwap * ratios.short[j]!, usd * (1 - longShare));
      }
      this.stats.addedUsd += usd;
    } else if (dBase < 0 && a.oiBase > 0) {
      const f = Math.min(1, -dBase / a.oiBase);
      for (const l of this.long) l.multiply(1 - f);
      for (const l of this.short) l.multiply(1 - f);
      this.stats.closedUsd += -dBase * (pb ?? pa ?? 0);
    }
  }

  /** Bars since the last processed OI point, and the live mark. */
  private consumeRecent(vs: VenueSymbolState, sinceT: number): void {
    const from = Math.max(this.consumeFromBarT, sinceT - (sinceT % MINUTE));
    let low = Number.POSITIVE_INFINITY;
    let high = 0;
    const bars = vs.bars;
    for (let i = bars.length - 1; i >= 0 && bars[i]!.t >= from; i--) {
      const bar = bars[i]!;
      if (bar.low < low) low = bar.low;
      if (bar.high > high) high = bar.high;
    }
    if (vs.mark !== undefined && vs.mark > 0) {
      low = Math.min(low, vs.mark);
      high = Math.max(high, vs.mark);
    }
    if (high > 0) this.consume(low, high);
    const last = bars[bars.length - 1];
    if (last && last.t > this.consumeFromBarT) this.consumeFromBarT = last.t;
  }

  private consume(low: number, high: number): void {
    let usd = 0;
    const n = this.weights.length;
    if (Number.isFinite(low) && low > 0) {
      for (let j = 0; j < n; j++) {
        const unit = this.long[j]!.consumeAtOrAbove(low);
        this.consumedUnit[j]! += unit;
        usd += unit * this.weights[j]!;
      }
    }
    if (high > 0) {
      for (let j = 0; j < n; j++) {
        const unit = this.short[j]!.consumeAtOrBelow(high);
        this.consumedUnit[n + j]! += unit;
        usd += unit * this.weights[j]!;
      }
    }
    this.stats.consumedUsd += usd;
  }

  private decayTo(t: number): void {
    if (!(t > this.clockT)) return;
    if (Number.isFinite(this.clockT)) {
      const dt = t - this.clockT;
      for (let j = 0; j < this.mix.length; j++) {
        const f = Math.pow(0.5, dt / this.halfLivesMs[j]!);
        this.long[j]!.multiply(f);
        this.short[j]!.multiply(f);
      }
    }
    this.clockT = t;
  }
}

interface Flow {
  low: number;
  high: number;
  volume: number;
  buy: number;
  sell: number;
  notional: number;
}

/** Bars overlapping [from, to): price range, taker flow and notional (for the VWAP). */
function intervalFlow(bars: readonly Bar[], from: number, to: number): Flow {
  const f: Flow = { low: Number.POSITIVE_INFINITY, high: 0, volume: 0, buy: 0, sell: 0, notional: 0 };
  let i = lowerBoundBarT(bars, from - MINUTE + 1);
  for (; i < bars.length; i++) {
    const b = bars[i]!;
    if (b.t >= to) break;
    if (b.low < f.low) f.low = b.low;
    if (b.high > f.high) f.high = b.high;
    f.volume += b.volume;
    f.buy += b.buyVolume;
    f.sell += b.sellVolume;
    f.notional += b.notional;
  }
  return f;
}

function lowerBoundBarT(bars: readonly Bar[], t: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBoundT(pts: readonly OiPoint[], t: number): number {
  let lo = 0;
  let hi = pts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pts[mid]!.t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Hourly funding at time t: the latest sample at or before t, else the live rate. */
function fundingAt(vs: VenueSymbolState, t: number): number {
  const h = vs.fundingHistory;
  let lo = 0;
  let hi = h.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (h[mid]!.t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? h[lo - 1]!.rate : (vs.fundingRateHourly ?? 0);
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** All venues' levels for all symbols. */
export class LevelBook {
  readonly mix: readonly LeverageWeight[];
  readonly leverages: readonly number[];
  private readonly brackets: BracketBook;
  private readonly representativeUsd: number;
  private readonly minIntervalMs: number;
  private readonly bySymbol = new Map<string, Map<Venue, VenueLevels>>();
  private readonly ratioCache = new Map<string, { version: number; ratios: LiquidationRatios }>();
  readonly calibration: Calibration | undefined;
  private readonly density: Float64Array;

  constructor(opts: LevelBookOptions) {
    this.brackets = opts.brackets;
    this.mix = Object.freeze(extendMix(normalizeMix(opts.leverageMix ?? DEFAULT_LEVERAGE_MIX), opts.extraLeverages ?? []));
    this.leverages = Object.freeze(this.mix.map((m) => m.leverage));
    this.representativeUsd = opts.representativeNotionalUsd ?? 10_000;
    this.minIntervalMs = opts.minIntervalMs ?? MINUTE;
    this.density = new Float64Array(this.mix.length);
    const cal = opts.calibration;
    if (cal && (cal.leverages.length !== this.leverages.length || cal.leverages.some((l, j) => l !== this.leverages[j]))) {
      throw new RangeError(`calibration grid ${cal.leverages.join('/')}x differs from the level book's ${this.leverages.join('/')}x`);
    }
    this.calibration = cal;
  }

  /** Processes whatever is new in the market state for one symbol. */
  /**
   * Processes what is new for a symbol. `until` replays the history only up to that time (the
   * heatmap backfill after a start: the book as it stood then); calibration is left to live updates.
   */
  update(state: MarketState, symbol: string, now: number, until?: number): void {
    let m = this.bySymbol.get(symbol);
    for (const vs of state.venues(symbol)) {
      if (!m) {
        m = new Map();
        this.bySymbol.set(symbol, m);
      }
      let levels = m.get(vs.venue);
      if (!levels) {
        levels = new VenueLevels(vs.venue, symbol, this.mix, this.minIntervalMs);
        m.set(vs.venue, levels);
      }
      if (until !== undefined) {
        levels.update(vs, now, this.ratios(vs.venue, symbol), until);
        continue;
      }
      const cal = this.calibration?.for(vs.venue, symbol);
      // Prints are matched against the levels as they stood before this update's price path consumed them.
      if (cal) this.matchPrints(levels, vs, cal);
      levels.update(vs, now, this.ratios(vs.venue, symbol));
      if (cal) {
        const crossed = levels.drainConsumed();
        cal.addExposure(now, crossed.long, crossed.short);
        levels.setMixWeights(cal.mix(now));
      }
    }
  }

  /** Feeds the calibration the realized liquidations it has not seen yet, with the unit levels around each. */
  private matchPrints(levels: VenueLevels, vs: VenueSymbolState, cal: SymbolCalibration): void {
    const liqs = vs.liquidations;
    if (liqs.length === 0) return;
    let from = 0;
    const cur = cal.cursor;
    if (cur) {
      // the same log: resume after the last print read (by sequence number, however far the front was pruned);
      // another log (the state was rebuilt): after the last print time read
      if (cur.log === liqs) from = Math.max(0, cur.seq + 1 - liqs.firstSeq);
      else {
        from = liqs.length;
        while (from > 0 && liqs.time(from - 1) > cur.t) from--;
      }
    }
    if (from >= liqs.length) return;
    const { matchHalfWidth, bankruptcyShift } = this.calibration!.options;
    for (let i = from; i < liqs.length; i++) {
      const side = liqs.side(i);
      const [lo, hi] = matchWindow(side, liqs.price(i), matchHalfWidth, bankruptcyShift);
      cal.observePrint(liqs.time(i), liqs.usd(i), levels.unitDensity(side, lo, hi, this.density));
    }
    cal.cursor = { log: liqs, seq: liqs.endSeq - 1, t: liqs.time(liqs.length - 1) };
  }

  venues(symbol: string): VenueLevels[] {
    const m = this.bySymbol.get(symbol);
    return m ? [...m.values()] : [];
  }

  /**
   * Liquidation price / entry per leverage of the mix, with the venue's bracket math for the
   * representative size; a leverage above the venue cap for that size is capped (nobody can hold it).
   */
  ratios(venue: Venue, symbol: string): LiquidationRatios {
    const key = `${venue}:${symbol}`;
    const hit = this.ratioCache.get(key);
    if (hit && hit.version === this.brackets.version) return hit.ratios;
    const table = this.brackets.get(venue, symbol).brackets;
    const cap = Math.max(1, maxLeverageFor(table, this.representativeUsd));
    const ratio = (side: PositionSide, lev: number): number => {
      const r = liquidationPrice(venue, table, { side, entry: 1, leverage: Math.min(lev, cap), notionalUsd: this.representativeUsd });
      return r.ok ? r.price : side === 'long' ? 1 - 1 / lev : 1 + 1 / lev;
    };
    const ratios = { long: this.leverages.map((l) => ratio('long', l)), short: this.leverages.map((l) => ratio('short', l)) };
    this.ratioCache.set(key, { version: this.brackets.version, ratios });
    return ratios;
  }
}

/**
 * ATR in hourly terms from 1-minute bars: true range of whole hours when at least two exist,
 * else the 1-minute ATR scaled by √60. Undefined without enough bars.
 */
export function hourlyAtr(bars: readonly Bar[], periods = 14): number | undefined {
  if (bars.length < 2) return undefined;
  const hours: { h: number; l: number; c: number; t: number }[] = [];
  for (const b of bars) {
    const t = b.t - (b.t % HOUR);
    const cur = hours[hours.length - 1];
    if (!cur || cur.t !== t) hours.push({ t, h: b.high, l: b.low, c: b.close });
    else {
      if (b.high > cur.h) cur.h = b.high;
      if (b.low < cur.l) cur.l = b.low;
      cur.c = b.close;
    }
  }
  const complete = hours.slice(0, -1);
  if (complete.length >= 3) {
    const from = Math.max(1, complete.length - periods);
    let s = 0;
    for (let i = from; i < complete.length; i++) {
      const x = complete[i]!;
      const pc = complete[i - 1]!.c;
      s += Math.max(x.h - x.l, Math.abs(x.h - pc), Math.abs(x.l - pc));
    }
    return s / (complete.length - from);
  }
  const from = Math.max(1, bars.length - 60);
  let s = 0;
  for (let i = from; i < bars.length; i++) {
    const x = bars[i]!;
    const pc = bars[i - 1]!.close;
    s += Math.max(x.high - x.low, Math.abs(x.high - pc), Math.abs(x.low - pc));
  }
  return (s / (bars.length - from)) * Math.sqrt(60);
}

/** Bin width: about max(0.05 % of price, 0.1 × ATR), rounded up to 1/2/2.5/5 × 10^k so bins stay put. */
export function binSizeFor(price: number, atr: number): number {
  const target = Math.max(price * 0.0005, (Number.isFinite(atr) ? atr : 0) * 0.1);
  if (!(target > 0)) return 1;
  const pow = Math.pow(10, Math.floor(Math.log10(target)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= target * 0.999) return m * pow;
  return 10 * pow;
}
