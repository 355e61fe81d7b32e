/**
 * Hyperliquid `POST /info` bodies → listings, MarketEvents and observed positions. Pure; `unknown`
 * JSON in; never throws: a body of the wrong shape gives `null`, rows that do not parse are skipped.
 */
import type { VenueInstrument } from '../../market/symbols.ts';
import type { BarEvent, MarketEvent, PositionSide } from '../../market/types.ts';
import { barOf, isRecord, MAX_NUMERIC, toNumber, toTime } from '../binance/mapper.ts';
import type { VenueListing } from '../naming.ts';
import { canonicalOf } from '../naming.ts';
import { HYPERLIQUID_OI_SIDES } from './mapper.ts';

/** The `meta` part of `{type:"meta"}` or the first element of `{type:"metaAndAssetCtxs"}`. */
function metaOf(json: unknown): { universe: unknown[]; ctxs?: unknown[] } | null {
  if (Array.isArray(json) && json.length >= 2 && isRecord(json[0]) && Array.isArray(json[0].universe) && Array.isArray(json[1])) {
    return { universe: json[0].universe, ctxs: json[1] };
  }
  if (isRecord(json) && Array.isArray(json.universe)) return { universe: json.universe };
  return null;
}

/** `meta` / `metaAndAssetCtxs` → the perps (delisted ones marked not tradable). */
export function mapHyperliquidMeta(json: unknown): VenueListing[] | null {
  const meta = metaOf(json);
  if (!meta) return null;
  const out: VenueListing[] = [];
  for (const row of meta.universe) {
    if (!isRecord(row) || typeof row.name !== 'string') continue;
    const canonical = canonicalOf('hyperliquid', row.name);
    if (!canonical) continue;
    const delisted = row.isDelisted === true;
    // Hyperliquid settles funding every hour
    out.push({ venueSymbol: row.name, ...canonical, tradable: !delisted, status: delisted ? 'delisted' : 'listed', fundingIntervalHours: 1 });
  }
  return out;
}

/**
 * `metaAndAssetCtxs` → one mark and one open-interest event per tracked coin (the start-up
 * snapshot before the socket delivers). `instOf` resolves venue names to tracked instruments.
 */
export function mapHyperliquidAssetCtxs(json: unknown, instOf: (venueSymbol: string) => VenueInstrument | undefined, recvTime: number): MarketEvent[] | null {
  const meta = metaOf(json);
  if (!meta?.ctxs) return meta ? [] : null;
  const out: MarketEvent[] = [];
  meta.universe.forEach((row, i) => {
    const ctx = meta.ctxs![i];
    if (!isRecord(row) || typeof row.name !== 'string' || !isRecord(ctx)) return;
    const inst = instOf(row.name);
    if (!inst) return;
    const mark = toNumber(ctx.markPx);
    if (!(mark > 0 && mark < MAX_NUMERIC)) return;
    const coinMark = mark / inst.multiplier;
    const funding = toNumber(ctx.funding);
    const oracle = toNumber(ctx.oraclePx);
    const ev: MarketEvent = { kind: 'mark', venue: 'hyperliquid', symbol: inst.symbol, exchTime: recvTime, recvTime, mark: coinMark };
    if (oracle > 0 && oracle < MAX_NUMERIC) ev.index = oracle / inst.multiplier;
    if (Math.abs(funding) < 1) ev.fundingRateHourly = funding;
    out.push(ev);
    const oi = toNumber(ctx.openInterest);
    if (oi >= 0 && oi < MAX_NUMERIC) {
      const oiBase = (oi / HYPERLIQUID_OI_SIDES) * inst.multiplier;
      out.push({ kind: 'oi', venue: 'hyperliquid', symbol: inst.symbol, exchTime: recvTime, recvTime, oiBase, oiUsd: oiBase * coinMark });
    }
  });
  return out;
}

/** `{type:"candleSnapshot", req:{coin, interval:"1m", …}}` → closed 1-minute bars, oldest first. */
export function mapHyperliquidCandles(json: unknown, inst: VenueInstrument, recvTime: number): BarEvent[] | null {
  if (!Array.isArray(json)) return null;
  const out: BarEvent[] = [];
  for (const c of json) {
    if (!isRecord(c)) continue;
    const start = toTime(c.t);
    const end = toTime(c.T);
    if (c.i !== undefined && c.i !== '1m') continue;
    if (!(end < recvTime)) continue; // still open
    const bar = barOf('hyperliquid', inst, start, toNumber(c.o), toNumber(c.h), toNumber(c.l), toNumber(c.c), toNumber(c.v), NaN, recvTime);
    if (bar) out.push(bar);
  }
  return out.sort((a, b) => a.openTime - b.openTime);
}

