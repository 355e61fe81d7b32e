/**
 * One simulated symbol across venues: the trader population (opening, closing, being liquidated),
 * the shared price process, per-venue premium/mark/funding, book tops, open interest and the minute
 * history. `step(t0, t1, out)` advances it by one interval; with `out` null (warm-up) nothing is
 * materialized as events but positions, prices and history evolve exactly the same way.
 */
import type { MarketEvent, PositionSide, TakerSide, Venue } from '../../market/types.ts';
import { allowedLeverage, liquidationPrice } from './liquidation.ts';
import { MINUTE_MS, MinuteRecorder } from './history.ts';
import { PositionBook, type SimPosition } from './positions.ts';
import { AUTO_SCHEDULE, PriceProcess, REGIMES, type Regime, type RegimeProfile } from './process.ts';
import { Rng } from './rng.ts';
import type { SymbolSpec } from './specs.ts';

/** New positions per second across all venues (before regime and crowding multipliers). */
const OPEN_RATE_PER_SEC = 0.4;
const MEAN_HOLD_SEC = 3600;
const LEVERAGES = [5, 10, 20, 25, 50, 100] as const;
const LEVERAGE_WEIGHTS = [0.14, 0.24, 0.18, 0.16, 0.16, 0.12] as const;
/** Position notional = scale × Pareto(xm, alpha), capped: heavy-tailed, mean ≈ 0.9 × scale. */
const SIZE_XM = 0.3;
const SIZE_ALPHA = 1.5;
const SIZE_CAP = 60;
/** Liquidations hit a thin book: their flow moves price more than voluntary orders. */
const LIQUIDATION_IMPACT = 1.5;
/** Agents are about a quarter of open interest; the rest is a constant, unlevered baseline. */
const BASELINE_OI_MULTIPLE = 3;
/** Mean of a log-normal with σ = 1 relative to its median (e^{σ²/2}). */
const BACKGROUND_MEAN_FACTOR = Math.exp(0.5);
const FUNDING_INTERVAL_MS = 8 * 3_600_000;
const MARK_EVERY_MS = 1000;
const BOOK_EVERY_MS = 500;

// relative shares of the simulated flow; normalized over the venues that run
const VENUE_WEIGHT: Record<Venue, number> = { binance: 0.6, bybit: 0.4, okx: 0.3, hyperliquid: 0.2 };

/**
 * Who trades a symbol: the leverage mix of new positions, how long they are held, how often they
 * open, and (varied markets) how the regimes are scheduled.
 */
export interface PopulationProfile {
  leverages: number[];
  weights: number[];
  meanHoldSec: number;
  openRateScale: number;
  regime?: RegimeProfile;
}

export const DEFAULT_POPULATION: Readonly<PopulationProfile> = Object.freeze({
  leverages: [...LEVERAGES],
  weights: [...LEVERAGE_WEIGHTS],
  meanHoldSec: MEAN_HOLD_SEC,
  openRateScale: 1,
});

/** Leverages a varied market draws its mix from. */
const VARIED_LEVERAGES = [2, 3, 5, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100, 125] as const;

/**
 * A market drawn from wide ranges (per seed and symbol): 3–6 leverages of 2–125x with uneven
 * weights, mean holding time 15 min–12 h, opening rate ×0.6–1.8, regime odds ×0.25–4 each,
 * regime durations ×0.5–2 and volatility ×0.7–1.5. Nothing here follows the engine's prior.
 */
export function variedPopulation(rng: Rng): PopulationProfile {
  const logUniform = (lo: number, hi: number) => Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));
  const k = 3 + rng.int(4);
  const pool: number[] = [...VARIED_LEVERAGES];
  const chosen: number[] = [];
  while (chosen.length < k) chosen.push(pool.splice(rng.int(pool.length), 1)[0]!);
  chosen.sort((a, b) => a - b);
  const raw = chosen.map(() => Math.pow(-Math.log(1 - rng.next()), 1.5));
  const total = raw.reduce((a, x) => a + x, 0);
  const weights = {} as Record<Regime, number>;
  for (const r of REGIMES) weights[r] = AUTO_SCHEDULE[r].weight * logUniform(0.25, 4);
  return {
    leverages: chosen,
    weights: raw.map((x) => x / total),
    meanHoldSec: logUniform(900, 12 * 3600),
    openRateScale: logUniform(0.6, 1.8),
    regime: { weights, durationScale: logUniform(0.5, 2), volScale: rng.uniform(0.7, 1.5) },
  };
}

