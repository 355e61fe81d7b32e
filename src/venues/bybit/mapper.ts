/**
 * Bybit v5 linear stream frames → MarketEvents. Stateful (ticker snapshot + partial-delta merge,
 * order-book levels per topic) but free of I/O; never throws. Returns events for data, `[]` for
 * acks, pongs, untracked or unchanged frames, and `null` for a malformed frame.
 */
import type { SymbolRegistry, VenueInstrument } from '../../market/symbols.ts';
import type { BookTopEvent, LiquidationEvent, MarkEvent, MarketEvent, OpenInterestEvent, TradeEvent } from '../../market/types.ts';
import { barOf, DEFAULT_FUNDING_INTERVAL_HOURS, isRecord, MAX_NUMERIC, toNumber, toTime, type JsonRecord } from '../binance/mapper.ts';

/** The merged ticker of one symbol, in venue units; undefined = never received. */
interface TickerFields {
  markPrice?: number;
  indexPrice?: number;
  fundingRate?: number;
  fundingIntervalHour?: number;
  nextFundingTime?: number;
  openInterest?: number;
  singleOpenInterest?: number;
  openInterestValue?: number;
  singleOpenInterestValue?: number;
}

const TICKER_KEYS = [
  'markPrice', 'indexPrice', 'fundingRate', 'fundingIntervalHour', 'nextFundingTime',
  'openInterest', 'singleOpenInterest', 'openInterestValue', 'singleOpenInterestValue',
] as const;

/** What was last emitted for a symbol, so unchanged ticker pushes emit nothing. */
interface Emitted {
  mark?: number;
  index?: number;
  funding?: number;
  next?: number;
  oiBase?: number;
}

interface LevelBook {
  bids: Map<string, number>;
  asks: Map<string, number>;
}

export interface BybitMapper {
  map(msg: unknown, recvTime: number): MarketEvent[] | null;
  /** Forget merged tickers and books (call on reconnect: the new socket starts with snapshots). */
  reset(): void;
}

