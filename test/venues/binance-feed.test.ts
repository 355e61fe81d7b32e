import { afterEach, describe, expect, it } from 'vitest';
import type { VenueInstrument } from '../../src/market/symbols.ts';
import type { MarketEvent, TradeEvent } from '../../src/market/types.ts';
import { BinanceFeed, binanceRoute, type BinanceFeedOptions } from '../../src/venues/binance/feed.ts';
import type { FeedTiming } from '../../src/venues/feed.ts';
import { createRecordMapper, type FrameRecord, type RecordMapper } from '../../src/venues/records.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import { RestClient } from '../../src/venues/rest-client.ts';
import { FakeBinance } from '../../src/demo/binance.ts';
import { waitFor } from '../../src/demo/ws-server.ts';

const FAST: Partial<FeedTiming> = {
  connectTimeoutMs: 1_000,
  watchdogSilenceMs: 1_000,
  publicWatchdogSilenceMs: 1_000,
  firstFrameMs: 150,
  quietFirstFrameMs: 150,
  sendIntervalMs: 5,
  rolloverReadyTimeoutMs: 2_000,
  rolloverDrainMs: 30,
  closeTimeoutMs: 200,
  backoff: { initialMs: 20, maxMs: 200, random: () => 0 },
  oiPollIntervalMs: 60_000,
  bootstrapRetryMs: 100,
  restTimeoutMs: 1_000,
};

const inst = (symbol: string, venueSymbol = `${symbol}USDT`, multiplier = 1): VenueInstrument => ({ venue: 'binance', symbol, venueSymbol, multiplier });