export interface MarketConfig {
  /** 'varied': draw the population from wide ranges per seed and symbol (default: the fixed default population). */
  population?: 'default' | 'varied';
  seed: number;
  venues: readonly Venue[];
  oiEventVenues: ReadonlySet<Venue>;
  oiEventIntervalMs: number;
  maxHistoryMinutes: number;
}

interface Crowd {
  side: PositionSide;
  until: number;
  intensity: number;
  venue: Venue | undefined;
}

interface VenueSim {
  venue: Venue;
  /** Share of the symbol's traders on this venue. */
  weight: number;
  book: PositionBook;
  baselineQty: number;
  premium: number;
  premiumEma: number;
  mark: number;
  bidSize: number;
  askSize: number;
  recorder: MinuteRecorder;
}

interface StepTrade {
  t: number;
  venue: VenueSim;
  price: number;
  qty: number;
  side: TakerSide;
}

export interface VenueQuote {
  venue: Venue;
  symbol: string;
  time: number;
  mark: number;
  index: number;
  /** Last traded price. */
  last: number;
  bid: number;
  bidSize: number;
  ask: number;
  askSize: number;
  fundingRateHourly: number;
  nextFundingTime: number;
  oiBase: number;
  oiUsd: number;
}

export class SymbolMarket {
  readonly process: PriceProcess;
  readonly venues: VenueSim[];
  private readonly rng: Rng;
  /** 1/tick and 1/qtyStep as integers (0 when the step is ≥ 1): dividing by them rounds exactly. */
  private readonly ticksPerUnit: number;
  private readonly qtyStepsPerUnit: number;
  private pendingLiquidationFlow = 0;
  private crowd: Crowd | undefined;
  private nextAutoCrowdAt: number;
  private readonly trades: StepTrade[] = [];
  private readonly liquidated: SimPosition[] = [];
  private lastTrade: number;
  readonly population: PopulationProfile;
  now: number;

  constructor(
    readonly spec: SymbolSpec,
    private readonly cfg: MarketConfig,
    salt: number,
    start: number,
  ) {
    this.rng = new Rng(cfg.seed, salt);
    // drawn from its own stream, so the default market's random sequence is unchanged
    this.population = cfg.population === 'varied' ? variedPopulation(new Rng(cfg.seed, (salt ^ 0x5eed5) >>> 0)) : DEFAULT_POPULATION;
    this.now = start;
    this.ticksPerUnit = spec.tick < 1 ? Math.round(1 / spec.tick) : 0;
    this.qtyStepsPerUnit = spec.qtyStep < 1 ? Math.round(1 / spec.qtyStep) : 0;
    this.process = new PriceProcess(spec, this.rng, start, this.population.regime);
    this.nextAutoCrowdAt = start + this.rng.exponential(25 * 60_000);
    const weightSum = cfg.venues.reduce((a, v) => a + VENUE_WEIGHT[v], 0);
    const p = spec.basePrice;
    this.lastTrade = p;
    this.venues = cfg.venues.map((venue) => ({
      venue,
      weight: VENUE_WEIGHT[venue] / weightSum,
      book: new PositionBook(),
      baselineQty: 0,
      premium: 0,
      premiumEma: 0,
      mark: p,
      bidSize: 0,
      askSize: 0,
      recorder: new MinuteRecorder(start, p, cfg.maxHistoryMinutes),
    }));
    for (const v of this.venues) {
      this.seedPopulation(v, start);
      v.baselineQty = Math.max(BASELINE_OI_MULTIPLE * v.book.totalQty, (spec.scale * 100) / p);
      this.refreshBookSizes(v);
    }
  }

  /** An equilibrium-sized population of positions opened over the past hours around the base price. */
  private seedPopulation(v: VenueSim, now: number): void {
    const p = this.spec.basePrice;
    const pop = this.population;
    const n = Math.round(OPEN_RATE_PER_SEC * pop.openRateScale * v.weight * pop.meanHoldSec * 0.7);
    const sigmaHour = 0.0054 * this.spec.vol;
    for (let k = 0; k < n; k++) {
      const side: PositionSide = this.rng.chance(0.5) ? 'long' : 'short';
      const entry = p * Math.exp(sigmaHour * Math.sqrt(2 * this.rng.next()) * this.rng.normal());
      const pos = this.newPosition(v.venue, side, entry, now - this.rng.next() * pop.meanHoldSec * 1000);
      if (side === 'long' ? pos.liq < p * 0.998 : pos.liq > p * 1.002) v.book.add(pos);
    }
  }

