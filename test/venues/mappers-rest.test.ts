import { describe, expect, it } from 'vitest';
import type { VenueInstrument } from '../../src/market/symbols.ts';
import * as binance from '../../src/venues/binance/rest-mappers.ts';
import * as bybit from '../../src/venues/bybit/rest-mappers.ts';
import { samples, sample } from '../support/samples.ts';


const RECV = 1_790_000_000_000;
const btcB: VenueInstrument = { venue: 'binance', symbol: 'BTC', venueSymbol: 'BTCUSDT', multiplier: 1 };
const pepeB: VenueInstrument = { venue: 'binance', symbol: 'PEPE', venueSymbol: '1000PEPEUSDT', multiplier: 1000 };
const btcY: VenueInstrument = { venue: 'bybit', symbol: 'BTC', venueSymbol: 'BTCUSDT', multiplier: 1 };

const MALFORMED: unknown[] = [null, undefined, 1, 'x', {}, { result: {} }, { retCode: 10006, result: { list: [] } }];

describe('binance REST mappers', () => {
  it('openInterest: base coins, USD from the mark when given', () => {
    const body = sample('binance.usdm/rest GET /fapi/v1/openInterest');
    expect(binance.mapOpenInterest(body, btcB, RECV)).toEqual([{ kind: 'oi', venue: 'binance', symbol: 'BTC', exchTime: 1589437530011, recvTime: RECV, oiBase: 10659.509, oiUsd: 0 }]);
    expect(binance.mapOpenInterest(body, btcB, RECV, 60000)![0]!.oiUsd).toBeCloseTo(10659.509 * 60000, 3);
    expect(binance.mapOpenInterest({ openInterest: '2', symbol: '1000PEPEUSDT', time: 1 }, pepeB, RECV, 0.00001)![0]).toMatchObject({ symbol: 'PEPE', oiBase: 2000, oiUsd: 0.02 });
  });

  it('openInterestHist: timestamp as a string (docs) or an integer (2026 spec), oldest first', () => {
    const asString = binance.mapOpenInterestHist(sample('binance.usdm/rest GET /futures/data/openInterestHist'), btcB, RECV)!;
    expect(asString.map((e) => e.exchTime)).toEqual([1583127900000, 1583128200000]);
    expect(asString[0]).toMatchObject({ oiBase: 20403.12345678, oiUsd: 176196512.12345678 });
    const rows = sample('binance.usdm/rest GET /futures/data/openInterestHist') as Record<string, unknown>[];
    for (const r of rows) r.timestamp = Number(r.timestamp);
    expect(binance.mapOpenInterestHist(rows.reverse(), btcB, RECV)).toEqual(asString);
  });

  it('klines: 12-element rows; taker-buy base volume at index 9; the still-open bar is left out', () => {
    const body = sample('binance.usdm/rest GET /fapi/v1/klines');
    expect(binance.mapKlines(body, btcB, RECV)).toEqual([
      { kind: 'bar', venue: 'binance', symbol: 'BTC', exchTime: 1499040000000 + 59_999, recvTime: RECV, openTime: 1499040000000, open: 0.0163479, high: 0.8, low: 0.015758, close: 0.015771, volume: 148976.11427815, takerBuyVolume: 1756.87402397 },
    ]);
    expect(binance.mapKlines(body, btcB, 1499644799998)).toEqual([]);
  });

  it('exchangeInfo: USDT perpetuals with tick size; quarterlies, other quotes and COIN-M are left out', () => {
    const body = sample('binance.usdm/rest GET /fapi/v1/exchangeInfo') as { symbols: Record<string, unknown>[] };
    const blz = body.symbols[0]!;
    body.symbols.push(
      { ...blz, symbol: '1000PEPEUSDT', baseAsset: '1000PEPE' },
      { ...blz, symbol: 'BTCUSDT_260327', contractType: 'CURRENT_QUARTER', baseAsset: 'BTC' },
      { ...blz, symbol: 'ETHUSDC', quoteAsset: 'USDC', marginAsset: 'USDC', baseAsset: 'ETH' },
      { ...blz, symbol: 'SOLUSDT', status: 'SETTLING', baseAsset: 'SOL' },
    );
    const listings = binance.mapExchangeInfo(body)!;
    expect(listings).toEqual([
      { venueSymbol: 'BLZUSDT', symbol: 'BLZ', multiplier: 1, tradable: true, status: 'TRADING', tickSize: 0.0001 },
      { venueSymbol: '1000PEPEUSDT', symbol: 'PEPE', multiplier: 1000, tradable: true, status: 'TRADING', tickSize: 0.0001 },
      { venueSymbol: 'SOLUSDT', symbol: 'SOL', multiplier: 1, tradable: false, status: 'SETTLING', tickSize: 0.0001 },
    ]);
  });

  it('fundingInfo: hours per venue symbol', () => {
    const m = binance.mapFundingInfo([{ symbol: 'BTCUSDT', fundingIntervalHours: 4 }, { symbol: 'ETHUSDT', fundingIntervalHours: 'x' }, 7])!;
    expect([...m]).toEqual([['BTCUSDT', 4]]);
  });

  it('malformed bodies give null, never a throw', () => {
    for (const bad of MALFORMED) {
      expect(binance.mapExchangeInfo(bad)).toBeNull();
      expect(binance.mapOpenInterest(bad, btcB, RECV)).toBeNull();
      if (!Array.isArray(bad)) {
        expect(binance.mapOpenInterestHist(bad, btcB, RECV)).toBeNull();
        expect(binance.mapKlines(bad, btcB, RECV)).toBeNull();
        expect(binance.mapFundingInfo(bad)).toBeNull();
      }
    }
    expect(binance.mapKlines([[1, 'a'], null, 'x'], btcB, RECV)).toEqual([]);
  });
});

