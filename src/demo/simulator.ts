/**
 * Agent-based market simulator: the data source of `liqzone demo` and of many tests.
 *
 * Per symbol, a population of leveraged traders opens positions (leverage mix 5–100x, heavy-tailed
 * sizes, entries at the current price, taker side = position side) and closes them; open interest
 * follows the population. When a venue's mark crosses a position's liquidation price (Binance
 * isolated closed form / Bybit tier form, zone-models.md §3) the position is force-closed on that
 * venue: a liquidation event plus a market order that pushes price further, which can reach the
 * next cluster: cascades. Regimes (calm, trends, chop, reversal, bursts) are scheduled
 * automatically or pinned by the caller. Output is normalized `MarketEvent`s per venue; the fake
 * venue servers encode them into wire frames. Deterministic for a seed and a sequence of calls.
 *
 * Imports nothing from vitest: it runs inside `liqzone demo` too.
 */
import type { BarEvent, OpenInterestEvent, MarketEvent, PositionSide, Venue } from '../market/types.ts';
import { MINUTE_MS, prehistory, type MinuteRecord } from './sim/history.ts';
import { SymbolMarket, type MarketConfig, type PopulationProfile, type VenueQuote } from './sim/market.ts';
import { REGIMES, type Regime, type RegimeOptions, type RegimeSetting } from './sim/process.ts';
import { hashString } from './sim/rng.ts';
import { specFor } from './sim/specs.ts';

export { DEFAULT_BASE_PRICES } from './sim/specs.ts';
export { liquidationPrice, allowedLeverage, BINANCE_TIERS, BYBIT_TIERS } from './sim/liquidation.ts';
export { REGIMES } from './sim/process.ts';
export type { Regime, RegimeOptions, RegimeSetting } from './sim/process.ts';
export type { PopulationProfile, VenueQuote } from './sim/market.ts';

export interface SimulatorOptions {
  /** Canonical symbols to simulate (e.g. DEFAULT_SYMBOLS). Unknown ones get a generic spec at `basePrices[s]` or 1. */
  symbols: readonly string[];
  /** Default ['binance', 'bybit']. */
  venues?: readonly Venue[];
  /** Default 1. */
  seed?: number;
  /** Market clock at the end of warm-up, ms (default 2026-01-01T00:00Z; pass Date.now() for a live demo). */
  startTime?: number;
  /** Override default base prices (USD per coin). */
  basePrices?: Readonly<Record<string, number>>;
  /** Simulated history before startTime, built in the constructor at coarse resolution (default 3 h). */
  warmupMs?: number;
  /** Live step, ms; must divide a minute (default 100). */
  stepMs?: number;
  /** Warm-up step, ms; must divide a minute (default 5000). */
  warmupStepMs?: number;
  /** Venues that push open interest as events, Bybit-style (default ['bybit']); others are polled via openInterest(). */
  oiEventVenues?: readonly Venue[];
  /** Cadence of pushed open interest, ms (default 3000). */
  oiEventIntervalMs?: number;
  /** Recorded minutes kept per venue and symbol (default 3000); older requests use synthetic prehistory. */
  maxHistoryMinutes?: number;
  /**
   * 'varied': each symbol's traders (leverage mix, holding time, opening rate) and regime schedule
   * are drawn from wide ranges per seed, not the engine's prior (benchmarks of the zone engine).
   * Default: the fixed default population.
   */
  population?: 'default' | 'varied';
}

export interface SideSummary {
  count: number;
  /** Coins. */
  qty: number;
  /** At the current price. */
  notionalUsd: number;
  /** Liquidation price of the next position to die on this side, if any. */
  nearestLiquidation: number | undefined;
}

export interface LiquidationBand {
  /** Whose positions: long bands sit below price, short bands above. */
  side: PositionSide;
  low: number;
  high: number;
  count: number;
  qty: number;
  /** Σ qty × liquidation price. */
  notionalUsd: number;
}

export interface PositionsSummary {
  symbol: string;
  venues: Venue[];
  price: number;
  long: SideSummary;
  short: SideSummary;
  /** Ascending by price. */
  bands: LiquidationBand[];
}

export interface HistoryOptions {
  /** Closed 1-minute bars ending at the current minute (max 50 000). */
  bars: number;
  /** Open-interest points ending at the current interval boundary. */
  oiPoints: number;
  /** Spacing of OI points, a multiple of a minute (default 5 min). */
  oiIntervalMs?: number;
}

