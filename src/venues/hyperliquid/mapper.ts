/**
 * Hyperliquid perp stream frames → MarketEvents. Pure apart from a lookup cache, the trade dedupe
 * window and the last emitted context per coin; never throws. Returns events for data, `[]` for
 * subscription responses, pongs, errors, untracked coins and unused channels, and `null` for a
 * malformed frame.
 *
 * Prices of `kPEPE`-style names are per 1000 coins (divided by the multiplier); sizes are in coins
 * of the venue name (multiplied). Funding in `activeAssetCtx` is already hourly.
 */
import type { SymbolRegistry, VenueInstrument } from '../../market/symbols.ts';
import type { BookTopEvent, MarkEvent, MarketEvent, OpenInterestEvent, TradeEvent } from '../../market/types.ts';
import { isRecord, MAX_NUMERIC, toNumber, toTime } from '../binance/mapper.ts';

/**
 * Hyperliquid's `openInterest` counts both sides (Hydromancer's docs: "the sum of all long and all
 * short positions"; unverified against the venue's own docs). liqzone's OI is single-side, as Bybit's
 * `singleOpenInterest`: halve it. The observed-position coverage in /zones is a running check.
 */
export const HYPERLIQUID_OI_SIDES = 2;

/**
 * Replay filter for one coin. Hyperliquid delivers a coin's trades in time order, and a
 * (re)subscribe replays recent ones (older or equal times): a trade later than the latest seen is
 * new, an earlier one is a replay, and at the latest time the trade ids seen there decide (`tid`
 * alone is not unique across times). No allocation on the common path.
 */
class ReplayFilter {
  private latest = -Infinity;
  /** The trade ids seen at `latest`: the first `count` slots (reused, never shrunk: no runtime call per new time). */
  private readonly tidsAtLatest: Array<number | string> = [];
  private count = 0;

  /** True when the trade is new (and remembers it). */
  accept(time: number, tid: number | string): boolean {
    const tids = this.tidsAtLatest;
    if (time > this.latest) {
      this.latest = time;
      tids[0] = tid;
      this.count = 1;
      return true;
    }
    if (time < this.latest) return false;
    for (let i = 0; i < this.count; i++) if (tids[i] === tid) return false;
    // bounded: one block rarely holds more than a few hundred trades of a coin
    if (this.count < 4096) tids[this.count++] = tid;
    return true;
  }
}

interface Emitted {
  mark?: number;
  index?: number;
  funding?: number;
  oiBase?: number;
}

export interface HyperliquidMapper {
  map(msg: unknown, recvTime: number): MarketEvent[] | null;
  /** Trades skipped as replays of ones already delivered (the subscribe backfill). */
  duplicates(): number;
}