export function createBybitMapper(reg: SymbolRegistry): BybitMapper {
  const cache = new Map<string, VenueInstrument | null>();
  const lookup = (s: string): VenueInstrument | null => {
    let inst = cache.get(s);
    if (inst === undefined) {
      inst = reg.byVenueSymbol('bybit', s) ?? null;
      if (cache.size < 10_000) cache.set(s, inst);
    }
    return inst;
  };
  const tickers = new Map<string, TickerFields>();
  // Survives reset(): a reconnect snapshot equal to what was already emitted emits nothing, so a
  // replay without reconnect markers yields the same events as the live run.
  const emitted = new Map<string, Emitted>();
  const books = new Map<string, LevelBook>();

  /** One trade of a publicTrade frame: the event, `undefined` when untracked, `null` when malformed. */
  function tradeOf(t: unknown, recvTime: number): TradeEvent | undefined | null {
    if (!isRecord(t) || typeof t.s !== 'string') return null;
    const inst = lookup(t.s);
    if (inst === null) return undefined;
    const price = toNumber(t.p);
    const qty = toNumber(t.v);
    const time = toTime(t.T);
    const side = t.S === 'Buy' ? 'buy' : t.S === 'Sell' ? 'sell' : undefined;
    if (side === undefined || !(price > 0 && price < MAX_NUMERIC) || !(qty > 0 && qty < MAX_NUMERIC) || time !== time) return null;
    const mult = inst.multiplier;
    const ev: TradeEvent = { kind: 'trade', venue: 'bybit', symbol: inst.symbol, exchTime: time, recvTime, price: price / mult, qty: qty * mult, side };
    if (typeof t.i === 'string' && t.i !== '') ev.id = t.i;
    return ev;
  }

  function mapPublicTrade(data: unknown, recvTime: number): MarketEvent[] | null {
    if (!Array.isArray(data)) return null;
    if (data.length === 1) {
      // the common frame carries one trade: skip the accumulator array
      const ev = tradeOf(data[0], recvTime);
      return ev ? [ev] : ev === undefined ? [] : null;
    }
    const out: MarketEvent[] = [];
    let bad = 0;
    for (const t of data) {
      const ev = tradeOf(t, recvTime);
      if (ev) out.push(ev);
      else if (ev === null) bad++;
    }
    return bad > 0 && out.length === 0 ? null : out;
  }

  function mapAllLiquidation(data: unknown, recvTime: number): MarketEvent[] | null {
    if (!Array.isArray(data)) return null;
    const out: MarketEvent[] = [];
    let bad = 0;
    for (const l of data) {
      if (!isRecord(l) || typeof l.s !== 'string') {
        bad++;
        continue;
      }
      const inst = lookup(l.s);
      if (inst === null) continue;
      // S is the side of the position: Buy = a long was liquidated (the opposite of Binance).
      const side = l.S === 'Buy' ? 'long' : l.S === 'Sell' ? 'short' : undefined;
      const price = toNumber(l.p); // bankruptcy price: Bybit publishes no fill price
      const qty = toNumber(l.v);
      const time = toTime(l.T);
      if (side === undefined || !(price > 0 && price < MAX_NUMERIC) || !(qty > 0 && qty < MAX_NUMERIC) || time !== time) {
        bad++;
        continue;
      }
      const mult = inst.multiplier;
      const ev: LiquidationEvent = {
        kind: 'liquidation',
        venue: 'bybit',
        symbol: inst.symbol,
        exchTime: time,
        recvTime,
        side,
        price: price / mult,
        qty: qty * mult,
        notionalUsd: price * qty,
      };
      out.push(ev);
    }
    return bad > 0 && out.length === 0 ? null : out;
  }

  function mapTicker(msg: JsonRecord, topicSymbol: string, recvTime: number): MarketEvent[] | null {
    const data = msg.data;
    if (!isRecord(data)) return null;
    const venueSymbol = typeof data.symbol === 'string' ? data.symbol : topicSymbol;
    const inst = lookup(venueSymbol);
    if (inst === null) return [];
    const time = toTime(msg.ts);
    if (time !== time) return null;
    const key = inst.venueSymbol;
    let fields = tickers.get(key);
    if (msg.type === 'snapshot' || fields === undefined) {
      fields = {};
      tickers.set(key, fields);
    }
    for (const k of TICKER_KEYS) {
      const v = data[k];
      if (v === undefined) continue; // a missing field is unchanged, never zero
      const n = toNumber(v);
      if (n > -MAX_NUMERIC && n < MAX_NUMERIC) fields[k] = n;
    }
    let last = emitted.get(key);
    if (!last) {
      last = {};
      emitted.set(key, last);
    }
    const out: MarketEvent[] = [];
    const mult = inst.multiplier;

    if (fields.markPrice !== undefined && fields.markPrice > 0) {
      const mark = fields.markPrice / mult;
      const index = fields.indexPrice !== undefined && fields.indexPrice > 0 ? fields.indexPrice / mult : undefined;
      const hours = fields.fundingIntervalHour !== undefined && fields.fundingIntervalHour > 0 ? fields.fundingIntervalHour : (inst.fundingIntervalHours ?? DEFAULT_FUNDING_INTERVAL_HOURS);
      const funding = fields.fundingRate !== undefined ? fields.fundingRate / hours : undefined;
      const next = fields.nextFundingTime !== undefined && fields.nextFundingTime > 0 ? fields.nextFundingTime : undefined;
      if (mark !== last.mark || index !== last.index || funding !== last.funding || next !== last.next) {
        last.mark = mark;
        last.index = index;
        last.funding = funding;
        last.next = next;
        const ev: MarkEvent = { kind: 'mark', venue: 'bybit', symbol: inst.symbol, exchTime: time, recvTime, mark, index, fundingRateHourly: funding, nextFundingTime: next };
        out.push(ev);
      }
    }

    // openInterest counts both sides since 2026-06; singleOpenInterest is the one-side figure.
    const single = fields.singleOpenInterest !== undefined ? fields.singleOpenInterest : fields.openInterest !== undefined ? fields.openInterest / 2 : undefined;
    const usd = oiUsdOf(fields, single);
    if (single !== undefined && single >= 0 && usd !== undefined) {
      const oiBase = single * mult;
      if (oiBase !== last.oiBase) {
        last.oiBase = oiBase;
        const ev: OpenInterestEvent = { kind: 'oi', venue: 'bybit', symbol: inst.symbol, exchTime: time, recvTime, oiBase, oiUsd: usd };
        out.push(ev);
      }
    }
    return out;
  }

  function mapOrderbook(msg: JsonRecord, topic: string, recvTime: number): MarketEvent[] | null {
    const data = msg.data;
    if (!isRecord(data) || !Array.isArray(data.b) || !Array.isArray(data.a)) return null;
    const bidLevels = parseLevels(data.b);
    const askLevels = parseLevels(data.a);
    const time = toTime(msg.ts);
    if (bidLevels === null || askLevels === null || time !== time) return null;
    const venueSymbol = typeof data.s === 'string' ? data.s : topic.slice(topic.lastIndexOf('.') + 1);
    const inst = lookup(venueSymbol);
    if (inst === null) return [];
    let book = books.get(topic);
    // A snapshot, or u=1 (a service restart), replaces the book; a delta before any snapshot is ignored.
    if (msg.type === 'snapshot' || data.u === 1) {
      book = { bids: new Map(), asks: new Map() };
      books.set(topic, book);
    } else if (msg.type !== 'delta') {
      return null;
    }
    if (!book) return [];
    applyLevels(book.bids, bidLevels);
    applyLevels(book.asks, askLevels);
    const bid = best(book.bids, true);
    const ask = best(book.asks, false);
    if (bid === undefined || ask === undefined) return [];
    const bidSize = book.bids.get(bid[0])!;
    const askSize = book.asks.get(ask[0])!;
    const mult = inst.multiplier;
    const total = bidSize + askSize;
    const ev: BookTopEvent = {
      kind: 'book',
      venue: 'bybit',
      symbol: inst.symbol,
      exchTime: time,
      recvTime,
      bid: bid[1] / mult,
      bidSize: bidSize * mult,
      ask: ask[1] / mult,
      askSize: askSize * mult,
      imbalance: total > 0 ? (bidSize - askSize) / total : 0,
    };
    return [ev];
  }

  function mapKline(msg: JsonRecord, topic: string, recvTime: number): MarketEvent[] | null {
    const data = msg.data;
    if (!Array.isArray(data)) return null;
    // kline.{interval}.{symbol}: only 1-minute bars are BarEvents
    const parts = topic.split('.');
    if (parts.length !== 3) return null;
    if (parts[1] !== '1') return [];
    const inst = lookup(parts[2]!);
    if (inst === null) return [];
    const out: MarketEvent[] = [];
    for (const k of data) {
      if (!isRecord(k)) return null;
      if (k.confirm !== true) continue;
      const bar = barOf('bybit', inst, toTime(k.start), toNumber(k.open), toNumber(k.high), toNumber(k.low), toNumber(k.close), toNumber(k.volume), NaN, recvTime);
      if (!bar) return null;
      out.push(bar);
    }
    return out;
  }

  return {
    map(msg: unknown, recvTime: number): MarketEvent[] | null {
      try {
        if (!isRecord(msg)) return null;
        const topic = msg.topic;
        if (typeof topic !== 'string') {
          // subscribe acks (success or not) and pongs are control replies
          return typeof msg.op === 'string' ? [] : null;
        }
        // prefix tests rather than slicing: no string allocation on the trade hot path
        if (topic.startsWith('publicTrade.')) return mapPublicTrade(msg.data, recvTime);
        if (topic.startsWith('tickers.')) return mapTicker(msg, topic.slice(8), recvTime);
        if (topic.startsWith('orderbook.')) return mapOrderbook(msg, topic, recvTime);
        if (topic.startsWith('allLiquidation.')) return mapAllLiquidation(msg.data, recvTime);
        if (topic.startsWith('kline.')) return mapKline(msg, topic, recvTime);
        // the deprecated `liquidation.` topic (1/s sample, old field names) and anything else: ignored
        return topic.indexOf('.') > 0 ? [] : null;
      } catch {
        return null;
      }
    },
    reset(): void {
      tickers.clear();
      books.clear();
    },
  };
}