interface Rig {
  fake: FakeBinance;
  feed: BinanceFeed;
  events: MarketEvent[];
  records: FrameRecord[];
  pump(ms?: number): void;
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function rig(opts: { symbols?: string[]; fake?: ConstructorParameters<typeof FakeBinance>[0]; feed?: Partial<BinanceFeedOptions>; timing?: Partial<FeedTiming> } = {}): Promise<Rig> {
  const symbols = opts.symbols ?? ['BTC'];
  const fake = new FakeBinance({ instruments: symbols.map((s) => inst(s)), ...opts.fake });
  const { wsUrl, restUrl } = await fake.start();
  const events: MarketEvent[] = [];
  const records: FrameRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  const feed = new BinanceFeed({
    registry: buildRegistry({ symbols, venues: ['binance'] }),
    wsUrl,
    rest: new RestClient({ venue: 'binance', baseUrl: restUrl, timeoutMs: 1_000, onRecord: (r) => records.push(r) }),
    onEvent: (ev) => events.push(ev),
    onRecord: (r) => records.push(r),
    timing: { ...FAST, ...opts.timing },
    klineLimit: 10,
    oiHistLimit: 10,
    ...opts.feed,
  });
  let t = 1_760_000_000_000;
  const pump = (ms = 10) => {
    timer = setInterval(() => {
      t += ms;
      for (const s of symbols) {
        fake.push({ kind: 'mark', venue: 'binance', symbol: s, exchTime: t, recvTime: t, mark: 100, index: 100, fundingRateHourly: 0.00001, nextFundingTime: t + 3_600_000 });
        fake.push({ kind: 'book', venue: 'binance', symbol: s, exchTime: t, recvTime: t, bid: 99.9, bidSize: 1, ask: 100.1, askSize: 2, imbalance: -1 / 3 });
      }
    }, ms);
  };
  cleanup.push(async () => {
    clearInterval(timer);
    await feed.stop();
    await fake.stop();
  });
  return { fake, feed, events, records, pump };
}

const marks = (events: MarketEvent[]) => events.filter((e) => e.kind === 'mark').length;
const conn = (feed: BinanceFeed, name: string) => feed.status().connections.find((c) => c.name === name)!;

describe('Binance routing', () => {
  it('puts book data on /public and everything else on /market', () => {
    expect(binanceRoute('btcusdt@bookTicker')).toBe('public');
    expect(binanceRoute('btcusdt@depth20@100ms')).toBe('public');
    expect(binanceRoute('btcusdt@aggTrade')).toBe('market');
    expect(binanceRoute('btcusdt@markPrice@1s')).toBe('market');
    expect(binanceRoute('btcusdt@forceOrder')).toBe('market');
    expect(binanceRoute('!forceOrder@arr')).toBe('market');
  });
});

describe('BinanceFeed against the fake venue', () => {
  it('subscribes on both paths, maps events, records raw frames and reports live status', async () => {
    const r = await rig();
    await r.feed.start();
    r.pump();
    await waitFor(() => marks(r.events) > 0 && r.events.some((e) => e.kind === 'book'), 'mark and book events');
    const subs = r.fake.subscriptions();
    expect(subs.find((s) => s.path === 'market')!.streams.sort()).toEqual(['btcusdt@aggTrade', 'btcusdt@forceOrder', 'btcusdt@markPrice@1s']);
    expect(subs.find((s) => s.path === 'public')!.streams).toEqual(['btcusdt@bookTicker']);
    r.fake.push({ kind: 'liquidation', venue: 'binance', symbol: 'BTC', exchTime: 1, recvTime: 1, side: 'long', price: 100, qty: 2, notionalUsd: 200 });
    await waitFor(() => r.events.some((e) => e.kind === 'liquidation'), 'liquidation');
    expect(r.events.find((e) => e.kind === 'liquidation')).toMatchObject({ side: 'long', qty: 2 });
    const frame = r.records.find((x) => x.c === 'btcusdt@markPrice@1s')!;
    expect(JSON.parse(frame.raw)).toMatchObject({ stream: 'btcusdt@markPrice@1s', data: { e: 'markPriceUpdate' } });
    const st = r.feed.status();
    expect(st.symbolsLive).toEqual(['BTC']);
    expect(st.connections.map((c) => [c.name, c.state])).toEqual([
      ['market', 'open'],
      ['public', 'open'],
    ]);
    expect(st.streams.find((s) => s.name === 'btcusdt@markPrice@1s')!.lastMessageAgeMs).not.toBeNull();
    expect(st.rest.weightLimit).toBe(2400);
    expect(st.malformedFrames).toBe(0);
  });

  it('hands each live frame to the mapper already parsed (one JSON.parse per frame) while the recorder gets the raw text', async () => {
    const registry = buildRegistry({ symbols: ['BTC'], venues: ['binance'] });
    const inner = createRecordMapper(registry);
    const calls: Array<{ rec: FrameRecord; parsed: unknown }> = [];
    const mapper: RecordMapper = { ...inner, map: (rec, parsed) => (calls.push({ rec, parsed }), inner.map(rec, parsed)) };
    const r = await rig({ feed: { registry, mapper } });
    await r.feed.start();
    r.pump();
    await waitFor(() => marks(r.events) > 2 && r.events.some((e) => e.kind === 'book'), 'mark and book events');
    const live = calls.filter((c) => !c.rec.c.startsWith('rest:'));
    expect(live.length).toBeGreaterThan(3);
    for (const c of live) {
      expect(c.parsed).toEqual(JSON.parse(c.rec.raw));
      expect(r.records.some((x) => x.c === c.rec.c && x.raw === c.rec.raw)).toBe(true);
    }
    // REST bodies have no connection in front of them: the mapper parses those itself
    expect(calls.filter((c) => c.rec.c.startsWith('rest:')).every((c) => c.parsed === undefined)).toBe(true);
  });

  it('gets forceOrder as the venue samples it: the latest liquidation per symbol per window', async () => {
    const r = await rig({ fake: { forceOrderWindowMs: 50 } });
    await r.feed.start();
    r.pump();
    await waitFor(() => marks(r.events) > 0, 'subscribed');
    for (let q = 1; q <= 5; q++) r.fake.push({ kind: 'liquidation', venue: 'binance', symbol: 'BTC', exchTime: q, recvTime: q, side: 'short', price: 100, qty: q, notionalUsd: 100 * q });
    await waitFor(() => r.events.filter((e) => e.kind === 'liquidation').length === 2, 'first and latest');
    await new Promise((res) => setTimeout(res, 120));
    expect(r.events.filter((e) => e.kind === 'liquidation').map((e) => (e.kind === 'liquidation' ? e.qty : 0))).toEqual([1, 5]);
  });

  it('reports a wrong-path stream as silent: acknowledged, never delivered', async () => {
    // bookTicker misrouted to /market, as a pre-2026 client would
    const r = await rig({ feed: { route: () => 'market' } });
    await r.feed.start();
    r.pump();
    await waitFor(() => r.feed.status().streams.find((s) => s.name === 'btcusdt@bookTicker')?.silent === true, 'bookTicker reported silent');
    const st = r.feed.status();
    expect(r.fake.subscriptions()).toEqual([{ id: expect.any(Number), path: 'market', streams: expect.arrayContaining(['btcusdt@bookTicker']) }]);
    expect(st.streams.find((s) => s.name === 'btcusdt@bookTicker')).toMatchObject({ silent: true, lastMessageAgeMs: null });
    expect(st.streams.find((s) => s.name === 'btcusdt@markPrice@1s')!.silent).toBe(false);
    expect(st.streams.find((s) => s.name === 'btcusdt@forceOrder')!.silent).toBe(false); // liquidations may be quiet
    expect(r.events.some((e) => e.kind === 'book')).toBe(false);
  });

  it('reconnects when a stalled socket goes quiet, and resubscribes everything', async () => {
    const r = await rig({ timing: { watchdogSilenceMs: 150, publicWatchdogSilenceMs: 150 } });
    await r.feed.start();
    r.pump();
    await waitFor(() => marks(r.events) > 0, 'first mark');
    const before = r.fake.counters.connections;
    r.fake.stall();
    await waitFor(() => r.fake.counters.connections >= before + 2, 'both sockets replaced');
    expect(conn(r.feed, 'market').reconnects).toBeGreaterThanOrEqual(1);
    expect(conn(r.feed, 'market').lastError ?? '').toMatch(/watchdog/);
    const n = marks(r.events);
    await waitFor(() => marks(r.events) > n + 3, 'marks flowing again');
    const subs = r.fake.subscriptions();
    expect(subs.find((s) => s.path === 'market')!.streams).toHaveLength(3);
    expect(subs.find((s) => s.path === 'public')!.streams).toHaveLength(1);
  });

  it('resubscribes after the venue drops the connection', async () => {
    const r = await rig();
    await r.feed.start();
    r.pump();
    await waitFor(() => marks(r.events) > 0, 'first mark');
    const subsBefore = r.fake.counters.subscribedStreams;
    r.fake.closeAll();
    await waitFor(() => r.fake.counters.subscribedStreams >= subsBefore * 2 && r.fake.subscriptions().length === 2, 'resubscribed');
    const n = marks(r.events);
    await waitFor(() => marks(r.events) > n, 'data after reconnect');
    expect(conn(r.feed, 'market').reconnects).toBe(1);
  });

  it('counts and skips garbage frames; the socket and the process stay up', async () => {
    const r = await rig();
    await r.feed.start();
    r.pump();
    await waitFor(() => marks(r.events) > 0, 'first mark');
    r.fake.sendGarbage(10);
    await waitFor(() => r.feed.status().malformedFrames >= 20, 'garbage counted on both sockets');
    const n = marks(r.events);
    await waitFor(() => marks(r.events) > n + 2, 'marks after garbage');
    expect(r.fake.counters.connections).toBe(2);
    expect(conn(r.feed, 'market')).toMatchObject({ state: 'open', reconnects: 0 });
  });

  it('batches subscriptions and paces them under the inbound message limit', async () => {
    const symbols = ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'ADA'];
    const limits = { inboundLimit: 4, inboundWindowMs: 200 };
    const r = await rig({ symbols, fake: limits, timing: { subscribeBatchSize: 2, sendIntervalMs: 80 } });
    await r.feed.start();
    await waitFor(() => r.fake.counters.subscribedStreams >= 24, 'all streams subscribed');
    expect(r.fake.counters.subscribeMessages).toBe(9 + 3); // 18 market streams / 2 + 6 public / 2
    expect(r.fake.counters.rateLimitDisconnects).toBe(0);
    expect(r.fake.counters.connections).toBe(2);

    // Control: the same batches sent unpaced exceed the limit and get disconnected.
    const burst = await rig({ symbols, fake: limits, timing: { subscribeBatchSize: 2, sendIntervalMs: 0 } });
    await burst.feed.start();
    await waitFor(() => burst.fake.counters.rateLimitDisconnects > 0, 'the fake enforcing the limit');
  });

  it('rolls over make-before-break with every trade delivered exactly once', async () => {
    const r = await rig({ fake: { maxConnectionAgeMs: 700 }, timing: { maxAgeMs: 250 } });
    await r.feed.start();
    r.pump(10);
    await waitFor(() => marks(r.events) > 0, 'first mark');
    let i = 0;
    const pushed: number[] = [];
    const trades = setInterval(() => {
      for (let k = 0; k < 3; k++) {
        i++;
        pushed.push(i);
        r.fake.push({ kind: 'trade', venue: 'binance', symbol: 'BTC', exchTime: 1_760_000_000_000 + i, recvTime: 0, price: 1_000 + i, qty: 1, side: i % 2 ? 'buy' : 'sell' });
      }
    }, 4);
    cleanup.push(async () => clearInterval(trades));
    await waitFor(() => r.fake.counters.connections >= 6, 'two rollovers on both paths', 10_000);
    clearInterval(trades);
    await waitFor(() => (r.events.filter((e) => e.kind === 'trade') as TradeEvent[]).some((e) => e.price === 1_000 + i), 'last trade delivered');
    const seen = (r.events.filter((e) => e.kind === 'trade') as TradeEvent[]).map((e) => e.price - 1_000);
    expect(seen.length).toBe(pushed.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((a, b) => a - b)).toEqual(pushed);
    expect(conn(r.feed, 'market').reconnects).toBe(0);
    expect(r.fake.counters.ageCloses).toBe(0); // rolled over before the venue's forced close
    // the recording holds each delivered frame once, too
    expect(r.records.filter((x) => x.c === 'btcusdt@aggTrade')).toHaveLength(pushed.length);
  });

  it('bootstraps history from REST and polls open interest', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    const data = {
      bars: () => Array.from({ length: 10 }, (_, k) => ({ kind: 'bar' as const, venue: 'binance' as const, symbol: 'BTC', exchTime: t0 + k * 60_000, recvTime: 0, openTime: t0 + k * 60_000, open: 100, high: 101, low: 99, close: 100 + k, volume: 5 })),
      oiHistory: () => Array.from({ length: 10 }, (_, k) => ({ t: t0 + k * 300_000, oiBase: 1_000 + k, oiUsd: 100_000 })),
      openInterest: () => ({ t: t0 + 3_000_000, oiBase: 2_000, oiUsd: 200_000 }),
    };
    const r = await rig({ fake: { data }, timing: { oiPollIntervalMs: 30 } });
    await r.feed.start();
    expect(r.events.filter((e) => e.kind === 'bar')).toHaveLength(10);
    expect(r.events.filter((e) => e.kind === 'oi' && e.oiBase < 2_000)).toHaveLength(10);
    await waitFor(() => r.events.filter((e) => e.kind === 'oi' && e.oiBase === 2_000).length >= 2, 'polled open interest');
    expect(r.records.some((x) => x.c.startsWith('rest:/futures/data/openInterestHist?symbol=BTCUSDT&period=5m'))).toBe(true);
    expect(r.feed.status().degraded).toBeUndefined();
    expect(r.feed.status().historyLoading).toBeUndefined(); // done: no longer "loading"
  });

  it('status says the start-up history is loading, with requests answered of all, while it is', async () => {
    const r = await rig();
    const starting = r.feed.start();
    // the sockets are opening and the first requests are in flight
    const during = r.feed.status().historyLoading;
    expect(during).toBeDefined();
    expect(during!.total).toBeGreaterThan(0);
    expect(during!.done).toBeLessThan(during!.total);
    await starting;
    expect(r.feed.status().historyLoading).toBeUndefined();
  });

  it('degrades to live-only when the history bootstrap fails, says so, and recovers', async () => {
    const r = await rig({ timing: { bootstrapRetryMs: 100 } });
    r.fake.failRest(500);
    await r.feed.start();
    expect(r.feed.status().degraded).toMatch(/history bootstrap failed.*live-only/);
    r.pump();
    await waitFor(() => marks(r.events) > 0, 'live data despite REST failure');
    r.fake.clearRestFaults();
    await waitFor(() => r.feed.status().degraded === undefined, 'bootstrap retried');
  });
});
