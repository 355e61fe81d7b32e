import { describe, expect, it, vi } from 'vitest';
import { MarketState } from '../../src/market/state.ts';
import type { MarketEvent } from '../../src/market/types.ts';
import { createRecordMapper, parseFrameRecord, REST_PATHS, restChannel, registryFromRecords, type FrameRecord } from '../../src/venues/records.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import { binanceExchangeInfoBody, binanceKlinesBody, binanceOpenInterestBody, binanceOpenInterestHistBody, encodeBinanceEvent } from '../../src/demo/binance-encode.ts';
import { bybitInstrumentsBody, bybitKlinesBody, bybitOpenInterestBody, BybitTickerEncoder, encodeBybitEvent } from '../../src/demo/bybit-encode.ts';

const SYMBOLS = ['BTC', 'ETH', 'PEPE'];
const T0 = 1_780_000_020_000;

describe('record lines', () => {
  it('parse valid records and reject anything else', () => {
    expect(parseFrameRecord('{"t":1,"v":"bybit","c":"tickers.BTCUSDT","raw":"{}"}')).toEqual({ t: 1, v: 'bybit', c: 'tickers.BTCUSDT', raw: '{}' });
    for (const bad of ['', 'x', '[]', '{"t":"1","v":"bybit","c":"a","raw":"{}"}', '{"t":1,"v":"kraken","c":"a","raw":"{}"}', '{"t":1,"v":"bybit","c":"a","raw":{}}']) {
      expect(parseFrameRecord(bad)).toBeNull();
    }
  });

  it('REST channels are rest:<path>?<query>', () => {
    expect(restChannel(REST_PATHS.binanceOpenInterest, { symbol: 'BTCUSDT' })).toBe('rest:/fapi/v1/openInterest?symbol=BTCUSDT');
    expect(restChannel(REST_PATHS.binanceExchangeInfo)).toBe('rest:/fapi/v1/exchangeInfo');
    expect(restChannel(REST_PATHS.bybitKlines, '?category=linear&interval=1')).toBe('rest:/v5/market/kline?category=linear&interval=1');
  });
});

describe('registryFromRecords', () => {
  const listed = buildRegistry({ symbols: SYMBOLS, venues: ['binance', 'bybit'] });

  it('uses the recorded exchangeInfo and instruments-info', () => {
    const records: FrameRecord[] = [
      { t: 1, v: 'binance', c: restChannel(REST_PATHS.binanceExchangeInfo), raw: JSON.stringify(binanceExchangeInfoBody(listed.instruments('binance').filter((i) => i.symbol !== 'ETH'))) },
      { t: 1, v: 'bybit', c: restChannel(REST_PATHS.bybitInstruments, { category: 'linear' }), raw: JSON.stringify(bybitInstrumentsBody(listed.instruments('bybit'))) },
    ];
    const reg = registryFromRecords(records, SYMBOLS, ['binance', 'bybit']);
    expect(reg.source('binance')).toBe('listing');
    expect(reg.source('bybit')).toBe('listing');
    expect(reg.skipped()).toEqual([{ venue: 'binance', symbol: 'ETH', reason: 'not listed on binance USD-M (no ETH USDT perpetual)' }]);
    expect(reg.instrument('bybit', 'PEPE')).toMatchObject({ venueSymbol: '1000PEPEUSDT', multiplier: 1000, fundingIntervalHours: 8 });
  });

  it('falls back to built-in defaults when nothing (or garbage) was recorded, and says so', () => {
    const reg = registryFromRecords([{ t: 1, v: 'bybit', c: restChannel(REST_PATHS.bybitInstruments), raw: '{not json' }], SYMBOLS, ['binance', 'bybit']);
    expect(reg.source('binance')).toBe('defaults');
    expect(reg.source('bybit')).toBe('defaults');
    expect(reg.instrument('binance', 'PEPE')?.venueSymbol).toBe('1000PEPEUSDT');
    expect(reg.notes()).toHaveLength(2);
  });
});

