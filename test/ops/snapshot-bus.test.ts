import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/bot/services.ts';
import type { ExitPlan, SignalSnapshot, ZoneSnapshot } from '../../src/engine/types.ts';
import { connectRedis, startLocalRedis, type LocalRedis } from '../../src/ops/redis.ts';
import {
  createSnapshotPublisher,
  createSnapshotSubscriber,
  remoteSignalService,
  remoteStatus,
  remoteZoneService,
  followPriceTicks,
  signalKey,
  STATUS_KEY,
  type SnapshotEntry,
  type SnapshotKind,
  type SnapshotPayloads,
  type SnapshotSubscriber,
} from '../../src/ops/snapshot-bus.ts';
import { clearPriceTicks, formatPrice, priceTicks } from '../../src/format/numbers.ts';

const local: LocalRedis | undefined = process.env.LIQZONE_TEST_REDIS_URL ? undefined : await startLocalRedis();
const redisUrl = process.env.LIQZONE_TEST_REDIS_URL ?? local?.url;
afterAll(async () => {
  await local?.stop();
});

function zones(symbol: string, seq: number, price = 100): ZoneSnapshot {
  return { symbol, t: 1_700_000_000_000 + seq, price, atr: 1, binSize: 0.1, bins: [], zones: [], venues: ['binance'], dataAgeMs: 0, seq };
}

function signal(symbol: string, mode: SignalSnapshot['mode']): SignalSnapshot {
  return {
    symbol,
    mode,
    t: 1,
    composite: { score: 0.4, confidence: 0.6, direction: 'up' },
    timeframes: [{ tf: '1m', score: 0.4, strength: 0.5, confidence: 0.6 }],
    conflicted: false,
    decelerating: false,
    cards: [],
    sizing: 'normal',
  };
}