export interface SimHistory {
  bars: BarEvent[];
  oi: OpenInterestEvent[];
}

const DEFAULT_START = Date.UTC(2026, 0, 1);
const MAX_HISTORY_MINUTES_REQUEST = 50_000;

export class MarketSimulator {
  readonly symbols: readonly string[];
  readonly venues: readonly Venue[];
  readonly seed: number;
  private readonly markets = new Map<string, SymbolMarket>();
  private readonly stepMs: number;
  private clock: number;

  constructor(opts: SimulatorOptions) {
    const venues = [...new Set(opts.venues ?? (['binance', 'bybit'] as const))];
    if (venues.length === 0) throw new RangeError('at least one venue is required');
    const symbols = [...new Set(opts.symbols)];
    if (symbols.length === 0) throw new RangeError('at least one symbol is required');
    this.symbols = symbols;
    this.venues = venues;
    this.seed = opts.seed ?? 1;
    this.stepMs = minuteDivisor('stepMs', opts.stepMs ?? 100);
    const warmupStep = minuteDivisor('warmupStepMs', opts.warmupStepMs ?? 5000);
    const warmupMs = Math.max(0, Math.round(opts.warmupMs ?? 3 * 3_600_000));
    const startTime = Math.round(opts.startTime ?? DEFAULT_START);
    const cfg: MarketConfig = {
      population: opts.population ?? 'default',
      seed: this.seed,
      venues,
      oiEventVenues: new Set(opts.oiEventVenues ?? ['bybit']),
      oiEventIntervalMs: positive('oiEventIntervalMs', opts.oiEventIntervalMs ?? 3000),
      maxHistoryMinutes: positive('maxHistoryMinutes', opts.maxHistoryMinutes ?? 3000),
    };
    this.clock = startTime - warmupMs;
    for (const symbol of symbols) {
      this.markets.set(symbol, new SymbolMarket(specFor(symbol, opts.basePrices?.[symbol]), cfg, hashString(symbol), this.clock));
    }
    this.run(startTime, warmupStep, null);
  }

  /** The market clock, ms. */
  now(): number {
    return this.clock;
  }

  hasSymbol(symbol: string): boolean {
    return this.markets.has(symbol);
  }

  /** Moves the clock forward by `dtMs` and returns everything that happened, ordered by exchange time. */
  advance(dtMs: number): MarketEvent[] {
    if (!(Number.isFinite(dtMs) && dtMs >= 0)) throw new RangeError(`advance: dtMs must be a finite number ≥ 0, got ${dtMs}`);
    const out: MarketEvent[] = [];
    this.run(this.clock + Math.round(dtMs), this.stepMs, out);
    return out;
  }

  private run(until: number, stepMs: number, out: MarketEvent[] | null): void {
    while (this.clock < until) {
      const next = Math.min(until, Math.floor(this.clock / stepMs) * stepMs + stepMs);
      const from = out ? out.length : 0;
      for (const m of this.markets.values()) m.step(this.clock, next, out);
      if (out && out.length - from > 1) {
        const batch = out.slice(from).sort((a, b) => a.exchTime - b.exchTime);
        for (let i = 0; i < batch.length; i++) out[from + i] = batch[i]!;
      }
      this.clock = next;
    }
  }

  /**
   * Pins a regime for one symbol or all ('auto' hands control back to the scheduler).
   * 'reversal' trends one way for `legMs` (default 15 min) then the other, its legs' drift and
   * noise shaped by `legDrift`, `turnDrift`, `turnMs` and `noise`; 'burst' starts with a sharp
   * impulse (direction random unless given) and keeps volatility high.
   */
  setRegime(symbol: string | 'all', regime: RegimeSetting, opts: RegimeOptions = {}): void {
    if (regime !== 'auto' && !(REGIMES as readonly string[]).includes(regime)) {
      throw new RangeError(`unknown regime ${String(regime)} (allowed: auto, ${REGIMES.join(', ')})`);
    }
    if (opts.legMs !== undefined && !(opts.legMs > 0)) throw new RangeError('legMs must be > 0');
    if (opts.turnMs !== undefined && !(opts.turnMs > 0)) throw new RangeError('turnMs must be > 0');
    for (const key of ['legDrift', 'turnDrift', 'noise'] as const) {
      const v = opts[key];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new RangeError(`${key} must be a finite number ≥ 0, got ${v}`);
    }
    const targets = symbol === 'all' ? [...this.markets.values()] : [this.market(symbol)];
    for (const m of targets) m.process.setRegime(regime, this.clock, opts);
  }