describe('createRecordMapper', () => {
  const reg = buildRegistry({ symbols: SYMBOLS, venues: ['binance', 'bybit'] });
  const btcB = reg.instrument('binance', 'BTC')!;
  const btcY = reg.instrument('bybit', 'BTC')!;
  const at = { symbol: 'BTC', recvTime: T0 };

  it('routes WS frames to the stream mappers and REST responses by path', () => {
    const rm = createRecordMapper(reg);
    const enc = encodeBinanceEvent({ kind: 'mark', venue: 'binance', ...at, exchTime: T0, mark: 60000, index: 60010, fundingRateHourly: 0.00001, nextFundingTime: T0 + 1000 }, btcB)!;
    expect(rm.map({ t: T0, v: 'binance', c: enc.stream, raw: JSON.stringify({ stream: enc.stream, data: enc.data }) })).toMatchObject([{ kind: 'mark', mark: 60000 }]);
    expect(rm.lastMark('binance', 'BTC')).toBe(60000);
    // Binance REST OI is valued at the last mark the mapper saw for that venue and symbol
    const oi = rm.map({ t: T0 + 1, v: 'binance', c: restChannel(REST_PATHS.binanceOpenInterest, { symbol: 'BTCUSDT' }), raw: '{"openInterest":"2","symbol":"BTCUSDT","time":5}' });
    expect(oi).toEqual([{ kind: 'oi', venue: 'binance', symbol: 'BTC', exchTime: 5, recvTime: T0 + 1, oiBase: 2, oiUsd: 120000 }]);
    expect(rm.map({ t: T0, v: 'binance', c: restChannel(REST_PATHS.binanceExchangeInfo), raw: '{}' })).toEqual([]);
    expect(rm.map({ t: T0, v: 'binance', c: restChannel(REST_PATHS.binanceKlines, { symbol: 'BTCUSDT', interval: '5m' }), raw: '[]' })).toEqual([]);
    expect(rm.map({ t: T0, v: 'binance', c: restChannel(REST_PATHS.binanceOpenInterest, { symbol: 'DOGEUSDT' }), raw: '{"openInterest":"2"}' })).toEqual([]);
    const tick = new BybitTickerEncoder().encode({ kind: 'mark', venue: 'bybit', ...at, exchTime: T0, mark: 60001 }, btcY);
    expect(rm.map({ t: T0, v: 'bybit', c: tick.topic, raw: JSON.stringify(tick.message) })).toMatchObject([{ kind: 'mark', venue: 'bybit', mark: 60001 }]);
  });

  it('reset(bybit) forgets merged tickers, as after a reconnect', () => {
    const rm = createRecordMapper(reg);
    const snap = { topic: 'tickers.BTCUSDT', type: 'snapshot', ts: 1, data: { symbol: 'BTCUSDT', markPrice: '100', fundingRate: '0.0001' } };
    const delta = { topic: 'tickers.BTCUSDT', type: 'delta', ts: 2, data: { symbol: 'BTCUSDT', fundingRate: '0.0002' } };
    rm.map({ t: 1, v: 'bybit', c: snap.topic, raw: JSON.stringify(snap) });
    rm.reset('bybit');
    expect(rm.map({ t: 2, v: 'bybit', c: delta.topic, raw: JSON.stringify(delta) })).toEqual([]);
  });

  it('maps a message the connection already parsed without parsing the raw text again', () => {
    const rm = createRecordMapper(reg);
    const enc = encodeBinanceEvent({ kind: 'mark', venue: 'binance', ...at, exchTime: T0, mark: 60000, index: 60010, fundingRateHourly: 0.00001, nextFundingTime: T0 + 1000 }, btcB)!;
    const raw = JSON.stringify({ stream: enc.stream, data: enc.data });
    const parsed: unknown = JSON.parse(raw);
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(rm.map({ t: T0, v: 'binance', c: enc.stream, raw }, parsed)).toMatchObject([{ kind: 'mark', mark: 60000 }]);
      expect(parse).not.toHaveBeenCalled();
      // without a parsed message (replay), the raw text is parsed once and maps the same
      expect(rm.map({ t: T0, v: 'binance', c: enc.stream, raw })).toMatchObject([{ kind: 'mark', mark: 60000 }]);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });

  it('malformed frames and bodies give null', () => {
    const rm = createRecordMapper(reg);
    expect(rm.map({ t: T0, v: 'binance', c: 'btcusdt@aggTrade', raw: '{"e":"aggTrade"' })).toBeNull();
    expect(rm.map({ t: T0, v: 'bybit', c: 'publicTrade.BTCUSDT', raw: '"x"' })).toBeNull();
    expect(rm.map({ t: T0, v: 'bybit', c: restChannel(REST_PATHS.bybitOpenInterest, { symbol: 'BTCUSDT' }), raw: 'nope' })).toBeNull();
  });
});

