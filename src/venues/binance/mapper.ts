/**
 * Binance USD-M stream frames → MarketEvents. Pure apart from a venue-symbol lookup cache; never throws.
 * Returns events for data, `[]` for acks, errors, untracked or filtered frames (COIN-M `st:2`),
 * and `null` for a malformed frame (the caller counts those).
 */
import type { SymbolRegistry, VenueInstrument } from '../../market/symbols.ts';
import type { BarEvent, BookTopEvent, LiquidationEvent, MarkEvent, MarketEvent, TradeEvent } from '../../market/types.ts';

export type JsonRecord = Record<string, unknown>;

export function isRecord(x: unknown): x is JsonRecord {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Venue numerics arrive as strings (sometimes numbers); anything else, or an empty string, is NaN. */
export function toNumber(x: unknown): number {
  if (typeof x === 'string') return x.length > 0 ? +x : NaN;
  if (typeof x === 'number') return x;
  return NaN;
}

/** A millisecond timestamp as a number or a numeric string; NaN otherwise. */
export function toTime(x: unknown): number {
  const t = toNumber(x);
  return t >= 0 && t < MAX_NUMERIC ? t : NaN;
}

/** The first usable timestamp of two (trade/transaction time, else event time). */
function timeOr(preferred: unknown, fallback: unknown): number {
  const t = toTime(preferred);
  return t === t ? t : toTime(fallback);
}

export const DEFAULT_FUNDING_INTERVAL_HOURS = 8;

/**
 * Larger magnitudes are not market data (no price, size or open interest comes near it), and
 * rejecting them keeps every product a mapper forms (notional, OI in USD) finite.
 */
export const MAX_NUMERIC = 1e18;

/** COIN-M payloads share `!forceOrder@arr` and `!markPrice@arr` since the 2026 migration. */
const COIN_M = 2;
const PARTIAL_DEPTH_STREAM = /@depth(5|10|20)(@|$)/;

export interface BinanceMapper {
  map(msg: unknown, recvTime: number): MarketEvent[] | null;
}

export function createBinanceMapper(reg: SymbolRegistry): BinanceMapper {
  // Frames carry the upper-case venue name; cache lookups so the hot path does no string work.
  const cache = new Map<string, VenueInstrument | null>();
  const lookup = (s: string): VenueInstrument | null => {
    let inst = cache.get(s);
    if (inst === undefined) {
      inst = reg.byVenueSymbol('binance', s) ?? null;
      if (cache.size < 10_000) cache.set(s, inst);
    }
    return inst;
  };

  function mapOne(p: JsonRecord, stream: string | undefined, recvTime: number): MarketEvent[] | null {
    switch (p.e) {
      case 'aggTrade':
        return mapAggTrade(p, recvTime);
      case 'markPriceUpdate':
        return mapMarkPrice(p, recvTime);
      case 'forceOrder':
        return mapForceOrder(p, recvTime);
      case 'bookTicker':
        return mapBookTicker(p, recvTime);
      case 'depthUpdate':
        return mapDepth(p, stream, recvTime);
      case 'kline':
        return mapKline(p, recvTime);
      case undefined:
        // {"result":null,"id":1} acks and {"code":2,"msg":…} errors are control replies, not data
        if ('id' in p && ('result' in p || 'code' in p)) return [];
        if ('code' in p && 'msg' in p) return [];
        return null;
      default:
        return typeof p.e === 'string' ? [] : null;
    }
  }

  function mapAggTrade(p: JsonRecord, recvTime: number): MarketEvent[] | null {
    if (p.st === COIN_M) return [];
    const s = p.s;
    if (typeof s !== 'string') return null;
    const inst = lookup(s);
    if (inst === null) return [];
    const price = toNumber(p.p);
    const qty = toNumber(p.q);
    const time = timeOr(p.T, p.E);
    const m = p.m;
    if (price !== price || qty !== qty || time !== time || typeof m !== 'boolean' || price >= MAX_NUMERIC || qty >= MAX_NUMERIC) return null;
    if (!(price > 0) || !(qty > 0)) return []; // zero-size prints carry no volume
    const mult = inst.multiplier;
    const ev: TradeEvent = {
      kind: 'trade',
      venue: 'binance',
      symbol: inst.symbol,
      exchTime: time,
      recvTime,
      price: price / mult,
      qty: qty * mult,
      side: m ? 'sell' : 'buy',
    };
    if (typeof p.a === 'number') ev.id = p.a;
    return [ev];
  }

  function mapMarkPrice(p: JsonRecord, recvTime: number): MarketEvent[] | null {
    if (p.st === COIN_M) return [];
    if (typeof p.s !== 'string') return null;
    const inst = lookup(p.s);
    if (inst === null) return [];
    const mark = toNumber(p.p);
    const time = toTime(p.E);
    if (!(mark > 0 && mark < MAX_NUMERIC) || time !== time) return null;
    const mult = inst.multiplier;
    const index = toNumber(p.i);
    const rate = toNumber(p.r);
    const next = toTime(p.T);
    const ev: MarkEvent = {
      kind: 'mark',
      venue: 'binance',
      symbol: inst.symbol,
      exchTime: time,
      recvTime,
      mark: mark / mult,
      index: index > 0 && index < MAX_NUMERIC ? index / mult : undefined,
      fundingRateHourly: Number.isFinite(rate) ? rate / (inst.fundingIntervalHours ?? DEFAULT_FUNDING_INTERVAL_HOURS) : undefined,
      nextFundingTime: next > 0 ? next : undefined,
    };
    return [ev];
  }

  function mapForceOrder(p: JsonRecord, recvTime: number): MarketEvent[] | null {
    if (p.st === COIN_M) return [];
    const o = p.o;
    if (!isRecord(o) || typeof o.s !== 'string') return null;
    const inst = lookup(o.s);
    if (inst === null) return [];
    // S is the side of the forced order: a SELL closes a long.
    const side = o.S === 'SELL' ? 'long' : o.S === 'BUY' ? 'short' : undefined;
    const avg = toNumber(o.ap);
    const limit = toNumber(o.p);
    const price = avg > 0 ? avg : limit;
    const filled = toNumber(o.z);
    const ordered = toNumber(o.q);
    const qty = filled > 0 ? filled : ordered;
    const time = timeOr(o.T, p.E);
    if (side === undefined || !(price > 0 && price < MAX_NUMERIC) || !(qty > 0 && qty < MAX_NUMERIC) || time !== time) return null;
    const mult = inst.multiplier;
    const coinPrice = price / mult;
    const coinQty = qty * mult;
    const ev: LiquidationEvent = {
      kind: 'liquidation',
      venue: 'binance',
      symbol: inst.symbol,
      exchTime: time,
      recvTime,
      side,
      price: coinPrice,
      qty: coinQty,
      notionalUsd: price * qty,
    };
    return [ev];
  }

  function mapBookTicker(p: JsonRecord, recvTime: number): MarketEvent[] | null {
    if (p.st === COIN_M) return [];
    if (typeof p.s !== 'string') return null;
    const inst = lookup(p.s);
    if (inst === null) return [];
    const time = timeOr(p.T, p.E);
    return bookTop(inst, time, toNumber(p.b), toNumber(p.B), toNumber(p.a), toNumber(p.A), recvTime);
  }

  function mapDepth(p: JsonRecord, stream: string | undefined, recvTime: number): MarketEvent[] | null {
    // A diff-depth update lists changed levels, not the top of book: only partial-depth snapshots map.
    if (stream !== undefined && !PARTIAL_DEPTH_STREAM.test(stream)) return [];
    if (p.st === COIN_M) return [];
    if (typeof p.s !== 'string' || !Array.isArray(p.b) || !Array.isArray(p.a)) return null;
    const inst = lookup(p.s);
    if (inst === null) return [];
    const bid = bestLevel(p.b, true);
    const ask = bestLevel(p.a, false);
    if (bid === null || ask === null) return null;
    if (bid[1] === 0 || ask[1] === 0) return [];
    const time = timeOr(p.T, p.E);
    return bookTop(inst, time, bid[0], bid[1], ask[0], ask[1], recvTime);
  }

  function mapKline(p: JsonRecord, recvTime: number): MarketEvent[] | null {
    const k = p.k;
    if (!isRecord(k)) return null;
    if (p.st === COIN_M) return [];
    const s = typeof p.s === 'string' ? p.s : k.s;
    if (typeof s !== 'string') return null;
    const inst = lookup(s);
    if (inst === null) return [];
    if (k.i !== '1m' || k.x !== true) return [];
    const bar = barOf('binance', inst, toTime(k.t), toNumber(k.o), toNumber(k.h), toNumber(k.l), toNumber(k.c), toNumber(k.v), toNumber(k.V), recvTime);
    return bar ? [bar] : null;
  }

  return {
    map(msg: unknown, recvTime: number): MarketEvent[] | null {
      try {
        let payload: unknown = msg;
        let stream: string | undefined;
        if (isRecord(msg) && typeof msg.stream === 'string' && 'data' in msg) {
          stream = msg.stream;
          payload = msg.data;
        }
        if (isRecord(payload)) return mapOne(payload, stream, recvTime);
        if (Array.isArray(payload)) return mapArray(payload, stream, recvTime);
        return null;
      } catch {
        // a getter-laden or otherwise hostile object: count it as malformed rather than crash ingest
        return null;
      }
    },
  };

  /** `!markPrice@arr` payloads are arrays; a bad element is dropped, an all-bad array is malformed. */
  function mapArray(items: unknown[], stream: string | undefined, recvTime: number): MarketEvent[] | null {
    const out: MarketEvent[] = [];
    let bad = 0;
    for (const item of items) {
      const evs = isRecord(item) ? mapOne(item, stream, recvTime) : null;
      if (evs === null) bad++;
      else for (const ev of evs) out.push(ev);
    }
    return bad > 0 && bad === items.length ? null : out;
  }
}

function bookTop(inst: VenueInstrument, time: number, bid: number, bidSize: number, ask: number, askSize: number, recvTime: number): MarketEvent[] | null {
  if (time !== time || !(bid > 0 && bid < MAX_NUMERIC) || !(ask > 0 && ask < MAX_NUMERIC)) return null;
  if (!(bidSize >= 0 && bidSize < MAX_NUMERIC) || !(askSize >= 0 && askSize < MAX_NUMERIC)) return null;
  const mult = inst.multiplier;
  const total = bidSize + askSize;
  const ev: BookTopEvent = {
    kind: 'book',
    venue: inst.venue,
    symbol: inst.symbol,
    exchTime: time,
    recvTime,
    bid: bid / mult,
    bidSize: bidSize * mult,
    ask: ask / mult,
    askSize: askSize * mult,
    imbalance: total > 0 ? (bidSize - askSize) / total : 0,
  };
  return [ev];
}

/** Best (highest bid / lowest ask) non-empty level as [price, size]; [0, 0] when the side is empty; null when malformed. */
function bestLevel(levels: unknown[], highest: boolean): [number, number] | null {
  let bestPrice = highest ? -Infinity : Infinity;
  let bestSize = 0;
  for (const level of levels) {
    if (!Array.isArray(level) || level.length < 2) return null;
    const price = toNumber(level[0]);
    const size = toNumber(level[1]);
    if (!(price > 0 && price < MAX_NUMERIC) || !(size >= 0 && size < MAX_NUMERIC)) return null;
    if (size > 0 && (highest ? price > bestPrice : price < bestPrice)) {
      bestPrice = price;
      bestSize = size;
    }
  }
  return bestSize > 0 ? [bestPrice, bestSize] : [0, 0];
}

const MINUTE = 60_000;

/** A closed 1-minute bar in coin units; null when any field is not a usable number. Shared with the REST mappers. */
export function barOf(
  venue: BarEvent['venue'],
  inst: VenueInstrument,
  openTime: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
  takerBuyVolume: number,
  recvTime: number,
): BarEvent | null {
  const prices = [open, high, low, close];
  if (openTime !== openTime || prices.some((x) => !(x > 0 && x < MAX_NUMERIC)) || !(volume >= 0 && volume < MAX_NUMERIC)) return null;
  const mult = inst.multiplier;
  const bar: BarEvent = {
    kind: 'bar',
    venue,
    symbol: inst.symbol,
    exchTime: openTime + MINUTE - 1,
    recvTime,
    openTime,
    open: open / mult,
    high: high / mult,
    low: low / mult,
    close: close / mult,
    volume: volume * mult,
    takerBuyVolume: takerBuyVolume >= 0 && takerBuyVolume < MAX_NUMERIC ? takerBuyVolume * mult : undefined,
  };
  return bar;
}
