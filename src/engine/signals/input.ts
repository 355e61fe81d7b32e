import type { MarketState, VenueSymbolState } from '../../market/state.ts';
import type { FundingPoint } from '../../market/state.ts';
import type { LiquidationLog } from '../../market/liquidation-log.ts';
import type { Venue } from '../../market/types.ts';
import { TIMEFRAMES, type Timeframe, type ZoneSnapshot } from '../types.ts';
import { MINUTE, TIMEFRAME_SPECS } from './spec.ts';

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
  /** Running funding sums per venue, following the state's history as it grows and prunes. */
  funding: Map<Venue, FundingSums>;
  /** Closed hourly buckets per venue, valid while the key fields match. */
  hourly: Map<Venue, HourlyCache>;
  /** Liquidations per venue folded into minute buckets, so a cycle reads buckets, not events. */
  liq: Map<Venue, LiquidationMinutes>;
}

export function newInputMemory(): InputMemory {
  return {
    lastT: 0,
    book: { '1m': undefined, '5m': undefined, '1h': undefined },
    gap: { '1m': undefined, '5m': undefined, '1h': undefined },
    funding: new Map(),
    hourly: new Map(),
    liq: new Map(),
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

  // Bars: per venue and timeframe, only the tail each view needs.
  const series: VenueSeries[] = [];
  for (const vs of venueStates) series.push(scanBars(state, vs, t, views, memory));
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

  const liqBurst = scanLiquidations(venueStates, t, views, memory);
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

/** Per-bucket aggregates of one venue's bars for one timeframe (index 0 = oldest bucket of the view). */
interface VenueBuckets {
  close: number[];
  high: number[];
  low: number[];
  buy: number[];
  sell: number[];
  volume: number[];
  notional: number[];
}

function emptyBuckets(n: number): VenueBuckets {
  const z = () => new Array<number>(n).fill(0);
  return { close: z(), high: z(), low: z(), buy: z(), sell: z(), volume: z(), notional: z() };
}

function copyBuckets(b: VenueBuckets): VenueBuckets {
  return {
    close: b.close.slice(),
    high: b.high.slice(),
    low: b.low.slice(),
    buy: b.buy.slice(),
    sell: b.sell.slice(),
    volume: b.volume.slice(),
    notional: b.notional.slice(),
  };
}

interface HourlyCache {
  newestOpen: number;
  /** Bar events applied to the state (any symbol): a REST bar may have rewritten a closed hour. */
  barEvents: number;
  /** Open time of the venue's oldest bar: pruning at the front changes it. */
  firstBarT: number;
  closed: VenueBuckets;
}

/** A late trade can still land in a bar this long after its minute: closed buckets are cached only after that. */
const LATE_TRADE_MS = 5 * MINUTE;

function scanBars(state: MarketState, vs: VenueSymbolState, t: number, views: Record<Timeframe, TimeframeView>, memory: InputMemory): VenueSeries {
  const out: VenueSeries = {
    venue: vs.venue,
    volume: 0,
    close: { '1m': [], '5m': [], '1h': [] },
    high: { '1m': [], '5m': [], '1h': [] },
    low: { '1m': [], '5m': [], '1h': [] },
  };
  for (const tf of TIMEFRAMES) {
    const spec = TIMEFRAME_SPECS[tf];
    const b = tf === '1h' ? hourlyBuckets(state, vs, t, memory) : venueBuckets(vs, t, spec.bucketMs, spec.buckets);
    const view = views[tf];
    let flowBuy = 0;
    let flowSell = 0;
    let volume = 0;
    const recentStart = spec.buckets - spec.recent;
    for (let k = 0; k < spec.buckets; k++) {
      view.buy[k]! += b.buy[k]!;
      view.sell[k]! += b.sell[k]!;
      volume += b.volume[k]!;
      if (k >= recentStart) {
        view.notionalUsd += b.notional[k]!;
        flowBuy += b.buy[k]!;
        flowSell += b.sell[k]!;
      }
    }
    if (flowBuy + flowSell > 0) view.venueFlow[vs.venue] = { buy: flowBuy, sell: flowSell };
    out.close[tf] = b.close;
    out.high[tf] = b.high;
    out.low[tf] = b.low;
    // the longest view decides which venue is busiest
    if (tf === '1h') out.volume = volume;
  }
  return out;
}

function venueBuckets(vs: VenueSymbolState, t: number, bucketMs: number, buckets: number): VenueBuckets {
  const b = emptyBuckets(buckets);
  const newestOpen = Math.floor(t / bucketMs) * bucketMs;
  addBars(vs, t, bucketMs, buckets, newestOpen - (buckets - 1) * bucketMs, t + 1, b);
  return b;
}

/**
 * The 1h view spans 12 h of bars; its closed hours rarely change, so they are cached per venue
 * and only the forming hour is rescanned. Any bar event (REST bootstrap, kline) or pruning at the
 * front invalidates the cache.
 */
function hourlyBuckets(state: MarketState, vs: VenueSymbolState, t: number, memory: InputMemory): VenueBuckets {
  const { bucketMs, buckets } = TIMEFRAME_SPECS['1h'];
  const newestOpen = Math.floor(t / bucketMs) * bucketMs;
  const barEvents = state.counts.bar;
  const firstBarT = vs.bars[0]?.t ?? 0;
  const cached = memory.hourly.get(vs.venue);
  let b: VenueBuckets;
  if (cached && cached.newestOpen === newestOpen && cached.barEvents === barEvents && cached.firstBarT === firstBarT) {
    b = copyBuckets(cached.closed);
  } else {
    b = emptyBuckets(buckets);
    addBars(vs, t, bucketMs, buckets, newestOpen - (buckets - 1) * bucketMs, newestOpen, b);
    if (t - newestOpen >= LATE_TRADE_MS) memory.hourly.set(vs.venue, { newestOpen, barEvents, firstBarT, closed: copyBuckets(b) });
  }
  addBars(vs, t, bucketMs, buckets, newestOpen, t + 1, b);
  return b;
}

/** Adds the venue's bars with open time in [from, to) into the buckets (one backward pass over the tail). */
function addBars(vs: VenueSymbolState, t: number, bucketMs: number, buckets: number, from: number, to: number, out: VenueBuckets): void {
  const newestOpen = Math.floor(t / bucketMs) * bucketMs;
  const bars = vs.bars;
  const { close, high, low, buy, sell, volume, notional } = out;
  let k = buckets - 1;
  let bucketStart = newestOpen;
  for (let i = bars.length - 1; i >= 0; i--) {
    const b = bars[i]!;
    if (b.t < from) break;
    if (b.t >= to) continue;
    while (b.t < bucketStart) {
      k--;
      bucketStart -= bucketMs;
    }
    volume[k]! += b.volume;
    buy[k]! += b.buyVolume;
    sell[k]! += b.sellVolume;
    notional[k]! += b.notional;
    if (close[k] === 0) {
      // scanning backwards: the first bar met in a bucket is its latest
      close[k] = b.close;
      high[k] = b.high;
      low[k] = b.low;
    } else {
      if (b.high > high[k]!) high[k] = b.high;
      if (b.low < low[k]!) low[k] = b.low;
    }
  }
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

/** Liquidations are summed back to the start of the longest recent window; the cascade baseline is the rate over it. */
const LIQ_LOOKBACK_MS = Math.max(...TIMEFRAMES.map((tf) => TIMEFRAME_SPECS[tf].bucketMs * TIMEFRAME_SPECS[tf].recent));

/** One minute of a venue's liquidations: sums for whole-minute reads, the events for the partial minutes at window edges. */
interface LiquidationMinute {
  minute: number;
  longUsd: number;
  shortUsd: number;
  count: number;
  /** Sequence numbers (in the venue's liquidation log) of the events in this minute. */
  seqs: number[];
}

/** A venue's liquidations within the lookback, by minute (oldest first), and the newest event already folded in. */
interface LiquidationMinutes {
  minutes: LiquidationMinute[];
  /** The log folded from (identity) and the sequence number of the newest event folded in (−1: none). */
  log: LiquidationLog;
  lastSeq: number;
}

type LiqWindow = { longUsd: number; shortUsd: number; count: number };

/**
 * Sums liquidations over each timeframe's recent window, the last-minute burst and the cascade
 * baseline. Events are folded once into per-venue minute buckets kept in `memory`; a cycle reads
 * whole minutes from the sums and walks events only in the minutes cut by a window edge.
 */
function scanLiquidations(venueStates: VenueSymbolState[], t: number, views: Record<Timeframe, TimeframeView>, memory: InputMemory): CardInput['liqBurst'] {
  const burst = { longUsd: 0, shortUsd: 0, count: 0, baselinePerMinUsd: 0 };
  const w1 = views['1m'].liq;
  const w5 = views['5m'].liq;
  const w60 = views['1h'].liq;
  const from1 = recentOpen(t, '1m');
  const from5 = recentOpen(t, '5m');
  const from60 = recentOpen(t, '1h');
  const lookbackFrom = t - LIQ_LOOKBACK_MS;
  const cutoff = Math.min(from60, lookbackFrom);
  const burstFrom = t - MINUTE;
  const cutMinute = Math.floor(cutoff / MINUTE);
  const burstMinute = Math.floor(burstFrom / MINUTE);
  let total = 0;
  for (const vs of venueStates) {
    const minutes = foldLiquidations(vs, cutoff, cutMinute, memory);
    const log = vs.liquidations;
    for (const m of minutes) {
      if (m.minute === cutMinute || m.minute >= burstMinute) {
        // a window edge cuts this minute: decide per event
        for (const seq of m.seqs) {
          const i = seq - log.firstSeq;
          if (i < 0 || i >= log.length) continue;
          const time = log.time(i);
          if (time < cutoff || time > t) continue;
          const usd = log.usd(i);
          const isLong = log.isLong(i);
          if (time >= lookbackFrom) total += usd;
          if (time > burstFrom) addLiq(burst, isLong, usd);
          if (time >= from60) addLiq(w60, isLong, usd);
          if (time >= from5) addLiq(w5, isLong, usd);
          if (time >= from1) addLiq(w1, isLong, usd);
        }
        continue;
      }
      // the whole minute lies after the cutoff and before the burst; window starts are minute-aligned
      const start = m.minute * MINUTE;
      total += m.longUsd + m.shortUsd;
      if (start >= from60) addMinute(w60, m);
      if (start >= from5) addMinute(w5, m);
      if (start >= from1) addMinute(w1, m);
    }
  }
  burst.baselinePerMinUsd = total / (LIQ_LOOKBACK_MS / MINUTE);
  return burst;
}

/**
 * Brings a venue's minute buckets up to date: folds in events after the last one seen (found by
 * identity, so pruning at the front does not matter) and drops minutes before the cutoff. When the
 * venue's history does not reach back past the cutoff, retention may have cut into the window, so
 * the buckets are rebuilt from what the state still holds.
 */
function foldLiquidations(vs: VenueSymbolState, cutoff: number, cutMinute: number, memory: InputMemory): LiquidationMinute[] {
  const liqs = vs.liquidations;
  if (liqs.length === 0) {
    memory.liq.delete(vs.venue);
    return [];
  }
  let mem = memory.liq.get(vs.venue);
  if (!mem || mem.log !== liqs || liqs.time(0) >= cutoff) {
    mem = { minutes: [], log: liqs, lastSeq: -1 };
    memory.liq.set(vs.venue, mem);
  }
  const minutes = mem.minutes;
  for (let j = Math.max(0, mem.lastSeq + 1 - liqs.firstSeq); j < liqs.length; j++) {
    const time = liqs.time(j);
    const minute = Math.floor(time / MINUTE);
    if (minute < cutMinute) continue;
    let k = minutes.length - 1;
    while (k >= 0 && minutes[k]!.minute > minute) k--;
    let bucket = k >= 0 ? minutes[k]! : undefined;
    if (!bucket || bucket.minute !== minute) {
      bucket = { minute, longUsd: 0, shortUsd: 0, count: 0, seqs: [] };
      minutes.splice(k + 1, 0, bucket);
    }
    bucket.count++;
    if (liqs.isLong(j)) bucket.longUsd += liqs.usd(j);
    else bucket.shortUsd += liqs.usd(j);
    bucket.seqs.push(liqs.firstSeq + j);
  }
  mem.lastSeq = liqs.endSeq - 1;
  let expired = 0;
  while (expired < minutes.length && minutes[expired]!.minute < cutMinute) expired++;
  if (expired > 0) minutes.splice(0, expired);
  return minutes;
}

function addMinute(w: LiqWindow, m: LiquidationMinute): void {
  w.count += m.count;
  w.longUsd += m.longUsd;
  w.shortUsd += m.shortUsd;
}

function addLiq(w: LiqWindow, isLong: boolean, usd: number): void {
  w.count++;
  if (isLong) w.longUsd += usd;
  else w.shortUsd += usd;
}

/** Open time of the oldest bucket of a timeframe's recent window. */
function recentOpen(t: number, tf: Timeframe): number {
  const { bucketMs, recent } = TIMEFRAME_SPECS[tf];
  return Math.floor(t / bucketMs) * bucketMs - (recent - 1) * bucketMs;
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

/**
 * A venue's funding history mirrored as running sums. The state only appends and prunes from the
 * front, so new points are those after the last one folded (found by identity) and pruned points
 * are the oldest mirrored ones.
 */
interface FundingSums {
  /** The mirrored rates, a ring: `count` of them from slot `head` (capacity doubles when full, so it settles). */
  rates: Float64Array;
  head: number;
  count: number;
  last: FundingPoint | undefined;
  sum: number;
  sumSq: number;
  /** Additions and removals since the sums were last recomputed from scratch (bounds rounding drift). */
  updates: number;
}

/** Recompute the running funding sums after this many updates (one a minute per venue: about daily). */
const FUNDING_RESUM_EVERY = 1440;

function fundingView(venueStates: VenueSymbolState[], memory: InputMemory): FundingView | undefined {
  let rateSum = 0;
  let rateN = 0;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (const vs of venueStates) {
    if (vs.fundingRateHourly !== undefined && Number.isFinite(vs.fundingRateHourly)) {
      rateSum += vs.fundingRateHourly;
      rateN++;
    }
    const f = syncFunding(vs, memory);
    if (!f) continue;
    sum += f.sum;
    sumSq += f.sumSq;
    n += f.count;
  }
  if (rateN === 0) return undefined;
  const mean = n > 0 ? sum / n : 0;
  const std = n > 1 ? Math.sqrt(Math.max(0, sumSq / n - mean * mean)) : 0;
  return { rate: rateSum / rateN, mean, std, samples: n };
}

function syncFunding(vs: VenueSymbolState, memory: InputMemory): FundingSums | undefined {
  const h = vs.fundingHistory;
  if (h.length === 0) {
    memory.funding.delete(vs.venue);
    return undefined;
  }
  let f = memory.funding.get(vs.venue);
  if (!f) {
    f = { rates: new Float64Array(64), head: 0, count: 0, last: undefined, sum: 0, sumSq: 0, updates: 0 };
    memory.funding.set(vs.venue, f);
  }
  const newest = h[h.length - 1]!;
  if (newest !== f.last) {
    let i = h.length - 1;
    if (f.last !== undefined) while (i >= 0 && h[i] !== f.last) i--;
    else i = -1;
    if (i < 0) {
      // first sight, or everything mirrored has been pruned
      f.head = 0;
      f.count = 0;
      f.sum = 0;
      f.sumSq = 0;
    }
    for (let j = i + 1; j < h.length; j++) {
      const r = h[j]!.rate;
      pushRate(f, r);
      f.sum += r;
      f.sumSq += r * r;
      f.updates++;
    }
    f.last = newest;
  }
  const pruned = f.count - h.length;
  for (let k = 0; k < pruned; k++) {
    const r = f.rates[f.head]!;
    f.head = (f.head + 1) % f.rates.length;
    f.count--;
    f.sum -= r;
    f.sumSq -= r * r;
    f.updates++;
  }
  if (f.updates >= FUNDING_RESUM_EVERY) {
    let s = 0;
    let sq = 0;
    for (let k = 0; k < f.count; k++) {
      const r = f.rates[(f.head + k) % f.rates.length]!;
      s += r;
      sq += r * r;
    }
    f.sum = s;
    f.sumSq = sq;
    f.updates = 0;
  }
  return f;
}

/** Appends a rate to the ring, doubling it when full (a fixed buffer once the history is full: no sawtooth). */
function pushRate(f: FundingSums, r: number): void {
  if (f.count === f.rates.length) {
    const next = new Float64Array(f.rates.length * 2);
    for (let k = 0; k < f.count; k++) next[k] = f.rates[(f.head + k) % f.rates.length]!;
    f.rates = next;
    f.head = 0;
  }
  f.rates[(f.head + f.count) % f.rates.length] = r;
  f.count++;
}
