import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { HEATMAP_SLICE_MS } from '../../src/engine/heatmap.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.ts';
import { evaluateRecording } from '../../src/ops/evaluate-file.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { startDemoMarket, type DemoMarket } from '../../src/demo/demo-market.ts';

/**
 * The whole product in one process against the simulated venues: the same path `liqzone demo`
 * takes (fakes on loopback → real venue clients → state → engines → commands → console protocol).
 */
const SYMBOLS = ['BTC', 'ETH', 'SOL'];

function config(extra: Record<string, string> = {}): Config {
  const r = loadConfig({ SYMBOLS: SYMBOLS.join(','), STORE_URL: 'memory:', LOG_LEVEL: 'silent', CHART_DIR: mkdtempSync(join(tmpdir(), 'lz-charts-')), ...extra });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function ask(input: PassThrough, lines: string[], out: { text: string }, n: number): Promise<Record<string, any>[]> {
  const before = out.text.split('\n').filter(Boolean).length;
  input.write(lines.join('\n') + '\n');
  for (let i = 0; i < 400; i++) {
    const all = out.text.split('\n').filter(Boolean);
    if (all.length >= before + n) return all.slice(before, before + n).map((l) => JSON.parse(l));
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no answer to ${lines.join(', ')}; output so far: ${out.text.slice(-500)}`);
}

describe('demo end to end (console --json)', () => {
  let market: DemoMarket;
  let app: App;
  const input = new PassThrough();
  const output = new PassThrough();
  const out = { text: '' };
  let recordPath: string;

  beforeAll(async () => {
    market = await startDemoMarket({ symbols: SYMBOLS, seed: 11, autoRegimes: false });
    recordPath = join(mkdtempSync(join(tmpdir(), 'lz-rec-')), 'rec.jsonl');
    output.on('data', (d) => (out.text += d));
    app = await startApp({
      config: config({ METRICS_PORT: String(await freePort()) }),
      mode: 'demo',
      logger: pino({ level: 'silent' }),
      surface: 'console',
      json: true,
      endpoints: market.endpoints,
      input,
      output,
      recordTo: recordPath,
    });
    await app.ready;
    // let the feeds deliver live frames on top of the bootstrap
    await new Promise((r) => setTimeout(r, 2500));
  });

  afterAll(async () => {
    input.end();
    await app?.stop();
    await market?.stop();
  });

  /**
   * What the trader reads, whole: text and every field. No placeholder leaks through ("never ago",
   * NaN, undefined), and no sentence is said twice in one reply (a venue block's "symbols live" lines
   * repeat per venue by design: they are list lines, not sentences).
   */
  function expectReadsClean(reply: { text?: string; fields?: { name: string; value: string }[] }): void {
    const whole = [reply.text ?? '', ...(reply.fields ?? []).flatMap((f) => [f.name, f.value])].join('\n');
    expect(whole).not.toMatch(/never ago|\bNaN\b|\bundefined\b|\bInfinity\b|\[object Object\]/);
    const sentences = whole
      .split(/(?<=[.!?])\s+|\n/)
      .map((x) => x.trim())
      .filter((x) => x.length >= 25 && /[.!?]$/.test(x)); // sentences, not per-venue list lines
    const seen = new Set<string>();
    for (const x of sentences) {
      expect(seen.has(x), `said twice: "${x}"`).toBe(false);
      seen.add(x);
    }
  }

  it('/status shows both venues live with no network and no tokens', async () => {
    const [status] = await ask(input, ['/status'], out, 1);
    expect(status!.ok).toBe(true);
    expectReadsClean(status!);
    const venues = status!.data.venues as { venue: string; connections: { state: string }[]; symbolsLive: string[] }[];
    expect(venues.map((v) => v.venue).sort()).toEqual(['binance', 'bybit']);
    for (const v of venues) {
      expect(v.connections.length).toBeGreaterThan(0);
      expect(v.connections.every((c) => c.state === 'open')).toBe(true);
      expect(v.symbolsLive.sort()).toEqual([...SYMBOLS].sort());
    }
  });

  it('/healthz is healthy with fresh feeds and /metrics counts events per venue', async () => {
    const health = await fetch(`http://127.0.0.1:${app.healthPort}/healthz`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { healthy: boolean; venues: { venue: string }[] };
    expect(body.healthy).toBe(true);
    expect(body.venues.map((v) => v.venue).sort()).toEqual(['binance', 'bybit']);
    await ask(input, ['/symbols'], out, 1);
    const text = await (await fetch(`http://127.0.0.1:${app.healthPort}/metrics`)).text();
    expect(text).toMatch(/liqzone_events_total\{venue="binance",stream="trade"\} [1-9]/);
    expect(text).toMatch(/liqzone_command_latency_seconds_count\{command="symbols",platform="console"\} 1/);
  });

  it('/zones ETH shows estimated zones on both sides with structured data', async () => {
    app.zones.update();
    const [z] = await ask(input, ['/zones ETH'], out, 1);
    expect(z!.ok).toBe(true);
    expect(z!.text).toMatch(/estimated/i);
    const zones = z!.data.zones as { side: string; low: number; high: number; notionalUsd: number }[];
    expect(zones.some((x) => x.side === 'long')).toBe(true);
    expect(zones.some((x) => x.side === 'short')).toBe(true);
    for (const x of zones) expect(x.low).toBeLessThanOrEqual(x.high);
    expect(typeof z!.image).toBe('string');
    expectReadsClean(z!);
  });

  it('/exit gives the bracket-exact liquidation price and bad input gets a clear error', async () => {
    const [plan, bad] = await ask(input, ['/exit ETH long 3120 20x', '/exit ETH long 3120 500x'], out, 2);
    expect(plan!.ok).toBe(true);
    expect(plan!.fields.some((f: { name: string }) => f.name === 'Liquidation price')).toBe(true);
    expect(plan!.data.liquidationPrice).toBeGreaterThan(0);
    expect(plan!.data.liquidationPrice).toBeLessThan(3120);
    expect(bad!.ok).toBe(false);
    expect(bad!.text).not.toMatch(/at .*\.ts:\d+/); // no stack traces
    expectReadsClean(plan!);
    expectReadsClean(bad!);
  });

  it('records frames that replay into the same market', async () => {
    // Bybit risk tiers load in the background through Bybit's REST client: wait for them, so the
    // recording holds them and the replay must install the same table
    for (let i = 0; i < 200 && app.zones.brackets.get('bybit', 'ETH').source !== 'exchange'; i++) await new Promise((r) => setTimeout(r, 100));
    const liveTiers = app.zones.brackets.get('bybit', 'ETH');
    expect(liveTiers.source).toBe('exchange');
    await app.stop(); // flushes the recorder
    const lines = readFileSync(recordPath, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(50);
    const rec = JSON.parse(lines[0]!);
    expect(Object.keys(rec).sort()).toEqual(['c', 'raw', 't', 'v']);
    expect(lines.some((l) => l.includes('"c":"rest:'))).toBe(true);

    const rIn = new PassThrough();
    const rOut = new PassThrough();
    const rText = { text: '' };
    rOut.on('data', (d) => (rText.text += d));
    const replay = await startApp({ config: config(), mode: 'replay', replayFile: recordPath, logger: pino({ level: 'silent' }), surface: 'console', json: true, input: rIn, output: rOut });
    await replay.ready;
    for (const s of SYMBOLS) {
      for (const v of ['binance', 'bybit'] as const) {
        const live = app.state.get(s, v)!;
        const again = replay.state.get(s, v)!;
        expect(again.mark).toBe(live.mark);
        expect(again.bars.length).toBe(live.bars.length);
        expect(again.bars.at(-1)).toEqual(live.bars.at(-1));
        expect(again.liquidations.length).toBe(live.liquidations.length);
      }
    }
    expect(lines.some((l) => l.includes('"c":"rest:/v5/market/risk-limit?'))).toBe(true);
    expect(replay.zones.brackets.get('bybit', 'ETH')).toMatchObject({ source: 'exchange', brackets: liveTiers.brackets });
    // the heatmap history fills from the recording through the same engine, on the recorded clock
    const lastT = JSON.parse(lines.at(-1)!).t as number;
    const grid = replay.zones.heatmaps.grid('ETH')!;
    expect(grid.newestSlice).toBe(Math.floor(lastT / HEATMAP_SLICE_MS));
    expect(grid.filledSlices()).toBeGreaterThanOrEqual(1);
    const heat = replay.zones.heatmap('ETH', '6h')!;
    expect(heat.maxUsd).toBeGreaterThan(0);
    expect(heat.price).toBe(replay.zones.snapshot('ETH')!.price);
    const [status, hm] = await ask(rIn, ['/status', '/heatmap ETH 6h'], rText, 2);
    expect(status!.data.mode).toBe('replay');
    expect(hm!.ok).toBe(true);
    expect(hm!.image).toMatch(/heatmap-ETH-6h\.png$/);
    rIn.end();
    await replay.stop();
    // `liqzone evaluate` on the same recording computes liquidation prices with the same tables
    const report = await evaluateRecording(recordPath, config(), 5);
    expect(report).toMatch(/^Liquidation math: the recording's exchange tables \(bybit risk-limit tiers for \d+ symbols/m);
  });
});