  private newPosition(venue: Venue, side: PositionSide, entry: number, openedAt: number): SimPosition {
    const wanted = this.population.leverages[this.rng.weighted(this.population.weights)]!;
    const notional = this.spec.scale * Math.min(SIZE_CAP, this.rng.pareto(SIZE_XM, SIZE_ALPHA));
    const qty = this.roundQty(notional / entry);
    const leverage = allowedLeverage(venue, qty * entry, wanted);
    return { side, entry, qty, leverage, liq: liquidationPrice(venue, side, entry, qty, leverage), openedAt };
  }

  roundPrice(price: number): number {
    return fromSteps(Math.round(price / this.spec.tick), this.spec.tick, this.ticksPerUnit);
  }

  roundQty(qty: number): number {
    return fromSteps(Math.max(1, Math.round(qty / this.spec.qtyStep)), this.spec.qtyStep, this.qtyStepsPerUnit);
  }

  private halfSpread(): number {
    const ticks = Math.max(1, Math.round((this.process.price * 2e-6 * this.spec.vol * this.process.volMultiplier) / this.spec.tick));
    return (ticks * this.spec.tick) / 2;
  }

  private bidAsk(v: VenueSim): { bid: number; ask: number } {
    const half = this.halfSpread();
    const bid = Math.max(this.spec.tick, this.roundPrice(v.mark - half));
    const ask = fromSteps(Math.round(bid / this.spec.tick) + Math.max(1, Math.round((2 * half) / this.spec.tick)), this.spec.tick, this.ticksPerUnit);
    return { bid, ask };
  }

  oiBase(v: VenueSim): number {
    return this.roundQty(v.baselineQty + v.book.totalQty);
  }

  venue(venue: Venue): VenueSim {
    const v = this.venues.find((x) => x.venue === venue);
    if (!v) throw new RangeError(`venue ${venue} is not simulated (venues: ${this.cfg.venues.join(', ')})`);
    return v;
  }

  crowdIn(side: PositionSide, now: number, overMs: number, intensity: number, venue: Venue | undefined): void {
    this.crowd = { side, until: now + overMs, intensity, venue };
  }

  fundingRateHourly(v: VenueSim): number {
    const eightHour = v.premiumEma + Math.max(-0.0005, Math.min(0.0005, 0.0001 - v.premiumEma));
    return Number((Math.max(-0.0075, Math.min(0.0075, eightHour)) / 8).toFixed(8));
  }

  quote(venue: Venue): VenueQuote {
    const v = this.venue(venue);
    const { bid, ask } = this.bidAsk(v);
    const oiBase = this.oiBase(v);
    return {
      venue,
      symbol: this.spec.symbol,
      time: this.now,
      mark: this.roundPrice(v.mark),
      index: this.roundPrice(this.process.price),
      last: this.roundPrice(this.lastTrade),
      bid,
      bidSize: v.bidSize,
      ask,
      askSize: v.askSize,
      fundingRateHourly: this.fundingRateHourly(v),
      nextFundingTime: nextFunding(this.now),
      oiBase,
      oiUsd: oiBase * v.mark,
    };
  }

  private refreshBookSizes(v: VenueSim): void {
    const typical = (this.spec.scale * 0.3) / this.process.price;
    const tilt = 0.35 * this.process.lean + (this.crowd && this.now < this.crowd.until ? (this.crowd.side === 'long' ? 0.3 : -0.3) : 0);
    v.bidSize = this.roundQty(typical * this.rng.logNormal(1, 0.7) * (1 + tilt));
    v.askSize = this.roundQty(typical * this.rng.logNormal(1, 0.7) * (1 - tilt));
  }

