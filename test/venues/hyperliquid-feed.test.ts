import { afterEach, describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/market/types.ts';
import { FakeHyperliquid, hyperliquidFakeInstruments, type FakeHyperliquidOptions } from '../../src/demo/hyperliquid.ts';
import { waitFor } from '../../src/demo/ws-server.ts';
import type { FeedTiming } from '../../src/venues/feed.ts';
import { HyperliquidFeed, hyperliquidProtocol } from '../../src/venues/hyperliquid/feed.ts';
import type { FrameRecord } from '../../src/venues/records.ts';
import { createRecordMapper, registryFromRecords } from '../../src/venues/records.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import { RestClient } from '../../src/venues/rest-client.ts';

const FAST: Partial<FeedTiming> = {
  connectTimeoutMs: 1_000,
  hyperliquidHeartbeatIntervalMs: 60,
  hyperliquidWatchdogSilenceMs: 2_000,
  firstFrameMs: 300,
  quietFirstFrameMs: 300,
  sendIntervalMs: 2,
  closeTimeoutMs: 200,
  backoff: { initialMs: 20, maxMs: 200, random: () => 0 },
  bootstrapRetryMs: 100,
  restTimeoutMs: 1_000,
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function rig(opts: { fake?: FakeHyperliquidOptions; timing?: Partial<FeedTiming>; symbols?: string[] } = {}) {
  const symbols = opts.symbols ?? ['ETH', 'PEPE'];
  const fake = new FakeHyperliquid({ instruments: hyperliquidFakeInstruments(symbols), ...opts.fake });
  const { wsUrl, restUrl } = await fake.start();
  const events: MarketEvent[] = [];
  const records: FrameRecord[] = [];
  const trades: unknown[] = [];
  const rest = new RestClient({ venue: 'hyperliquid', baseUrl: restUrl, timeoutMs: 1_000, onRecord: (r) => records.push(r) });
  const meta = await rest.post('/info', { type: 'metaAndAssetCtxs' }, { weight: 20 });
  if (!meta.ok) throw new Error(meta.error.message);
  const registry = buildRegistry({ symbols, venues: ['hyperliquid'], hyperliquidMeta: meta.body });
  const feed = new HyperliquidFeed({ registry, wsUrl, rest, onEvent: (ev) => events.push(ev), onRecord: (r) => records.push(r), onTrades: (p) => trades.push(p), timing: { ...FAST, ...opts.timing }, candleMinutes: 10 });
  cleanup.push(async () => {
    await feed.stop();
    await fake.stop();
  });
  void feed.start();
  return { fake, feed, events, records, registry, trades };
}

const T = 1_787_000_000_000;

describe('hyperliquid protocol', () => {
  it('one subscription per message; pong, acks, duplicate and other errors; data keyed by type:coin', () => {
    expect(JSON.parse(hyperliquidProtocol.subscribeMessage(['l2Book:kPEPE'], '1'))).toEqual({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'kPEPE' } });
    expect(JSON.parse(hyperliquidProtocol.pingMessage!('1'))).toEqual({ method: 'ping' });
    expect(hyperliquidProtocol.parse('{"channel":"pong"}')).toEqual({ type: 'pong' });
    expect(hyperliquidProtocol.parse('{"channel":"subscriptionResponse","data":{}}')).toEqual({ type: 'ack', ok: true });
    expect(hyperliquidProtocol.parse('{"channel":"error","data":"Already subscribed: {}"}')).toEqual({ type: 'ack', ok: true });
    expect(hyperliquidProtocol.parse('{"channel":"error","data":"Invalid subscription"}')).toMatchObject({ type: 'ack', ok: false });
    expect(hyperliquidProtocol.parse('Websocket connection established.')).toEqual({ type: 'ignore' });
    expect(hyperliquidProtocol.parse('{"channel":"trades","data":[{"coin":"kPEPE"}]}')).toMatchObject({ type: 'data', stream: 'trades:kPEPE' });
    expect(hyperliquidProtocol.parse('{"channel":"l2Book","data":{"coin":"ETH"}}')).toMatchObject({ type: 'data', stream: 'l2Book:ETH' });
    expect(hyperliquidProtocol.parse('nope')).toMatchObject({ type: 'malformed' });
  });
});

describe('HyperliquidFeed against the fake venue', () => {
  it('subscribes trades, activeAssetCtx and l2Book per coin; maps them (kPEPE ÷/× 1000); hands trades to the listener', async () => {
    const { fake, feed, events, trades } = await rig();
    await waitFor(() => fake.subscriptions()[0]?.subs.length === 6, 'subscriptions');
    await waitFor(() => feed.status().connections[0]?.state === 'open', 'acks');
    fake.push({ kind: 'mark', venue: 'hyperliquid', symbol: 'PEPE', exchTime: T, recvTime: T, mark: 0.00001, fundingRateHourly: 0.00002 });
    fake.push({ kind: 'oi', venue: 'hyperliquid', symbol: 'PEPE', exchTime: T, recvTime: T, oiBase: 5e9, oiUsd: 5e4 });
    fake.push({ kind: 'trade', venue: 'hyperliquid', symbol: 'PEPE', exchTime: T, recvTime: T, price: 0.00001, qty: 1e8, side: 'sell' });
    fake.push({ kind: 'book', venue: 'hyperliquid', symbol: 'ETH', exchTime: T, recvTime: T, bid: 3000, bidSize: 2, ask: 3000.5, askSize: 1, imbalance: 1 / 3 });
    await waitFor(() => events.some((e) => e.kind === 'trade') && events.some((e) => e.kind === 'book') && events.some((e) => e.kind === 'oi' && e.oiBase > 4e9), 'events');
    expect(events.find((e) => e.kind === 'trade')).toMatchObject({ symbol: 'PEPE', price: 0.00001, qty: 1e8, side: 'sell' });
    expect(events.find((e) => e.kind === 'mark' && e.symbol === 'PEPE' && e.mark > 0)).toMatchObject({ mark: 0.00001, fundingRateHourly: 0.00002 });
    expect((events.find((e) => e.kind === 'oi' && e.oiBase > 4e9) as { oiBase: number }).oiBase).toBeCloseTo(5e9, 0);
    expect(events.find((e) => e.kind === 'book')).toMatchObject({ symbol: 'ETH', bid: 3000, ask: 3000.5 });
    expect(trades).toHaveLength(1);
  });

  it('drops the trades replayed on resubscribe after a reconnect', async () => {
    const { fake, feed, events } = await rig();
    await waitFor(() => feed.status().connections[0]?.state === 'open', 'acks');
    for (let i = 0; i < 5; i++) fake.push({ kind: 'trade', venue: 'hyperliquid', symbol: 'ETH', exchTime: T + i, recvTime: T, price: 3000 + i, qty: 1, side: 'buy' });
    await waitFor(() => events.filter((e) => e.kind === 'trade').length === 5, 'trades');
    fake.closeAll(1001);
    await waitFor(() => feed.status().connections[0]!.reconnects >= 1 && fake.subscriptions()[0]?.subs.length === 6, 'resubscribed', 5_000);
    fake.push({ kind: 'trade', venue: 'hyperliquid', symbol: 'ETH', exchTime: T + 10, recvTime: T, price: 3010, qty: 1, side: 'buy' });
    await waitFor(() => events.filter((e) => e.kind === 'trade').length >= 6, 'new trade');
    await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((e) => e.kind === 'trade').map((e) => e.exchTime - T)).toEqual([0, 1, 2, 3, 4, 10]);
  });

  it('pings with {"method":"ping"} before the idle bound: never closed for silence', async () => {
    const { fake, feed } = await rig({ fake: { idleCloseMs: 800 }, timing: { hyperliquidHeartbeatIntervalMs: 100 } });
    await waitFor(() => fake.counters.pings >= 8, 'pings', 5_000);
    expect(fake.counters.idleCloses).toBe(0);
    expect(feed.status().connections[0]!.reconnects).toBe(0);
  });

  it('bootstraps 1m candles over POST /info, recorded so replay needs no network', async () => {
    const now = Date.now();
    const bars = () => Array.from({ length: 10 }, (_, i) => ({ t: Math.floor(now / 60_000) * 60_000 - (10 - i) * 60_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1000, buyVolume: 500, sellVolume: 500, notional: 1500 }));
    const { events, records } = await rig({ fake: { data: { bars: () => bars() } } });
    await waitFor(() => events.filter((e) => e.kind === 'bar').length === 20, 'bars');
    expect(records.some((r) => r.c.startsWith('rest:/info?type=candleSnapshot&coin=kPEPE&interval=1m'))).toBe(true);
    const pepe = events.find((e) => e.kind === 'bar' && e.symbol === 'PEPE') as { close: number; volume: number };
    expect(pepe.close).toBe(1.5);
    const reg2 = registryFromRecords(records, ['ETH', 'PEPE'], ['hyperliquid']);
    expect(reg2.instrument('hyperliquid', 'PEPE')!.venueSymbol).toBe('kPEPE');
    const replayed = records.flatMap((r) => createRecordMapper(reg2).map(r) ?? []);
    expect(replayed.filter((e) => e.kind === 'bar').length).toBe(20);
  });
});

