/**
 * OKX v5 public stream frames → MarketEvents. Pure apart from a lookup cache and the last mark and
 * funding per instrument (funding pushes carry no mark); never throws. Returns events for data, `[]`
 * for acks, errors, untracked instruments and channels liqzone does not use, and `null` for a
 * malformed frame. The text `pong` never gets here: the transport answers it before JSON.
 *
 * Sizes are contracts (`sz × ctVal` coins). An instrument without a loaded contract value (the
 * instruments listing was unavailable) emits marks, funding and open interest only.
 */
import type { SymbolRegistry, VenueInstrument } from '../../market/symbols.ts';
import type { BookTopEvent, LiquidationEvent, MarkEvent, MarketEvent, OpenInterestEvent, TradeEvent } from '../../market/types.ts';
import { DEFAULT_FUNDING_INTERVAL_HOURS, isRecord, MAX_NUMERIC, toNumber, toTime, type JsonRecord } from '../binance/mapper.ts';

const HOUR = 3_600_000;

/** Funding normalized to hourly: `nextFundingTime − fundingTime` is the interval (1/2/4/6/8 h). */
export function okxHourlyFunding(rate: number, fundingTime: number, nextFundingTime: number, fallbackHours = DEFAULT_FUNDING_INTERVAL_HOURS): { hourly: number; intervalHours: number } {
  const gap = nextFundingTime - fundingTime;
  const hours = gap >= HOUR && gap <= 24 * HOUR ? Math.round(gap / (HOUR / 4)) / 4 : fallbackHours;
  return { hourly: rate / hours, intervalHours: hours };
}

interface InstState {
  mark?: number;
  fundingHourly?: number;
  nextFundingTime?: number;
}

export interface OkxMapper {
  map(msg: unknown, recvTime: number): MarketEvent[] | null;
}

