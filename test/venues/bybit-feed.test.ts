import { afterEach, describe, expect, it } from 'vitest';
import type { VenueInstrument } from '../../src/market/symbols.ts';
import type { MarketEvent, MarkEvent } from '../../src/market/types.ts';
import { BybitFeed, bybitProtocol } from '../../src/venues/bybit/feed.ts';
import type { FeedTiming } from '../../src/venues/feed.ts';
import type { FrameRecord } from '../../src/venues/records.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import { RestClient } from '../../src/venues/rest-client.ts';
import { FakeBybit, type FakeBybitOptions } from '../../src/demo/bybit.ts';
import { waitFor } from '../../src/demo/ws-server.ts';

const FAST: Partial<FeedTiming> = {
  connectTimeoutMs: 1_000,
  heartbeatIntervalMs: 30,
  bybitWatchdogSilenceMs: 1_000,
  firstFrameMs: 150,
  quietFirstFrameMs: 150,
  sendIntervalMs: 5,
  closeTimeoutMs: 200,
  backoff: { initialMs: 20, maxMs: 200, random: () => 0 },
  bootstrapRetryMs: 100,
  restTimeoutMs: 1_000,
};

const inst = (symbol: string, venueSymbol = `${symbol}USDT`, multiplier = 1): VenueInstrument => ({ venue: 'bybit', symbol, venueSymbol, multiplier });

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function rig(opts: { fake?: FakeBybitOptions; timing?: Partial<FeedTiming>; symbols?: string[] } = {}) {
  const symbols = opts.symbols ?? ['BTC', 'PEPE'];
  const fake = new FakeBybit({ instruments: symbols.map((s) => (s === 'PEPE' ? inst(s, '1000PEPEUSDT', 1000) : inst(s))), ...opts.fake });
  const { wsUrl, restUrl } = await fake.start();
  const events: MarketEvent[] = [];
  const records: FrameRecord[] = [];
  const registry = buildRegistry({ symbols, venues: ['bybit'] });
  const feed = new BybitFeed({
    registry,
    wsUrl,
    rest: new RestClient({ venue: 'bybit', baseUrl: restUrl, timeoutMs: 1_000, onRecord: (r) => records.push(r) }),
    onEvent: (ev) => events.push(ev),
    onRecord: (r) => records.push(r),
    timing: { ...FAST, ...opts.timing },
    klineLimit: 10,
    oiLimit: 10,
  });
  let timer: NodeJS.Timeout | undefined;
  let t = 1_760_000_000_000;
  const pump = (ms = 10) => {
    timer = setInterval(() => {
      t += ms;
      fake.push({ kind: 'book', venue: 'bybit', symbol: 'BTC', exchTime: t, recvTime: t, bid: 99.9, bidSize: 1, ask: 100.1, askSize: 2, imbalance: -1 / 3 });
    }, ms);
  };
  cleanup.push(async () => {
    clearInterval(timer);
    await feed.stop();
    await fake.stop();
  });
  return { fake, feed, events, records, pump };
}

const count = (events: MarketEvent[], kind: MarketEvent['kind']) => events.filter((e) => e.kind === kind).length;

describe('bybit protocol', () => {
  it('tells data, acks, pongs and garbage apart', () => {
    expect(bybitProtocol.parse('{"topic":"tickers.BTCUSDT","type":"delta","data":{}}')).toMatchObject({ type: 'data', stream: 'tickers.BTCUSDT' });
    expect(bybitProtocol.parse('{"success":true,"ret_msg":"","conn_id":"x","req_id":"7","op":"subscribe"}')).toEqual({ type: 'ack', id: '7', ok: true });
    expect(bybitProtocol.parse('{"success":true,"ret_msg":"","conn_id":"x","req_id":"","op":"subscribe"}')).toEqual({ type: 'ack', ok: true });
    expect(bybitProtocol.parse('{"success":false,"ret_msg":"error:handler not found,topic:orderbook.500.BTCUSDT","req_id":"","op":"subscribe"}')).toMatchObject({ type: 'ack', ok: false, error: expect.stringContaining('orderbook.500') });
    expect(bybitProtocol.parse('{"success":true,"ret_msg":"pong","conn_id":"x","req_id":"","op":"ping"}')).toEqual({ type: 'pong' });
    expect(bybitProtocol.parse('{"topic":')).toMatchObject({ type: 'malformed' });
    expect(JSON.parse(bybitProtocol.pingMessage!('5'))).toEqual({ req_id: '5', op: 'ping' });
  });
});