function status(now: number, age: number): StatusReport {
  return {
    mode: 'live',
    startedAt: 0,
    now,
    venues: [
      {
        venue: 'binance',
        connections: [{ name: 'market', state: 'open', reconnects: 0 }],
        streams: [{ name: 'markPrice', lastMessageAgeMs: age, silent: false }, { name: 'forceOrder', lastMessageAgeMs: null, silent: false }],
        symbolsLive: ['ETH'],
        skipped: [],
        rest: { weightUsed: 1, weightLimit: 2400 },
        malformedFrames: 0,
      },
    ],
  };
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.skipIf(!redisUrl)('snapshot bus over a real redis-server', () => {
  const url = redisUrl!;

  it('delivers every update to two subscribers, in order', async () => {
    const prefix = `test-${randomUUID()}`;
    const pub = await createSnapshotPublisher(url, { prefix });
    const a = await createSnapshotSubscriber(url, { prefix });
    const b = await createSnapshotSubscriber(url, { prefix });
    try {
      const seenA: SnapshotEntry[] = [];
      const seenB: SnapshotEntry[] = [];
      a.onUpdate((u) => seenA.push(u));
      b.onUpdate((u) => seenB.push(u));
      const symbols = ['BTC', 'ETH', 'SOL'];
      const N = 60;
      for (let i = 1; i <= N; i++) expect(await pub.publishZones(zones(symbols[i % 3]!, i))).toBe(true);
      expect(await pub.publishSignals(signal('ETH', 'day'))).toBe(true);
      await until(() => seenA.length === N + 1 && seenB.length === N + 1, 'both subscribers');
      const zoneSeqs = (seen: SnapshotEntry[]) => seen.filter((u) => u.kind === 'zones').map((u) => (u.payload as ZoneSnapshot).seq);
      const expected = Array.from({ length: N }, (_, i) => i + 1);
      expect(zoneSeqs(seenA)).toEqual(expected);
      expect(zoneSeqs(seenB)).toEqual(expected);
      for (const s of [a, b]) {
        expect(s.get('zones', 'ETH')?.seq).toBe(N - (N % 3 === 1 ? 0 : N % 3 === 2 ? 1 : 2));
        expect(s.get('signals', signalKey('ETH', 'day'))?.composite.direction).toBe('up');
        expect(s.keys('zones').sort()).toEqual(['BTC', 'ETH', 'SOL']);
      }
    } finally {
      await Promise.all([a.close(), b.close(), pub.close()]);
      await cleanup(url, prefix);
    }
  });

  it('gives a late subscriber the latest value of every key at once', async () => {
    const prefix = `test-${randomUUID()}`;
    const pub = await createSnapshotPublisher(url, { prefix });
    try {
      await pub.publishZones(zones('ETH', 1, 3000));
      await pub.publishZones(zones('ETH', 2, 3010), 'hit 7 of 9 zones this week');
      await pub.publishZones(zones('BTC', 5, 97_000));
      await pub.publishStatus(status(1000, 500));
      const late = await createSnapshotSubscriber(url, { prefix });
      try {
        expect(late.get('zones', 'ETH')).toMatchObject({ seq: 2, price: 3010 });
        expect(late.entry('zones', 'ETH')?.note).toBe('hit 7 of 9 zones this week');
        expect(late.get('zones', 'BTC')?.price).toBe(97_000);
        expect(late.get('status', STATUS_KEY)?.venues[0]?.venue).toBe('binance');
        expect(late.get('zones', 'SOL')).toBeUndefined();
      } finally {
        await late.close();
      }
    } finally {
      await pub.close();
      await cleanup(url, prefix);
    }
  });

  it('ignores older and malformed messages and keeps the newest', async () => {
    const prefix = `test-${randomUUID()}`;
    const pub = await createSnapshotPublisher(url, { prefix });
    const sub = await createSnapshotSubscriber(url, { prefix });
    const raw = await connectRedis(url);
    try {
      await pub.publishZones(zones('ETH', 10));
      await until(() => sub.get('zones', 'ETH')?.seq === 10, 'first update');
      const stale = { kind: 'zones', key: 'ETH', payload: zones('ETH', 3), at: 0, src: 'old-market-process', seq: 99 };
      await raw.publish(`${prefix}:snap`, JSON.stringify(stale));
      await raw.publish(`${prefix}:snap`, 'not json');
      await raw.publish(`${prefix}:snap`, JSON.stringify({ kind: 'bogus', key: 'ETH' }));
      await pub.publishZones(zones('SOL', 11)); // a marker after the junk: pub/sub keeps order
      await until(() => sub.get('zones', 'SOL') !== undefined, 'marker');
      expect(sub.get('zones', 'ETH')?.seq).toBe(10);
    } finally {
      await raw.close();
      await Promise.all([sub.close(), pub.close()]);
      await cleanup(url, prefix);
    }
  });

  it('catches up after its subscription connection is killed', async () => {
    const prefix = `test-${randomUUID()}`;
    const pub = await createSnapshotPublisher(url, { prefix });
    const sub = await createSnapshotSubscriber(url, { prefix });
    const raw = await connectRedis(url);
    try {
      await raw.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      await pub.publishZones(zones('ETH', 42));
      await until(() => sub.get('zones', 'ETH')?.seq === 42, 'update after reconnect');
    } finally {
      await raw.close();
      await Promise.all([sub.close(), pub.close()]);
      await cleanup(url, prefix);
    }
  });

  it('reports an unreachable Redis as a clear error', async () => {
    await expect(createSnapshotSubscriber('redis://127.0.0.1:1', { prefix: 'x' })).rejects.toThrow(/Cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});

async function cleanup(url: string, prefix: string): Promise<void> {
  const c = await connectRedis(url);
  await c.del([`${prefix}:snap:zones`, `${prefix}:snap:signals`, `${prefix}:snap:status`]);
  await c.close();
}

/** An in-memory subscriber for the adapters (no Redis needed). */
function fakeSubscriber(): SnapshotSubscriber & { put<K extends SnapshotKind>(kind: K, key: string, payload: SnapshotPayloads[K], receivedAt?: number, note?: string): void } {
  const m = new Map<string, SnapshotEntry>();
  return {
    put(kind, key, payload, receivedAt = 0, note) {
      m.set(`${kind}/${key}`, { kind, key, payload, at: 0, receivedAt, note });
    },
    get: (kind, key) => m.get(`${kind}/${key}`)?.payload as never,
    entry: (kind, key) => m.get(`${kind}/${key}`) as never,
    keys: () => [],
    onUpdate: () => () => {},
    resync: async () => {},
    close: async () => {},
  };
}

describe('remote read-side adapters', () => {
  it('a bot process prints prices with the ticks the market process published', () => {
    const sub = fakeSubscriber();
    sub.put('ticks', '*', { ETH: 0.01, PEPE: 1e-10 });
    const off = followPriceTicks(sub);
    try {
      expect(formatPrice(3120.4, 'ETH')).toBe('3,120.40');
      expect(priceTicks()).toMatchObject({ ETH: 0.01, PEPE: 1e-10 });
    } finally {
      off();
      clearPriceTicks();
    }
    expect(formatPrice(3120.4, 'ETH')).toBe('3,120.4');
  });

  it('serves zone snapshots and plans exits with the injected pure planner', () => {
    const sub = fakeSubscriber();
    sub.put('zones', 'ETH', zones('ETH', 4, 3100), 0, '5/6 zones reached');
    const plan = { price: 3100, targets: [] } as unknown as ExitPlan;
    const svc = remoteZoneService(sub, { planExit: (snap, req) => ({ ...plan, request: req, snapshotT: snap.t }) });
    expect(svc.snapshot('ETH')?.seq).toBe(4);
    expect(svc.snapshot('BTC')).toBeUndefined();
    const req = { symbol: 'ETH', side: 'long' as const, entry: 3000, leverage: 20, sizeUsd: 10_000, venue: 'binance' as const };
    expect(svc.planExit(req)).toMatchObject({ request: req, snapshotT: zones('ETH', 4).t });
    expect(svc.planExit({ ...req, symbol: 'BTC' })).toMatchObject({ error: expect.stringMatching(/No zone snapshot for BTC/) });
    expect(svc.trackRecord?.('ETH')).toBe('5/6 zones reached');
    expect(remoteZoneService(sub).planExit(req)).toMatchObject({ error: expect.stringMatching(/not available/) });
  });

  it('treats a payload of the wrong shape as absent', () => {
    const sub = fakeSubscriber();
    sub.put('zones', 'ETH', { symbol: 'ETH' } as unknown as ZoneSnapshot);
    sub.put('signals', signalKey('ETH', 'scalp'), { symbol: 'ETH', mode: 'day' } as unknown as SignalSnapshot);
    expect(remoteZoneService(sub).snapshot('ETH')).toBeUndefined();
    expect(remoteSignalService(sub).snapshot('ETH', 'scalp')).toBeUndefined();
  });

  it('serves signal snapshots per symbol and mode', () => {
    const sub = fakeSubscriber();
    sub.put('signals', signalKey('SOL', 'swing'), signal('SOL', 'swing'));
    const svc = remoteSignalService(sub);
    expect(svc.snapshot('SOL', 'swing')?.mode).toBe('swing');
    expect(svc.snapshot('SOL', 'day')).toBeUndefined();
  });

  it('ages the market status by the time since it was made', () => {
    const sub = fakeSubscriber();
    let now = 10_000;
    const statusOf = remoteStatus(sub, { now: () => now, startedAt: 5 });
    expect(statusOf()).toEqual({ mode: 'live', startedAt: 5, now: 10_000, venues: [] });
    sub.put('status', STATUS_KEY, status(10_000, 800), 10_000);
    now = 12_500;
    const r = statusOf();
    expect(r.now).toBe(12_500);
    expect(r.venues[0]!.streams.map((s) => s.lastMessageAgeMs)).toEqual([3_300, null]);
    // received just now by a resync, but made long ago by a market process that has since died
    sub.put('status', STATUS_KEY, status(2_000, 800), 12_500);
    expect(statusOf().venues[0]!.streams[0]!.lastMessageAgeMs).toBe(11_300);
  });
});
