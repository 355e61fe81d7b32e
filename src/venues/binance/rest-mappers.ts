/**
 * Binance USD-M REST bodies → listings and MarketEvents. Pure; `unknown` JSON in; never throws:
 * a body of the wrong shape gives `null`, rows that do not parse are skipped.
 */
import type { VenueInstrument } from '../../market/symbols.ts';
import type { BarEvent, OpenInterestEvent } from '../../market/types.ts';
import type { VenueListing } from '../naming.ts';
import { canonicalOf } from '../naming.ts';
import { barOf, isRecord, MAX_NUMERIC, toNumber, toTime } from './mapper.ts';

/** `GET /fapi/v1/exchangeInfo` → the USDT-margined perpetuals (trading or not, see `tradable`). */
export function mapExchangeInfo(json: unknown): VenueListing[] | null {
  if (!isRecord(json) || !Array.isArray(json.symbols)) return null;
  const out: VenueListing[] = [];
  for (const row of json.symbols) {
    if (!isRecord(row) || typeof row.symbol !== 'string' || row.contractType !== 'PERPETUAL') continue;
    if (row.quoteAsset !== 'USDT' || (row.marginAsset !== undefined && row.marginAsset !== 'USDT')) continue;
    const canonical = canonicalOf('binance', row.symbol);
    if (!canonical) continue;
    const status = typeof row.status === 'string' ? row.status : 'UNKNOWN';
    const listing: VenueListing = { venueSymbol: row.symbol.toUpperCase(), ...canonical, tradable: status === 'TRADING', status };
    const tick = priceFilterTick(row.filters);
    if (tick !== undefined) listing.tickSize = tick;
    out.push(listing);
  }
  return out;
}

function priceFilterTick(filters: unknown): number | undefined {
  if (!Array.isArray(filters)) return undefined;
  for (const f of filters) {
    if (isRecord(f) && f.filterType === 'PRICE_FILTER') {
      const tick = toNumber(f.tickSize);
      return tick > 0 && tick < MAX_NUMERIC ? tick : undefined;
    }
  }
  return undefined;
}

/** `GET /fapi/v1/fundingInfo` → venue symbol → funding interval in hours (only symbols Binance lists there). */
export function mapFundingInfo(json: unknown): Map<string, number> | null {
  if (!Array.isArray(json)) return null;
  const out = new Map<string, number>();
  for (const row of json) {
    if (!isRecord(row) || typeof row.symbol !== 'string') continue;
    const hours = toNumber(row.fundingIntervalHours);
    if (hours > 0 && hours <= 24 * 7) out.set(row.symbol.toUpperCase(), hours);
  }
  return out;
}

/**
 * `GET /fapi/v1/openInterest` → one OI event. Binance gives base only; USD needs the current mark
 * (coin price): without it `oiUsd` is 0.
 */
export function mapOpenInterest(json: unknown, inst: VenueInstrument, recvTime: number, markPrice?: number): OpenInterestEvent[] | null {
  if (!isRecord(json)) return null;
  const oi = toNumber(json.openInterest);
  const time = toTime(json.time);
  if (!(oi >= 0 && oi < MAX_NUMERIC)) return null;
  const oiBase = oi * inst.multiplier;
  const ev: OpenInterestEvent = {
    kind: 'oi',
    venue: 'binance',
    symbol: inst.symbol,
    exchTime: time === time ? time : recvTime,
    recvTime,
    oiBase,
    oiUsd: markPrice !== undefined && markPrice > 0 && markPrice < MAX_NUMERIC ? oiBase * markPrice : 0,
  };
  return [ev];
}

/** `GET /futures/data/openInterestHist` → OI history, oldest first (`timestamp` as string or integer). */
export function mapOpenInterestHist(json: unknown, inst: VenueInstrument, recvTime: number): OpenInterestEvent[] | null {
  if (!Array.isArray(json)) return null;
  const out: OpenInterestEvent[] = [];
  for (const row of json) {
    if (!isRecord(row)) continue;
    const oi = toNumber(row.sumOpenInterest);
    const usd = toNumber(row.sumOpenInterestValue);
    const time = toTime(row.timestamp);
    if (!(oi >= 0 && oi < MAX_NUMERIC) || !(usd >= 0 && usd < MAX_NUMERIC) || time !== time) continue;
    out.push({ kind: 'oi', venue: 'binance', symbol: inst.symbol, exchTime: time, recvTime, oiBase: oi * inst.multiplier, oiUsd: usd });
  }
  return out.sort((a, b) => a.exchTime - b.exchTime);
}

/**
 * `GET /fapi/v1/klines?interval=1m` → closed bars, oldest first. Rows are
 * [openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, takerBuyBase, takerBuyQuote, ignore];
 * the still-open last bar (closeTime after the receive time) is left out.
 */
export function mapKlines(json: unknown, inst: VenueInstrument, recvTime: number): BarEvent[] | null {
  if (!Array.isArray(json)) return null;
  const out: BarEvent[] = [];
  for (const row of json) {
    if (!Array.isArray(row) || row.length < 6) continue;
    const closeTime = toTime(row[6]);
    if (closeTime > recvTime) continue;
    const bar = barOf('binance', inst, toTime(row[0]), toNumber(row[1]), toNumber(row[2]), toNumber(row[3]), toNumber(row[4]), toNumber(row[5]), toNumber(row[9]), recvTime);
    if (bar) out.push(bar);
  }
  return out.sort((a, b) => a.openTime - b.openTime);
}