  /** Advances from t0 to t1 (integer ms, never crossing a minute boundary). */
  step(t0: number, t1: number, out: MarketEvent[] | null): void {
    const dt = t1 - t0;
    if (dt <= 0) return;
    const s = dt / 1000;
    const rng = this.rng;
    const spec = this.spec;
    const process = this.process;

    if (process.setting === 'auto' && t0 >= this.nextAutoCrowdAt) {
      const towardLong = 0.5 + 0.3 * process.lean;
      const minutes = rng.uniform(2, 6);
      this.crowd = { side: rng.chance(towardLong) ? 'long' : 'short', until: t0 + minutes * 60_000, intensity: rng.uniform(3, 6), venue: undefined };
      this.nextAutoCrowdAt = t0 + minutes * 60_000 + rng.exponential(25 * 60_000);
    }
    const regime = process.active;
    const bursting = regime === 'burst';
    const regimeOpenRate = regime === 'calm' ? 1.2 : regime === 'chop' ? 1 : bursting ? 1.6 : 1.3;
    const closeRate = bursting ? 2 : 1;
    const tradeRate = bursting ? 3 : 1;
    const lean = process.lean;
    const half = this.halfSpread();

    // 1. voluntary flow at the prices of the interval's start
    const trades = this.trades;
    trades.length = 0;
    let flowUsd = this.pendingLiquidationFlow;
    this.pendingLiquidationFlow = 0;
    for (const v of this.venues) {
      const crowd = this.crowd && t0 < this.crowd.until && (!this.crowd.venue || this.crowd.venue === v.venue) ? this.crowd : undefined;
      const pLong = crowd ? (crowd.side === 'long' ? 0.85 : 0.15) : 0.5 + 0.2 * lean;
      const opens = rng.poisson(OPEN_RATE_PER_SEC * this.population.openRateScale * v.weight * regimeOpenRate * (crowd ? crowd.intensity : 1) * s);
      for (let k = 0; k < opens; k++) {
        const side: PositionSide = rng.chance(pLong) ? 'long' : 'short';
        const entry = this.roundPrice(side === 'long' ? v.mark + half : v.mark - half);
        const pos = this.newPosition(v.venue, side, entry, t0);
        v.book.add(pos);
        trades.push({ t: t0 + rng.int(dt), venue: v, price: entry, qty: pos.qty, side: side === 'long' ? 'buy' : 'sell' });
        flowUsd += (side === 'long' ? 1 : -1) * pos.qty * entry;
      }
      const closes = rng.poisson((v.book.count * closeRate * s) / this.population.meanHoldSec);
      for (let k = 0; k < closes; k++) {
        const pos = v.book.closeRandom(rng);
        if (!pos) break;
        const price = this.roundPrice(pos.side === 'long' ? v.mark - half : v.mark + half);
        trades.push({ t: t0 + rng.int(dt), venue: v, price, qty: pos.qty, side: pos.side === 'long' ? 'sell' : 'buy' });
        flowUsd += (pos.side === 'long' ? -1 : 1) * pos.qty * price;
      }
      const background = rng.poisson(spec.tradesPerSec * v.weight * tradeRate * s);
      if (!out && background > 0) {
        // warm-up: nobody sees single trades, only bars; book the background flow as two prints
        const buys = Math.round(background * rng.uniform(0.3, 0.7));
        const typicalQty = (spec.scale * 0.05 * BACKGROUND_MEAN_FACTOR) / v.mark;
        if (buys > 0) trades.push({ t: t0 + rng.int(dt), venue: v, price: this.roundPrice(v.mark + half), qty: this.roundQty(buys * typicalQty), side: 'buy' });
        if (background > buys) trades.push({ t: t0 + rng.int(dt), venue: v, price: this.roundPrice(v.mark - half), qty: this.roundQty((background - buys) * typicalQty), side: 'sell' });
        continue;
      }
      for (let k = 0; k < background; k++) {
        const buy = rng.chance(0.5);
        const qty = this.roundQty(rng.logNormal(spec.scale * 0.05, 1) / v.mark);
        trades.push({ t: t0 + rng.int(dt), venue: v, price: this.roundPrice(buy ? v.mark + half : v.mark - half), qty, side: buy ? 'buy' : 'sell' });
      }
    }
    trades.sort((a, b) => a.t - b.t);
    for (const tr of trades) this.recordTrade(tr, out);

    // 2. the price moves: regime + impact of this interval's flow
    process.step(t0, t1, flowUsd);
    this.now = t1;
    const price = process.price;

    // 3. per venue: premium and mark, then liquidations of every position the mark crossed
    const liqTime = t1 - 1;
    for (const v of this.venues) {
      const totalEntry = v.book.longEntryNotional + v.book.shortEntryNotional;
      const crowding = totalEntry > 0 ? (v.book.longEntryNotional - v.book.shortEntryNotional) / totalEntry : 0;
      const target = 0.0003 * crowding + 0.0001 * lean;
      v.premium += (target - v.premium) * Math.min(1, s / 30) + 0.00002 * Math.sqrt(s) * rng.normal();
      v.premiumEma += (v.premium - v.premiumEma) * Math.min(1, s / 900);
      v.mark = price * (1 + v.premium);

      const dead = this.liquidated;
      dead.length = 0;
      v.book.takeLiquidated(v.mark, dead);
      if (dead.length > 0) {
        const { bid, ask } = this.bidAsk(v);
        for (const pos of dead) {
          const fill = pos.side === 'long' ? bid : ask;
          const notionalUsd = pos.qty * fill;
          this.pendingLiquidationFlow += (pos.side === 'long' ? -1 : 1) * notionalUsd * LIQUIDATION_IMPACT;
          out?.push({
            kind: 'liquidation',
            venue: v.venue,
            symbol: spec.symbol,
            exchTime: liqTime,
            recvTime: liqTime,
            side: pos.side,
            price: fill,
            qty: pos.qty,
            notionalUsd,
          });
          this.recordTrade({ t: liqTime, venue: v, price: fill, qty: pos.qty, side: pos.side === 'long' ? 'sell' : 'buy' }, out);
        }
      }
    }

    // 4. periodic snapshots at their boundaries inside (t0, t1]
    const bookDue = firstBoundaryAfter(t0, BOOK_EVERY_MS) <= t1;
    for (const v of this.venues) {
      if (bookDue) this.refreshBookSizes(v);
      if (out) this.emitSnapshots(v, t0, t1, out);
      if (t1 % MINUTE_MS === 0) v.recorder.closeIfDue(t1, this.oiBase(v));
    }
  }

