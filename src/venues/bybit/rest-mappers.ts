/**
 * Bybit v5 REST bodies → listings and MarketEvents. Pure; `unknown` JSON in; never throws:
 * a body of the wrong shape (or a non-zero retCode) gives `null`, rows that do not parse are skipped.
 */
import type { VenueInstrument } from '../../market/symbols.ts';
import type { BarEvent, OpenInterestEvent } from '../../market/types.ts';
import { barOf, isRecord, MAX_NUMERIC, toNumber, toTime } from '../binance/mapper.ts';
import type { VenueListing } from '../naming.ts';
import { canonicalOf } from '../naming.ts';

/** The `result.list` of a successful v5 envelope. */
function resultList(json: unknown): unknown[] | null {
  if (!isRecord(json) || (json.retCode !== undefined && json.retCode !== 0)) return null;
  const result = json.result;
  if (!isRecord(result) || !Array.isArray(result.list)) return null;
  return result.list;
}

/** `GET /v5/market/instruments-info?category=linear` → the USDT perpetuals (trading or not, see `tradable`). */
export function mapInstruments(json: unknown): VenueListing[] | null {
  const list = resultList(json);
  if (!list) return null;
  const out: VenueListing[] = [];
  for (const row of list) {
    if (!isRecord(row) || typeof row.symbol !== 'string' || row.contractType !== 'LinearPerpetual') continue;
    if (row.quoteCoin !== undefined && row.quoteCoin !== 'USDT') continue;
    if (row.settleCoin !== undefined && row.settleCoin !== 'USDT') continue;
    const canonical = canonicalOf('bybit', row.symbol);
    if (!canonical) continue;
    const status = typeof row.status === 'string' ? row.status : 'Unknown';
    const listing: VenueListing = { venueSymbol: row.symbol.toUpperCase(), ...canonical, tradable: status === 'Trading', status };
    const tick = isRecord(row.priceFilter) ? toNumber(row.priceFilter.tickSize) : NaN;
    if (tick > 0 && tick < MAX_NUMERIC) listing.tickSize = tick;
    const fundingMinutes = toNumber(row.fundingInterval);
    if (fundingMinutes > 0 && fundingMinutes < MAX_NUMERIC) listing.fundingIntervalHours = fundingMinutes / 60;
    out.push(listing);
  }
  return out;
}

/**
 * `GET /v5/market/open-interest?category=linear` → OI history, oldest first. The list comes newest
 * first, in base coin; `openInterest` counts both sides, so the single side is `singleOpenInterest`
 * when present, else half. USD needs the mark (coin price); without it `oiUsd` is 0.
 */
export function mapOpenInterest(json: unknown, inst: VenueInstrument, recvTime: number, markPrice?: number): OpenInterestEvent[] | null {
  const list = resultList(json);
  if (!list) return null;
  const mark = markPrice !== undefined && markPrice > 0 && markPrice < MAX_NUMERIC ? markPrice : 0;
  const out: OpenInterestEvent[] = [];
  for (const row of list) {
    if (!isRecord(row)) continue;
    const singleField = toNumber(row.singleOpenInterest);
    const single = singleField >= 0 ? singleField : toNumber(row.openInterest) / 2;
    const time = toTime(row.timestamp);
    if (!(single >= 0 && single < MAX_NUMERIC) || time !== time) continue;
    const oiBase = single * inst.multiplier;
    out.push({ kind: 'oi', venue: 'bybit', symbol: inst.symbol, exchTime: time, recvTime, oiBase, oiUsd: oiBase * mark });
  }
  return out.sort((a, b) => a.exchTime - b.exchTime);
}

const MINUTE = 60_000;

/**
 * `GET /v5/market/kline?category=linear&interval=1` → closed bars, oldest first. Rows are
 * [start, open, high, low, close, volume, turnover], newest first; the still-open bar is left out.
 */
export function mapKlines(json: unknown, inst: VenueInstrument, recvTime: number): BarEvent[] | null {
  const list = resultList(json);
  if (!list) return null;
  const out: BarEvent[] = [];
  for (const row of list) {
    if (!Array.isArray(row) || row.length < 6) continue;
    const start = toTime(row[0]);
    if (start + MINUTE > recvTime + 1) continue;
    const bar = barOf('bybit', inst, start, toNumber(row[1]), toNumber(row[2]), toNumber(row[3]), toNumber(row[4]), toNumber(row[5]), NaN, recvTime);
    if (bar) out.push(bar);
  }
  return out.sort((a, b) => a.openTime - b.openTime);
}
