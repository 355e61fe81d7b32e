import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { FakeBinance } from '../../src/demo/binance.ts';
import { FakeBybit } from '../../src/demo/bybit.ts';
import { defaultFakeInstruments } from '../../src/demo/ws-server.ts';
import type { Venue } from '../../src/market/types.ts';
import { assessHealth } from '../../src/ops/health-server.ts';

/**
 * Issue 12, case 1, end to end on loopback: Binance sends an ETH mark ×10 while Bybit stays right.
 * The real feeds, mappers, market state, zone engine, notifier and console run; the bad venue is
 * quarantined, /zones, /exit and /status speak from the validated price and say why, no alert goes
 * out, and Binance rejoins once its mark agrees again.
 */
type Line = Record<string, any>;

const SYMBOLS = ['ETH', 'BTC'];
const ETH = 3120;

describe('one venue sends ETH mark ×10 (Bybit right)', () => {
  let binance: FakeBinance;
  let bybit: FakeBybit;
  let app: App;
  let pump: NodeJS.Timeout | undefined;
  const input = new PassThrough();
  const output = new PassThrough();
  const out = { text: '' };
  const lines = (): Line[] => out.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  /** What Binance says the ETH mark is (×10 during the fault). */
  let binanceMarkFactor = 1;

  async function waitFor<T>(what: string, get: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = get();
      if (v) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function ask(command: string): Promise<Line> {
    const seen = lines().filter((l) => l.command === command).length;
    input.write(`${command}\n`);
    return waitFor(`a reply to ${command}`, () => lines().filter((l) => l.command === command)[seen]);
  }

  const alerts = (): Line[] => lines().filter((l) => l.alert);

  beforeAll(async () => {
    binance = new FakeBinance({ instruments: defaultFakeInstruments('binance', SYMBOLS) });
    bybit = new FakeBybit({ instruments: defaultFakeInstruments('bybit', SYMBOLS) });
    const [b, y] = await Promise.all([binance.start(), bybit.start()]);
    output.on('data', (d) => (out.text += d));
    const r = loadConfig({
      SYMBOLS: SYMBOLS.join(','),
      VENUES: 'binance,bybit',
      STORE_URL: 'memory:',
      LOG_LEVEL: 'silent',
      CHART_DIR: mkdtempSync(join(tmpdir(), 'lz-charts-')),
      NOTIFY_CRON: '* * * * * *',
      SNAPSHOT_INTERVAL_MS: '500',
    });
    if (!r.ok) throw new Error(r.errors.join('; '));
    app = await startApp({ config: r.config, mode: 'live', logger: pino({ level: 'silent' }), surface: 'console', json: true, input, output, endpoints: { binance: b, bybit: y } });
    await app.ready;
    // Both venues quote ETH ~3,120 and BTC ~97,000 every 100 ms: marks, book tops and trades.
    let i = 0;
    pump = setInterval(() => {
      const t = Date.now();
      i++;
      for (const [venue, fake] of [['binance', binance], ['bybit', bybit]] as const) {
        for (const [symbol, base] of [['ETH', ETH], ['BTC', 97_000]] as const) {
          const p = base * (1 + Math.sin(i / 9) * 0.0005);
          const mark = venue === 'binance' && symbol === 'ETH' ? p * binanceMarkFactor : p;
          const at = { venue: venue as Venue, symbol, exchTime: t, recvTime: t };
          fake.push({ kind: 'mark', ...at, mark, index: p, fundingRateHourly: 0.00001, nextFundingTime: t + 3_600_000 });
          fake.push({ kind: 'book', ...at, bid: p - 0.05, bidSize: 3, ask: p + 0.05, askSize: 2, imbalance: 0.2 });
          fake.push({ kind: 'trade', ...at, price: p, qty: 0.5, side: i % 2 ? 'buy' : 'sell' });
        }
      }
    }, 100);
    await waitFor('ETH snapshots on both venues', () => app.zones.snapshot('ETH')?.validation?.venues.length === 2);
  }, 60_000);

  afterAll(async () => {
    clearInterval(pump);
    input.end();
    await app?.stop();
    await Promise.all([binance?.stop(), bybit?.stop()]);
  });

  it('quarantines Binance for ETH, answers /zones, /exit and /status on the validated price, sends no alert, and lets Binance rejoin', async () => {
    // A short at 3,120 with 20x is liquidated near 3,270: a ×10 price that got through would page its owner.
    expect((await ask('/position add ETH short 3120 20x')).ok).toBe(true);
    expect((await ask('/subscribe ETH')).ok).toBe(true);
    const before = await ask('/zones ETH');
    expect(before.data.price).toBeGreaterThan(ETH * 0.99);
    expect(before.data.price).toBeLessThan(ETH * 1.01);
    expect(before.data.validation.quarantined).toEqual([]);
    const alertsBefore = alerts().length;

    binanceMarkFactor = 10;
    await waitFor('binance quarantined for ETH', () => app.state.validation('ETH').quarantined.some((q) => q.venue === 'binance'));
    const quarantinedAt = Date.now();
    // several snapshots and notifier ticks on the bad feed
    await waitFor('3 s of snapshots', () => Date.now() - quarantinedAt > 3_000 && app.zones.snapshot('ETH')!.t > quarantinedAt + 2_000);

    const zones = await ask('/zones ETH');
    expect(zones.ok).toBe(true);
    expect(zones.data.price).toBeGreaterThan(ETH * 0.99);
    expect(zones.data.price).toBeLessThan(ETH * 1.01);
    expect(zones.data.validation.venues).toEqual(['bybit']);
    expect(zones.data.validation.quarantined).toEqual([expect.objectContaining({ venue: 'binance', kind: 'departs' })]);
    expect(zones.text).toMatch(/⚠ binance quarantined for ETH: binance ETH mark 31,\d{3}(\.\d+)? is \+\d{3}% from the other venues \(3,1\d\d(\.\d+)?; bound 3\.0%\)\. Price and zones use bybit until it agrees again\./);
    // The bad price is named in the quarantine note only; no zone or price line uses it.
    expect(zones.text.split('\n').filter((l: string) => !l.startsWith('⚠')).join('\n')).not.toMatch(/31,\d{3}|17,\d{3}/);

    const exit = await ask('/exit ETH long 3120 20x');
    expect(exit.ok).toBe(true);
    expect(exit.text).toMatch(/3,1\d\d/);
    expect(exit.text).not.toMatch(/31,\d{3}/);

    const status = await ask('/status');
    expect(status.text).toMatch(/QUARANTINED for ETH: binance ETH mark/);
    const health = assessHealth(app.services.status().venues, Date.now());
    expect(health.degraded?.[0]).toMatch(/^binance ETH mark/);
    expect(health.venues.find((v) => v.venue === 'binance')?.quarantined?.[0]).toMatchObject({ symbol: 'ETH', kind: 'departs' });

    expect(await app.metrics.text()).toMatch(/liqzone_quarantined_symbols\{venue="binance"\} 1\n/);
    // no alert of any kind rested on the bad price
    expect(alerts().slice(alertsBefore)).toEqual([]);
    // the level book and signals never saw it either: Binance's ETH state is frozen at the last good mark
    expect(app.state.get('ETH', 'binance')!.mark).toBeLessThan(ETH * 1.01);
    expect(app.state.venues('ETH').map((v) => v.venue)).toEqual(['bybit']);
    // BTC on Binance is untouched
    expect(app.state.validation('BTC').quarantined).toEqual([]);

    binanceMarkFactor = 1;
    await waitFor('binance rejoins ETH', () => app.state.validation('ETH').quarantined.length === 0 && app.state.venues('ETH').length === 2);
    await waitFor('a snapshot on both venues again', () => app.zones.snapshot('ETH')!.validation!.venues.length === 2);
    const after = await ask('/status');
    expect(after.text).not.toMatch(/QUARANTINED/);
    expect(alerts().slice(alertsBefore)).toEqual([]);
  }, 90_000);
});
