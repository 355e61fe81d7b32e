/**
 * The record/replay frame format (DESIGN.md) and the one place that turns a recorded frame back into
 * the MarketEvents the live run produced: WS frames go to the venue stream mappers, `rest:` frames
 * to the REST mappers chosen by path.
 */
import type { SymbolRegistry, VenueInstrument } from '../market/symbols.ts';
import type { MarketEvent, Venue } from '../market/types.ts';
import { VENUES } from '../market/types.ts';
import { createBinanceMapper } from './binance/mapper.ts';
import * as binanceRest from './binance/rest-mappers.ts';
import { createBybitMapper } from './bybit/mapper.ts';
import * as bybitRest from './bybit/rest-mappers.ts';
import { createHyperliquidMapper } from './hyperliquid/mapper.ts';
import * as hlRest from './hyperliquid/rest-mappers.ts';
import { createOkxMapper } from './okx/mapper.ts';
import * as okxRest from './okx/rest-mappers.ts';
import { buildRegistry, type BuiltRegistry } from './registry.ts';

/** One JSON line of a recording. */
export interface FrameRecord {
  /** Receive time, ms (the replay clock). */
  t: number;
  v: Venue;
  /** Stream or topic for WS frames; `rest:<path>?<query>` for REST responses. */
  c: string;
  /** The frame or response body exactly as received. */
  raw: string;
}

export const REST_PREFIX = 'rest:';

/** The REST paths liqzone records and maps. */
export const REST_PATHS = {
  binanceExchangeInfo: '/fapi/v1/exchangeInfo',
  binanceFundingInfo: '/fapi/v1/fundingInfo',
  binanceOpenInterest: '/fapi/v1/openInterest',
  binanceOpenInterestHist: '/futures/data/openInterestHist',
  binanceKlines: '/fapi/v1/klines',
  bybitInstruments: '/v5/market/instruments-info',
  bybitOpenInterest: '/v5/market/open-interest',
  bybitKlines: '/v5/market/kline',
  bybitRiskLimit: '/v5/market/risk-limit',
  okxInstruments: '/api/v5/public/instruments',
  okxOpenInterestHistory: '/api/v5/rubik/stat/contracts/open-interest-history',
  okxCandles: '/api/v5/market/candles',
  okxPositionTiers: '/api/v5/public/position-tiers',
  /** Hyperliquid's one info endpoint (POST); the request `type` is in the recorded query. */
  hyperliquidInfo: '/info',
} as const;

/** The channel string a recorder writes for a REST response. */
export function restChannel(path: string, query: Record<string, string | number> | string = ''): string {
  const q = typeof query === 'string' ? query.replace(/^\?/, '') : new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return `${REST_PREFIX}${path}${q ? `?${q}` : ''}`;
}

/** Parse one recording line; `null` when it is not a valid record. */
export function parseFrameRecord(line: string): FrameRecord | null {
  let x: unknown;
  try {
    x = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof x !== 'object' || x === null) return null;
  const r = x as Record<string, unknown>;
  if (typeof r.t !== 'number' || !Number.isFinite(r.t) || typeof r.c !== 'string' || typeof r.raw !== 'string') return null;
  if (typeof r.v !== 'string' || !(VENUES as readonly string[]).includes(r.v)) return null;
  return { t: r.t, v: r.v as Venue, c: r.c, raw: r.raw };
}

function parseRest(c: string): { path: string; params: URLSearchParams } | null {
  if (!c.startsWith(REST_PREFIX)) return null;
  const rest = c.slice(REST_PREFIX.length);
  const q = rest.indexOf('?');
  return q < 0 ? { path: rest, params: new URLSearchParams() } : { path: rest.slice(0, q), params: new URLSearchParams(rest.slice(q + 1)) };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** The latest recorded body for a venue's REST path (and request `type`, for Hyperliquid), parsed; undefined when none was recorded. */
function recordedBody(records: FrameRecord[], venue: Venue, path: string, types?: readonly string[]): unknown {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.v !== venue) continue;
    const rest = parseRest(r.c);
    if (rest && rest.path === path && (!types || types.includes(rest.params.get('type') ?? ''))) {
      const body = parseJson(r.raw);
      if (body !== undefined) return body;
    }
  }
  return undefined;
}

/**
 * The registry a replay uses: from the recorded exchangeInfo / instruments-info / fundingInfo
 * responses when present, built-in defaults otherwise (the registry's notes say which).
 */
export function registryFromRecords(records: FrameRecord[], symbols: string[], venues: Venue[]): BuiltRegistry {
  return buildRegistry({
    symbols,
    venues,
    binanceExchangeInfo: recordedBody(records, 'binance', REST_PATHS.binanceExchangeInfo),
    bybitInstruments: recordedBody(records, 'bybit', REST_PATHS.bybitInstruments),
    binanceFundingInfo: recordedBody(records, 'binance', REST_PATHS.binanceFundingInfo),
    okxInstruments: recordedBody(records, 'okx', REST_PATHS.okxInstruments),
    hyperliquidMeta: recordedBody(records, 'hyperliquid', REST_PATHS.hyperliquidInfo, ['meta', 'metaAndAssetCtxs']),
  });
}