describe('bybit REST mappers', () => {
  it('open-interest: newest-first list returned oldest first; singleOpenInterest is the single side', () => {
    const evs = bybit.mapOpenInterest(sample('bybit.v5/rest GET /v5/market/open-interest'), btcY, RECV, 2)!;
    expect(evs.map((e) => e.exchTime)).toEqual([1780617600000, 1780704000000, 1780790400000, 1780876800000, 1780963200000]);
    expect(evs[0]).toMatchObject({ kind: 'oi', venue: 'bybit', symbol: 'BTC', oiBase: 31971156, oiUsd: 31971156 * 2 });
  });

  it('open-interest without singleOpenInterest halves openInterest (both sides)', () => {
    const body = { retCode: 0, result: { list: [{ openInterest: '100', timestamp: '5' }] } };
    expect(bybit.mapOpenInterest(body, btcY, RECV)![0]).toMatchObject({ oiBase: 50, oiUsd: 0, exchTime: 5 });
  });

  it('kline: reverse-sorted list returned oldest first, no taker split', () => {
    const evs = bybit.mapKlines(sample('bybit.v5/rest GET /v5/market/kline'), btcY, RECV)!;
    expect(evs.map((e) => e.openTime)).toEqual([1670601600000, 1670605200000, 1670608800000]);
    expect(evs[2]).toMatchObject({ open: 17071, high: 17073, low: 17027, close: 17055.5, volume: 268611, takerBuyVolume: undefined });
    expect(bybit.mapKlines(sample('bybit.v5/rest GET /v5/market/kline'), btcY, 1670608800000 + 30_000)).toHaveLength(2);
  });

  it('instruments-info: linear USDT perpetuals with the multiplier, tick size and funding interval', () => {
    const body = {
      retCode: 0,
      retMsg: 'OK',
      result: {
        category: 'linear',
        list: [
          { symbol: 'SHIB1000USDT', contractType: 'LinearPerpetual', status: 'Trading', baseCoin: 'SHIB1000', quoteCoin: 'USDT', settleCoin: 'USDT', priceFilter: { tickSize: '0.000001' }, fundingInterval: 240 },
          { symbol: '10000SATSUSDT', contractType: 'LinearPerpetual', status: 'Trading', quoteCoin: 'USDT', settleCoin: 'USDT', fundingInterval: 480 },
          { symbol: 'BTC-26DEC25', contractType: 'LinearFutures', status: 'Trading', quoteCoin: 'USDT', settleCoin: 'USDT' },
          { symbol: 'BTCPERP', contractType: 'LinearPerpetual', status: 'Trading', quoteCoin: 'USDC', settleCoin: 'USDC' },
          { symbol: 'XYZUSDT', contractType: 'LinearPerpetual', status: 'PreLaunch', quoteCoin: 'USDT', settleCoin: 'USDT' },
        ],
      },
    };
    expect(bybit.mapInstruments(body)).toEqual([
      { venueSymbol: 'SHIB1000USDT', symbol: 'SHIB', multiplier: 1000, tradable: true, status: 'Trading', tickSize: 0.000001, fundingIntervalHours: 4 },
      { venueSymbol: '10000SATSUSDT', symbol: 'SATS', multiplier: 10000, tradable: true, status: 'Trading', fundingIntervalHours: 8 },
      { venueSymbol: 'XYZUSDT', symbol: 'XYZ', multiplier: 1, tradable: false, status: 'PreLaunch' },
    ]);
  });

  it('malformed bodies and error envelopes give null, never a throw', () => {
    for (const bad of MALFORMED) {
      expect(bybit.mapInstruments(bad)).toBeNull();
      expect(bybit.mapOpenInterest(bad, btcY, RECV)).toBeNull();
      expect(bybit.mapKlines(bad, btcY, RECV)).toBeNull();
    }
  });
});