export function createOkxMapper(reg: SymbolRegistry): OkxMapper {
  const cache = new Map<string, VenueInstrument | null>();
  const lookup = (s: string): VenueInstrument | null => {
    let inst = cache.get(s);
    if (inst === undefined) {
      inst = reg.byVenueSymbol('okx', s) ?? null;
      if (cache.size < 10_000) cache.set(s, inst);
    }
    return inst;
  };
  const state = new Map<string, InstState>();
  const stateOf = (inst: VenueInstrument): InstState => {
    let st = state.get(inst.venueSymbol);
    if (!st) state.set(inst.venueSymbol, (st = {}));
    return st;
  };

  /** One trade: the event, `undefined` when untracked or unsized, `null` when malformed. */
  function tradeOf(t: unknown, recvTime: number): TradeEvent | undefined | null {
    if (!isRecord(t) || typeof t.instId !== 'string') return null;
    const inst = lookup(t.instId);
    if (inst === null) return undefined;
    const price = toNumber(t.px);
    const contracts = toNumber(t.sz);
    const time = toTime(t.ts);
    const side = t.side === 'buy' ? 'buy' : t.side === 'sell' ? 'sell' : undefined;
    if (side === undefined || !(price > 0 && price < MAX_NUMERIC) || !(contracts > 0 && contracts < MAX_NUMERIC) || time !== time) return null;
    const ctVal = inst.contractValue;
    if (ctVal === undefined) return undefined;
    const ev: TradeEvent = { kind: 'trade', venue: 'okx', symbol: inst.symbol, exchTime: time, recvTime, price, qty: contracts * ctVal, side };
    if (typeof t.tradeId === 'string' && t.tradeId !== '') ev.id = t.tradeId;
    return ev;
  }

  function mapTrades(data: unknown[], recvTime: number): MarketEvent[] | null {
    if (data.length === 1) {
      // the common push carries one trade: no accumulator
      const ev = tradeOf(data[0], recvTime);
      return ev === null ? null : ev === undefined ? [] : [ev];
    }
    const out: MarketEvent[] = [];
    for (const t of data) {
      const ev = tradeOf(t, recvTime);
      if (ev === null) return null;
      if (ev !== undefined) out.push(ev);
    }
    return out;
  }

  function mapMarkPrice(data: unknown[], recvTime: number): MarketEvent[] | null {
    const out: MarketEvent[] = [];
    for (const p of data) {
      if (!isRecord(p) || typeof p.instId !== 'string') return null;
      const inst = lookup(p.instId);
      if (inst === null) continue;
      const mark = toNumber(p.markPx);
      const time = toTime(p.ts);
      if (!(mark > 0 && mark < MAX_NUMERIC) || time !== time) return null;
      const st = stateOf(inst);
      st.mark = mark;
      const ev: MarkEvent = { kind: 'mark', venue: 'okx', symbol: inst.symbol, exchTime: time, recvTime, mark };
      if (st.fundingHourly !== undefined) ev.fundingRateHourly = st.fundingHourly;
      if (st.nextFundingTime !== undefined) ev.nextFundingTime = st.nextFundingTime;
      out.push(ev);
    }
    return out;
  }

  function mapFunding(data: unknown[], recvTime: number): MarketEvent[] | null {
    const out: MarketEvent[] = [];
    for (const f of data) {
      if (!isRecord(f) || typeof f.instId !== 'string') return null;
      const inst = lookup(f.instId);
      if (inst === null) continue;
      const rate = toNumber(f.fundingRate);
      const fundingTime = toTime(f.fundingTime);
      const next = toTime(f.nextFundingTime);
      const time = toTime(f.ts);
      if (!(Math.abs(rate) < 1) || fundingTime !== fundingTime) return null;
      const { hourly } = okxHourlyFunding(rate, fundingTime, next, inst.fundingIntervalHours);
      const st = stateOf(inst);
      st.fundingHourly = hourly;
      // the rate in force is settled at fundingTime (the next settlement)
      st.nextFundingTime = fundingTime;
      // funding pushes carry no mark: emit with the last one, or wait for the next mark push
      if (st.mark === undefined) continue;
      const ev: MarkEvent = {
        kind: 'mark', venue: 'okx', symbol: inst.symbol, exchTime: time === time ? time : recvTime, recvTime,
        mark: st.mark, fundingRateHourly: hourly, nextFundingTime: fundingTime,
      };
      out.push(ev);
    }
    return out;
  }

  function mapOpenInterest(data: unknown[], recvTime: number): MarketEvent[] | null {
    const out: MarketEvent[] = [];
    for (const o of data) {
      if (!isRecord(o) || typeof o.instId !== 'string') return null;
      const inst = lookup(o.instId);
      if (inst === null) continue;
      const contracts = toNumber(o.oi);
      const coins = inst.contractValue !== undefined ? contracts * inst.contractValue : toNumber(o.oiCcy);
      const usd = toNumber(o.oiUsd);
      const time = toTime(o.ts);
      if (!(coins >= 0 && coins < MAX_NUMERIC) || !(usd >= 0 && usd < MAX_NUMERIC) || time !== time) return null;
      const ev: OpenInterestEvent = { kind: 'oi', venue: 'okx', symbol: inst.symbol, exchTime: time, recvTime, oiBase: coins, oiUsd: usd };
      out.push(ev);
    }
    return out;
  }

  function level(x: unknown): [number, number] | null {
    if (!Array.isArray(x) || x.length < 2) return null;
    const px = toNumber(x[0]);
    const sz = toNumber(x[1]);
    return px > 0 && px < MAX_NUMERIC && sz >= 0 && sz < MAX_NUMERIC ? [px, sz] : null;
  }

  function mapBooks5(data: unknown[], instId: unknown, recvTime: number): MarketEvent[] | null {
    const out: MarketEvent[] = [];
    for (const b of data) {
      if (!isRecord(b) || !Array.isArray(b.bids) || !Array.isArray(b.asks)) return null;
      const id = typeof b.instId === 'string' ? b.instId : instId;
      if (typeof id !== 'string') return null;
      const inst = lookup(id);
      if (inst === null) continue;
      const time = toTime(b.ts);
      if (time !== time) return null;
      if (b.bids.length === 0 || b.asks.length === 0) continue;
      const bid = level(b.bids[0]);
      const ask = level(b.asks[0]);
      if (!bid || !ask) return null;
      const ctVal = inst.contractValue;
      if (ctVal === undefined) continue;
      const total = bid[1] + ask[1];
      const ev: BookTopEvent = {
        kind: 'book', venue: 'okx', symbol: inst.symbol, exchTime: time, recvTime,
        bid: bid[0], bidSize: bid[1] * ctVal, ask: ask[0], askSize: ask[1] * ctVal,
        imbalance: total > 0 ? (bid[1] - ask[1]) / total : 0,
      };
      out.push(ev);
    }
    return out;
  }

  /** Every SWAP arrives here (inverse, USDC, untracked): keep the tracked USDT swaps. */
  function mapLiquidations(data: unknown[], recvTime: number): MarketEvent[] | null {
    const out: MarketEvent[] = [];
    for (const item of data) {
      if (!isRecord(item) || typeof item.instId !== 'string' || !Array.isArray(item.details)) return null;
      const inst = lookup(item.instId);
      if (inst === null || inst.contractValue === undefined) continue;
      for (const d of item.details) {
        if (!isRecord(d)) return null;
        // side is the liquidation order's side: `sell` closes a long, `buy` closes a short
        const side = d.side === 'sell' ? 'long' : d.side === 'buy' ? 'short' : undefined;
        const price = toNumber(d.bkPx);
        const contracts = toNumber(d.sz);
        const time = toTime(d.ts);
        if (side === undefined || !(price > 0 && price < MAX_NUMERIC) || !(contracts > 0 && contracts < MAX_NUMERIC) || time !== time) return null;
        const qty = contracts * inst.contractValue;
        const ev: LiquidationEvent = { kind: 'liquidation', venue: 'okx', symbol: inst.symbol, exchTime: time, recvTime, side, price, qty, notionalUsd: qty * price };
        out.push(ev);
      }
    }
    return out;
  }

  function mapData(msg: JsonRecord, arg: JsonRecord, recvTime: number): MarketEvent[] | null {
    const data = msg.data;
    if (!Array.isArray(data)) return null;
    switch (arg.channel) {
      case 'trades':
        return mapTrades(data, recvTime);
      case 'mark-price':
        return mapMarkPrice(data, recvTime);
      case 'funding-rate':
        return mapFunding(data, recvTime);
      case 'open-interest':
        return mapOpenInterest(data, recvTime);
      case 'books5':
        return mapBooks5(data, arg.instId, recvTime);
      case 'liquidation-orders':
        return mapLiquidations(data, recvTime);
      default:
        return typeof arg.channel === 'string' ? [] : null;
    }
  }

  return {
    map(msg: unknown, recvTime: number): MarketEvent[] | null {
      try {
        if (!isRecord(msg)) return null;
        // {event:"subscribe"|"unsubscribe"|"error"|"notice", …} are control replies
        if (typeof msg.event === 'string') return [];
        const arg = msg.arg;
        if (!isRecord(arg)) return null;
        return mapData(msg, arg, recvTime);
      } catch {
        return null;
      }
    },
  };
}