/** A small live session: REST listings and history, then WS frames on both venues, as FrameRecords. */
function recordSession(): FrameRecord[] {
  const live = buildRegistry({ symbols: SYMBOLS, venues: ['binance', 'bybit'] });
  const records: FrameRecord[] = [];
  let t = T0;
  const rest = (v: 'binance' | 'bybit', path: string, query: Record<string, string>, body: unknown) => records.push({ t: t++, v, c: restChannel(path, query), raw: JSON.stringify(body) });
  rest('binance', REST_PATHS.binanceExchangeInfo, {}, binanceExchangeInfoBody(live.instruments('binance')));
  rest('bybit', REST_PATHS.bybitInstruments, { category: 'linear' }, bybitInstrumentsBody(live.instruments('bybit')));
  const tickers = new BybitTickerEncoder();
  for (const symbol of SYMBOLS) {
    const base = symbol === 'BTC' ? 60000 : symbol === 'ETH' ? 3000 : 0.00001;
    const instB = live.instrument('binance', symbol)!;
    const instY = live.instrument('bybit', symbol)!;
    const bars = Array.from({ length: 5 }, (_, i) => ({ kind: 'bar' as const, venue: 'binance' as const, symbol, exchTime: 0, recvTime: 0, openTime: T0 - (6 - i) * 60_000, open: base, high: base * 1.01, low: base * 0.99, close: base, volume: 10 + i, takerBuyVolume: 4 }));
    const ois = Array.from({ length: 4 }, (_, i) => ({ t: T0 - (4 - i) * 300_000, oiBase: 1000 + i, oiUsd: (1000 + i) * base }));
    rest('binance', REST_PATHS.binanceKlines, { symbol: instB.venueSymbol, interval: '1m' }, binanceKlinesBody(bars, instB));
    rest('binance', REST_PATHS.binanceOpenInterestHist, { symbol: instB.venueSymbol, period: '5m' }, binanceOpenInterestHistBody(ois, instB));
    rest('bybit', REST_PATHS.bybitKlines, { category: 'linear', symbol: instY.venueSymbol, interval: '1' }, bybitKlinesBody(bars, instY));
    rest('bybit', REST_PATHS.bybitOpenInterest, { category: 'linear', symbol: instY.venueSymbol, intervalTime: '5min' }, bybitOpenInterestBody(ois, instY));
    for (let i = 0; i < 40; i++) {
      const price = base * (1 + 0.001 * Math.sin(i));
      const common = { symbol, exchTime: t, recvTime: t };
      const evs: MarketEvent[] = [
        { kind: 'trade', venue: 'binance', ...common, price, qty: 1 + (i % 3), side: i % 2 ? 'buy' : 'sell' },
        { kind: 'trade', venue: 'bybit', ...common, price, qty: 2, side: i % 3 ? 'buy' : 'sell' },
        { kind: 'mark', venue: 'binance', ...common, mark: price, index: price, fundingRateHourly: 0.00001, nextFundingTime: T0 + 3_600_000 },
        { kind: 'mark', venue: 'bybit', ...common, mark: price, index: price, fundingRateHourly: 0.00001 * (i % 4), nextFundingTime: T0 + 3_600_000 },
        { kind: 'oi', venue: 'bybit', ...common, oiBase: 1000 + Math.floor(i / 5), oiUsd: (1000 + Math.floor(i / 5)) * price },
        { kind: 'book', venue: i % 2 ? 'binance' : 'bybit', ...common, bid: price * 0.999, bidSize: 3, ask: price * 1.001, askSize: 1, imbalance: 0.5 },
        { kind: 'liquidation', venue: i % 2 ? 'binance' : 'bybit', ...common, side: i % 4 ? 'long' : 'short', price, qty: 0.5, notionalUsd: price * 0.5 },
      ];
      for (const ev of evs) {
        if (ev.venue === 'binance') {
          const enc = encodeBinanceEvent(ev, instB);
          if (enc) records.push({ t, v: 'binance', c: enc.stream, raw: JSON.stringify({ stream: enc.stream, data: enc.data }) });
        } else {
          const enc = encodeBybitEvent(ev, instY, tickers);
          if (enc) records.push({ t, v: 'bybit', c: enc.topic, raw: JSON.stringify(enc.message) });
        }
      }
      if (i % 10 === 0) rest('binance', REST_PATHS.binanceOpenInterest, { symbol: instB.venueSymbol }, binanceOpenInterestBody({ t, oiBase: 900 + i, oiUsd: 0 }, instB));
      t += 250;
    }
  }
  records.push({ t, v: 'binance', c: 'btcusdt@aggTrade', raw: '{garbage' });
  return records;
}

function stateOf(records: FrameRecord[], symbols: string[]): { state: MarketState; malformed: number } {
  const reg = registryFromRecords(records, symbols, ['binance', 'bybit']);
  const mapper = createRecordMapper(reg);
  const state = new MarketState();
  let malformed = 0;
  for (const r of records) {
    const evs = mapper.map(r);
    if (evs === null) malformed++;
    else for (const ev of evs) state.apply(ev);
  }
  return { state, malformed };
}

describe('replay', () => {
  it('a recording written as JSON lines and replayed gives the same market state as the run that recorded it', () => {
    const records = recordSession();
    const live = stateOf(records, SYMBOLS);
    const text = records.map((r) => JSON.stringify(r)).join('\n');
    const replayed = stateOf(text.split('\n').map((l) => parseFrameRecord(l)!), SYMBOLS);
    expect(replayed.malformed).toBe(1);
    expect(live.malformed).toBe(1);
    for (const symbol of SYMBOLS) {
      for (const venue of ['binance', 'bybit'] as const) {
        const a = live.state.get(symbol, venue)!;
        expect(a.bars.length).toBeGreaterThan(5);
        expect(a.oiHistory.length).toBeGreaterThan(3);
        expect(a.liquidations.length).toBeGreaterThan(10);
        expect(a.mark).toBeGreaterThan(0);
        expect(replayed.state.get(symbol, venue)).toEqual(a);
      }
    }
    expect(replayed.state.counts).toEqual(live.state.counts);
    // PEPE traded at 1e-5 per coin on 1000PEPEUSDT: the state is in coins on both venues
    expect(live.state.get('PEPE', 'bybit')!.mark).toBeCloseTo(0.00001, 7);
  });
});
