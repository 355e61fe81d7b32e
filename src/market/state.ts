import type { BarEvent, BookTopEvent, MarketEvent, Venue } from './types.ts';
import { LiquidationLog } from './liquidation-log.ts';
import { MarketValidator, type PriceValidation, type ValidationOptions, type ValidationSlot } from './validation.ts';

/** A 1-minute bar. Built live from trades; seeded from REST klines at start. */
export interface Bar {
  /** Open time, ms, aligned to the minute. */
  t: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base volume. */
  volume: number;
  /** Taker-buy and taker-sell base volume (split estimated as half/half when a REST bar lacks it). */
  buyVolume: number;
  sellVolume: number;
  /** Σ price × qty, for the VWAP. */
  notional: number;
}

export interface OiPoint {
  t: number;
  oiBase: number;
  oiUsd: number;
}

export interface FundingPoint {
  t: number;
  /** Hourly rate. */
  rate: number;
}

export interface BookTop {
  t: number;
  bid: number;
  bidSize: number;
  ask: number;
  askSize: number;
  imbalance: number;
}

/** Everything liqzone knows about one symbol on one venue. Mutated only by MarketState.apply. */
export interface VenueSymbolState {
  venue: Venue;
  symbol: string;
  mark?: number;
  index?: number;
  fundingRateHourly?: number;
  nextFundingTime?: number;
  /** Receive time of the latest mark update. */
  markTime?: number;
  oi?: OiPoint;
  /** Oldest first, at most one point per minute (its last value); bounded to `limits.historyMs`. */
  oiHistory: OiPoint[];
  /** Funding sampled at most once a minute, oldest first. */
  fundingHistory: FundingPoint[];
  /** 1-minute bars, oldest first, bounded to `limits.maxBars`. */
  bars: Bar[];
  book?: BookTop;
  /** Realized liquidations, oldest first, bounded to `limits.liquidationMs` (stored by column). */
  liquidations: LiquidationLog;
  lastTradePrice?: number;
  /** Receive time of the latest event of any kind. */
  lastEventTime: number;
  /** Exchange time of the latest event of any kind (the market clock in replay). */
  lastExchTime: number;
  /** The validator's bookkeeping for this venue and symbol (cached here so admitting an event needs no lookup). */
  validation?: ValidationSlot;
}

export interface MarketStateLimits {
  /** Bars kept per venue and symbol (default 1440 = 24 h). */
  maxBars: number;
  /** Open-interest and funding history kept, ms (default 48 h). */
  historyMs: number;
  /** Realized liquidations kept, ms (default 24 h). */
  liquidationMs: number;
}

const DEFAULT_LIMITS: MarketStateLimits = {
  maxBars: 1440,
  historyMs: 48 * 3_600_000,
  liquidationMs: 24 * 3_600_000,
};

const MINUTE = 60_000;

/**
 * Per-symbol, per-venue market state. One writer (the ingest path), many readers
 * (engine snapshots). Hot path: `apply` must stay allocation-light.
 */
export class MarketState {
  private readonly bySymbol = new Map<string, Map<Venue, VenueSymbolState>>();
  private readonly limits: MarketStateLimits;
  /** Incremented on every applied event, for cheap change detection. */
  version = 0;
  /** Count of events applied, per kind. */
  readonly counts: Record<MarketEvent['kind'], number> = { trade: 0, mark: 0, oi: 0, liquidation: 0, book: 0, bar: 0 };

  /** What may enter the state: venue quarantine, trade dedupe, future-timestamp clamp (see validation.ts). */
  readonly validator: MarketValidator;

  constructor(limits: Partial<MarketStateLimits> = {}, validation: Partial<ValidationOptions> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.validator = new MarketValidator(validation);
  }

