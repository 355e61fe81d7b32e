import { afterEach, describe, expect, it } from 'vitest';
import { FakeHyperliquid, hyperliquidFakeInstruments } from '../../src/demo/hyperliquid.ts';
import { ObservedBook } from '../../src/market/observed.ts';
import type { MarketEvent } from '../../src/market/types.ts';
import { buildObservedZones } from '../../src/engine/observed.ts';
import { CLEARINGHOUSE_WEIGHT, ObservedPoller } from '../../src/venues/hyperliquid/observed.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import { RestClient } from '../../src/venues/rest-client.ts';
import { sample } from '../support/samples.ts';

const addr = (i: number) => `0x${i.toString(16).padStart(40, '0')}`;
const trade = (user: string, other: string, px: number, sz: number) => ({ channel: 'trades', data: [{ coin: 'ETH', side: 'B', px: String(px), sz: String(sz), time: 1, hash: '0x0', tid: 1, users: [user, other] }] });

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A stub info endpoint: clearinghouseState from the shared sample for every user, 429 on demand. */
function stubFetch(opts: { status?: () => number; body?: (user: string) => unknown } = {}) {
  const calls: string[] = [];
  const fetch = (async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body ?? '{}')) as { type: string; user: string };
    calls.push(body.user);
    const status = opts.status?.() ?? 200;
    const payload = status === 200 ? (opts.body?.(body.user) ?? sample('hyperliquid/rest POST /info {type:clearinghouseState}')) : null;
    return new Response(JSON.stringify(payload), { status });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const reg = buildRegistry({ symbols: ['ETH', 'PEPE', 'BTC'], venues: ['hyperliquid'], hyperliquidMeta: sample('hyperliquid/rest POST /info {type:meta}') });

describe('ObservedPoller', () => {
  it('polls the largest traders first, keeps the address set bounded, and puts positions in the book in coin units', async () => {
    const { fetch, calls } = stubFetch();
    const book = new ObservedBook();
    const p = new ObservedPoller({ registry: reg, rest: new RestClient({ venue: 'hyperliquid', baseUrl: 'http://stub', fetch }), book, maxAddresses: 3 });
    p.noteTrades(trade(addr(1), addr(2), 3000, 1)); // 3k each
    p.noteTrades(trade(addr(3), addr(4), 3000, 10)); // 30k: evicts a 3k address
    expect(p.status().addresses).toBe(3);
    p.noteTrades(trade(addr(5), addr(6), 3000, 0.1)); // 300: too small to get in
    expect(p.status().addresses).toBe(3);
    await p.pollOnce();
    await p.pollOnce();
    expect(calls.slice(0, 2).sort()).toEqual([addr(3), addr(4)].sort());
    const s = book.summary('ETH', Date.now());
    expect(s.positions).toBe(2); // the same sample account twice: two accounts with an ETH long
    expect(s.levels[0]).toMatchObject({ side: 'long', liquidationPx: 2710.4, notionalUsd: 37656.25, leverage: 20 });
    // kPEPE: liquidation price per coin (÷ 1000)
    expect(book.summary('PEPE', Date.now()).levels[0]!.liquidationPx).toBeCloseTo(0.0125 / 1000, 12);
    // BTC's liquidationPx is null (the account cannot be liquidated): not a level
    expect(book.summary('BTC', Date.now()).positions).toBe(0);
  });

  it('stays within the weight budget, keeping a reserve for other requests', async () => {
    const { fetch, calls } = stubFetch();
    const rest = new RestClient({ venue: 'hyperliquid', baseUrl: 'http://stub', fetch, weightLimit: 100, weightWindowMs: 60_000, now: () => 1_000 });
    const p = new ObservedPoller({ registry: reg, rest, book: new ObservedBook(), now: () => 1_000, reserveShare: 0.4 });
    for (let i = 1; i <= 200; i += 2) p.noteTrades(trade(addr(i), addr(i + 1), 3000, 1));
    let sent = 0;
    while (await p.pollOnce()) sent++;
    // 60 of the 100 weight is the poller's: 30 polls at weight 2, then it stops asking
    expect(sent).toBe(60 / CLEARINGHOUSE_WEIGHT);
    expect(calls).toHaveLength(30);
    expect(rest.weightUsed()).toBe(60);
    expect(rest.canSend(40)).toBe(true); // the reserve is still there
  });

  it('backs off on 429: the client pauses and the poller sends nothing until the pause ends', async () => {
    let t = 1_000_000;
    let status = 429;
    const { fetch, calls } = stubFetch({ status: () => status });
    const rest = new RestClient({ venue: 'hyperliquid', baseUrl: 'http://stub', fetch, now: () => t, defaultRetryAfterMs: 30_000 });
    const p = new ObservedPoller({ registry: reg, rest, book: new ObservedBook(), now: () => t });
    for (let i = 1; i <= 20; i += 2) p.noteTrades(trade(addr(i), addr(i + 1), 3000, 1));
    expect(await p.pollOnce()).toBe(true);
    expect(p.status()).toMatchObject({ rateLimited: 1, failures: 1 });
    expect(p.status().lastError).toContain('429');
    for (let i = 0; i < 5; i++) expect(await p.pollOnce()).toBe(false);
    expect(calls).toHaveLength(1);
    t += 30_001;
    status = 200;
    expect(await p.pollOnce()).toBe(true);
    expect(p.status().polls).toBe(1);
  });

  it('a position that vanished with the mark at its liquidation price is a realized liquidation; a close elsewhere is not', async () => {
    let held = true;
    const { fetch } = stubFetch({ body: () => (held ? sample('hyperliquid/rest POST /info {type:clearinghouseState}') : { assetPositions: [] }) });
    let t = 1_000;
    let mark = 3000;
    const events: MarketEvent[] = [];
    const p = new ObservedPoller({ registry: reg, rest: new RestClient({ venue: 'hyperliquid', baseUrl: 'http://stub', fetch, now: () => t }), book: new ObservedBook(), now: () => t, refreshMs: 10, onEvent: (e) => events.push(e), markOf: (s) => (s === 'ETH' ? mark : undefined) });
    p.noteTrades(trade(addr(1), addr(1), 3000, 1));
    await p.pollOnce();
    held = false;
    mark = 2705; // through the long's 2710.4
    t += 1_000;
    await p.pollOnce();
    expect(events).toEqual([expect.objectContaining({ kind: 'liquidation', venue: 'hyperliquid', symbol: 'ETH', side: 'long', price: 2710.4, qty: 12.5 })]);
    held = true;
    t += 1_000;
    await p.pollOnce();
    held = false;
    mark = 3100; // closed far from its liquidation price
    t += 1_000;
    await p.pollOnce();
    expect(events).toHaveLength(1);
    expect(p.status().inferredLiquidations).toBe(1);
  });
});