/** One open position of one account, as `clearinghouseState` reports it, in coin units. */
export interface ObservedPosition {
  /** Venue coin name (`kPEPE`). */
  coin: string;
  side: PositionSide;
  /** Size in venue units (`|szi|`), and the position value in USD. */
  size: number;
  notionalUsd: number;
  entryPx: number;
  /** The venue's own liquidation price; undefined when the account cannot be liquidated. */
  liquidationPx?: number;
  leverage: number;
  marginType: 'cross' | 'isolated';
}

/** `{type:"clearinghouseState", user}` → the account's open perp positions; `null` when the body is unusable. */
export function mapClearinghouseState(json: unknown): ObservedPosition[] | null {
  if (!isRecord(json) || !Array.isArray(json.assetPositions)) return null;
  const out: ObservedPosition[] = [];
  for (const ap of json.assetPositions) {
    const p = isRecord(ap) ? ap.position : undefined;
    if (!isRecord(p) || typeof p.coin !== 'string') continue;
    const szi = toNumber(p.szi);
    const entryPx = toNumber(p.entryPx);
    const value = toNumber(p.positionValue);
    if (!(szi !== 0 && Math.abs(szi) < MAX_NUMERIC) || !(entryPx > 0 && entryPx < MAX_NUMERIC) || !(value >= 0 && value < MAX_NUMERIC)) continue;
    const lev = isRecord(p.leverage) ? p.leverage : {};
    const leverage = toNumber(lev.value);
    const liq = p.liquidationPx === null ? NaN : toNumber(p.liquidationPx);
    const pos: ObservedPosition = {
      coin: p.coin,
      side: szi > 0 ? 'long' : 'short',
      size: Math.abs(szi),
      notionalUsd: value,
      entryPx,
      leverage: leverage >= 1 && leverage < 1000 ? leverage : value > 0 && toNumber(p.marginUsed) > 0 ? value / toNumber(p.marginUsed) : 1,
      marginType: lev.type === 'isolated' ? 'isolated' : 'cross',
    };
    if (liq > 0 && liq < MAX_NUMERIC) pos.liquidationPx = liq;
    out.push(pos);
  }
  return out;
}

/** One Hyperliquid margin tier: from `lowerBound` USD of notional, at most `maxLeverage`. */
export interface HyperliquidMarginTier {
  lowerBound: number;
  maxLeverage: number;
}

/**
 * `meta` / `metaAndAssetCtxs` → margin tiers per venue coin name: the coin's `marginTableId` table
 * from `marginTables` (`[[id, {description, marginTiers: [{lowerBound, maxLeverage}]}]]`), else one
 * tier at the coin's `maxLeverage`. Lowest bound first; `null` when the body is not a meta.
 */
export function mapHyperliquidMarginTiers(json: unknown): Map<string, HyperliquidMarginTier[]> | null {
  const root = Array.isArray(json) ? json[0] : json;
  const meta = metaOf(json);
  if (!meta || !isRecord(root)) return null;
  const tables = new Map<number, HyperliquidMarginTier[]>();
  if (Array.isArray(root.marginTables)) {
    for (const entry of root.marginTables) {
      if (!Array.isArray(entry) || entry.length < 2 || !isRecord(entry[1]) || !Array.isArray(entry[1].marginTiers)) continue;
      const id = toNumber(entry[0]);
      const tiers: HyperliquidMarginTier[] = [];
      for (const t of entry[1].marginTiers) {
        if (!isRecord(t)) continue;
        const lowerBound = toNumber(t.lowerBound);
        const maxLeverage = toNumber(t.maxLeverage);
        if (lowerBound >= 0 && lowerBound < MAX_NUMERIC && maxLeverage >= 1 && maxLeverage <= 1000) tiers.push({ lowerBound, maxLeverage });
      }
      if (id === id && tiers.length > 0) tables.set(id, tiers.sort((a, b) => a.lowerBound - b.lowerBound));
    }
  }
  const out = new Map<string, HyperliquidMarginTier[]>();
  for (const row of meta.universe) {
    if (!isRecord(row) || typeof row.name !== 'string') continue;
    const table = tables.get(toNumber(row.marginTableId));
    const maxLeverage = toNumber(row.maxLeverage);
    if (table && table[0]!.lowerBound === 0) out.set(row.name, table);
    else if (maxLeverage >= 1 && maxLeverage <= 1000) out.set(row.name, [{ lowerBound: 0, maxLeverage }]);
  }
  return out;
}