/** Single-side OI in USD: base × mark; before any mark, the venue's own value fields. */
function oiUsdOf(fields: TickerFields, single: number | undefined): number | undefined {
  if (single === undefined) return undefined;
  if (fields.markPrice !== undefined && fields.markPrice > 0) return single * fields.markPrice;
  if (fields.singleOpenInterestValue !== undefined && fields.singleOpenInterestValue >= 0) return fields.singleOpenInterestValue;
  if (fields.openInterestValue !== undefined && fields.openInterestValue >= 0) return fields.openInterestValue / 2;
  return undefined;
}

function parseLevels(levels: unknown[]): Array<[string, number]> | null {
  const out: Array<[string, number]> = [];
  for (const level of levels) {
    if (!Array.isArray(level) || level.length < 2 || typeof level[0] !== 'string') return null;
    const price = toNumber(level[0]);
    const size = toNumber(level[1]);
    if (!(price > 0 && price < MAX_NUMERIC) || !(size >= 0 && size < MAX_NUMERIC)) return null;
    out.push([level[0], size]);
  }
  return out;
}

function applyLevels(side: Map<string, number>, levels: Array<[string, number]>): void {
  for (const [price, size] of levels) {
    if (size === 0) side.delete(price);
    else side.set(price, size);
  }
}

/** Best level as [price key, price]. */
function best(side: Map<string, number>, highest: boolean): [string, number] | undefined {
  let out: [string, number] | undefined;
  for (const key of side.keys()) {
    const price = +key;
    if (!out || (highest ? price > out[1] : price < out[1])) out = [key, price];
  }
  return out;
}
