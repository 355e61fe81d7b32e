import type { MarketState, VenueSymbolState } from '../../market/state.ts';
import type { Venue } from '../../market/types.ts';
import { TIMEFRAMES, type Timeframe, type ZoneSnapshot } from '../types.ts';
import { MAX_LOOKBACK_MS, MINUTE, TIMEFRAME_SPECS } from './spec.ts';

/** Taker volume of one side pair, base units. */
export interface Flow {
  buy: number;
  sell: number;
}

/** One timeframe's view of a symbol: bucketed bars (oldest first, the last bucket still forming) and window sums. */
export interface TimeframeView {
  tf: Timeframe;
  bucketMs: number;
  /** Bucket open times. */
  t: number[];
  /** Price series from the symbol's primary venue (the one with most volume); empty buckets carry the last close. */
  close: number[];
  high: number[];
  low: number[];
  /** Taker volumes summed across venues. */
  buy: number[];
  sell: number[];
  /** Buckets that held at least one bar. */
  filled: number;
  /** Root mean square of bucket-to-bucket returns over the view (fraction; 0 when unknown): the typical move per bucket. */
  returnRms: number;
  /** Price change over the recent window, fraction (undefined without enough buckets). */
  priceChange: number | undefined;
  /** Open-interest change in coins over the recent window, fraction, over venues with data at both ends. */
  oiChange: number | undefined;
  /** Realized liquidations over the recent window (a lower bound: Binance only samples). */
  liq: { longUsd: number; shortUsd: number; count: number };
  /** Traded notional over the recent window, USD. */
  notionalUsd: number;
  /** Taker flow per venue over the recent window. */
  venueFlow: Partial<Record<Venue, Flow>>;
  /** Top-of-book imbalance smoothed over the timeframe (−1…+1; positive = bids heavier). */
  bookImbalance: number | undefined;
  /** Binance − Bybit mark gap in bp: now, and its smoothed mean and deviation over the timeframe. */
  markGap: { now: number; mean: number; std: number; samples: number } | undefined;
}

export interface FundingView {
  /** Current hourly rate, mean across venues. */
  rate: number;
  /** The symbol's own history (all venues pooled). */
  mean: number;
  std: number;
  samples: number;
}

/** Everything a card may read: built once per symbol per cycle. */
export interface CardInput {
  symbol: string;
  /** Market clock (latest exchange time of the symbol), ms. */
  t: number;
  price: number;
  venues: Venue[];
  tf: Record<Timeframe, TimeframeView>;
  zones: ZoneSnapshot | undefined;
  funding: FundingView | undefined;
  /** Liquidations of the last minute against the per-minute rate over the longest lookback: cascade detection. */
  liqBurst: { longUsd: number; shortUsd: number; count: number; baselinePerMinUsd: number };
}

/**
 * What the builder remembers per symbol between cycles: smoothed book imbalance and mark gap
 * (instantaneous readings are too noisy alone), and cached funding statistics.
 */
export interface InputMemory {
  lastT: number;
  book: Record<Timeframe, number | undefined>;
  gap: Record<Timeframe, { mean: number; variance: number; samples: number } | undefined>;
  funding: { key: string; stats: { mean: number; std: number; samples: number } } | undefined;
}

export function newInputMemory(): InputMemory {
  return {
    lastT: 0,
    book: { '1m': undefined, '5m': undefined, '1h': undefined },
    gap: { '1m': undefined, '5m': undefined, '1h': undefined },
    funding: undefined,
  };
}

/** A book older than this (market clock) is ignored. */
const BOOK_MAX_AGE_MS = 60_000;
/** A mark older than this is ignored for the cross-venue gap. */
const MARK_MAX_AGE_MS = 30_000;

interface VenueSeries {
  venue: Venue;
  volume: number;
  close: Record<Timeframe, number[]>;
  high: Record<Timeframe, number[]>;
  low: Record<Timeframe, number[]>;
}

/**
 * Builds the card input for one symbol from the market state and the zone snapshot, reading only
 * the tail of each history (bounded by the longest timeframe lookback). Updates `memory`.
 * Returns undefined when the symbol has no price yet.
 */