describe('observed zones', () => {
  it('same zone shape as the estimate, only from observed positions; the leverage prior is notional-weighted', () => {
    const book = new ObservedBook();
    const now = 10_000;
    book.setAccount(1, [{ symbol: 'ETH', side: 'long', liquidationPx: 2900, notionalUsd: 30_000, leverage: 10, seenAt: now }]);
    book.setAccount(2, [{ symbol: 'ETH', side: 'long', liquidationPx: 2905, notionalUsd: 10_000, leverage: 20, seenAt: now - 60_000 }]);
    book.setAccount(3, [{ symbol: 'ETH', side: 'short', liquidationPx: 3300, notionalUsd: 20_000, leverage: 10, seenAt: now }]);
    book.setAccount(4, [{ symbol: 'ETH', side: 'short', liquidationPx: 3310, notionalUsd: 5_000, leverage: 5, seenAt: now - 3_600_000 }]); // stale: dropped
    const summary = book.summary('ETH', now);
    expect(summary).toMatchObject({ positions: 3, usd: 60_000, refreshedAt: now, oldestSeenAt: now - 60_000, accounts: 4 });
    expect(book.leverageMix('ETH', now)).toEqual([
      { leverage: 10, weight: 50_000 / 60_000 },
      { leverage: 20, weight: 10_000 / 60_000 },
    ]);
    const obs = buildObservedZones({ symbol: 'ETH', t: now, price: 3100, atr: 20, summary, leverageMix: book.leverageMix('ETH', now), oiUsd: 300_000 })!;
    expect(obs.positions).toBe(3);
    expect(obs.coverage).toBeCloseTo(60_000 / 600_000, 12);
    const long = obs.zones.find((z) => z.side === 'long')!;
    const short = obs.zones.find((z) => z.side === 'short')!;
    expect(long.low).toBeLessThanOrEqual(2900);
    expect(long.high).toBeGreaterThanOrEqual(2905);
    expect(long.notionalUsd).toBeCloseTo(40_000, 0);
    expect(short.notionalUsd).toBeCloseTo(20_000, 0);
    expect(long.id).toMatch(/^ETH:OBS:/);
    expect(buildObservedZones({ symbol: 'BTC', t: now, price: 1, atr: 1, summary: book.summary('BTC', now), leverageMix: [] })).toBeUndefined();
  });

  it('against the fake venue: positions opened by trades are polled and grouped by their liquidation prices', async () => {
    const fake = new FakeHyperliquid({ instruments: hyperliquidFakeInstruments(['ETH']), accounts: 20 });
    const { restUrl } = await fake.start();
    cleanup.push(() => fake.stop());
    const registry = buildRegistry({ symbols: ['ETH'], venues: ['hyperliquid'] });
    const book = new ObservedBook();
    const p = new ObservedPoller({ registry, rest: new RestClient({ venue: 'hyperliquid', baseUrl: restUrl }), book });
    const frames: unknown[] = [];
    const t = Date.now();
    fake.push({ kind: 'mark', venue: 'hyperliquid', symbol: 'ETH', exchTime: t, recvTime: t, mark: 3000 });
    for (let i = 0; i < 30; i++) fake.push({ kind: 'trade', venue: 'hyperliquid', symbol: 'ETH', exchTime: t + i, recvTime: t, price: 3000 + i, qty: 1 + i, side: i % 2 ? 'buy' : 'sell' });
    // the fake's trades frames, as the feed would hand them over
    for (const a of fake.addresses()) frames.push({ channel: 'trades', data: [{ coin: 'ETH', side: 'B', px: '3000', sz: '1', time: t, hash: '0x0', tid: 1, users: [a, fake.addresses()[0]] }] });
    for (const f of frames) p.noteTrades(f);
    while (await p.pollOnce());
    const open = fake.openPositions('ETH');
    const s = book.summary('ETH', Date.now());
    expect(s.positions).toBe(open.count);
    expect(s.usd).toBeCloseTo(open.usd, 0);
    expect(fake.counters.clearinghouseRequests).toBe(20);
  });
});