describe('Hyperliquid faults', () => {
  it('a silent stall trips the watchdog (activeAssetCtx cadence) and the feed reconnects; garbage is counted', async () => {
    const { fake, feed } = await rig({ timing: { hyperliquidWatchdogSilenceMs: 300, hyperliquidHeartbeatIntervalMs: 60_000 } });
    await waitFor(() => feed.status().connections[0]?.state === 'open', 'open');
    fake.sendGarbage(4);
    await waitFor(() => feed.status().malformedFrames >= 4, 'garbage counted');
    const t = Date.now();
    fake.push({ kind: 'mark', venue: 'hyperliquid', symbol: 'ETH', exchTime: t, recvTime: t, mark: 3000 });
    fake.stall();
    await waitFor(() => feed.status().connections[0]!.reconnects >= 1, 'watchdog reconnect', 5_000);
    expect(feed.status().connections[0]!.lastError ?? '').toContain('watchdog');
    fake.resume();
  });

  it('a 429 on /info pauses Hyperliquid REST (the bootstrap stops asking) and /status says so', async () => {
    const { fake, feed } = await rig({ fake: { weightPerMinute: 30 } });
    // 30 weight a minute on the venue: the listing (20) fits, the candle requests (21 each) do not
    await waitFor(() => fake.counters.rateLimited >= 1, '429', 5_000);
    await new Promise((r) => setTimeout(r, 200));
    const after = fake.counters.infoRequests;
    // only the requests already in flight (bootstrap concurrency) met the 429
    expect(fake.counters.rateLimited).toBeLessThanOrEqual(4);
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.counters.infoRequests).toBe(after);
    const st = feed.status();
    expect(st.rest.bannedUntil).toBeGreaterThan(Date.now());
    expect(st.rest.note ?? '').toContain('429');
  });
});
