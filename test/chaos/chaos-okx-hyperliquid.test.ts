/**
 * Chaos for the OKX and Hyperliquid feeds, bounded and seeded: the whole app against the demo
 * market (those two venues only, on loopback), while a fixed schedule of silent stalls, socket
 * closes (with and without a close frame), garbage frames and REST 429s hits both fakes. Afterwards
 * both venues are open and live again, /status and /zones answer, the Hyperliquid poller is still
 * polling, and nothing crashed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.ts';
import type { VenueStatus } from '../../src/bot/services.ts';
import { loadConfig } from '../../src/config.ts';
import { startDemoMarket, type DemoMarket } from '../../src/demo/demo-market.ts';
import { mulberry32 } from './faults.ts';

const SYMBOLS = ['BTC', 'ETH', 'PEPE'];
const crashes: string[] = [];
const onRejection = (reason: unknown) => crashes.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`);
const onException = (err: Error) => crashes.push(`uncaughtException: ${err.stack ?? err.message}`);

async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Fault = { at: number; venue: 'okx' | 'hyperliquid'; kind: 'stall' | 'close' | 'garbage' | 'rest429'; ms?: number; code?: number };

/** A fixed number of faults over `spanMs`, seeded: stalls shorter than either watchdog, closes with and without a frame. */
function schedule(seed: number, count: number, spanMs: number): Fault[] {
  const rand = mulberry32(seed);
  const kinds = ['stall', 'close', 'garbage', 'rest429'] as const;
  return Array.from({ length: count }, (_, i): Fault => {
    const kind = kinds[i % kinds.length]!;
    const venue = rand() < 0.5 ? 'okx' : 'hyperliquid';
    const at = Math.floor(rand() * spanMs);
    return { at, venue, kind, ...(kind === 'stall' ? { ms: 500 + Math.floor(rand() * 2500) } : {}), ...(kind === 'close' ? { code: rand() < 0.5 ? 1011 : undefined } : {}) };
  }).sort((a, b) => a.at - b.at);
}

describe('chaos: OKX and Hyperliquid faults through the whole app', () => {
  let market: DemoMarket;
  let app: App;
  const input = new PassThrough();
  const output = new PassThrough();
  const out = { text: '' };

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    market = await startDemoMarket({ symbols: SYMBOLS, venues: ['okx', 'hyperliquid'], seed: 21, autoRegimes: false });
    output.on('data', (d) => (out.text += d));
    const r = loadConfig({ SYMBOLS: SYMBOLS.join(','), VENUES: 'okx,hyperliquid', STORE_URL: 'memory:', LOG_LEVEL: 'silent', CHART_DIR: mkdtempSync(join(tmpdir(), 'lz-chaos4-')) });
    if (!r.ok) throw new Error(r.errors.join('; '));
    app = await startApp({ config: r.config, mode: 'demo', logger: pino({ level: 'silent' }), surface: 'console', json: true, endpoints: market.endpoints, input, output });
    await app.ready;
  }, 60_000);

  afterAll(async () => {
    input.end();
    await app?.stop();
    await market?.stop();
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  });

  const venues = (): VenueStatus[] => app.services.status().venues;
  const allLive = () => venues().length === 2 && venues().every((v) => v.connections.every((c) => c.state === 'open') && v.symbolsLive.length === SYMBOLS.length);

  it('recovers from every fault; nothing crashes; /status and /zones answer', async () => {
    await waitFor(allLive, 'both venues live', 30_000);
    const faults = schedule(15, 12, 12_000);
    const fakes = { okx: market.fakes.okx!, hyperliquid: market.fakes.hyperliquid! };
    const t0 = Date.now();
    const executed = { stall: 0, close: 0, garbage: 0, rest429: 0 };
    for (const f of faults) {
      const wait = t0 + f.at - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const fake = fakes[f.venue];
      executed[f.kind]++;
      if (f.kind === 'stall') {
        fake.stall();
        setTimeout(() => fake.resume(), f.ms);
      } else if (f.kind === 'close') fake.closeAll(f.code);
      else if (f.kind === 'garbage') fake.sendGarbage(3);
      else fake.fail429(1, 2);
    }
    expect(Object.values(executed).every((n) => n > 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 3_500)); // the last stall ends
    await waitFor(allLive, 'both venues live again', 45_000);
    const byVenue = Object.fromEntries(venues().map((v) => [v.venue, v]));
    expect(byVenue.okx!.connections.reduce((a, c) => a + c.reconnects, 0) + byVenue.hyperliquid!.connections.reduce((a, c) => a + c.reconnects, 0)).toBeGreaterThan(0);
    expect(byVenue.okx!.malformedFrames + byVenue.hyperliquid!.malformedFrames).toBeGreaterThan(0);
    expect(byVenue.hyperliquid!.observed).toBeDefined();

    const before = out.text.split('\n').filter(Boolean).length;
    input.write('/status\n/zones ETH\n');
    const lines = await waitFor(() => {
      const all = out.text.split('\n').filter(Boolean);
      return all.length >= before + 2 ? all.slice(before, before + 2).map((l) => JSON.parse(l) as { ok: boolean; text: string }) : false;
    }, 'answers', 10_000);
    expect(lines.map((l) => l.ok)).toEqual([true, true]);
    expect(crashes).toEqual([]);
  }, 120_000);
});
