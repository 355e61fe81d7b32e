import { afterEach, describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/market/types.ts';
import { FakeBinance } from '../../src/demo/binance.ts';
import { FakeBybit } from '../../src/demo/bybit.ts';
import { FakeHyperliquid, hyperliquidFakeInstruments } from '../../src/demo/hyperliquid.ts';
import { FakeOkx } from '../../src/demo/okx.ts';
import { okxFakeInstruments } from '../../src/demo/okx-encode.ts';
import { closedPort, waitFor } from '../../src/demo/ws-server.ts';
import type { FeedTiming } from '../../src/venues/feed.ts';
import { startVenues } from '../../src/venues/index.ts';

const TIMING: Partial<FeedTiming> = {
  connectTimeoutMs: 1_000,
  firstFrameMs: 100,
  quietFirstFrameMs: 100,
  sendIntervalMs: 5,
  closeTimeoutMs: 200,
  backoff: { initialMs: 10, maxMs: 80, random: () => 0 },
  bootstrapRetryMs: 60_000,
  oiPollIntervalMs: 60_000,
  restTimeoutMs: 500,
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('startVenues with four venues', () => {
  it('an unreachable OKX and Hyperliquid never block Binance and Bybit; their status says what is wrong', async () => {
    const binance = new FakeBinance();
    const bybit = new FakeBybit();
    const [b, y] = await Promise.all([binance.start(), bybit.start()]);
    cleanup.push(() => binance.stop(), () => bybit.stop());
    const dead = await closedPort();
    const down = { wsUrl: `ws://127.0.0.1:${dead}/ws`, restUrl: `http://127.0.0.1:${dead}` };
    const events: MarketEvent[] = [];
    const venues = await startVenues({ venues: ['binance', 'bybit', 'okx', 'hyperliquid'], symbols: ['BTC', 'ETH'], binance: b, bybit: y, okx: down, hyperliquid: down, onEvent: (e) => events.push(e), timing: TIMING });
    cleanup.push(() => venues.stop());
    expect(venues.feeds.map((f) => f.venue)).toEqual(['binance', 'bybit', 'okx', 'hyperliquid']);
    await waitFor(() => binance.subscriptions().length === 2 && bybit.subscriptions().length === 1, 'binance and bybit subscribed');
    const t = Date.now();
    binance.push({ kind: 'mark', venue: 'binance', symbol: 'ETH', exchTime: t, recvTime: t, mark: 3000 });
    await waitFor(() => events.some((e) => e.venue === 'binance' && e.kind === 'mark'), 'binance data');
    const status = Object.fromEntries(venues.status().map((s) => [s.venue, s]));
    for (const v of ['okx', 'hyperliquid']) {
      expect(status[v]!.connections.every((c) => c.state !== 'open'), v).toBe(true);
      expect(status[v]!.degraded ?? '', v).toContain('unavailable');
    }
    // OKX without its listing has no contract values: it says so instead of guessing sizes
    expect(venues.registry.notes().join('\n')).toContain('contract sizes unknown');
  });

  it('all four live from their fakes: one registry, PEPE under each venue’s own name', async () => {
    const binance = new FakeBinance();
    const bybit = new FakeBybit();
    const okx = new FakeOkx({ instruments: okxFakeInstruments(['BTC', 'PEPE']) });
    const hl = new FakeHyperliquid({ instruments: hyperliquidFakeInstruments(['BTC', 'PEPE']) });
    const [b, y, o, h] = await Promise.all([binance.start(), bybit.start(), okx.start(), hl.start()]);
    cleanup.push(() => binance.stop(), () => bybit.stop(), () => okx.stop(), () => hl.stop());
    const venues = await startVenues({ venues: ['binance', 'bybit', 'okx', 'hyperliquid'], symbols: ['BTC', 'PEPE'], binance: b, bybit: y, okx: o, hyperliquid: h, onEvent: () => {}, timing: TIMING });
    cleanup.push(() => venues.stop());
    expect(venues.registry.instrument('okx', 'PEPE')).toMatchObject({ venueSymbol: 'PEPE-USDT-SWAP', multiplier: 1, contractValue: 10_000_000 });
    expect(venues.registry.instrument('hyperliquid', 'PEPE')).toMatchObject({ venueSymbol: 'kPEPE', multiplier: 1000 });
    expect(venues.registry.venuesOf('PEPE')).toEqual(['binance', 'bybit', 'okx', 'hyperliquid']);
    await waitFor(() => venues.status().every((s) => s.connections.length > 0 && s.connections.every((c) => c.state === 'open')), 'all four open', 10_000);
  });
});
