/**
 * Encoders (test/fakes) and mappers (src/venues) are inverses: encode → JSON text → parse → map
 * gives back the event, within the precision of the decimal strings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VenueInstrument } from '../../src/market/symbols.ts';
import type { BarEvent, BookTopEvent, LiquidationEvent, MarketEvent, MarkEvent, OpenInterestEvent, TradeEvent, Venue } from '../../src/market/types.ts';
import { createBinanceMapper } from '../../src/venues/binance/mapper.ts';
import * as binanceRest from '../../src/venues/binance/rest-mappers.ts';
import { createBybitMapper } from '../../src/venues/bybit/mapper.ts';
import * as bybitRest from '../../src/venues/bybit/rest-mappers.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import {
  binanceExchangeInfoBody,
  binanceFundingInfoBody,
  binanceKlinesBody,
  binanceOpenInterestBody,
  binanceOpenInterestHistBody,
  encodeBinanceEvent,
} from '../../src/demo/binance-encode.ts';
import { bybitInstrumentsBody, bybitKlinesBody, bybitOpenInterestBody, BybitTickerEncoder, encodeBybitEvent } from '../../src/demo/bybit-encode.ts';

const SYMBOLS = ['BTC', 'ETH', 'PEPE', 'SHIB', 'SATS'];
const reg = buildRegistry({
  symbols: SYMBOLS,
  venues: ['binance', 'bybit'],
  binanceExchangeInfo: binanceExchangeInfoBody([
    { venue: 'binance', symbol: 'BTC', venueSymbol: 'BTCUSDT', multiplier: 1, tickSize: 0.1 },
    { venue: 'binance', symbol: 'ETH', venueSymbol: 'ETHUSDT', multiplier: 1 },
    { venue: 'binance', symbol: 'PEPE', venueSymbol: '1000PEPEUSDT', multiplier: 1000 },
    { venue: 'binance', symbol: 'SHIB', venueSymbol: '1000SHIBUSDT', multiplier: 1000 },
  ]),
  binanceFundingInfo: binanceFundingInfoBody([{ venue: 'binance', symbol: 'ETH', venueSymbol: 'ETHUSDT', multiplier: 1, fundingIntervalHours: 4 }]),
  bybitInstruments: bybitInstrumentsBody([
    { venue: 'bybit', symbol: 'BTC', venueSymbol: 'BTCUSDT', multiplier: 1 },
    { venue: 'bybit', symbol: 'PEPE', venueSymbol: '1000PEPEUSDT', multiplier: 1000 },
    { venue: 'bybit', symbol: 'SHIB', venueSymbol: 'SHIB1000USDT', multiplier: 1000, fundingIntervalHours: 4 },
    { venue: 'bybit', symbol: 'SATS', venueSymbol: '10000SATSUSDT', multiplier: 10_000 },
  ]),
});
const RECV = 1_800_000_000_000;

/** Numbers equal within a relative 1e-9 (decimal strings of scaled doubles); everything else exactly. */
function expectApprox(actual: unknown, expected: unknown, path = 'event'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const tol = Math.max(1e-12, Math.abs(expected) * 1e-9);
    if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${path}: ${actual} ≠ ${expected}`);
    return;
  }
  if (typeof expected === 'object' && expected !== null && typeof actual === 'object' && actual !== null) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of keys) expectApprox((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

const instrumentOf = (venue: Venue) => fc.constantFrom(...reg.instruments(venue));
const time = fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 });
const positive = fc.double({ min: 1e-6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const size = fc.double({ min: 1e-4, max: 1e7, noNaN: true, noDefaultInfinity: true });
const rate = fc.double({ min: -0.003, max: 0.003, noNaN: true, noDefaultInfinity: true });

function base(inst: VenueInstrument, t: number) {
  return { venue: inst.venue, symbol: inst.symbol, exchTime: t, recvTime: RECV };
}
const trade = (inst: VenueInstrument) =>
  fc
    .record({ t: time, price: positive, qty: size, side: fc.constantFrom('buy', 'sell'), id: fc.integer({ min: 1, max: 2 ** 40 }) })
    .map(({ t, price, qty, side, id }): TradeEvent => ({ kind: 'trade', ...base(inst, t), price, qty, side: side as TradeEvent['side'], id: inst.venue === 'binance' ? id : `t-${id}` }));
const liquidation = (inst: VenueInstrument) =>
  fc.record({ t: time, price: positive, qty: size, side: fc.constantFrom('long', 'short') }).map(
    ({ t, price, qty, side }): LiquidationEvent => ({ kind: 'liquidation', ...base(inst, t), side: side as LiquidationEvent['side'], price, qty, notionalUsd: price * qty }),
  );
const book = (inst: VenueInstrument) =>
  fc.record({ t: time, bid: positive, bidSize: size, spread: fc.double({ min: 0, max: 0.01, noNaN: true }), askSize: size }).map(
    ({ t, bid, bidSize, spread, askSize }): BookTopEvent => ({ kind: 'book', ...base(inst, t), bid, bidSize, ask: bid * (1 + spread), askSize, imbalance: (bidSize - askSize) / (bidSize + askSize) }),
  );
const bar = (inst: VenueInstrument, withTakerBuy: boolean) =>
  fc.record({ minute: fc.integer({ min: 25_000_000, max: 29_000_000 }), o: positive, h: positive, l: positive, c: positive, v: size, buyShare: fc.double({ min: 0, max: 1, noNaN: true }) }).map(
    ({ minute, o, h, l, c, v, buyShare }): BarEvent => ({
      kind: 'bar', ...base(inst, minute * 60_000 + 59_999), openTime: minute * 60_000,
      open: o, high: h, low: l, close: c, volume: v, takerBuyVolume: withTakerBuy ? v * buyShare : undefined,
    }),
  );
const mark = (inst: VenueInstrument, full: boolean) =>
  fc.record({
    t: time,
    mark: positive,
    indexRatio: fc.double({ min: 0.99, max: 1.01, noNaN: true }),
    funding: full ? rate : fc.option(rate, { nil: undefined }),
    next: full ? time : fc.option(time, { nil: undefined }),
    withIndex: full ? fc.constant(true) : fc.boolean(),
  }).map(
    ({ t, mark, indexRatio, funding, next, withIndex }): MarkEvent => ({
      kind: 'mark', ...base(inst, t), mark, index: withIndex ? mark * indexRatio : undefined, fundingRateHourly: funding, nextFundingTime: next,
    }),
  );

function roundTripBinance(ev: MarketEvent, inst: VenueInstrument): MarketEvent[] | null {
  const enc = encodeBinanceEvent(ev, inst);
  expect(enc).not.toBeNull();
  const frame = JSON.stringify({ stream: enc!.stream, data: enc!.data });
  return createBinanceMapper(reg).map(JSON.parse(frame), RECV);
}

function roundTripBybit(ev: MarketEvent, inst: VenueInstrument): MarketEvent[] | null {
  const enc = encodeBybitEvent(ev, inst);
  expect(enc).not.toBeNull();
  return createBybitMapper(reg).map(JSON.parse(JSON.stringify(enc!.message)), RECV);
}

describe('binance: encode → JSON → map is the identity', () => {
  const kinds = instrumentOf('binance').chain((inst) =>
    fc.tuple(fc.constant(inst), fc.oneof(trade(inst), liquidation(inst), book(inst), bar(inst, true), mark(inst, false))),
  );
  it('for trades, liquidations, book tops, closed bars and marks', () => {
    fc.assert(
      fc.property(kinds, ([inst, ev]) => {
        const out = roundTripBinance(ev, inst);
        expect(out).toHaveLength(1);
        expectApprox(out![0], ev);
      }),
      { numRuns: 400 },
    );
  });

  it('uses the routed paths and lower-case stream names', () => {
    const inst = reg.instrument('binance', 'ETH')!;
    const at = { venue: 'binance' as const, symbol: 'ETH', exchTime: 1, recvTime: 1 };
    expect(encodeBinanceEvent({ kind: 'trade', ...at, price: 1, qty: 1, side: 'buy' }, inst)).toMatchObject({ path: 'market', stream: 'ethusdt@aggTrade' });
    expect(encodeBinanceEvent({ kind: 'mark', ...at, mark: 1 }, inst)).toMatchObject({ path: 'market', stream: 'ethusdt@markPrice@1s' });
    expect(encodeBinanceEvent({ kind: 'liquidation', ...at, side: 'long', price: 1, qty: 1, notionalUsd: 1 }, inst)).toMatchObject({ path: 'market', stream: 'ethusdt@forceOrder', data: { o: { S: 'SELL' }, st: 1 } });
    expect(encodeBinanceEvent({ kind: 'book', ...at, bid: 1, bidSize: 1, ask: 2, askSize: 1, imbalance: 0 }, inst)).toMatchObject({ path: 'public', stream: 'ethusdt@bookTicker' });
    expect(encodeBinanceEvent({ kind: 'bar', ...at, openTime: 0, open: 1, high: 1, low: 1, close: 1, volume: 1 }, inst)).toMatchObject({ path: 'market', stream: 'ethusdt@kline_1m' });
    expect(encodeBinanceEvent({ kind: 'oi', ...at, oiBase: 1, oiUsd: 1 }, inst)).toBeNull();
  });
});

describe('bybit: encode → JSON → map is the identity', () => {
  const kinds = instrumentOf('bybit').chain((inst) => fc.tuple(fc.constant(inst), fc.oneof(trade(inst), liquidation(inst), book(inst), bar(inst, false), mark(inst, true))));
  it('for trades, liquidations, book tops, closed bars and a first ticker snapshot', () => {
    fc.assert(
      fc.property(kinds, ([inst, ev]) => {
        const out = roundTripBybit(ev, inst);
        expect(out).toHaveLength(1);
        expectApprox(out![0], ev);
      }),
      { numRuns: 400 },
    );
  });

  it('ticker snapshot then partial deltas: the mapper re-creates every changed mark and OI', () => {
    // a session of mark and OI updates for one symbol; OI is valued at the latest mark, as the mapper does
    // decimal-valued steps: two different values stay different once written as venue strings
    const cents = (max: number) => fc.integer({ min: 1, max }).map((n) => n / 100);
    const step = fc.oneof(
      fc.record({ kind: fc.constant('mark' as const), mark: cents(1e8), indexRatio: fc.constantFrom(0.999, 1, 1.001), funding: fc.integer({ min: -300, max: 300 }).map((n) => n / 1e6), next: time, repeat: fc.boolean() }),
      fc.record({ kind: fc.constant('oi' as const), oi: cents(1e10), repeat: fc.boolean() }),
    );
    fc.assert(
      fc.property(instrumentOf('bybit'), fc.array(step, { minLength: 1, maxLength: 25 }), (inst, steps) => {
        const encoder = new BybitTickerEncoder();
        const mapper = createBybitMapper(reg);
        let lastMark: MarkEvent | undefined;
        let lastOi: OpenInterestEvent | undefined;
        let t = 1_700_000_000_000;
        for (const s of steps) {
          t += 100;
          let ev: MarkEvent | OpenInterestEvent;
          let changed: boolean;
          if (s.kind === 'mark') {
            const fresh: MarkEvent = { kind: 'mark', ...base(inst, t), mark: s.mark, index: s.mark * s.indexRatio, fundingRateHourly: s.funding, nextFundingTime: s.next };
            ev = s.repeat && lastMark ? { ...lastMark, exchTime: t } : fresh;
            changed = !lastMark || (['mark', 'index', 'fundingRateHourly', 'nextFundingTime'] as const).some((k) => ev[k as keyof typeof ev] !== lastMark![k]);
            lastMark = ev;
          } else {
            const oiBase = s.repeat && lastOi ? lastOi.oiBase : s.oi;
            ev = { kind: 'oi', ...base(inst, t), oiBase, oiUsd: lastMark ? oiBase * lastMark.mark : oiBase * 3 };
            changed = lastOi?.oiBase !== oiBase;
            lastOi = ev;
          }
          const enc = encoder.encode(ev, inst);
          const out = mapper.map(JSON.parse(JSON.stringify(enc.message)), RECV);
          expect(out).toHaveLength(changed ? 1 : 0);
          if (changed) expectApprox(out![0], ev);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the first ticker push is a snapshot, later ones deltas carrying only changed fields', () => {
    const inst = reg.instrument('bybit', 'BTC')!;
    const enc = new BybitTickerEncoder();
    const at = { venue: 'bybit' as const, symbol: 'BTC', recvTime: 1 };
    const first = enc.encode({ kind: 'mark', ...at, exchTime: 1, mark: 100, index: 99, fundingRateHourly: 0.00001, nextFundingTime: 5 }, inst);
    expect(first.message).toMatchObject({ topic: 'tickers.BTCUSDT', type: 'snapshot', data: { symbol: 'BTCUSDT', markPrice: '100', indexPrice: '99', fundingRate: '0.00008', fundingIntervalHour: '8', nextFundingTime: '5' } });
    const second = enc.encode({ kind: 'mark', ...at, exchTime: 2, mark: 101, index: 99, fundingRateHourly: 0.00001, nextFundingTime: 5 }, inst);
    expect(second.message).toMatchObject({ type: 'delta' });
    expect(second.message.data).toEqual({ symbol: 'BTCUSDT', markPrice: '101' });
    const liq = encodeBybitEvent({ kind: 'liquidation', ...at, exchTime: 3, side: 'long', price: 1, qty: 1, notionalUsd: 1 }, inst);
    expect(liq).toMatchObject({ topic: 'allLiquidation.BTCUSDT', message: { data: [{ S: 'Buy' }] } });
  });
});

describe('REST bodies → REST mappers', () => {
  const oiPoints = (inst: VenueInstrument) =>
    fc.uniqueArray(fc.integer({ min: 5_000_000, max: 6_000_000 }), { minLength: 1, maxLength: 30 }).chain((slots) =>
      fc.tuple(...slots.map((slot) => fc.record({ oiBase: size, price: positive }).map(({ oiBase, price }): OpenInterestEvent => ({ kind: 'oi', ...base(inst, slot * 300_000), oiBase, oiUsd: oiBase * price })))),
    );

  it('binance openInterestHist (integer and string timestamps) and openInterest', () => {
    fc.assert(
      fc.property(instrumentOf('binance').chain((inst) => fc.tuple(fc.constant(inst), oiPoints(inst), fc.boolean())), ([inst, points, asString]) => {
        const out = binanceRest.mapOpenInterestHist(JSON.parse(JSON.stringify(binanceOpenInterestHistBody(points, inst, asString))), inst, RECV);
        expectApprox(out, [...points].sort((a, b) => a.exchTime - b.exchTime));
        const p = points[0]!;
        const mark = p.oiUsd / p.oiBase;
        expectApprox(binanceRest.mapOpenInterest(JSON.parse(JSON.stringify(binanceOpenInterestBody(p, inst))), inst, RECV, mark), [p]);
      }),
      { numRuns: 100 },
    );
  });

  it('bybit open-interest valued at a given mark', () => {
    fc.assert(
      fc.property(instrumentOf('bybit').chain((inst) => fc.tuple(fc.constant(inst), oiPoints(inst), positive)), ([inst, points, mark]) => {
        const out = bybitRest.mapOpenInterest(JSON.parse(JSON.stringify(bybitOpenInterestBody(points, inst))), inst, RECV, mark);
        expectApprox(out, [...points].sort((a, b) => a.exchTime - b.exchTime).map((p) => ({ ...p, oiUsd: p.oiBase * mark })));
      }),
      { numRuns: 100 },
    );
  });

  it('klines on both venues, oldest first', () => {
    for (const venue of ['binance', 'bybit'] as const) {
      fc.assert(
        fc.property(instrumentOf(venue).chain((inst) => fc.tuple(fc.constant(inst), fc.uniqueArray(bar(inst, venue === 'binance'), { minLength: 1, maxLength: 20, selector: (b) => b.openTime }))), ([inst, bars]) => {
          const body = venue === 'binance' ? binanceKlinesBody(bars, inst) : bybitKlinesBody(bars, inst);
          const json = JSON.parse(JSON.stringify(body));
          const out = venue === 'binance' ? binanceRest.mapKlines(json, inst, RECV) : bybitRest.mapKlines(json, inst, RECV);
          expectApprox(out, [...bars].sort((a, b) => a.openTime - b.openTime));
        }),
        { numRuns: 60 },
      );
    }
  });

  it('exchangeInfo, fundingInfo and instruments-info bodies rebuild the same registry', () => {
    expect(reg.skipped()).toEqual([{ venue: 'binance', symbol: 'SATS', reason: 'not listed on binance USD-M (no SATS USDT perpetual)' }, { venue: 'bybit', symbol: 'ETH', reason: 'not listed on bybit linear (no ETH USDT perpetual)' }]);
    expect(reg.instrument('binance', 'ETH')?.fundingIntervalHours).toBe(4);
    expect(reg.instrument('binance', 'BTC')?.tickSize).toBe(0.1);
    const again = buildRegistry({
      symbols: SYMBOLS,
      venues: ['binance', 'bybit'],
      binanceExchangeInfo: JSON.parse(JSON.stringify(binanceExchangeInfoBody(reg.instruments('binance')))),
      bybitInstruments: JSON.parse(JSON.stringify(bybitInstrumentsBody(reg.instruments('bybit')))),
      binanceFundingInfo: JSON.parse(JSON.stringify(binanceFundingInfoBody(reg.instruments('binance')))),
    });
    for (const v of ['binance', 'bybit'] as const) {
      expect(again.instruments(v).map(({ tickSize: _t, ...rest }) => rest)).toEqual(
        reg.instruments(v).map(({ tickSize: _t, fundingIntervalHours, ...rest }) => ({ ...rest, ...(v === 'bybit' || fundingIntervalHours !== undefined ? { fundingIntervalHours: fundingIntervalHours ?? 8 } : {}) })),
      );
    }
  });
});
