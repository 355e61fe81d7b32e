import { evaluateRecording } from '../../src/ops/evaluate-file.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { startDemoMarket, type DemoMarket } from '../../src/demo/demo-market.ts';

/** `liqzone demo` with the default venues: the simulator serves all four wire formats. */
const SYMBOLS = ['BTC', 'ETH', 'PEPE'];

function config(extra: Record<string, string> = {}): Config {
  const r = loadConfig({ SYMBOLS: SYMBOLS.join(','), STORE_URL: 'memory:', LOG_LEVEL: 'silent', CHART_DIR: mkdtempSync(join(tmpdir(), 'lz-charts-')), ...extra });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
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

describe('demo with four venues (console --json)', () => {
  let market: DemoMarket;
  let app: App;
  const input = new PassThrough();
  const output = new PassThrough();
  const out = { text: '' };
  let recordPath: string;
  const cfg = config();

  beforeAll(async () => {
    market = await startDemoMarket({ symbols: SYMBOLS, venues: cfg.VENUES, seed: 5, autoRegimes: false });
    recordPath = join(mkdtempSync(join(tmpdir(), 'lz-rec-')), 'rec.jsonl');
    output.on('data', (d) => (out.text += d));
    app = await startApp({ config: cfg, mode: 'demo', logger: pino({ level: 'silent' }), surface: 'console', json: true, endpoints: market.endpoints, input, output, recordTo: recordPath });
    await app.ready;
    await new Promise((r) => setTimeout(r, 3000));
  }, 60_000);

  afterAll(async () => {
    input.end();
    await app?.stop();
    await market?.stop();
  });

  it('/status shows four venues live, PEPE included (ctVal and ×1000 names from the listings)', async () => {
    expect(cfg.VENUES).toEqual(['binance', 'bybit', 'okx', 'hyperliquid']);
    const [status] = await ask(input, ['/status'], out, 1);
    expect(status!.ok).toBe(true);
    const venues = status!.data.venues as { venue: string; connections: { state: string }[]; symbolsLive: string[] }[];
    expect(venues.map((v) => v.venue)).toEqual(['binance', 'bybit', 'okx', 'hyperliquid']);
    for (const v of venues) {
      expect(v.connections.every((c) => c.state === 'open'), v.venue).toBe(true);
      expect([...v.symbolsLive].sort(), v.venue).toEqual([...SYMBOLS].sort());
    }
    expect(status!.text).toMatch(/observed positions: \d+\/1000 accounts tracked, \d+ polls/);
    expect(JSON.stringify(status)).not.toMatch(/0x[0-9a-f]{40}/i);
    // the same coin price on every venue: PEPE per coin on OKX (ctVal) and Hyperliquid (kPEPE)
    const pepe = ['binance', 'okx', 'hyperliquid'].map((v) => app.state.get('PEPE', v as 'binance')!.mark!);
    for (const m of pepe) expect(m / pepe[0]!).toBeCloseTo(1, 1);
  });

  it('/zones ETH rests on the venues with open-interest history (Hyperliquid has none: it joins as live OI accumulates)', async () => {
    const [z] = await ask(input, ['/zones ETH'], out, 1);
    expect(z!.ok, z!.text).toBe(true);
    expect(z!.data.venues).toEqual(expect.arrayContaining(['binance', 'bybit', 'okx']));
    expect(z!.text).toContain('okx');
  });

  it('/exit ETH long 3000 20x 10000 okx uses OKX tiers from the exchange (loaded after the first OKX marks)', async () => {
    for (let i = 0; i < 80; i++) {
      const [plan] = await ask(input, ['/exit ETH long 3000 20x 10000 okx'], out, 1);
      expect(plan!.ok, plan!.text).toBe(true);
      expect(plan!.text).toContain('on OKX');
      const warnings = JSON.stringify(plan!.data.warnings ?? plan!.fields);
      if (!warnings.includes('No OKX tiers loaded')) {
        expect(warnings).toContain('OKX tiers are set in contracts');
        // the fake's first tier: MMR 0.4 %, max 100x; whole-position ratio, no deduction
        expect(plan!.data.bracket).toEqual({ maintMarginRatio: 0.004, maxLeverage: 100, notionalCap: expect.any(Number) });
        expect(plan!.data.liquidationPrice).toBeCloseTo((3000 * (1 - 1 / 20)) / (1 - 0.004), 6);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('OKX tiers never loaded');
  });

  it('/exit ETH short 3000 10x 10000 hyperliquid uses the margin tiers from Hyperliquid’s meta', async () => {
    const [plan] = await ask(input, ['/exit ETH short 3000 10x 10000 hyperliquid'], out, 1);
    expect(plan!.ok, plan!.text).toBe(true);
    expect(JSON.stringify(plan!.data.warnings ?? plan!.fields)).not.toContain('No Hyperliquid tiers loaded');
    // the fake lists ETH at 50x: maintenance is half the initial margin at 50x, on the whole position
    expect(plan!.data.bracket).toMatchObject({ maintMarginRatio: 0.01, maxLeverage: 50 });
    expect(plan!.data.liquidationPrice).toBeCloseTo((3000 * (1 + 1 / 10)) / (1 + 0.01), 6);
  });

  it('/zones ETH shows the observed Hyperliquid block and data.observed, never an address', async () => {
    for (let i = 0; i < 80; i++) {
      const [z] = await ask(input, ['/zones ETH'], out, 1);
      expect(z!.ok, z!.text).toBe(true);
      if (z!.data.observedPositions > 0 && z!.data.observed.length > 0) {
        expect(z!.text).toMatch(/Observed on Hyperliquid: \d+ positions?, ~\$[\d.,]+[kMB]?, refreshed .* ago/);
        expect(z!.data.observedUsd).toBeGreaterThan(0);
        for (const o of z!.data.observed) expect(Object.keys(o)).toEqual(expect.arrayContaining(['id', 'side', 'low', 'high', 'peak', 'notionalUsd', 'share', 'distancePct', 'rank']));
        // the estimate is untouched: its zones are not the observed ones
        expect(z!.data.zones.map((x: { id: string }) => x.id)).not.toEqual(expect.arrayContaining(z!.data.observed.map((x: { id: string }) => x.id)));
        expect(JSON.stringify(z)).not.toMatch(/0x[0-9a-f]{40}/i);
        const metrics = await app.metrics.text();
        expect(metrics).toMatch(/liqzone_observed_positions\{symbol="ETH"\} [1-9]/);
        expect(metrics).toMatch(/liqzone_observed_poller\{what="polls"\} [1-9]/);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('no observed positions');
  });

  it('records all four venues, REST included, and replays them without network', async () => {
    await app.stop();
    const lines = readFileSync(recordPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { v: string; c: string });
    for (const v of ['okx', 'hyperliquid']) {
      expect(lines.some((l) => l.v === v && l.c.startsWith('rest:')), `${v} REST`).toBe(true);
      expect(lines.some((l) => l.v === v && !l.c.startsWith('rest:')), `${v} WS`).toBe(true);
    }
    const rIn = new PassThrough();
    const rOut = new PassThrough();
    const rText = { text: '' };
    rOut.on('data', (d) => (rText.text += d));
    const replay = await startApp({ config: cfg, mode: 'replay', replayFile: recordPath, logger: pino({ level: 'silent' }), surface: 'console', json: true, input: rIn, output: rOut });
    await replay.ready;
    for (const v of ['okx', 'hyperliquid'] as const) {
      for (const s of SYMBOLS) {
        expect(replay.state.get(s, v)?.mark, `${s} ${v}`).toBe(app.state.get(s, v)!.mark);
        expect(replay.state.get(s, v)!.bars.length).toBe(app.state.get(s, v)!.bars.length);
      }
    }
    // exchange tiers come back from the recorded answers: OKX's sized at the replayed price when they arrived, as live
    for (const v of ['okx', 'hyperliquid'] as const) {
      expect(replay.zones.brackets.get(v, 'ETH').source, v).toBe('exchange');
      expect(replay.zones.brackets.get(v, 'ETH').brackets, v).toEqual(app.zones.brackets.get(v, 'ETH').brackets);
    }
    // the observed Hyperliquid map comes back from the recorded clearinghouseState answers
    const [rz] = await ask(rIn, ['/zones ETH'], rText, 1);
    expect(rz!.ok, rz!.text).toBe(true);
    expect(rz!.data.observedPositions).toBeGreaterThan(0);
    expect(rz!.text).toContain('Observed on Hyperliquid');
    rIn.end();
    await replay.stop();
    // and `liqzone evaluate` computes liquidation prices with the same recorded tables
    const report = await evaluateRecording(recordPath, cfg, 5);
    expect(report).toMatch(/^Liquidation math: the recording's exchange tables \(bybit risk-limit tiers for 3 symbols, okx position tiers for 3 symbols, hyperliquid margin tiers for 3 symbols\)/m);
  });
});
