import { afterEach, describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/market/types.ts';
import { FakeOkx, type FakeOkxOptions } from '../../src/demo/okx.ts';
import { okxFakeInstruments } from '../../src/demo/okx-encode.ts';
import { waitFor } from '../../src/demo/ws-server.ts';
import type { FeedTiming } from '../../src/venues/feed.ts';
import { createOkxProtocol, OKX_LIQUIDATION_STREAM, OkxFeed } from '../../src/venues/okx/feed.ts';
import type { FrameRecord } from '../../src/venues/records.ts';
import { createRecordMapper, registryFromRecords } from '../../src/venues/records.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import { RestClient } from '../../src/venues/rest-client.ts';

const FAST: Partial<FeedTiming> = {
  connectTimeoutMs: 1_000,
  okxHeartbeatIntervalMs: 60,
  okxWatchdogSilenceMs: 2_000,
  firstFrameMs: 150,
  quietFirstFrameMs: 150,
  sendIntervalMs: 5,
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

async function rig(opts: { fake?: FakeOkxOptions; timing?: Partial<FeedTiming>; symbols?: string[] } = {}) {
  const symbols = opts.symbols ?? ['ETH', 'PEPE'];
  const fake = new FakeOkx({ instruments: okxFakeInstruments(symbols), ...opts.fake });
  const { wsUrl, restUrl } = await fake.start();
  const events: MarketEvent[] = [];
  const records: FrameRecord[] = [];
  // when the client sends each request (what its pacing controls; the venue may see them bunched by the network)
  const sent: { url: string; at: number }[] = [];
  const fetchLogged: typeof fetch = (url, init) => {
    sent.push({ url: String(url), at: Date.now() });
    return fetch(url, init);
  };
  const rest = new RestClient({ venue: 'okx', baseUrl: restUrl, timeoutMs: 1_000, fetch: fetchLogged, onRecord: (r) => records.push(r) });
  const listing = await rest.get('/api/v5/public/instruments', { instType: 'SWAP' });
  if (!listing.ok) throw new Error(listing.error.message);
  const registry = buildRegistry({ symbols, venues: ['okx'], okxInstruments: listing.body });
  const feed = new OkxFeed({ registry, wsUrl, rest, onEvent: (ev) => events.push(ev), onRecord: (r) => records.push(r), timing: { ...FAST, ...opts.timing }, candleLimit: 10, oiHistoryLimit: 10 });
  cleanup.push(async () => {
    await feed.stop();
    await fake.stop();
  });
  void feed.start();
  return { fake, feed, events, records, registry, sent };
}

const T = 1_760_000_000_000;

describe('okx protocol', () => {
  it('pong before JSON; data by channel:instId; one ack per request (the last channel), errors reject', () => {
    const p = createOkxProtocol();
    expect(p.parse('pong')).toEqual({ type: 'pong' });
    expect(p.pingMessage!('1')).toBe('ping');
    expect(JSON.parse(p.subscribeMessage(['trades:ETH-USDT-SWAP', OKX_LIQUIDATION_STREAM], '7'))).toEqual({
      id: '7', op: 'subscribe', args: [{ channel: 'trades', instId: 'ETH-USDT-SWAP' }, { channel: 'liquidation-orders', instType: 'SWAP' }],
    });
    expect(p.parse('{"id":"7","event":"subscribe","arg":{"channel":"trades","instId":"ETH-USDT-SWAP"},"connId":"a"}')).toEqual({ type: 'ignore' });
    expect(p.parse('{"id":"7","event":"subscribe","arg":{"channel":"liquidation-orders","instType":"SWAP"},"connId":"a"}')).toEqual({ type: 'ack', id: '7', ok: true });
    expect(p.parse('{"id":"8","event":"error","code":"60012","msg":"Invalid request","connId":"a"}')).toMatchObject({ type: 'ack', id: '8', ok: false, error: expect.stringContaining('60012') });
    expect(p.parse('{"arg":{"channel":"books5","instId":"ETH-USDT-SWAP"},"data":[]}')).toMatchObject({ type: 'data', stream: 'books5:ETH-USDT-SWAP' });
    expect(p.parse('{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[]}')).toMatchObject({ type: 'data', stream: OKX_LIQUIDATION_STREAM });
    expect(p.parse('garbage')).toMatchObject({ type: 'malformed' });
  });
});

describe('OkxFeed against the fake venue', () => {
  it('subscribes every channel, maps each one in coins (ctVal from the listing), keeps tracked USDT swaps only', async () => {
    const { fake, feed, events } = await rig();
    await waitFor(() => fake.subscriptions()[0]?.channels.length === 11, 'subscriptions');
    await waitFor(() => feed.status().connections[0]?.state === 'open', 'acks');
    const pushAll = (t: number) => {
      fake.push({ kind: 'trade', venue: 'okx', symbol: 'ETH', exchTime: t, recvTime: t, price: 3000, qty: 2.5, side: 'buy' });
      fake.push({ kind: 'mark', venue: 'okx', symbol: 'ETH', exchTime: t, recvTime: t, mark: 3001, fundingRateHourly: 0.00001 });
      fake.push({ kind: 'oi', venue: 'okx', symbol: 'ETH', exchTime: t, recvTime: t, oiBase: 1234.5, oiUsd: 1234.5 * 3001 });
      fake.push({ kind: 'book', venue: 'okx', symbol: 'PEPE', exchTime: t, recvTime: t, bid: 0.00001, bidSize: 50_000_000, ask: 0.0000101, askSize: 150_000_000, imbalance: -0.5 });
      fake.push({ kind: 'liquidation', venue: 'okx', symbol: 'PEPE', exchTime: t, recvTime: t, side: 'long', price: 0.0000099, qty: 30_000_000, notionalUsd: 297 });
    };
    pushAll(T);
    await waitFor(() => events.some((e) => e.kind === 'liquidation'), 'liquidation');
    await waitFor(() => events.filter((e) => e.kind === 'mark' && e.fundingRateHourly !== undefined).length > 0, 'funding');
    const live = events.filter((e) => e.exchTime === T);
    expect(live.find((e) => e.kind === 'trade')).toMatchObject({ symbol: 'ETH', qty: 2.5, price: 3000 });
    expect((live.find((e) => e.kind === 'oi') as { oiBase: number }).oiBase).toBeCloseTo(1234.5, 9);
    expect(live.find((e) => e.kind === 'book')).toMatchObject({ symbol: 'PEPE', bidSize: 50_000_000, askSize: 150_000_000 });
    // the inverse twin in the same frame is dropped: one liquidation, a long, in coins
    const liqs = live.filter((e) => e.kind === 'liquidation');
    expect(liqs).toEqual([expect.objectContaining({ symbol: 'PEPE', side: 'long', qty: 30_000_000 })]);
    const funded = events.find((e) => e.kind === 'mark' && e.fundingRateHourly !== undefined) as { fundingRateHourly: number };
    expect(funded.fundingRateHourly).toBeCloseTo(0.00001, 12);
    expect(feed.status().symbolsLive.sort()).toEqual(['ETH', 'PEPE']);
  });

  it('pings with the text `ping` before the idle bound, so the venue never closes the socket (4004)', async () => {
    const { fake, feed } = await rig({ fake: { idleCloseMs: 800 }, timing: { okxHeartbeatIntervalMs: 100 } });
    await waitFor(() => fake.counters.pings >= 8, 'pings', 5_000);
    expect(fake.counters.idleCloses).toBe(0);
    expect(feed.status().connections[0]!.reconnects).toBe(0);
  });

  it('without a ping in time the venue closes with 4004 and the feed reconnects and resubscribes', async () => {
    const { fake, feed } = await rig({ fake: { idleCloseMs: 150 }, timing: { okxHeartbeatIntervalMs: 60_000 } });
    await waitFor(() => fake.counters.idleCloses >= 1, 'idle close', 5_000);
    await waitFor(() => feed.status().connections[0]!.reconnects >= 1 && fake.subscriptions().some((s) => s.channels.length === 11), 'resubscribed', 5_000);
    expect(feed.status().connections[0]!.lastError ?? '').toContain('4004');
  });

  it('stays within the subscribe-request budget: 11 channels in one request per socket; the fake refuses beyond its budget', async () => {
    const { fake } = await rig({ fake: { subscribeRequestsPerHour: 1 } });
    await waitFor(() => fake.subscriptions()[0]?.channels.length === 11, 'subscriptions');
    expect(fake.counters.subscribeRequests).toBe(1);
    expect(fake.counters.subscribeBudgetRefusals).toBe(0);
  });

  it('bootstraps OI history and candles within the per-endpoint limits; replay of the recording needs no network', async () => {
    const symbols = ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'PEPE'];
    const now = Date.now();
    const bars = () => Array.from({ length: 10 }, (_, i) => ({ t: Math.floor(now / 60_000) * 60_000 - (10 - i) * 60_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1000, buyVolume: 500, sellVolume: 500, notional: 1500 }));
    const oi = () => Array.from({ length: 10 }, (_, i) => ({ t: now - (10 - i) * 300_000, oiBase: 100 + i, oiUsd: 1000 + i }));
    const { events, records, registry, sent } = await rig({ symbols, fake: { data: { bars: () => bars(), oiHistory: () => oi() } } });
    await waitFor(() => events.filter((e) => e.kind === 'bar').length === 60 && events.filter((e) => e.kind === 'oi').length >= 60, 'bootstrap', 15_000);
    // five OI-history requests at most in any 2 s (OKX's limit for that endpoint)
    const oiTimes = sent.filter((r) => r.url.includes('open-interest-history')).map((r) => r.at);
    expect(oiTimes.length).toBeGreaterThanOrEqual(6);
    for (const t of oiTimes) expect(oiTimes.filter((u) => u >= t && u < t + 2_000).length).toBeLessThanOrEqual(5);
    // ctVal: 10 contracts of PEPE-USDT-SWAP are 100,000,000 PEPE
    const pepeBar = events.find((e) => e.kind === 'bar' && e.symbol === 'PEPE') as { volume: number };
    expect(pepeBar.volume).toBe(1000);
    // replay: registry and events from the recording alone
    const reg2 = registryFromRecords(records, symbols, ['okx']);
    expect(reg2.instrument('okx', 'PEPE')!.contractValue).toBe(registry.instrument('okx', 'PEPE')!.contractValue);
    const rm = createRecordMapper(reg2);
    const replayed = records.flatMap((r) => rm.map(r) ?? []);
    expect(replayed.filter((e) => e.kind === 'bar').length).toBe(60);
  });
});

describe('OKX faults', () => {
  it('a silent stall trips the watchdog (mark-price cadence) and the feed reconnects; garbage frames are counted and skipped', async () => {
    const { fake, feed } = await rig({ timing: { okxWatchdogSilenceMs: 300, okxHeartbeatIntervalMs: 60_000 } });
    await waitFor(() => feed.status().connections[0]?.state === 'open', 'open');
    fake.sendGarbage(4);
    await waitFor(() => feed.status().malformedFrames >= 4, 'garbage counted');
    // marks flow, then the venue stalls (socket open, nothing sent)
    const t = Date.now();
    fake.push({ kind: 'mark', venue: 'okx', symbol: 'ETH', exchTime: t, recvTime: t, mark: 3000 });
    fake.stall();
    await waitFor(() => feed.status().connections[0]!.reconnects >= 1, 'watchdog reconnect', 5_000);
    expect(feed.status().connections[0]!.lastError ?? '').toContain('watchdog');
    fake.resume();
  });

  it('an error event (60018) marks the channel rejected in /status instead of waiting forever', async () => {
    const p = createOkxProtocol();
    p.subscribeMessage(['trades:NOPE-USDT-SWAP'], '3');
    expect(p.parse('{"id":"3","event":"error","code":"60018","msg":"Wrong URL or channel:trades,instId:NOPE-USDT-SWAP doesn\'t exist.","connId":"x"}')).toMatchObject({ type: 'ack', id: '3', ok: false, error: expect.stringContaining('60018') });
  });
});