  /** Applies an event the validator admits; returns false when it was held out (quarantine, duplicate). */
  apply(ev: MarketEvent): boolean {
    const s = this.venueState(ev.venue, ev.symbol);
    if (!this.validator.admit(ev, s)) return false;
    this.version++;
    this.counts[ev.kind]++;
    if (ev.recvTime > s.lastEventTime) s.lastEventTime = ev.recvTime;
    if (ev.exchTime > s.lastExchTime) s.lastExchTime = ev.exchTime;
    switch (ev.kind) {
      case 'trade':
        s.lastTradePrice = ev.price;
        addTrade(s.bars, ev.exchTime, ev.price, ev.qty, ev.side === 'buy', this.limits.maxBars);
        break;
      case 'mark':
        s.mark = ev.mark;
        s.markTime = ev.recvTime;
        if (ev.index !== undefined) s.index = ev.index;
        if (ev.nextFundingTime !== undefined) s.nextFundingTime = ev.nextFundingTime;
        if (ev.fundingRateHourly !== undefined) {
          s.fundingRateHourly = ev.fundingRateHourly;
          const last = s.fundingHistory[s.fundingHistory.length - 1];
          if (!last || ev.exchTime - last.t >= MINUTE) {
            s.fundingHistory.push({ t: ev.exchTime, rate: ev.fundingRateHourly });
            pruneByTime(s.fundingHistory, ev.exchTime - this.limits.historyMs);
          }
        }
        break;
      case 'oi': {
        const point = { t: ev.exchTime, oiBase: ev.oiBase, oiUsd: ev.oiUsd };
        if (!s.oi || point.t >= s.oi.t) s.oi = point;
        // History keeps the last value of each minute: Bybit pushes OI every few seconds, and 48 h
        // of every push would be ~60k points per pair for no gain (the engines read per interval).
        const last = s.oiHistory[s.oiHistory.length - 1];
        if (last && point.t >= last.t && Math.floor(last.t / MINUTE) === Math.floor(point.t / MINUTE)) {
          s.oiHistory[s.oiHistory.length - 1] = point;
        } else {
          insertByTime(s.oiHistory, point);
          pruneByTime(s.oiHistory, s.oi.t - this.limits.historyMs);
        }
        break;
      }
      case 'liquidation':
        s.liquidations.push(ev);
        s.liquidations.pruneBefore(ev.exchTime - this.limits.liquidationMs);
        break;
      case 'book':
        s.book = bookOf(ev);
        break;
      case 'bar':
        upsertBar(s.bars, ev, this.limits.maxBars);
        break;
    }
    return true;
  }

  /** Canonical symbols with any state. */
  symbols(): string[] {
    return [...this.bySymbol.keys()];
  }

  /** Venues in good standing for the symbol: a venue quarantined for it is left out (its state is frozen). */
  venues(symbol: string): VenueSymbolState[] {
    const m = this.bySymbol.get(symbol);
    if (!m) return [];
    const out: VenueSymbolState[] = [];
    for (const s of m.values()) if (!this.validator.isQuarantined(symbol, s.venue)) out.push(s);
    return out;
  }

  /** Every venue with state for the symbol, quarantined or not (for status). */
  allVenues(symbol: string): VenueSymbolState[] {
    const m = this.bySymbol.get(symbol);
    return m ? [...m.values()] : [];
  }

  /** The validated view of a symbol: reference price, contributing venues, quarantines. */
  validation(symbol: string): PriceValidation {
    return this.validator.view(symbol);
  }

  get(symbol: string, venue: Venue): VenueSymbolState | undefined {
    return this.bySymbol.get(symbol)?.get(venue);
  }

  /**
   * The validated reference price: median of the fresh marks, last trades and book mids of venues in
   * good standing (validation.ts); undefined before any price arrived.
   */
  price(symbol: string): number | undefined {
    return this.validator.reference(symbol);
  }

  /** Latest exchange time seen for a symbol across venues (the market clock). */
  lastTime(symbol: string): number | undefined {
    let t: number | undefined;
    for (const s of this.venues(symbol)) if (t === undefined || s.lastExchTime > t) t = s.lastExchTime;
    return t;
  }

