import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/market/types.ts';
import { createBinanceMapper } from '../../src/venues/binance/mapper.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import { samples, sample } from '../support/samples.ts';


const RECV = 1_700_000_000_000;
const reg = buildRegistry({ symbols: ['BTC', 'ETH', 'BNB', 'PEPE'], venues: ['binance'] });
const mapper = () => createBinanceMapper(reg);
const one = (evs: MarketEvent[] | null): MarketEvent => {
  expect(evs).not.toBeNull();
  expect(evs).toHaveLength(1);
  return evs![0]!;
};

describe('binance mapper: every Binance sample payload', () => {
  it('maps every binance.usdm WS sample without throwing, to events, [] or null', () => {
    const m = mapper();
    const ws = samples.filter((s) => s.label.startsWith('binance.usdm/ws'));
    expect(ws.length).toBeGreaterThan(10);
    for (const s of ws) {
      const out = m.map(structuredClone(s.payload), RECV);
      expect(out === null || Array.isArray(out), s.label).toBe(true);
    }
  });

  it('aggTrade (docs): m:true means the buyer was the maker, so the taker sold', () => {
    const ev = one(mapper().map(sample('binance.usdm/ws/aggTrade [docs]'), RECV));
    expect(ev).toEqual({ kind: 'trade', venue: 'binance', symbol: 'BTC', exchTime: 123456785, recvTime: RECV, price: 0.001, qty: 100, side: 'sell', id: 5933014 });
  });

  it('aggTrade 2026 schema with nq and st:1 maps; q (with RPI) is the quantity', () => {
    const ev = one(mapper().map(sample('binance.usdm/ws/aggTrade [current schema, 2026]'), RECV));
    expect(ev).toMatchObject({ kind: 'trade', symbol: 'BNB', qty: 100, side: 'sell' });
  });

  it('aggTrade m:false is a taker buy', () => {
    const p = sample('binance.usdm/ws/aggTrade [docs]') as Record<string, unknown>;
    p.m = false;
    expect(one(mapper().map(p, RECV))).toMatchObject({ side: 'buy' });
  });

  it('combined-stream wrapper and raw payload give the same event', () => {
    const m = mapper();
    const wrapped = one(m.map(sample('binance.usdm/ws/combined-wrapper aggTrade'), RECV));
    const raw = one(m.map(sample('binance.usdm/ws/aggTrade [docs]'), RECV));
    expect(wrapped).toEqual(raw);
  });

  it('aggTrade on a 1000x contract divides the price and multiplies the quantity', () => {
    const ev = one(mapper().map({ stream: '1000pepeusdt@aggTrade', data: { e: 'aggTrade', E: 1, s: '1000PEPEUSDT', a: 1, p: '0.012', q: '5', f: 1, l: 1, T: 2, m: false, st: 1 } }, RECV));
    expect(ev).toMatchObject({ symbol: 'PEPE', side: 'buy', qty: 5000 });
    expect((ev as { price: number }).price).toBeCloseTo(0.000012, 15);
  });

  it('COIN-M (st:2) aggTrade is filtered', () => {
    const p = sample('binance.usdm/ws/aggTrade [current schema, 2026]') as Record<string, unknown>;
    p.st = 2;
    expect(mapper().map(p, RECV)).toEqual([]);
  });

  it('markPrice: mark, index, funding normalized from 8 h to hourly, next funding time', () => {
    for (const label of ['binance.usdm/ws/markPrice@1s [docs]', 'binance.usdm/ws/markPrice@1s [current schema, 2026]']) {
      const ev = one(mapper().map(sample(label), RECV));
      expect(ev).toMatchObject({ kind: 'mark', symbol: 'BTC', exchTime: 1562305380000, mark: 11794.15, index: 11784.62659091, nextFundingTime: 1562306400000 });
      expect((ev as { fundingRateHourly: number }).fundingRateHourly).toBeCloseTo(0.00038167 / 8, 15);
    }
  });

  it('markPrice uses the instrument funding interval (4 h from fundingInfo)', () => {
    const reg4 = buildRegistry({ symbols: ['BTC'], venues: ['binance'], binanceFundingInfo: [{ symbol: 'BTCUSDT', fundingIntervalHours: 4 }] });
    const ev = one(createBinanceMapper(reg4).map(sample('binance.usdm/ws/markPrice@1s [docs]'), RECV));
    expect((ev as { fundingRateHourly: number }).fundingRateHourly).toBeCloseTo(0.00038167 / 4, 15);
  });

  it('!markPrice@arr: the payload is an array', () => {
    const evs = mapper().map({ stream: '!markPrice@arr@1s', data: sample('binance.usdm/ws/!markPrice@arr@1s') }, RECV);
    expect(evs).toHaveLength(1);
    expect(evs![0]).toMatchObject({ kind: 'mark', symbol: 'BTC', mark: 11185.87786614 });
  });

  it('!markPrice@arr drops COIN-M and untracked entries', () => {
    const arr = sample('binance.usdm/ws/!markPrice@arr@1s') as Record<string, unknown>[];
    arr.push({ ...arr[0]!, s: 'BTCUSD_PERP', st: 2 }, { ...arr[0]!, s: 'DOGEUSDT' });
    expect(mapper().map(arr, RECV)).toHaveLength(1);
  });

  it('forceOrder: S=SELL is a LONG liquidated; price = ap; qty = z; notional = price × qty', () => {
    const ev = one(mapper().map(sample('binance.usdm/ws/<symbol>@forceOrder [docs]'), RECV));
    expect(ev).toMatchObject({ kind: 'liquidation', symbol: 'BTC', side: 'long', price: 9910, qty: 0.014, exchTime: 1568014460893 });
    expect((ev as { notionalUsd: number }).notionalUsd).toBeCloseTo(138.74, 9);
  });

  it('!forceOrder@arr 2026 (one object, st:1) maps; the logged frame uses the average price', () => {
    expect(one(mapper().map(sample('binance.usdm/ws/!forceOrder@arr [current schema, 2026]'), RECV))).toMatchObject({ side: 'long', symbol: 'BTC' });
    const real = one(mapper().map(sample('binance.usdm/ws/!forceOrder@arr combined [real frame'), RECV));
    expect(real).toMatchObject({ side: 'long', price: 26245.1, qty: 0.115 });
  });

  it('forceOrder: S=BUY is a SHORT liquidated; ap 0 falls back to p, z 0 to q', () => {
    const p = sample('binance.usdm/ws/<symbol>@forceOrder [docs]') as { o: Record<string, unknown> };
    Object.assign(p.o, { S: 'BUY', ap: '0', z: '0', p: '9950', q: '0.5' });
    expect(one(mapper().map(p, RECV))).toMatchObject({ side: 'short', price: 9950, qty: 0.5 });
  });

  it('COIN-M forceOrder (st:2, BTCUSD_PERP) is filtered out, with or without st', () => {
    const p = sample('binance.usdm/ws/!forceOrder@arr [current schema, 2026]') as { o: Record<string, unknown>; st: number; ps: string };
    p.o.s = 'BTCUSD_PERP';
    p.ps = 'BTCUSD';
    p.st = 2;
    expect(mapper().map({ stream: '!forceOrder@arr', data: p }, RECV)).toEqual([]);
    const noSt = structuredClone(p) as Record<string, unknown>;
    delete noSt.st;
    expect(mapper().map(noSt, RECV)).toEqual([]);
    // a UM symbol marked st:2 is still dropped: st is authoritative
    const marked = sample('binance.usdm/ws/<symbol>@forceOrder [docs]') as Record<string, unknown>;
    marked.st = 2;
    expect(mapper().map(marked, RECV)).toEqual([]);
  });

  it('bookTicker: best bid/ask, sizes and imbalance', () => {
    const ev = one(mapper().map(sample('binance.usdm/ws/bookTicker'), RECV));
    expect(ev).toMatchObject({ kind: 'book', symbol: 'BNB', bid: 25.3519, bidSize: 31.21, ask: 25.3652, askSize: 40.66, exchTime: 1568014460891 });
    expect((ev as { imbalance: number }).imbalance).toBeCloseTo((31.21 - 40.66) / (31.21 + 40.66), 12);
  });

  it('depth20 partial book: best levels whatever their order', () => {
    const ev = one(mapper().map({ stream: 'btcusdt@depth20@100ms', data: sample('binance.usdm/ws/depth20@100ms') }, RECV));
    expect(ev).toMatchObject({ kind: 'book', symbol: 'BTC', bid: 7405.43, bidSize: 2.562, ask: 7405.96, askSize: 3.34 });
    expect(one(mapper().map(sample('binance.usdm/ws/depth20@100ms'), RECV))).toEqual(ev);
  });

  it('diff-depth updates are not a top of book', () => {
    expect(mapper().map({ stream: 'btcusdt@depth@100ms', data: sample('binance.usdm/ws/depth@100ms (diff depth)') }, RECV)).toEqual([]);
  });

  it('kline_1m: open bars are skipped; a closed bar is a BarEvent with taker-buy volume', () => {
    const open = sample('binance.usdm/ws/kline_1m') as { k: Record<string, unknown> };
    expect(mapper().map(open, RECV)).toEqual([]);
    open.k.x = true;
    const ev = one(mapper().map(open, RECV));
    expect(ev).toEqual({
      kind: 'bar', venue: 'binance', symbol: 'BTC', exchTime: 1638747719999, recvTime: RECV,
      openTime: 1638747660000, open: 0.001, high: 0.0025, low: 0.0015, close: 0.002, volume: 1000, takerBuyVolume: 500,
    });
    open.k.i = '5m';
    expect(mapper().map(open, RECV)).toEqual([]);
  });

  it('acks, LIST_SUBSCRIPTIONS replies and error replies are not data', () => {
    const m = mapper();
    expect(m.map(sample('binance.usdm/ws/server ack SUBSCRIBE'), RECV)).toEqual([]);
    expect(m.map(sample('binance.usdm/ws/server reply LIST_SUBSCRIPTIONS'), RECV)).toEqual([]);
    expect(m.map(sample('binance.usdm/ws/server error bad method'), RECV)).toEqual([]);
  });

  it('untracked symbols give []', () => {
    const p = sample('binance.usdm/ws/aggTrade [docs]') as Record<string, unknown>;
    p.s = 'DOGEUSDT';
    expect(mapper().map(p, RECV)).toEqual([]);
  });

  it('malformed frames give null', () => {
    const m = mapper();
    for (const bad of [null, 42, 'x', { stream: 'btcusdt@aggTrade', data: 'nope' }, { e: 'aggTrade' }, { e: 'aggTrade', s: 'BTCUSDT', p: 'abc', q: '1', T: 1, m: true }, { e: 'forceOrder', o: { s: 'BTCUSDT', S: 'HOLD', p: '1', q: '1', T: 1 } }, { foo: 1 }]) {
      expect(m.map(bad, RECV)).toBeNull();
    }
  });

  it('zero-price or zero-quantity trades are dropped, not malformed', () => {
    const p = sample('binance.usdm/ws/aggTrade [docs]') as Record<string, unknown>;
    p.q = '0';
    expect(mapper().map(p, RECV)).toEqual([]);
  });
});