export function buildCardInput(
  state: MarketState,
  zones: ZoneSnapshot | undefined,
  symbol: string,
  memory: InputMemory,
): CardInput | undefined {
  const venueStates = state.venues(symbol);
  const t = state.lastTime(symbol);
  if (venueStates.length === 0 || t === undefined || t <= 0) return undefined;

  const views = {} as Record<Timeframe, TimeframeView>;
  for (const tf of TIMEFRAMES) views[tf] = emptyView(tf);

  // Bars: one backward pass per venue, bucketed into every timeframe at once.
  const series: VenueSeries[] = [];
  const cutoff = t - MAX_LOOKBACK_MS;
  for (const vs of venueStates) series.push(scanBars(vs, t, cutoff, views));
  let primary: VenueSeries | undefined;
  for (const s of series) if (s.volume > 0 && (!primary || s.volume > primary.volume)) primary = s;
  primary ??= series.find((s) => s.close['1m'].some((c) => c > 0));

  for (const tf of TIMEFRAMES) {
    const v = views[tf];
    const spec = TIMEFRAME_SPECS[tf];
    if (primary) fillPrices(v, primary, tf, t);
    else {
      v.buy = [];
      v.sell = [];
    }
    const n = v.close.length;
    if (n > spec.recent && v.close[n - 1 - spec.recent]! > 0) v.priceChange = v.close[n - 1]! / v.close[n - 1 - spec.recent]! - 1;
    v.oiChange = oiChange(venueStates, t, spec.bucketMs * spec.recent);
  }

  const lastClose = primary ? views['1m'].close[views['1m'].close.length - 1] : undefined;
  const price = state.price(symbol) ?? lastClose;
  if (price === undefined || !(price > 0)) return undefined;

  const liqBurst = scanLiquidations(venueStates, t, views);
  updateMemory(memory, venueStates, t, views);

  return {
    symbol,
    t,
    price,
    venues: venueStates.map((s) => s.venue),
    tf: views,
    zones,
    funding: fundingView(venueStates, memory),
    liqBurst,
  };
}

function emptyView(tf: Timeframe): TimeframeView {
  const { bucketMs, buckets } = TIMEFRAME_SPECS[tf];
  return {
    tf,
    bucketMs,
    t: [],
    close: [],
    high: [],
    low: [],
    buy: new Array<number>(buckets).fill(0),
    sell: new Array<number>(buckets).fill(0),
    filled: 0,
    returnRms: 0,
    priceChange: undefined,
    oiChange: undefined,
    liq: { longUsd: 0, shortUsd: 0, count: 0 },
    notionalUsd: 0,
    venueFlow: {},
    bookImbalance: undefined,
    markGap: undefined,
  };
}

/** Index of the bucket (0 = oldest of the view) holding time `time`, or −1 when outside. */
function bucketIndex(time: number, t: number, tf: Timeframe): number {
  const { bucketMs, buckets } = TIMEFRAME_SPECS[tf];
  const back = Math.floor(t / bucketMs) - Math.floor(time / bucketMs);
  return back >= 0 && back < buckets ? buckets - 1 - back : -1;
}

