/**
 * Inverse of the Binance mappers, for the fake server and the simulator: MarketEvents (coin units)
 * → Binance USD-M wire payloads (venue units, numbers as strings, 2026 fields included) and REST bodies.
 */
import type { Bar, OiPoint } from '../market/state.ts';
import type { VenueInstrument } from '../market/symbols.ts';
import type { BarEvent, MarketEvent, OpenInterestEvent } from '../market/types.ts';

export interface BinanceEncoded {
  /** The routed path the stream lives on since 2026. */
  path: 'market' | 'public';
  /** Lower-case stream name, e.g. `ethusdt@aggTrade`. */
  stream: string;
  /** The payload (`data` of the combined-stream wrapper). */
  data: Record<string, unknown>;
}

export type OiPointLike = OpenInterestEvent | OiPoint;
export type BarLike = BarEvent | Bar;

const MINUTE = 60_000;
const DEFAULT_FUNDING_HOURS = 8;
let nextTradeId = 1;
let nextBookUpdateId = 1;

/** Decimal string the way the venue sends numbers (shortest round-trip form, no exponent). */
export function decimal(x: number): string {
  if (!Number.isFinite(x)) return '0';
  const s = String(x);
  if (!/e/i.test(s) || Math.abs(x) >= 1e21) return s;
  const fixed = x.toFixed(Math.min(20, Math.max(0, 16 - Math.floor(Math.log10(Math.abs(x))))));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

export function encodeBinanceEvent(ev: MarketEvent, inst: VenueInstrument): BinanceEncoded | null {
  const name = inst.venueSymbol.toUpperCase();
  const lower = name.toLowerCase();
  const m = inst.multiplier;
  switch (ev.kind) {
    case 'trade': {
      // the event's own id when it has one (a venue fake replaying a duplicate keeps its id)
      const id = typeof ev.id === 'number' ? ev.id : nextTradeId++;
      const qty = decimal(ev.qty / m);
      return {
        path: 'market',
        stream: `${lower}@aggTrade`,
        data: { e: 'aggTrade', E: ev.exchTime, s: name, a: id, p: decimal(ev.price * m), q: qty, nq: qty, f: id, l: id, T: ev.exchTime, m: ev.side === 'sell', st: 1 },
      };
    }
    case 'mark': {
      const hours = inst.fundingIntervalHours ?? DEFAULT_FUNDING_HOURS;
      const mark = decimal(ev.mark * m);
      return {
        path: 'market',
        stream: `${lower}@markPrice@1s`,
        data: {
          e: 'markPriceUpdate',
          E: ev.exchTime,
          s: name,
          p: mark,
          i: ev.index !== undefined ? decimal(ev.index * m) : '',
          P: mark,
          r: ev.fundingRateHourly !== undefined ? decimal(ev.fundingRateHourly * hours) : '',
          ap: mark,
          T: ev.nextFundingTime ?? 0,
          st: 1,
        },
      };
    }
    case 'liquidation': {
      const qty = decimal(ev.qty / m);
      const price = decimal(ev.price * m);
      return {
        path: 'market',
        stream: `${lower}@forceOrder`,
        data: {
          e: 'forceOrder',
          E: ev.exchTime,
          // the forced order closing a long is a SELL
          o: { s: name, S: ev.side === 'long' ? 'SELL' : 'BUY', o: 'LIMIT', f: 'IOC', q: qty, p: price, ap: price, X: 'FILLED', l: qty, z: qty, T: ev.exchTime },
          ps: name,
          st: 1,
        },
      };
    }
    case 'book':
      return {
        path: 'public',
        stream: `${lower}@bookTicker`,
        data: {
          e: 'bookTicker',
          u: nextBookUpdateId++,
          E: ev.exchTime,
          T: ev.exchTime,
          s: name,
          b: decimal(ev.bid * m),
          B: decimal(ev.bidSize / m),
          a: decimal(ev.ask * m),
          A: decimal(ev.askSize / m),
          ps: name,
          st: 1,
        },
      };
    case 'bar': {
      const k = klineFields(ev, m);
      return {
        path: 'market',
        stream: `${lower}@kline_1m`,
        data: {
          e: 'kline',
          E: ev.openTime + MINUTE,
          s: name,
          k: { t: ev.openTime, T: ev.openTime + MINUTE - 1, s: name, i: '1m', f: 0, L: 0, o: k.open, c: k.close, h: k.high, l: k.low, v: k.volume, n: 1, x: true, q: k.quoteVolume, V: k.takerBuy, Q: k.takerBuyQuote, B: '0' },
        },
      };
    }
    case 'oi':
      return null; // Binance has no open-interest stream: OI comes from REST polling
  }
}

function klineFields(b: BarLike, m: number) {
  const openTime = 'openTime' in b ? b.openTime : b.t;
  const takerBuy = 'kind' in b ? (b.takerBuyVolume ?? b.volume / 2) : b.buyVolume;
  const typical = (b.high + b.low + b.close) / 3;
  return {
    openTime,
    open: decimal(b.open * m),
    high: decimal(b.high * m),
    low: decimal(b.low * m),
    close: decimal(b.close * m),
    volume: decimal(b.volume / m),
    takerBuy: decimal(takerBuy / m),
    quoteVolume: decimal(b.volume * typical),
    takerBuyQuote: decimal(takerBuy * typical),
  };
}

/** `GET /fapi/v1/exchangeInfo`, listing the instruments as trading USDT perpetuals. */
export function binanceExchangeInfoBody(instruments: VenueInstrument[], serverTime = 0): Record<string, unknown> {
  return {
    timezone: 'UTC',
    serverTime,
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
    ],
    exchangeFilters: [],
    assets: [{ asset: 'USDT', marginAvailable: true, autoAssetExchange: '-10000' }],
    symbols: instruments
      .filter((i) => i.venue === 'binance')
      .map((i) => ({
        symbol: i.venueSymbol,
        pair: i.venueSymbol,
        contractType: 'PERPETUAL',
        deliveryDate: 4133404800000,
        onboardDate: 1569398400000,
        status: 'TRADING',
        baseAsset: i.venueSymbol.replace(/USDT$/, ''),
        quoteAsset: 'USDT',
        marginAsset: 'USDT',
        pricePrecision: 8,
        quantityPrecision: 3,
        underlyingType: 'COIN',
        filters: [
          { filterType: 'PRICE_FILTER', minPrice: '0.000001', maxPrice: '10000000', tickSize: decimal(i.tickSize ?? 0.000001) },
          { filterType: 'LOT_SIZE', minQty: '0.001', maxQty: '10000000', stepSize: '0.001' },
        ],
      })),
  };
}

