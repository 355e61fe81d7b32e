import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/market/types.ts';
import { createBybitMapper } from '../../src/venues/bybit/mapper.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import { samples, sample as sampleOf } from '../support/samples.ts';

const sample = (label: string): Record<string, unknown> => sampleOf<Record<string, unknown>>(label);

const RECV = 1_700_000_000_000;
const reg = buildRegistry({ symbols: ['BTC', 'ETH', 'ROSE', 'PEPE', 'SHIB'], venues: ['bybit'] });
const mapper = () => createBybitMapper(reg);
const kinds = (evs: MarketEvent[] | null) => evs?.map((e) => e.kind);

const tickerSnapshot = () => sample('bybit.v5.linear/ws tickers.BTCUSDT snapshot');
const bidDelta = () => sample('bybit.v5.linear/ws tickers.BTCUSDT delta [real frame');
const fundingDelta = () => sample('bybit.v5.linear/ws tickers.BTCUSDT delta funding-only');

describe('bybit mapper: every Bybit sample payload', () => {
  it('maps every bybit.v5.linear WS sample without throwing, to events, [] or null', () => {
    const m = mapper();
    const ws = samples.filter((s) => s.label.startsWith('bybit.v5.linear/ws'));
    expect(ws.length).toBeGreaterThan(10);
    for (const s of ws) {
      const out = m.map(structuredClone(s.payload), RECV);
      expect(out === null || Array.isArray(out), s.label).toBe(true);
    }
  });

  it('publicTrade: S is the taker side', () => {
    const evs = mapper().map(sample('bybit.v5.linear/ws publicTrade.BTCUSDT'), RECV);
    expect(evs).toEqual([{ kind: 'trade', venue: 'bybit', symbol: 'BTC', exchTime: 1672304486865, recvTime: RECV, price: 16578.5, qty: 0.001, side: 'buy', id: '20f43950-d8dd-5b31-9112-a178eb6023af' }]);
  });

  it('publicTrade with several trades and a 1000x contract', () => {
    const msg = { topic: 'publicTrade.1000PEPEUSDT', type: 'snapshot', ts: 5, data: [{ T: 1, s: '1000PEPEUSDT', S: 'Sell', v: '2', p: '0.0105' }, { T: 2, s: '1000PEPEUSDT', S: 'Buy', v: '3', p: '0.0106' }] };
    const evs = mapper().map(msg, RECV)!;
    expect(evs.map((e) => (e as { side: string }).side)).toEqual(['sell', 'buy']);
    expect(evs[0]).toMatchObject({ symbol: 'PEPE', qty: 2000 });
    expect((evs[1] as { price: number }).price).toBeCloseTo(0.0000106, 15);
  });

  it('allLiquidation: S=Sell is a SHORT liquidated, S=Buy a LONG (opposite of Binance); p is the bankruptcy price', () => {
    const evs = mapper().map(sample('bybit.v5.linear/ws allLiquidation.ROSEUSDT'), RECV);
    expect(evs).toHaveLength(1);
    expect(evs![0]).toMatchObject({ kind: 'liquidation', symbol: 'ROSE', side: 'short', price: 0.04499, qty: 20000, exchTime: 1739502302929 });
    expect((evs![0] as { notionalUsd: number }).notionalUsd).toBeCloseTo(899.8, 9);
    const buy = sample('bybit.v5.linear/ws allLiquidation.ROSEUSDT');
    (buy.data as Record<string, unknown>[])[0]!.S = 'Buy';
    expect(mapper().map(buy, RECV)![0]).toMatchObject({ side: 'long' });
  });

  it('the deprecated liquidation.{symbol} topic is ignored', () => {
    expect(mapper().map(sample('bybit.v5.linear/ws liquidation.BTCUSDT [DEPRECATED'), RECV)).toEqual([]);
  });

  it('tickers snapshot: mark (funding hourly via fundingIntervalHour) and single-side OI valued at the mark', () => {
    const evs = mapper().map(tickerSnapshot(), RECV)!;
    expect(kinds(evs)).toEqual(['mark', 'oi']);
    expect(evs[0]).toMatchObject({ kind: 'mark', symbol: 'BTC', exchTime: 1760325052630, mark: 66666.6, index: 115418.19, nextFundingTime: 1760342400000 });
    expect((evs[0] as { fundingRateHourly: number }).fundingRateHourly).toBeCloseTo(-0.005 / 8, 15);
    expect(evs[1]).toMatchObject({ kind: 'oi', oiBase: 492373.72 / 2 });
    expect((evs[1] as { oiUsd: number }).oiUsd).toBeCloseTo((492373.72 / 2) * 66666.6, 3);
  });

  it('a delta with only bid/ask changes nothing we emit, and the merged mark survives it', () => {
    const m = mapper();
    m.map(tickerSnapshot(), RECV);
    expect(m.map(bidDelta(), RECV)).toEqual([]);
    const evs = m.map(fundingDelta(), RECV)!;
    expect(kinds(evs)).toEqual(['mark', 'oi']);
    // markPrice, indexPrice and nextFundingTime were absent from the delta: unchanged, never zero
    expect(evs[0]).toMatchObject({ mark: 66666.6, index: 115418.19, nextFundingTime: 1760342400000 });
    expect((evs[0] as { fundingRateHourly: number }).fundingRateHourly).toBeCloseTo(0.0002 / 8, 15);
    expect(evs[1]).toMatchObject({ oiBase: 492400.12 / 2 });
  });

  it('a repeated ticker push emits nothing; only the changed part is emitted', () => {
    const m = mapper();
    m.map(tickerSnapshot(), RECV);
    expect(m.map(tickerSnapshot(), RECV)).toEqual([]);
    const onlyMark = { topic: 'tickers.BTCUSDT', type: 'delta', ts: 2, data: { symbol: 'BTCUSDT', markPrice: '66670' } };
    const evs = m.map(onlyMark, RECV)!;
    expect(kinds(evs)).toEqual(['mark']);
  });

  it('singleOpenInterest wins over openInterest/2 when present', () => {
    const snap = tickerSnapshot();
    (snap.data as Record<string, unknown>).singleOpenInterest = '250000';
    const evs = mapper().map(snap, RECV)!;
    expect(evs[1]).toMatchObject({ kind: 'oi', oiBase: 250000, oiUsd: 250000 * 66666.6 });
  });

  it('fundingIntervalHour 4 normalizes by 4', () => {
    const snap = tickerSnapshot();
    (snap.data as Record<string, unknown>).fundingIntervalHour = '4';
    expect((mapper().map(snap, RECV)![0] as { fundingRateHourly: number }).fundingRateHourly).toBeCloseTo(-0.005 / 4, 15);
  });

  it('reset() drops merged tickers: a later delta does not resurrect the old mark', () => {
    const m = mapper();
    m.map(tickerSnapshot(), RECV);
    m.reset();
    const after = m.map(fundingDelta(), RECV)!;
    // no mark event (the mark is unknown again); the OI change is valued with the venue's own value field
    expect(kinds(after)).toEqual(['oi']);
    expect(after[0]).toMatchObject({ oiBase: 492400.12 / 2, oiUsd: 32826671000 / 2 });
    // …and a reconnect snapshot equal to what was already emitted emits nothing new
    const m2 = mapper();
    const first = m2.map(tickerSnapshot(), RECV);
    m2.reset();
    expect(first).toHaveLength(2);
    expect(m2.map(tickerSnapshot(), RECV)).toEqual([]);
  });

  it('orderbook.50 snapshot gives the top; deltas apply; size 0 deletes', () => {
    const m = mapper();
    const snap = m.map(sample('bybit.v5.linear/ws orderbook.50.BTCUSDT snapshot'), RECV)!;
    expect(snap).toHaveLength(1);
    expect(snap[0]).toMatchObject({ kind: 'book', symbol: 'BTC', bid: 16493.5, bidSize: 0.006, ask: 16611, askSize: 0.029 });
    const delta = { topic: 'orderbook.50.BTCUSDT', type: 'delta', ts: 2, data: { s: 'BTCUSDT', b: [['16493.50', '0'], ['16494.00', '1.5']], a: [['16611.00', '0']], u: 18521289, seq: 1 } };
    expect(m.map(delta, RECV)![0]).toMatchObject({ bid: 16494, bidSize: 1.5, ask: 16612, askSize: 0.213 });
  });

  it('orderbook: deltas before a snapshot are ignored; u:1 resets the book', () => {
    const m = mapper();
    expect(m.map(sample('bybit.v5.linear/ws orderbook.50.BTCUSDT delta empty side'), RECV)).toEqual([]);
    m.map({ topic: 'orderbook.1.BTCUSDT', type: 'snapshot', ts: 1, data: { s: 'BTCUSDT', b: [['100', '1']], a: [['101', '2']], u: 10, seq: 1 } }, RECV);
    const restart = { topic: 'orderbook.1.BTCUSDT', type: 'delta', ts: 2, data: { s: 'BTCUSDT', b: [['90', '3']], a: [['91', '4']], u: 1, seq: 2 } };
    expect(m.map(restart, RECV)![0]).toMatchObject({ bid: 90, bidSize: 3, ask: 91, askSize: 4, imbalance: -1 / 7 });
  });

  it('kline.1 confirmed → BarEvent; unconfirmed and other intervals → []', () => {
    const m = mapper();
    expect(m.map(sample('bybit.v5.linear/ws kline.5.BTCUSDT'), RECV)).toEqual([]);
    const k = sample('bybit.v5.linear/ws kline.5.BTCUSDT');
    k.topic = 'kline.1.BTCUSDT';
    const row = (k.data as Record<string, unknown>[])[0]!;
    expect(m.map(k, RECV)).toEqual([]);
    row.confirm = true;
    expect(m.map(k, RECV)).toEqual([
      { kind: 'bar', venue: 'bybit', symbol: 'BTC', exchTime: 1672324800000 + 59_999, recvTime: RECV, openTime: 1672324800000, open: 16649.5, high: 16677, low: 16608, close: 16677, volume: 2.081, takerBuyVolume: undefined },
    ]);
  });

  it('subscribe acks (ok or failed) and pongs are not data', () => {
    const m = mapper();
    expect(m.map(sample('bybit.v5.linear/ws subscribe ack'), RECV)).toEqual([]);
    expect(m.map(sample('bybit.v5.linear/ws subscribe failure'), RECV)).toEqual([]);
    expect(m.map(sample('bybit.v5.linear/ws pong'), RECV)).toEqual([]);
  });

  it('untracked symbols give []; malformed frames give null', () => {
    const m = mapper();
    const t = sample('bybit.v5.linear/ws publicTrade.BTCUSDT');
    (t.data as Record<string, unknown>[])[0]!.s = 'XYZUSDT';
    expect(m.map(t, RECV)).toEqual([]);
    for (const bad of [null, 'x', 7, { foo: 1 }, { topic: 'publicTrade.BTCUSDT', data: {} }, { topic: 'tickers.BTCUSDT', data: [] }, { topic: 'publicTrade.BTCUSDT', data: [{ s: 'BTCUSDT', S: 'Up', v: '1', p: '1', T: 1 }] }, { topic: 'orderbook.1.BTCUSDT', type: 'snapshot', ts: 1, data: { s: 'BTCUSDT', b: [['x', '1']], a: [] } }]) {
      expect(m.map(bad, RECV)).toBeNull();
    }
  });
});