function scanBars(vs: VenueSymbolState, t: number, cutoff: number, views: Record<Timeframe, TimeframeView>): VenueSeries {
  const out: VenueSeries = {
    venue: vs.venue,
    volume: 0,
    close: { '1m': [], '5m': [], '1h': [] },
    high: { '1m': [], '5m': [], '1h': [] },
    low: { '1m': [], '5m': [], '1h': [] },
  };
  for (const tf of TIMEFRAMES) {
    const n = TIMEFRAME_SPECS[tf].buckets;
    out.close[tf] = new Array<number>(n).fill(0);
    out.high[tf] = new Array<number>(n).fill(0);
    out.low[tf] = new Array<number>(n).fill(0);
  }
  const bars = vs.bars;
  for (let i = bars.length - 1; i >= 0; i--) {
    const b = bars[i]!;
    if (b.t < cutoff) break;
    if (b.t > t) continue;
    out.volume += b.volume;
    for (const tf of TIMEFRAMES) {
      const k = bucketIndex(b.t, t, tf);
      if (k < 0) continue;
      const view = views[tf];
      view.buy[k]! += b.buyVolume;
      view.sell[k]! += b.sellVolume;
      if (out.close[tf][k] === 0) {
        // scanning backwards: the first bar met in a bucket is its latest
        out.close[tf][k] = b.close;
        out.high[tf][k] = b.high;
        out.low[tf][k] = b.low;
      } else {
        if (b.high > out.high[tf][k]!) out.high[tf][k] = b.high;
        if (b.low < out.low[tf][k]!) out.low[tf][k] = b.low;
      }
      const recentStart = TIMEFRAME_SPECS[tf].buckets - TIMEFRAME_SPECS[tf].recent;
      if (k >= recentStart) {
        view.notionalUsd += b.notional;
        const f = (view.venueFlow[vs.venue] ??= { buy: 0, sell: 0 });
        f.buy += b.buyVolume;
        f.sell += b.sellVolume;
      }
    }
  }
  return out;
}

function fillPrices(v: TimeframeView, primary: VenueSeries, tf: Timeframe, t: number): void {
  const { bucketMs, buckets } = TIMEFRAME_SPECS[tf];
  const close = primary.close[tf];
  // drop leading empty buckets: the view starts where the data starts
  let first = 0;
  while (first < buckets && close[first] === 0) first++;
  const newestOpen = Math.floor(t / bucketMs) * bucketMs;
  let last = close[first] ?? 0;
  let filled = 0;
  for (let k = first; k < buckets; k++) {
    const c = close[k]!;
    v.t.push(newestOpen - (buckets - 1 - k) * bucketMs);
    if (c > 0) {
      filled++;
      last = c;
      v.close.push(c);
      v.high.push(primary.high[tf][k]!);
      v.low.push(primary.low[tf][k]!);
    } else {
      v.close.push(last);
      v.high.push(last);
      v.low.push(last);
    }
  }
  v.filled = filled;
  v.returnRms = returnRms(v.close);
  v.buy = v.buy.slice(first);
  v.sell = v.sell.slice(first);
}

function returnRms(close: number[]): number {
  let sumSq = 0;
  let n = 0;
  for (let i = 1; i < close.length; i++) {
    const r = close[i]! / close[i - 1]! - 1;
    sumSq += r * r;
    n++;
  }
  return n < 2 ? 0 : Math.sqrt(sumSq / n);
}

function oiChange(venueStates: VenueSymbolState[], t: number, spanMs: number): number | undefined {
  let now = 0;
  let past = 0;
  const target = t - spanMs;
  for (const vs of venueStates) {
    const h = vs.oiHistory;
    const latest = h[h.length - 1];
    if (!latest || t - latest.t > spanMs) continue;
    // latest point at or before the target, not older than one more span
    let lo = 0;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (h[mid]!.t <= target) lo = mid + 1;
      else hi = mid;
    }
    const p = h[lo - 1];
    if (!p || target - p.t > spanMs || p.oiBase <= 0) continue;
    now += latest.oiBase;
    past += p.oiBase;
  }
  return past > 0 ? now / past - 1 : undefined;
}

function scanLiquidations(venueStates: VenueSymbolState[], t: number, views: Record<Timeframe, TimeframeView>): CardInput['liqBurst'] {
  const burst = { longUsd: 0, shortUsd: 0, count: 0, baselinePerMinUsd: 0 };
  const cutoff = t - MAX_LOOKBACK_MS;
  let total = 0;
  for (const vs of venueStates) {
    const liqs = vs.liquidations;
    for (let i = liqs.length - 1; i >= 0; i--) {
      const l = liqs[i]!;
      if (l.exchTime < cutoff) break;
      if (l.exchTime > t) continue;
      total += l.notionalUsd;
      const isLong = l.side === 'long';
      if (t - l.exchTime < MINUTE) {
        burst.count++;
        if (isLong) burst.longUsd += l.notionalUsd;
        else burst.shortUsd += l.notionalUsd;
      }
      for (const tf of TIMEFRAMES) {
        const spec = TIMEFRAME_SPECS[tf];
        const k = bucketIndex(l.exchTime, t, tf);
        if (k < spec.buckets - spec.recent) continue;
        const w = views[tf].liq;
        w.count++;
        if (isLong) w.longUsd += l.notionalUsd;
        else w.shortUsd += l.notionalUsd;
      }
    }
  }
  burst.baselinePerMinUsd = total / (MAX_LOOKBACK_MS / MINUTE);
  return burst;
}