/** `GET /fapi/v1/fundingInfo`: only symbols with a known funding interval. */
export function binanceFundingInfoBody(instruments: VenueInstrument[]): Record<string, unknown>[] {
  return instruments
    .filter((i) => i.venue === 'binance' && i.fundingIntervalHours !== undefined)
    .map((i) => ({ symbol: i.venueSymbol, adjustedFundingRateCap: '0.02', adjustedFundingRateFloor: '-0.02', fundingIntervalHours: i.fundingIntervalHours, disclaimer: false }));
}

/** `GET /fapi/v1/klines`: 12-element rows, oldest first. */
export function binanceKlinesBody(bars: BarLike[], inst?: VenueInstrument): unknown[][] {
  const m = inst?.multiplier ?? 1;
  return bars
    .map((b) => klineFields(b, m))
    .sort((a, b) => a.openTime - b.openTime)
    .map((k) => [k.openTime, k.open, k.high, k.low, k.close, k.volume, k.openTime + MINUTE - 1, k.quoteVolume, 1, k.takerBuy, k.takerBuyQuote, '0']);
}

function venueSymbolOf(symbol: string, inst?: VenueInstrument): string {
  return inst?.venueSymbol ?? `${symbol}USDT`;
}

function timeOf(p: OiPointLike): number {
  return 'exchTime' in p ? p.exchTime : p.t;
}

/** `GET /fapi/v1/openInterest` for one point. */
export function binanceOpenInterestBody(point: OiPointLike, inst: VenueInstrument): Record<string, unknown> {
  return { openInterest: decimal(point.oiBase / inst.multiplier), symbol: inst.venueSymbol, time: timeOf(point) };
}

/** `GET /futures/data/openInterestHist`, oldest first; `timestamp` as an integer (2026) or a string (docs). */
export function binanceOpenInterestHistBody(points: OiPointLike[], inst?: VenueInstrument, timestampAsString = false): Record<string, unknown>[] {
  const m = inst?.multiplier ?? 1;
  return [...points]
    .sort((a, b) => timeOf(a) - timeOf(b))
    .map((p) => ({
      symbol: venueSymbolOf('symbol' in p ? p.symbol : 'BTC', inst),
      sumOpenInterest: decimal(p.oiBase / m),
      sumOpenInterestValue: decimal(p.oiUsd),
      CMCCirculatingSupply: '0',
      timestamp: timestampAsString ? String(timeOf(p)) : timeOf(p),
    }));
}