export interface RecordMapper {
  /**
   * Events for one record; `[]` for control frames and listing responses; `null` when malformed.
   * `parsed`, when given, is `JSON.parse(rec.raw)` already done by the caller (live WS frames: the
   * `payload` of the protocol's `data` frame, i.e. the whole parsed message), so a live frame is
   * parsed exactly once; replay and REST bodies pass the record alone and it is parsed here.
   */
  map(rec: FrameRecord, parsed?: unknown): MarketEvent[] | null;
  /** The last mark (coin price) seen per venue and symbol: REST open interest is valued with it. */
  lastMark(venue: Venue, symbol: string): number | undefined;
  /**
   * A venue's socket reconnected: drop merged stream state (Bybit tickers and books). Optional:
   * the venue sends snapshots first after a resubscribe, so a replay that never calls it maps the same.
   */
  reset(venue: Venue): void;
}

/**
 * Routes recorded (or live) frames to the mappers. Live ingest can use it too, so that REST open
 * interest is valued with the same mark in the live run and in its replay.
 */
export function createRecordMapper(reg: SymbolRegistry): RecordMapper {
  const binance = createBinanceMapper(reg);
  const bybit = createBybitMapper(reg);
  const okx = createOkxMapper(reg);
  const hyperliquid = createHyperliquidMapper(reg);
  const marks = new Map<string, number>();
  const markKey = (venue: Venue, symbol: string) => `${venue}:${symbol}`;

  function noteMarks(events: MarketEvent[] | null): MarketEvent[] | null {
    if (events) {
      for (let i = 0; i < events.length; i++) {
        const ev = events[i]!;
        if (ev.kind === 'mark') marks.set(markKey(ev.venue, ev.symbol), ev.mark);
      }
    }
    return events;
  }

  function mapRest(rec: FrameRecord, path: string, params: URLSearchParams): MarketEvent[] | null {
    const body = parseJson(rec.raw);
    if (body === undefined) return null;
    const venueSymbol = params.get('symbol');
    const inst: VenueInstrument | undefined = venueSymbol ? reg.byVenueSymbol(rec.v, venueSymbol) : undefined;
    if (rec.v === 'binance') {
      switch (path) {
        case REST_PATHS.binanceOpenInterest:
          return inst ? binanceRest.mapOpenInterest(body, inst, rec.t, marks.get(markKey('binance', inst.symbol))) : [];
        case REST_PATHS.binanceOpenInterestHist:
          return inst ? binanceRest.mapOpenInterestHist(body, inst, rec.t) : [];
        case REST_PATHS.binanceKlines:
          return inst && (params.get('interval') ?? '1m') === '1m' ? binanceRest.mapKlines(body, inst, rec.t) : [];
        default:
          return []; // exchangeInfo, fundingInfo and anything else: no market events
      }
    }
    if (rec.v === 'okx') {
      const okxInst = params.get('instId') ? reg.byVenueSymbol('okx', params.get('instId')!) : undefined;
      switch (path) {
        case REST_PATHS.okxOpenInterestHistory:
          return okxInst && (params.get('period') ?? '5m') === '5m' ? okxRest.mapOkxOpenInterestHistory(body, okxInst, rec.t) : [];
        case REST_PATHS.okxCandles:
          return okxInst && (params.get('bar') ?? '1m') === '1m' ? okxRest.mapOkxCandles(body, okxInst, rec.t) : [];
        default:
          return []; // instruments, position tiers: no market events
      }
    }
    if (rec.v === 'hyperliquid') {
      if (path !== REST_PATHS.hyperliquidInfo) return [];
      switch (params.get('type')) {
        case 'metaAndAssetCtxs':
          return hlRest.mapHyperliquidAssetCtxs(body, (name) => reg.byVenueSymbol('hyperliquid', name), rec.t);
        case 'candleSnapshot': {
          const coin = params.get('coin');
          const hlInst = coin ? reg.byVenueSymbol('hyperliquid', coin) : undefined;
          return hlInst && (params.get('interval') ?? '1m') === '1m' ? hlRest.mapHyperliquidCandles(body, hlInst, rec.t) : [];
        }
        default:
          return []; // meta, clearinghouseState (observed positions, not market events)
      }
    }
    switch (path) {
      case REST_PATHS.bybitOpenInterest:
        return inst ? bybitRest.mapOpenInterest(body, inst, rec.t, marks.get(markKey('bybit', inst.symbol))) : [];
      case REST_PATHS.bybitKlines:
        return inst && (params.get('interval') ?? '1') === '1' ? bybitRest.mapKlines(body, inst, rec.t) : [];
      default:
        return [];
    }
  }

  return {
    map(rec: FrameRecord, parsed?: unknown): MarketEvent[] | null {
      const rest = parseRest(rec.c);
      if (rest) return noteMarks(mapRest(rec, rest.path, rest.params));
      const msg = parsed !== undefined ? parsed : parseJson(rec.raw);
      if (msg === undefined) return null;
      if (rec.v === 'binance') return noteMarks(binance.map(msg, rec.t));
      if (rec.v === 'bybit') return noteMarks(bybit.map(msg, rec.t));
      if (rec.v === 'okx') return noteMarks(okx.map(msg, rec.t));
      if (rec.v === 'hyperliquid') return noteMarks(hyperliquid.map(msg, rec.t));
      return null;
    },
    lastMark(venue: Venue, symbol: string): number | undefined {
      return marks.get(markKey(venue, symbol));
    },
    reset(venue: Venue): void {
      if (venue === 'bybit') bybit.reset();
    },
  };
}