function updateMemory(memory: InputMemory, venueStates: VenueSymbolState[], t: number, views: Record<Timeframe, TimeframeView>): void {
  const dt = memory.lastT > 0 ? Math.max(0, t - memory.lastT) : 0;
  memory.lastT = Math.max(memory.lastT, t);

  let imbSum = 0;
  let imbN = 0;
  for (const vs of venueStates) {
    if (vs.book && t - vs.book.t <= BOOK_MAX_AGE_MS && Number.isFinite(vs.book.imbalance)) {
      imbSum += vs.book.imbalance;
      imbN++;
    }
  }
  const imbalance = imbN > 0 ? imbSum / imbN : undefined;

  const bn = venueStates.find((s) => s.venue === 'binance');
  const by = venueStates.find((s) => s.venue === 'bybit');
  let gap: number | undefined;
  if (bn?.mark && by?.mark && fresh(bn, t) && fresh(by, t)) {
    gap = ((bn.mark - by.mark) / ((bn.mark + by.mark) / 2)) * 1e4;
  }

  for (const tf of TIMEFRAMES) {
    const spec = TIMEFRAME_SPECS[tf];
    if (imbalance !== undefined) {
      const prev = memory.book[tf];
      memory.book[tf] = prev === undefined || dt === 0 ? (prev ?? imbalance) : prev + alpha(dt, spec.bucketMs) * (imbalance - prev);
    }
    views[tf].bookImbalance = imbalance === undefined ? undefined : memory.book[tf];

    if (gap !== undefined) {
      const g = memory.gap[tf];
      if (!g) memory.gap[tf] = { mean: gap, variance: 0, samples: 1 };
      else if (dt > 0) {
        // the baseline spans the whole view, so a fresh divergence stands out against it
        const a = alpha(dt, spec.bucketMs * spec.buckets);
        const d = gap - g.mean;
        g.mean += a * d;
        g.variance = (1 - a) * (g.variance + a * d * d);
        g.samples++;
      }
      const s = memory.gap[tf]!;
      views[tf].markGap = { now: gap, mean: s.mean, std: Math.sqrt(s.variance), samples: s.samples };
    }
  }
}

/** The venue is alive at the market clock, so its mark is current. */
function fresh(vs: VenueSymbolState, t: number): boolean {
  return t - vs.lastExchTime <= MARK_MAX_AGE_MS;
}

function alpha(dt: number, tau: number): number {
  return 1 - Math.exp(-dt / tau);
}

function fundingView(venueStates: VenueSymbolState[], memory: InputMemory): FundingView | undefined {
  let rateSum = 0;
  let rateN = 0;
  let key = '';
  for (const vs of venueStates) {
    if (vs.fundingRateHourly !== undefined && Number.isFinite(vs.fundingRateHourly)) {
      rateSum += vs.fundingRateHourly;
      rateN++;
    }
    const h = vs.fundingHistory;
    key += `${vs.venue}:${h.length}:${h[h.length - 1]?.t ?? 0};`;
  }
  if (rateN === 0) return undefined;
  if (memory.funding?.key !== key) {
    // history changes at most once a minute per venue: recompute only then
    let sum = 0;
    let sumSq = 0;
    let n = 0;
    for (const vs of venueStates) {
      for (const p of vs.fundingHistory) {
        sum += p.rate;
        sumSq += p.rate * p.rate;
        n++;
      }
    }
    const mean = n > 0 ? sum / n : 0;
    const std = n > 1 ? Math.sqrt(Math.max(0, sumSq / n - mean * mean)) : 0;
    memory.funding = { key, stats: { mean, std, samples: n } };
  }
  return { rate: rateSum / rateN, ...memory.funding.stats };
}