export function createHyperliquidMapper(reg: SymbolRegistry): HyperliquidMapper {
  const cache = new Map<string, VenueInstrument | null>();
  const lookup = (s: string): VenueInstrument | null => {
    let inst = cache.get(s);
    if (inst === undefined) {
      inst = reg.byVenueSymbol('hyperliquid', s) ?? null;
      if (cache.size < 10_000) cache.set(s, inst);
    }
    return inst;
  };
  const seen = new Map<string, ReplayFilter>();
  const emitted = new Map<string, Emitted>();
  let dupes = 0;

  function mapTrades(data: unknown, recvTime: number): MarketEvent[] | null {
    if (!Array.isArray(data)) return null;
    const out: MarketEvent[] = [];
    for (const t of data) {
      if (!isRecord(t) || typeof t.coin !== 'string') return null;
      const inst = lookup(t.coin);
      if (inst === null) continue;
      const price = toNumber(t.px);
      const qty = toNumber(t.sz);
      const time = toTime(t.time);
      const tid = typeof t.tid === 'number' || typeof t.tid === 'string' ? t.tid : undefined;
      // `B` = the buyer was the aggressor, `A` = the seller
      const side = t.side === 'B' ? 'buy' : t.side === 'A' ? 'sell' : undefined;
      if (side === undefined || tid === undefined || !(price > 0 && price < MAX_NUMERIC) || !(qty > 0 && qty < MAX_NUMERIC) || time !== time) return null;
      // tid alone is not unique and hash may be all zeros: (coin, time, tid) decides
      let filter = seen.get(inst.venueSymbol);
      if (!filter) seen.set(inst.venueSymbol, (filter = new ReplayFilter()));
      if (!filter.accept(time, tid)) {
        dupes++;
        continue;
      }
      const mult = inst.multiplier;
      const ev: TradeEvent = { kind: 'trade', venue: 'hyperliquid', symbol: inst.symbol, exchTime: time, recvTime, price: price / mult, qty: qty * mult, side };
      out.push(ev);
    }
    return out;
  }

  /** ~1 Hz per coin; carries no timestamp, so the receive time stands in. Unchanged values emit nothing. */
  function mapAssetCtx(data: unknown, recvTime: number): MarketEvent[] | null {
    if (!isRecord(data) || typeof data.coin !== 'string' || !isRecord(data.ctx)) return null;
    const inst = lookup(data.coin);
    if (inst === null) return [];
    const ctx = data.ctx;
    const mark = toNumber(ctx.markPx);
    const oracle = toNumber(ctx.oraclePx);
    const funding = toNumber(ctx.funding);
    const oi = toNumber(ctx.openInterest);
    if (!(mark > 0 && mark < MAX_NUMERIC)) return null;
    const mult = inst.multiplier;
    let last = emitted.get(inst.venueSymbol);
    if (!last) emitted.set(inst.venueSymbol, (last = {}));
    const out: MarketEvent[] = [];
    const coinMark = mark / mult;
    const index = oracle > 0 && oracle < MAX_NUMERIC ? oracle / mult : undefined;
    const hourly = Math.abs(funding) < 1 ? funding : undefined;
    if (coinMark !== last.mark || index !== last.index || hourly !== last.funding) {
      last.mark = coinMark;
      last.index = index;
      last.funding = hourly;
      const ev: MarkEvent = { kind: 'mark', venue: 'hyperliquid', symbol: inst.symbol, exchTime: recvTime, recvTime, mark: coinMark };
      if (index !== undefined) ev.index = index;
      if (hourly !== undefined) ev.fundingRateHourly = hourly;
      out.push(ev);
    }
    if (oi >= 0 && oi < MAX_NUMERIC) {
      const oiBase = (oi / HYPERLIQUID_OI_SIDES) * mult;
      if (oiBase !== last.oiBase) {
        last.oiBase = oiBase;
        const ev: OpenInterestEvent = { kind: 'oi', venue: 'hyperliquid', symbol: inst.symbol, exchTime: recvTime, recvTime, oiBase, oiUsd: oiBase * coinMark };
        out.push(ev);
      }
    }
    return out;
  }

  function level(x: unknown): [number, number] | null {
    if (!isRecord(x)) return null;
    const px = toNumber(x.px);
    const sz = toNumber(x.sz);
    return px > 0 && px < MAX_NUMERIC && sz >= 0 && sz < MAX_NUMERIC ? [px, sz] : null;
  }

  /** Every push is a full snapshot: `levels = [bids desc, asks asc]`. */
  function mapL2Book(data: unknown, recvTime: number): MarketEvent[] | null {
    if (!isRecord(data) || typeof data.coin !== 'string' || !Array.isArray(data.levels) || data.levels.length !== 2) return null;
    const [bids, asks] = data.levels as unknown[];
    if (!Array.isArray(bids) || !Array.isArray(asks)) return null;
    const time = toTime(data.time);
    if (time !== time) return null;
    const inst = lookup(data.coin);
    if (inst === null) return [];
    if (bids.length === 0 || asks.length === 0) return [];
    const bid = level(bids[0]);
    const ask = level(asks[0]);
    if (!bid || !ask) return null;
    const mult = inst.multiplier;
    const total = bid[1] + ask[1];
    const ev: BookTopEvent = {
      kind: 'book', venue: 'hyperliquid', symbol: inst.symbol, exchTime: time, recvTime,
      bid: bid[0] / mult, bidSize: bid[1] * mult, ask: ask[0] / mult, askSize: ask[1] * mult,
      imbalance: total > 0 ? (bid[1] - ask[1]) / total : 0,
    };
    return [ev];
  }

  return {
    map(msg: unknown, recvTime: number): MarketEvent[] | null {
      try {
        if (!isRecord(msg) || typeof msg.channel !== 'string') return null;
        switch (msg.channel) {
          case 'trades':
            return mapTrades(msg.data, recvTime);
          case 'activeAssetCtx':
            return mapAssetCtx(msg.data, recvTime);
          case 'l2Book':
            return mapL2Book(msg.data, recvTime);
          default:
            // subscriptionResponse, pong, error, and channels liqzone does not use
            return [];
        }
      } catch {
        return null;
      }
    },
    duplicates: () => dupes,
  };
}

/** The addresses (`users: [buyer, seller]`) of a trades frame, for the observed-position poller. Pure. */
export function tradeParticipants(msg: unknown): Array<{ coin: string; user: string; notional: number }> {
  if (!isRecord(msg) || msg.channel !== 'trades' || !Array.isArray(msg.data)) return [];
  const out: Array<{ coin: string; user: string; notional: number }> = [];
  for (const t of msg.data) {
    if (!isRecord(t) || typeof t.coin !== 'string' || !Array.isArray(t.users)) continue;
    const notional = toNumber(t.px) * toNumber(t.sz);
    if (!(notional > 0 && notional < MAX_NUMERIC)) continue;
    for (const u of t.users) if (typeof u === 'string' && /^0x[0-9a-fA-F]{40}$/.test(u)) out.push({ coin: t.coin, user: u.toLowerCase(), notional });
  }
  return out;
}