  private recordTrade(tr: StepTrade, out: MarketEvent[] | null): void {
    tr.venue.recorder.addTrade(tr.t, tr.price, tr.qty, tr.side);
    this.lastTrade = tr.price;
    out?.push({
      kind: 'trade',
      venue: tr.venue.venue,
      symbol: this.spec.symbol,
      exchTime: tr.t,
      recvTime: tr.t,
      price: tr.price,
      qty: tr.qty,
      side: tr.side,
    });
  }

  private emitSnapshots(v: VenueSim, t0: number, t1: number, out: MarketEvent[]): void {
    const symbol = this.spec.symbol;
    const venue = v.venue;
    for (let t = firstBoundaryAfter(t0, MARK_EVERY_MS); t <= t1; t += MARK_EVERY_MS) {
      out.push({
        kind: 'mark',
        venue,
        symbol,
        exchTime: t,
        recvTime: t,
        mark: this.roundPrice(v.mark),
        index: this.roundPrice(this.process.price),
        fundingRateHourly: this.fundingRateHourly(v),
        nextFundingTime: nextFunding(t),
      });
    }
    for (let t = firstBoundaryAfter(t0, BOOK_EVERY_MS); t <= t1; t += BOOK_EVERY_MS) {
      const { bid, ask } = this.bidAsk(v);
      out.push({
        kind: 'book',
        venue,
        symbol,
        exchTime: t,
        recvTime: t,
        bid,
        bidSize: v.bidSize,
        ask,
        askSize: v.askSize,
        imbalance: (v.bidSize - v.askSize) / (v.bidSize + v.askSize),
      });
    }
    if (this.cfg.oiEventVenues.has(venue)) {
      for (let t = firstBoundaryAfter(t0, this.cfg.oiEventIntervalMs); t <= t1; t += this.cfg.oiEventIntervalMs) {
        const oiBase = this.oiBase(v);
        out.push({ kind: 'oi', venue, symbol, exchTime: t, recvTime: t, oiBase, oiUsd: oiBase * v.mark });
      }
    }
  }
}

/** steps × step, computed as steps / (1/step) for fractional steps so decimals come out exact (0.1 × 3 ≠ 0.3). */
function fromSteps(steps: number, step: number, perUnit: number): number {
  return perUnit > 0 ? steps / perUnit : steps * step;
}

function firstBoundaryAfter(t: number, every: number): number {
  return Math.floor(t / every) * every + every;
}

function nextFunding(t: number): number {
  return Math.floor(t / FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS + FUNDING_INTERVAL_MS;
}
