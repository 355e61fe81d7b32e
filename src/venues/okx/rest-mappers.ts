/**
 * OKX v5 REST bodies → listings, MarketEvents and position tiers. Pure; `unknown` JSON in; never
 * throws: a body of the wrong shape (or `code` ≠ "0") gives `null`, rows that do not parse are skipped.
 * Sizes are contracts: base quantity = contracts × `ctVal` (× `ctMult`), from the instruments listing.
 */
import type { VenueInstrument } from '../../market/symbols.ts';
import type { BarEvent, OpenInterestEvent } from '../../market/types.ts';
import { barOf, isRecord, MAX_NUMERIC, toNumber, toTime } from '../binance/mapper.ts';
import type { VenueListing } from '../naming.ts';
import { canonicalOf } from '../naming.ts';

/** The `data` array of a successful v5 envelope `{code:"0", msg, data}`. */
export function okxData(json: unknown): unknown[] | null {
  if (!isRecord(json) || (json.code !== undefined && json.code !== '0' && json.code !== 0)) return null;
  return Array.isArray(json.data) ? json.data : null;
}

/** `GET /api/v5/public/instruments?instType=SWAP` → the linear USDT swaps with their contract value. */
export function mapOkxInstruments(json: unknown): VenueListing[] | null {
  const data = okxData(json);
  if (!data) return null;
  const out: VenueListing[] = [];
  for (const row of data) {
    if (!isRecord(row) || typeof row.instId !== 'string') continue;
    if (row.instType !== undefined && row.instType !== 'SWAP') continue;
    if (row.ctType !== undefined && row.ctType !== 'linear') continue;
    if (row.settleCcy !== undefined && row.settleCcy !== 'USDT') continue;
    const canonical = canonicalOf('okx', row.instId);
    if (!canonical) continue;
    const ctVal = toNumber(row.ctVal);
    const ctMult = row.ctMult === undefined || row.ctMult === '' ? 1 : toNumber(row.ctMult);
    // a row without a usable contract value cannot size anything: not a listing we can use
    if (!(ctVal > 0 && ctVal < MAX_NUMERIC) || !(ctMult > 0 && ctMult < MAX_NUMERIC)) continue;
    const status = typeof row.state === 'string' ? row.state : 'unknown';
    const listing: VenueListing = { venueSymbol: row.instId.toUpperCase(), ...canonical, tradable: status === 'live', status, contractValue: ctVal * ctMult };
    const tick = toNumber(row.tickSz);
    if (tick > 0 && tick < MAX_NUMERIC) listing.tickSize = tick;
    out.push(listing);
  }
  return out;
}

/**
 * `GET /api/v5/rubik/stat/contracts/open-interest-history?instId=…&period=5m` → OI history, oldest
 * first. Rows are `[ts, oi (contracts), oiCcy (coins), oiUsd]`, newest first.
 */
export function mapOkxOpenInterestHistory(json: unknown, inst: VenueInstrument, recvTime: number): OpenInterestEvent[] | null {
  const data = okxData(json);
  if (!data) return null;
  const out: OpenInterestEvent[] = [];
  for (const row of data) {
    if (!Array.isArray(row) || row.length < 4) continue;
    const time = toTime(row[0]);
    const contracts = toNumber(row[1]);
    const coins = inst.contractValue !== undefined && contracts >= 0 ? contracts * inst.contractValue : toNumber(row[2]);
    const usd = toNumber(row[3]);
    if (time !== time || !(coins >= 0 && coins < MAX_NUMERIC) || !(usd >= 0 && usd < MAX_NUMERIC)) continue;
    out.push({ kind: 'oi', venue: 'okx', symbol: inst.symbol, exchTime: time, recvTime, oiBase: coins, oiUsd: usd });
  }
  return out.sort((a, b) => a.exchTime - b.exchTime);
}

const MINUTE = 60_000;

/**
 * `GET /api/v5/market/candles?instId=…&bar=1m` → closed bars, oldest first. Rows are
 * `[ts, o, h, l, c, vol (contracts), volCcy (coins), volCcyQuote, confirm]`, newest first;
 * the still-open bar (`confirm` "0") is left out.
 */
export function mapOkxCandles(json: unknown, inst: VenueInstrument, recvTime: number): BarEvent[] | null {
  const data = okxData(json);
  if (!data) return null;
  const out: BarEvent[] = [];
  for (const row of data) {
    if (!Array.isArray(row) || row.length < 7) continue;
    const start = toTime(row[0]);
    // `confirm` says whether the bar is closed; without it, judge by the clock
    if (row[8] === '0' || (row[8] !== '1' && start + MINUTE > recvTime + 1)) continue;
    const contracts = toNumber(row[5]);
    const volume = inst.contractValue !== undefined && contracts >= 0 ? contracts * inst.contractValue : toNumber(row[6]);
    const bar = barOf('okx', inst, start, toNumber(row[1]), toNumber(row[2]), toNumber(row[3]), toNumber(row[4]), volume, NaN, recvTime);
    if (bar) out.push(bar);
  }
  return out.sort((a, b) => a.openTime - b.openTime);
}

/** One row of `GET /api/v5/public/position-tiers?instType=SWAP&tdMode=isolated&instFamily=…`. */
export interface OkxPositionTier {
  tier: number;
  /** Position size bounds of the tier, in contracts. */
  minSz: number;
  maxSz: number;
  /** Maintenance margin ratio of a position in this tier (applies to the whole position). */
  mmr: number;
  imr: number;
  maxLever: number;
}

/** Position tiers of one instrument family, lowest first; `null` when the body is unusable. */
export function mapOkxPositionTiers(json: unknown): OkxPositionTier[] | null {
  const data = okxData(json);
  if (!data) return null;
  const out: OkxPositionTier[] = [];
  for (const row of data) {
    if (!isRecord(row)) continue;
    const t: OkxPositionTier = {
      tier: toNumber(row.tier),
      minSz: toNumber(row.minSz),
      maxSz: toNumber(row.maxSz),
      mmr: toNumber(row.mmr),
      imr: toNumber(row.imr),
      maxLever: toNumber(row.maxLever),
    };
    if (!(t.minSz >= 0 && t.maxSz > t.minSz && t.maxSz < MAX_NUMERIC) || !(t.mmr > 0 && t.mmr < 1) || !(t.maxLever >= 1 && t.maxLever < 1000)) continue;
    if (!(t.imr > 0 && t.imr <= 1)) t.imr = 1 / t.maxLever;
    if (t.tier !== t.tier) t.tier = out.length + 1;
    out.push(t);
  }
  out.sort((a, b) => a.minSz - b.minSz);
  return out.length > 0 ? out : null;
}