  /** The pinned setting and the regime in force right now. */
  regime(symbol: string): { setting: RegimeSetting; active: Regime } {
    const p = this.market(symbol).process;
    return { setting: p.setting, active: p.active };
  }

  /** Walks the price toward `price` so that it gets there `overMs` from now; regime noise is damped meanwhile. */
  driveToward(symbol: string, price: number, overMs: number): void {
    if (!(Number.isFinite(price) && price > 0)) throw new RangeError(`driveToward: price must be > 0, got ${price}`);
    if (!(Number.isFinite(overMs) && overMs > 0)) throw new RangeError(`driveToward: overMs must be > 0, got ${overMs}`);
    this.market(symbol).process.driveToward(price, this.clock, overMs);
  }

  /**
   * Makes traders pile into one side for `overMs` (opening rate × intensity, default 4, 85 % on
   * that side), building a liquidation cluster and raising open interest, on one venue or all.
   */
  crowdIn(symbol: string, side: PositionSide, overMs: number, opts: { intensity?: number; venue?: Venue } = {}): void {
    if (!(overMs > 0)) throw new RangeError(`crowdIn: overMs must be > 0, got ${overMs}`);
    const intensity = opts.intensity ?? 4;
    if (!(intensity > 0)) throw new RangeError(`crowdIn: intensity must be > 0, got ${intensity}`);
    const m = this.market(symbol);
    if (opts.venue) m.venue(opts.venue);
    m.crowdIn(side, this.clock, overMs, intensity, opts.venue);
  }

  /** Index price (common to all venues), rounded to the tick. */
  price(symbol: string): number {
    const m = this.market(symbol);
    return m.roundPrice(m.process.price);
  }

  /** Everything a venue's ticker / premium-index endpoint would say right now. */
  quote(venue: Venue, symbol: string): VenueQuote {
    return this.market(symbol).quote(venue);
  }

  openInterest(venue: Venue, symbol: string): { oiBase: number; oiUsd: number } {
    const { oiBase, oiUsd } = this.market(symbol).quote(venue);
    return { oiBase, oiUsd };
  }

  /** Open leveraged positions by side, and their liquidation prices in bands of `bandPct` % of price (default 0.25). */
  positions(symbol: string, opts: { venue?: Venue; bandPct?: number } = {}): PositionsSummary {
    const m = this.market(symbol);
    const bandPct = opts.bandPct ?? 0.25;
    if (!(bandPct > 0)) throw new RangeError(`bandPct must be > 0, got ${bandPct}`);
    const venues = opts.venue ? [m.venue(opts.venue)] : m.venues;
    const price = m.process.price;
    const width = (price * bandPct) / 100;
    const bands = new Map<string, LiquidationBand>();
    const sides = { long: emptySide(), short: emptySide() };
    for (const v of venues) {
      for (const side of ['long', 'short'] as const) {
        const summary = sides[side];
        const nearest = v.book.nextToLiquidate(side);
        if (nearest && (summary.nearestLiquidation === undefined || (side === 'long' ? nearest.liq > summary.nearestLiquidation : nearest.liq < summary.nearestLiquidation))) {
          summary.nearestLiquidation = m.roundPrice(nearest.liq);
        }
        for (const p of v.book.open(side)) {
          summary.count++;
          summary.qty += p.qty;
          const index = Math.floor(p.liq / width);
          const key = `${side}:${index}`;
          let band = bands.get(key);
          if (!band) {
            band = { side, low: m.roundPrice(index * width), high: m.roundPrice((index + 1) * width), count: 0, qty: 0, notionalUsd: 0 };
            bands.set(key, band);
          }
          band.count++;
          band.qty += p.qty;
          band.notionalUsd += p.qty * p.liq;
        }
      }
    }
    sides.long.notionalUsd = sides.long.qty * price;
    sides.short.notionalUsd = sides.short.qty * price;
    return {
      symbol,
      venues: venues.map((v) => v.venue),
      price: m.roundPrice(price),
      long: sides.long,
      short: sides.short,
      bands: [...bands.values()].sort((a, b) => a.low - b.low || a.side.localeCompare(b.side)),
    };
  }

