import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { connectRedis, startLocalRedis, type LocalRedis } from '../../src/ops/redis.ts';
import { startDemoMarket, type DemoMarket } from '../../src/demo/demo-market.ts';

/**
 * Scale-out on one Redis: a market process (feeds + engines, publishes snapshots and events) and
 * two bot processes (commands from the published snapshots; the notifier on both, one elected per
 * slot). Every alert must arrive once, none twice.
 */
const local: LocalRedis | undefined = await startLocalRedis();
const redisUrl = local?.url ?? (process.env.LIQZONE_TEST_REDIS_URL ? `${process.env.LIQZONE_TEST_REDIS_URL}/9` : undefined);
const SYMBOLS = ['BTC', 'ETH'];

function config(extra: Record<string, string>): Config {
  const r = loadConfig({
    SYMBOLS: SYMBOLS.join(','),
    STORE_URL: redisUrl!,
    LOG_LEVEL: 'silent',
    NOTIFY_CRON: '*/2 * * * * *',
    SNAPSHOT_INTERVAL_MS: '1000',
    CHART_DIR: mkdtempSync(join(tmpdir(), 'lz-scale-')),
    ...extra,
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

interface Console {
  input: PassThrough;
  lines(): Record<string, any>[];
}

function consoleIo(): Console & { output: PassThrough } {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d) => (text += d));
  return { input, output, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

async function until<T>(fn: () => T | undefined | false, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function command(io: Console, line: string): Promise<Record<string, any>> {
  const before = io.lines().filter((l) => l.command !== null).length;
  io.input.write(`${line}\n`);
  return until(() => io.lines().filter((l) => l.command !== null)[before]);
}

describe.skipIf(!redisUrl)('scale-out: one market process, two bot processes on one Redis', () => {
  let market: DemoMarket;
  let marketApp: App;
  const bots: App[] = [];
  const ios = [consoleIo(), consoleIo()];

  beforeAll(async () => {
    const client = await connectRedis(redisUrl!);
    await client.flushDb();
    await client.close();
    market = await startDemoMarket({ symbols: SYMBOLS, seed: 5, autoRegimes: false });
    marketApp = await startApp({ config: config({ ROLE: 'market' }), mode: 'demo', logger: pino({ level: 'silent' }), surface: 'none', endpoints: market.endpoints });
    await marketApp.ready;
    for (const io of ios) {
      const bot = await startApp({ config: config({ ROLE: 'bot' }), mode: 'demo', logger: pino({ level: 'silent' }), surface: 'console', json: true, input: io.input, output: io.output });
      bots.push(bot);
      await bot.ready;
    }
  }, 120_000);

  afterAll(async () => {
    for (const io of ios) io.input.end();
    for (const b of bots) await b.stop();
    await marketApp?.stop();
    await market?.stop();
    await local?.stop();
  });

  it('bots answer from the snapshots the market process publishes', async () => {
    const z = await until(() => bots[1]!.services.zones?.snapshot('ETH'));
    expect(z.zones.length).toBeGreaterThan(0);
    const reply = await command(ios[1]!, '/zones ETH');
    expect(reply.ok).toBe(true);
    expect(reply.data.zones.length).toBeGreaterThan(0);
    const status = await command(ios[1]!, '/status');
    expect(status.data.venues.map((v: { venue: string }) => v.venue).sort()).toEqual(['binance', 'bybit']);
  }, 90_000);

  it('/exit … bybit on a bot process plans with the Bybit tiers the market process fetched (published over the bus)', async () => {
    // the market process fetched them through its Bybit REST client, after its feeds started
    const table = await until(() => {
      const t = marketApp.zones.brackets.get('bybit', 'ETH');
      return t.source === 'exchange' ? t : undefined;
    });
    expect(table.brackets[0]).toMatchObject({ maintMarginRatio: 0.005, maxLeverage: 100, notionalCap: 2_000_000 });
    // a bot reads the table from the bus: within a publish round trip
    let plan: Record<string, any> = {};
    for (let i = 0; i < 50; i++) {
      plan = await command(ios[1]!, '/exit ETH long 3000 20x 10000 bybit');
      if (!JSON.stringify(plan.data?.warnings ?? plan.text).includes('No Bybit tiers loaded')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(plan!.ok, plan!.text).toBe(true);
    // the demo's Bybit table (what its simulator liquidates with), not the generic one
    expect(plan!.data.bracket).toEqual({ maintMarginRatio: 0.005, maxLeverage: 100, notionalCap: 2_000_000 });
    // the same plan the market process would make with its own engine
    const local = marketApp.zones.planExit({ symbol: 'ETH', side: 'long', entry: 3000, leverage: 20, sizeUsd: 10_000, venue: 'bybit' });
    expect('error' in local ? local.error : local.liquidationPrice).toBeCloseTo(plan!.data.liquidationPrice, 9);
  }, 90_000);

  it('/heatmap on a bot process: the market process draws its grid on request (same view as its own)', async () => {
    await until(() => marketApp.zones.heatmap('ETH', '6h'));
    const reply = await command(ios[0]!, '/heatmap ETH 6h');
    expect(reply.ok, reply.text).toBe(true);
    expect(reply.text).toMatch(/estimated liquidation intensity over the last 6h/);
    const own = marketApp.zones.heatmap('ETH', '6h')!;
    expect(reply.data.slices).toBe(own.columns);
    expect(reply.data.from).toBe(own.from);
    // and the map offers it (the Heatmap button is shown where a heatmap can be drawn)
    expect(bots[0]!.services.heatmaps).toBeDefined();
    expect(bots[0]!.services.charts?.heatmapChart).toBeDefined();
  }, 90_000);

  it('an alert is delivered once, never by both bots', async () => {
    const sub = await command(ios[0]!, '/subscribe ETH');
    expect(sub.ok).toBe(true);
    await command(ios[0]!, '/alerts proximity 0.3');
    const snap = bots[0]!.services.zones!.snapshot('ETH')!;
    // alerts cover the 3 largest zones per side by default: walk toward the nearest of those
    const above = snap.zones.filter((z) => z.side === 'short' && z.rank <= 3).sort((a, b) => a.low - b.low)[0]!;
    market.driveToward('ETH', above.low * 0.999, 8_000);
    const alerts = (): Record<string, any>[] => ios.flatMap((io, i) => io.lines().filter((l) => l.alert).map((l) => ({ bot: i, ...l })));
    await until(() => alerts().length > 0, 100_000);
    // several more notifier slots pass: a second delivery would show up here
    await new Promise((r) => setTimeout(r, 8_000));
    const all = alerts();
    const keys = all.map((a) => `${a.alert.destination}|${a.text}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(all.every((a) => a.alert.destination === 'user:console')).toBe(true);
  }, 180_000);
});