  /**
   * 1-minute bars aggregated across venues: volumes summed, prices from the venue with the most
   * volume in that minute. Oldest first; `sinceMs` bounds the window.
   */
  aggregatedBars(symbol: string, sinceMs = 0): Bar[] {
    const byT = new Map<number, { bar: Bar; maxVol: number }>();
    for (const s of this.venues(symbol)) {
      for (let i = s.bars.length - 1; i >= 0; i--) {
        const b = s.bars[i]!;
        if (b.t < sinceMs) break;
        const cur = byT.get(b.t);
        if (!cur) {
          byT.set(b.t, { bar: { ...b }, maxVol: b.volume });
        } else {
          const a = cur.bar;
          if (b.volume > cur.maxVol) {
            a.open = b.open;
            a.high = b.high;
            a.low = b.low;
            a.close = b.close;
            cur.maxVol = b.volume;
          }
          a.volume += b.volume;
          a.buyVolume += b.buyVolume;
          a.sellVolume += b.sellVolume;
          a.notional += b.notional;
        }
      }
    }
    return [...byT.values()].map((x) => x.bar).sort((a, b) => a.t - b.t);
  }

  private venueState(venue: Venue, symbol: string): VenueSymbolState {
    let m = this.bySymbol.get(symbol);
    if (!m) {
      m = new Map();
      this.bySymbol.set(symbol, m);
    }
    let s = m.get(venue);
    if (!s) {
      s = {
        venue,
        symbol,
        oiHistory: [],
        fundingHistory: [],
        bars: [],
        liquidations: new LiquidationLog(venue, symbol),
        lastEventTime: 0,
        lastExchTime: 0,
        validation: undefined,
      };
      m.set(venue, s);
    }
    return s;
  }
}

function bookOf(ev: BookTopEvent): BookTop {
  return { t: ev.exchTime, bid: ev.bid, bidSize: ev.bidSize, ask: ev.ask, askSize: ev.askSize, imbalance: ev.imbalance };
}

function addTrade(bars: Bar[], time: number, price: number, qty: number, isBuy: boolean, maxBars: number): void {
  const t = time - (time % MINUTE);
  let bar = bars[bars.length - 1];
  if (!bar || bar.t < t) {
    bar = { t, open: price, high: price, low: price, close: price, volume: 0, buyVolume: 0, sellVolume: 0, notional: 0 };
    bars.push(bar);
    if (bars.length > maxBars) bars.splice(0, bars.length - maxBars);
  } else if (bar.t > t) {
    // late trade for an earlier minute: find its bar (rare; search the tail only)
    let found: Bar | undefined;
    for (let i = bars.length - 2; i >= 0 && i >= bars.length - 5; i--) {
      if (bars[i]!.t === t) {
        found = bars[i];
        break;
      }
    }
    if (!found) return;
    bar = found;
  } else {
    bar.close = price;
  }
  if (price > bar.high) bar.high = price;
  if (price < bar.low) bar.low = price;
  bar.volume += qty;
  bar.notional += price * qty;
  if (isBuy) bar.buyVolume += qty;
  else bar.sellVolume += qty;
}

function upsertBar(bars: Bar[], ev: BarEvent, maxBars: number): void {
  const buy = ev.takerBuyVolume ?? ev.volume / 2;
  const bar: Bar = {
    t: ev.openTime,
    open: ev.open,
    high: ev.high,
    low: ev.low,
    close: ev.close,
    volume: ev.volume,
    buyVolume: buy,
    sellVolume: Math.max(0, ev.volume - buy),
    notional: ((ev.high + ev.low + ev.close) / 3) * ev.volume,
  };
  // binary search for position
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid]!.t < bar.t) lo = mid + 1;
    else hi = mid;
  }
  const existing = bars[lo];
  if (existing && existing.t === bar.t) {
    // a live bar built from trades already covers this minute more precisely unless it is thinner
    if (existing.volume < bar.volume) bars[lo] = bar;
  } else {
    bars.splice(lo, 0, bar);
  }
  if (bars.length > maxBars) bars.splice(0, bars.length - maxBars);
}

function insertByTime(points: OiPoint[], p: OiPoint): void {
  const last = points[points.length - 1];
  if (!last || last.t < p.t) {
    points.push(p);
    return;
  }
  let i = points.length - 1;
  while (i >= 0 && points[i]!.t > p.t) i--;
  if (i >= 0 && points[i]!.t === p.t) points[i] = p;
  else points.splice(i + 1, 0, p);
}

function pruneByTime<T>(arr: T[], cutoff: number, timeOf: (x: T) => number = (x) => (x as { t: number }).t): void {
  let n = 0;
  while (n < arr.length && timeOf(arr[n]!) < cutoff) n++;
  if (n > 0) arr.splice(0, n);
}
