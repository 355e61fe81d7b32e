import { afterEach, describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/market/types.ts';
import { binanceProtocol } from '../../src/venues/binance/feed.ts';
import { bybitProtocol } from '../../src/venues/bybit/feed.ts';
import { Connection, ConnectionState, type ConnectionOptions, type ConnectionTiming } from '../../src/venues/connection.ts';
import type { FeedTiming } from '../../src/venues/feed.ts';
import { startVenues } from '../../src/venues/index.ts';
import type { FrameRecord } from '../../src/venues/records.ts';
import { FakeBinance } from '../../src/demo/binance.ts';
import { FakeBybit } from '../../src/demo/bybit.ts';
import { closedPort, waitFor } from '../../src/demo/ws-server.ts';

const FAST: Partial<ConnectionTiming> = {
  connectTimeoutMs: 1_000,
  watchdogSilenceMs: 5_000,
  firstFrameMs: 100,
  quietFirstFrameMs: 100,
  sendIntervalMs: 5,
  closeTimeoutMs: 200,
  rolloverReadyTimeoutMs: 1_000,
  rolloverDrainMs: 20,
  backoff: { initialMs: 10, maxMs: 80, random: () => 0 },
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function connect(opts: Partial<ConnectionOptions> & Pick<ConnectionOptions, 'url' | 'streams'>, timing: Partial<ConnectionTiming> = {}) {
  const data: { stream: string; raw: string }[] = [];
  const records: FrameRecord[] = [];
  const c = new Connection({
    name: 'market',
    protocol: binanceProtocol,
    onData: (stream, _p, _t, raw) => data.push({ stream, raw }),
    onRecord: (r) => records.push(r),
    ...opts,
    timing: { ...FAST, ...timing },
  });
  cleanup.push(() => c.stop());
  return { c, data, records };
}

async function fakeBinance(opts: ConstructorParameters<typeof FakeBinance>[0] = {}) {
  const fake = new FakeBinance({ instruments: [{ venue: 'binance', symbol: 'BTC', venueSymbol: 'BTCUSDT', multiplier: 1 }], ...opts });
  const urls = await fake.start();
  cleanup.push(() => fake.stop());
  return { fake, ...urls };
}

const mark = (t: number): MarketEvent => ({ kind: 'mark', venue: 'binance', symbol: 'BTC', exchTime: t, recvTime: t, mark: 100 });

describe('Connection lifecycle', () => {
  it('goes idle → connecting → open, hands frames over exactly as received, and stops cleanly', async () => {
    const { fake, wsUrl } = await fakeBinance({ pingIntervalMs: 10 });
    const { c, data, records } = connect({ url: `${wsUrl}/market/stream`, streams: ['btcusdt@markPrice@1s'] });
    expect(c.state()).toBe(ConnectionState.Idle);
    c.start();
    expect(c.state()).toBe(ConnectionState.Connecting);
    await waitFor(() => c.state() === ConnectionState.Open, 'open');
    fake.push(mark(1));
    await waitFor(() => data.length === 1, 'a frame');
    expect(records).toEqual([{ t: expect.any(Number), v: 'binance', c: 'btcusdt@markPrice@1s', raw: data[0]!.raw }]);
    expect(JSON.parse(data[0]!.raw).data).toMatchObject({ e: 'markPriceUpdate', s: 'BTCUSDT', E: 1 });
    await waitFor(() => fake.counters.pongsReceived >= 2, 'server pings answered');
    await c.stop();
    expect(c.state()).toBe(ConnectionState.Stopped);
    await waitFor(() => fake.counters.open === 0, 'socket closed at the venue');
  });

  it('keeps retrying an unreachable venue with growing backoff, says why, and stops at once', async () => {
    const port = await closedPort();
    const { c } = connect({ url: `ws://127.0.0.1:${port}/market/stream`, streams: ['btcusdt@markPrice@1s'] });
    c.start();
    await waitFor(() => c.status().reconnects >= 3, 'three retries');
    const st = c.status();
    expect([ConnectionState.Reconnecting, ConnectionState.Connecting]).toContain(st.state);
    expect(st.lastError).toMatch(/ECONNREFUSED/);
    const t = performance.now();
    await c.stop();
    expect(performance.now() - t).toBeLessThan(1_000); // the backoff wait is abortable
    expect(c.state()).toBe(ConnectionState.Stopped);
  });

  it('reports a rejected subscription on the stream and the connection', async () => {
    const fake = new FakeBybit({ instruments: [{ venue: 'bybit', symbol: 'BTC', venueSymbol: 'BTCUSDT', multiplier: 1 }] });
    const { wsUrl } = await fake.start();
    cleanup.push(() => fake.stop());
    const { c } = connect({ name: 'linear', url: wsUrl, protocol: bybitProtocol, streams: ['orderbook.500.BTCUSDT'] });
    c.start();
    await waitFor(() => c.status().lastError !== undefined, 'rejection');
    expect(c.status().lastError).toMatch(/subscribe rejected: error:handler not found/);
    expect(c.status().streams).toEqual([{ name: 'orderbook.500.BTCUSDT', lastMessageAgeMs: null, silent: true }]);
  });

  it('keeps the old socket when a rollover successor never delivers', async () => {
    const { fake, wsUrl } = await fakeBinance();
    const { c } = connect({ url: `${wsUrl}/market/stream`, streams: ['btcusdt@markPrice@1s'] }, { maxAgeMs: 60, rolloverReadyTimeoutMs: 60 });
    c.start();
    // no data at all: every successor times out
    await waitFor(() => fake.counters.connections >= 4, 'several rollover attempts');
    const st = c.status();
    expect(st).toMatchObject({ reconnects: 0, rollovers: 0 });
    expect(fake.counters.open).toBeLessThanOrEqual(2);
    let t = 0;
    const timer = setInterval(() => fake.push(mark(++t)), 5);
    cleanup.push(async () => clearInterval(timer));
    await waitFor(() => c.status().rollovers >= 1, 'a rollover once data flows');
    expect(c.status().reconnects).toBe(0);
  });

  it('continues on the successor when the venue closes the old socket mid-rollover', async () => {
    const { fake, wsUrl } = await fakeBinance({ maxConnectionAgeMs: 300 });
    const { c, data } = connect({ url: `${wsUrl}/market/stream`, streams: ['btcusdt@markPrice@1s'] }, { maxAgeMs: 100, rolloverDrainMs: 5_000 });
    c.start();
    let t = 0;
    const timer = setInterval(() => fake.push(mark(++t)), 5);
    cleanup.push(async () => clearInterval(timer));
    // the drain (5 s) outlasts the venue's age limit, so the old socket is closed by the venue first
    await waitFor(() => fake.counters.ageCloses >= 1 && c.status().rollovers >= 1, 'successor promoted');
    expect(c.status().reconnects).toBe(0);
    const n = data.length;
    await waitFor(() => data.length > n + 3, 'data on the successor');
    const keys = data.map((d) => JSON.parse(d.raw).data.E as number);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('startVenues', () => {
  const TIMING: Partial<FeedTiming> = { ...FAST, bootstrapRetryMs: 60_000, oiPollIntervalMs: 60_000, restTimeoutMs: 500 };

  it('builds the registry from both listings and runs both venues', async () => {
    const binance = new FakeBinance();
    const bybit = new FakeBybit();
    const [b, y] = await Promise.all([binance.start(), bybit.start()]);
    cleanup.push(() => binance.stop(), () => bybit.stop());
    const events: MarketEvent[] = [];
    const records: FrameRecord[] = [];
    const venues = await startVenues({ venues: ['binance', 'bybit'], symbols: ['BTC', 'PEPE', 'NOPE'], binance: b, bybit: y, onEvent: (e) => events.push(e), onRecord: (r) => records.push(r), timing: TIMING });
    cleanup.push(() => venues.stop());
    expect(venues.registry.instrument('binance', 'PEPE')).toMatchObject({ venueSymbol: '1000PEPEUSDT', multiplier: 1000 });
    expect(venues.feeds.map((f) => f.venue)).toEqual(['binance', 'bybit']);
    expect(records.some((r) => r.c === 'rest:/fapi/v1/exchangeInfo')).toBe(true);
    expect(records.some((r) => r.c.startsWith('rest:/v5/market/instruments-info'))).toBe(true);
    await waitFor(() => binance.subscriptions().length === 2 && bybit.subscriptions().length === 1, 'sockets subscribed');
    binance.push(mark(1));
    bybit.push({ ...mark(1), venue: 'bybit' });
    await waitFor(() => events.filter((e) => e.kind === 'mark').length === 2, 'marks from both venues');
    const st = venues.status();
    expect(st.map((s) => s.venue)).toEqual(['binance', 'bybit']);
    for (const s of st) {
      expect(s.symbolsLive).toEqual(['BTC']);
      expect(s.skipped).toEqual([{ symbol: 'NOPE', reason: expect.stringContaining('not listed') }]);
      expect(s.degraded).toBeUndefined();
    }
  });

  it('never throws for a venue that is down: built-in names, retries, and status says so', async () => {
    const port = await closedPort();
    const down = { wsUrl: `ws://127.0.0.1:${port}`, restUrl: `http://127.0.0.1:${port}` };
    const bybit = new FakeBybit();
    const y = await bybit.start();
    cleanup.push(() => bybit.stop());
    const venues = await startVenues({ venues: ['binance', 'bybit'], symbols: ['BTC', 'PEPE'], binance: down, bybit: y, onEvent: () => {}, timing: TIMING });
    cleanup.push(() => venues.stop());
    expect(venues.registry.instrument('binance', 'PEPE')?.venueSymbol).toBe('1000PEPEUSDT'); // built-in name
    await waitFor(() => venues.status()[0]!.connections.every((c) => c.reconnects >= 2), 'retrying');
    const [bin, byb] = venues.status();
    expect(bin!.degraded).toMatch(/listing .*exchangeInfo unavailable.*cannot reach/);
    expect(bin!.degraded).toMatch(/history bootstrap failed/);
    expect(bin!.connections.map((c) => c.lastError)).toEqual([expect.stringMatching(/ECONNREFUSED/), expect.stringMatching(/ECONNREFUSED/)]);
    expect(bin!.symbolsLive).toEqual([]);
    expect(byb!.degraded).toBeUndefined();
    expect(byb!.connections[0]!.reconnects).toBe(0);
  });
});
