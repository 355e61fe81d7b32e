import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { heatmapReply } from '../../commands/heatmap.ts';
import type { HeatmapView } from '../../src/engine/heatmap.ts';
import { createRemoteHeatmaps, decodeView, encodeView, serveHeatmaps } from '../../src/ops/heatmap-bus.ts';
import { connectRedis, startLocalRedis, type LocalRedis } from '../../src/ops/redis.ts';
import { makeHeatmaps, makeServices } from '../../testkit/chat-services.ts';

const local: LocalRedis | undefined = process.env.LIQZONE_TEST_REDIS_URL ? undefined : await startLocalRedis();
const redisUrl = process.env.LIQZONE_TEST_REDIS_URL ?? local?.url;
afterAll(async () => {
  await local?.stop();
});

const finiteFloat = fc.float({ noNaN: true, noDefaultInfinity: true, min: 0, max: 1e9 });

const viewArb: fc.Arbitrary<HeatmapView> = fc
  .record({ columns: fc.integer({ min: 0, max: 40 }), rows: fc.integer({ min: 0, max: 30 }), seed: fc.integer() })
  .chain(({ columns, rows }) =>
    fc.record({
      cells: fc.array(finiteFloat, { minLength: columns * rows, maxLength: columns * rows }),
      filled: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: columns, maxLength: columns }),
      candles: fc.array(fc.record({ t: fc.integer({ min: 0 }), open: finiteFloat, high: finiteFloat, low: finiteFloat, close: finiteFloat }), { maxLength: 10 }),
      window: fc.constantFrom('6h' as const, '12h' as const, '24h' as const, '3d' as const),
      baseRow: fc.integer({ min: -5000, max: 5000 }),
      price: fc.double({ min: 1e-8, max: 1e6, noNaN: true }),
      venues: fc.subarray(['binance', 'bybit', 'okx', 'hyperliquid']),
    }).map((r) => ({
      symbol: 'ETH',
      from: 1_700_000_000_000,
      to: 1_700_000_000_000 + columns * 300_000,
      sliceMs: 300_000,
      columns,
      rows,
      baseRow: r.baseRow,
      cells: Float32Array.from(r.cells),
      filled: Uint8Array.from(r.filled),
      maxUsd: Math.max(0, ...r.cells.map((c) => Math.fround(c))),
      candles: r.candles,
      candleMs: 900_000,
      price: r.price,
      t: 1_700_000_000_000,
      venues: r.venues,
      dataAgeMs: 1200,
      window: r.window,
    })),
  );

describe('heatmap views on the wire', () => {
  it('decode(encode(view)) is the same view, cell for cell (property)', () => {
    fc.assert(
      fc.property(viewArb, (view) => {
        const back = decodeView(JSON.parse(JSON.stringify(encodeView(view))));
        expect(back).toBeDefined();
        expect(Array.from(back!.cells)).toEqual(Array.from(view.cells));
        expect(Array.from(back!.filled)).toEqual(Array.from(view.filled));
        expect({ ...back!, cells: 0, filled: 0 }).toEqual({ ...view, cells: 0, filled: 0 });
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a view whose arrays do not match its shape, or with fields missing (never half a picture)', () => {
    const view = makeHeatmaps()!.heatmap('ETH', '6h') as HeatmapView;
    const wire = encodeView(view);
    expect(decodeView(wire)).toBeDefined();
    expect(decodeView({ ...wire, rows: wire.rows + 1 })).toBeUndefined();
    expect(decodeView({ ...wire, cells: wire.cells.slice(0, 8) })).toBeUndefined();
    expect(decodeView({ ...wire, window: '2h' })).toBeUndefined();
    expect(decodeView({ ...wire, price: 'x' })).toBeUndefined();
    expect(decodeView({ ...wire, candles: [{ t: 1 }] })).toBeUndefined();
    expect(decodeView(null)).toBeUndefined();
  });
});

describe.skipIf(!redisUrl)('heatmaps for bot processes over Redis', () => {
  const source = makeHeatmaps()!;

  it('a bot gets the market process’s view; an unknown symbol is "no data", not an error', async () => {
    const prefix = `t-${randomUUID()}`;
    const stop = await serveHeatmaps(redisUrl!, source, { prefix });
    const remote = await createRemoteHeatmaps(redisUrl!, { prefix });
    try {
      const view = await remote.heatmap('ETH', '6h');
      const own = source.heatmap('ETH', '6h') as HeatmapView;
      expect(view?.columns).toBe(own.columns);
      expect(Array.from(view!.cells)).toEqual(Array.from(own.cells));
      expect(await remote.heatmap('DOGE', '24h')).toBeUndefined();
      // the reply a bot process gives is the one the market process would give
      const services = { ...makeServices(), heatmaps: remote };
      const reply = await heatmapReply(services, 'ETH', '6h');
      const ownReply = await heatmapReply({ ...makeServices(), heatmaps: source }, 'ETH', '6h');
      expect(reply.ok).toBe(true);
      expect(reply.text).toBe(ownReply.text);
      expect(reply.data).toEqual(ownReply.data);
    } finally {
      await remote.close();
      await stop();
    }
  });

  it('no market process: the reply says so at once (not a blank picture, not a 5 s wait)', async () => {
    const remote = await createRemoteHeatmaps(redisUrl!, { prefix: `t-${randomUUID()}`, timeoutMs: 60_000 });
    try {
      const t0 = performance.now();
      await expect(remote.heatmap('ETH', '24h')).rejects.toThrow(/no market process is listening/);
      expect(performance.now() - t0).toBeLessThan(30_000); // answered by Redis's receiver count, not the timeout
      const reply = await heatmapReply({ ...makeServices(), heatmaps: remote }, 'ETH', '24h');
      expect(reply.ok).toBe(false);
      expect(reply.text).toMatch(/market process .* not answering right now \(no market process is listening\)/);
      expect(reply.image).toBeUndefined();
    } finally {
      await remote.close();
    }
  });

  it('a listener that never answers: the request times out with a reason', async () => {
    const prefix = `t-${randomUUID()}`;
    const deaf = await connectRedis(redisUrl!);
    await deaf.subscribe(`${prefix}:heatmap:req`, () => undefined);
    const remote = await createRemoteHeatmaps(redisUrl!, { prefix, timeoutMs: 300 });
    try {
      await expect(remote.heatmap('ETH', '6h')).rejects.toThrow(/no market process answered within 300 ms/);
    } finally {
      await remote.close();
      await deaf.close();
    }
  });

  it('the market process failing to draw is passed on as unavailable, and malformed requests are ignored', async () => {
    const prefix = `t-${randomUUID()}`;
    const logs: string[] = [];
    const stop = await serveHeatmaps(
      redisUrl!,
      {
        heatmap: () => {
          throw new Error('boom');
        },
      },
      { prefix, log: (_l, msg) => logs.push(msg) },
    );
    const raw = await connectRedis(redisUrl!);
    const remote = await createRemoteHeatmaps(redisUrl!, { prefix, timeoutMs: 10_000 });
    try {
      await raw.publish(`${prefix}:heatmap:req`, 'not json');
      await raw.publish(`${prefix}:heatmap:req`, JSON.stringify({ id: 'x', symbol: 'ETH', window: '6h', replyTo: 'elsewhere' }));
      await expect(remote.heatmap('ETH', '6h')).rejects.toThrow(/could not draw/);
      expect(logs).toContain('malformed heatmap request ignored');
      expect(logs).toContain('heatmap request failed');
    } finally {
      await remote.close();
      await raw.close();
      await stop();
    }
  });
});