describe('BybitFeed against the fake venue', () => {
  it('subscribes every topic on one socket, merges ticker deltas and maps events', async () => {
    const r = await rig();
    await r.feed.start();
    await waitFor(() => r.fake.subscriptions()[0]?.topics.length === 8, 'subscribed');
    expect(r.fake.subscriptions()[0]!.topics.sort()).toEqual(
      ['allLiquidation.1000PEPEUSDT', 'allLiquidation.BTCUSDT', 'orderbook.1.1000PEPEUSDT', 'orderbook.1.BTCUSDT', 'publicTrade.1000PEPEUSDT', 'publicTrade.BTCUSDT', 'tickers.1000PEPEUSDT', 'tickers.BTCUSDT'].sort(),
    );
    const t = 1_760_000_000_000;
    r.fake.push({ kind: 'mark', venue: 'bybit', symbol: 'BTC', exchTime: t, recvTime: t, mark: 100, index: 99, fundingRateHourly: 0.0001, nextFundingTime: t + 3_600_000 });
    r.fake.push({ kind: 'mark', venue: 'bybit', symbol: 'BTC', exchTime: t + 100, recvTime: t, mark: 101, index: 99, fundingRateHourly: 0.0001, nextFundingTime: t + 3_600_000 });
    r.fake.push({ kind: 'trade', venue: 'bybit', symbol: 'PEPE', exchTime: t, recvTime: t, price: 0.00001, qty: 1_000_000, side: 'sell' });
    r.fake.push({ kind: 'liquidation', venue: 'bybit', symbol: 'BTC', exchTime: t, recvTime: t, side: 'short', price: 100, qty: 1, notionalUsd: 100 });
    await waitFor(() => count(r.events, 'mark') >= 2 && count(r.events, 'trade') === 1 && count(r.events, 'liquidation') === 1, 'events');
    const lastMark = r.events.filter((e): e is MarkEvent => e.kind === 'mark').at(-1)!;
    // the second push is a delta carrying only markPrice: index and funding are kept, not zeroed
    expect(lastMark).toMatchObject({ mark: 101, index: 99 });
    expect(lastMark.fundingRateHourly).toBeCloseTo(0.0001);
    expect(r.events.find((e) => e.kind === 'trade')).toMatchObject({ symbol: 'PEPE', price: 0.00001, qty: 1_000_000 });
    expect(r.events.find((e) => e.kind === 'liquidation')).toMatchObject({ side: 'short' });
    expect(r.records.some((x) => x.c === 'tickers.BTCUSDT')).toBe(true);
    expect(r.feed.status().connections).toEqual([{ name: 'linear', state: 'open', reconnects: 0 }]);
  });

  it('pings every interval and the venue keeps the socket; pongs are not data', async () => {
    const r = await rig({ fake: { pingTimeoutMs: 300 } });
    await r.feed.start();
    r.pump();
    await waitFor(() => r.fake.counters.pings >= 10, 'ten pings');
    const log = [...r.fake.pingLog.values()][0]!;
    expect(log.length).toBeGreaterThanOrEqual(10);
    expect(r.fake.counters.pingTimeoutCloses).toBe(0);
    expect(r.fake.counters.connections).toBe(1);
    expect(r.feed.status().malformedFrames).toBe(0);
  });

  it('without pings the venue closes the socket; the feed reconnects and resubscribes', async () => {
    const r = await rig({ fake: { pingTimeoutMs: 100 }, timing: { heartbeatIntervalMs: 60_000 } });
    await r.feed.start();
    await waitFor(() => r.fake.counters.pingTimeoutCloses >= 1 && r.fake.counters.connections >= 2 && r.fake.subscriptions()[0]?.topics.length === 8, 'closed for no ping, then resubscribed');
    expect(r.feed.status().connections[0]!.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('reconnects after a stall and resubscribes every topic', async () => {
    const r = await rig({ timing: { bybitWatchdogSilenceMs: 150 } });
    await r.feed.start();
    r.pump();
    await waitFor(() => count(r.events, 'book') > 0, 'first book');
    r.fake.stall();
    await waitFor(() => r.fake.counters.connections >= 2, 'reconnected');
    expect(r.feed.status().connections[0]!.lastError).toMatch(/watchdog/);
    await waitFor(() => r.fake.subscriptions()[0]?.topics.length === 8, 'resubscribed');
    const n = count(r.events, 'book');
    await waitFor(() => count(r.events, 'book') > n, 'data again');
  });

  it('counts garbage frames and keeps the socket open', async () => {
    const r = await rig({ symbols: ['BTC'] });
    await r.feed.start();
    await waitFor(() => r.fake.subscriptions()[0]?.topics.length === 4, 'subscribed');
    r.fake.sendGarbage(4);
    await waitFor(() => r.feed.status().malformedFrames >= 4, 'garbage counted');
    expect(r.feed.status().connections[0]!.state).toBe('open');
  });

  it('bootstraps open interest and klines from REST; a failure degrades to live-only and says so', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    const data = {
      bars: () => Array.from({ length: 5 }, (_, k) => ({ t: t0 + k * 60_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, buyVolume: 5, sellVolume: 5, notional: 15 })),
      oiHistory: () => Array.from({ length: 4 }, (_, k) => ({ t: t0 + k * 300_000, oiBase: 500 + k, oiUsd: 50_000 })),
    };
    const ok = await rig({ fake: { data }, symbols: ['BTC'] });
    await ok.feed.start();
    expect(count(ok.events, 'bar')).toBe(5);
    expect(count(ok.events, 'oi')).toBe(4);
    expect(ok.feed.status().degraded).toBeUndefined();
    expect(ok.records.some((x) => x.c === 'rest:/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=10')).toBe(true);

    const bad = await rig({ fake: { data }, symbols: ['BTC'], timing: { bootstrapRetryMs: 60_000, bootstrapConcurrency: 1 } });
    bad.fake.failRest(403);
    await bad.feed.start();
    const st = bad.feed.status();
    expect(st.degraded).toMatch(/history bootstrap failed.*403.*live-only/);
    expect(st.rest.bannedUntil).toBeDefined();
    expect(bad.fake.counters.requests).toBe(1); // stopped asking after "access too frequent"
  });
});