  /**
   * REST-bootstrap history ending at the clock: the last `bars` closed 1-minute bars (with taker-buy
   * volume) and `oiPoints` open-interest points on `oiIntervalMs` boundaries. Bars are those the
   * simulator's own trades built; beyond the recorded span a synthetic prehistory joins them.
   */
  history(venue: Venue, symbol: string, opts: HistoryOptions): SimHistory {
    const m = this.market(symbol);
    const recorder = m.venue(venue).recorder;
    const interval = opts.oiIntervalMs ?? 5 * MINUTE_MS;
    if (!(Number.isInteger(interval) && interval > 0 && interval % MINUTE_MS === 0)) {
      throw new RangeError(`oiIntervalMs must be a positive multiple of ${MINUTE_MS}, got ${interval}`);
    }
    const bars = count('bars', opts.bars);
    const oiPoints = count('oiPoints', opts.oiPoints);
    const end = Math.floor(this.clock / MINUTE_MS) * MINUTE_MS;
    const oiEnd = Math.floor(this.clock / interval) * interval;
    const oiMinutes = oiPoints > 0 ? (end - (oiEnd - (oiPoints - 1) * interval)) / MINUTE_MS + 1 : 0;
    if (Math.max(bars, oiMinutes) > MAX_HISTORY_MINUTES_REQUEST) {
      throw new RangeError(`history longer than ${MAX_HISTORY_MINUTES_REQUEST} minutes requested`);
    }
    const recorded = recorder.minutes.filter((r) => r.t < end);
    const needed = Math.max(bars, oiMinutes);
    const minutes: MinuteRecord[] = [
      ...prehistory(recorded, needed - recorded.length, {
        seed: this.seed,
        salt: hashString(`prehistory:${symbol}`),
        sigmaMinute: 0.9e-4 * m.spec.vol * Math.sqrt(60),
        fallback: { t: end, price: m.process.price, volume: (m.spec.scale * 3) / m.process.price, oiBase: m.oiBase(m.venue(venue)) },
        round: (p) => m.roundPrice(p),
      }),
      ...recorded,
    ];
    const recvTime = this.clock;
    const barEvents: BarEvent[] = minutes.slice(Math.max(0, minutes.length - bars)).map((r) => ({
      kind: 'bar',
      venue,
      symbol,
      exchTime: r.t + MINUTE_MS - 1,
      recvTime,
      openTime: r.t,
      open: r.open,
      high: r.high,
      low: r.low,
      close: r.close,
      volume: m.roundQty(r.volume),
      takerBuyVolume: r.takerBuyVolume > 0 ? m.roundQty(r.takerBuyVolume) : 0,
    }));
    const first = minutes[0];
    const oi: OpenInterestEvent[] = [];
    for (let k = oiPoints - 1; k >= 0 && first; k--) {
      const t = oiEnd - k * interval;
      // OI at a boundary is the value recorded at the close of the minute ending there
      const r = minutes[(t - MINUTE_MS - first.t) / MINUTE_MS];
      if (r) oi.push({ kind: 'oi', venue, symbol, exchTime: t, recvTime, oiBase: r.oiBase, oiUsd: r.oiUsd });
    }
    return { bars: barEvents, oi };
  }

  /** The trader population of a symbol (leverage mix, holding time, opening rate): the ground truth a zone estimate tries to recover. */
  population(symbol: string): Readonly<PopulationProfile> {
    return this.market(symbol).population;
  }

  private market(symbol: string): SymbolMarket {
    const m = this.markets.get(symbol);
    if (!m) throw new RangeError(`symbol ${symbol} is not simulated (symbols: ${this.symbols.join(', ')})`);
    return m;
  }
}

function emptySide(): SideSummary {
  return { count: 0, qty: 0, notionalUsd: 0, nearestLiquidation: undefined };
}

function minuteDivisor(name: string, ms: number): number {
  if (!(Number.isInteger(ms) && ms > 0 && MINUTE_MS % ms === 0)) throw new RangeError(`${name} must divide ${MINUTE_MS} ms, got ${ms}`);
  return ms;
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
  return Math.round(value);
}

function count(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 0)) throw new RangeError(`${name} must be an integer ≥ 0, got ${value}`);
  return value;
}
