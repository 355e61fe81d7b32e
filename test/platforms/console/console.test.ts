import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { allCommands } from '../../../commands/index.ts';
import { CommandRegistry } from '../../../src/bot/registry.ts';
import type { Services } from '../../../src/bot/services.ts';
import { DEFAULT_SYMBOLS } from '../../../src/market/symbols.ts';
import { ConsoleAdapter } from '../../../src/platforms/console/console.ts';

const services: Services = {
  now: () => 1_000,
  status: () => ({
    mode: 'demo',
    startedAt: 0,
    now: 1_000,
    venues: [
      {
        venue: 'binance',
        connections: [{ name: 'market', state: 'open', reconnects: 0 }],
        streams: [{ name: 'ethusdt@markPrice@1s', lastMessageAgeMs: 200, silent: false }],
        symbolsLive: ['ETH'],
        skipped: [{ symbol: 'TON', reason: 'not listed' }],
        rest: { weightUsed: 12, weightLimit: 2400 },
        malformedFrames: 0,
      },
    ],
  }),
  symbols: {
    tracked: () => [...DEFAULT_SYMBOLS],
    instruments: () => [],
    instrument: () => undefined,
    byVenueSymbol: () => undefined,
    skipped: () => [],
    venuesOf: () => ['binance'],
  },
};

async function runLines(lines: string[], json: boolean): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d) => (text += d));
  const adapter = new ConsoleAdapter({ registry: new CommandRegistry(allCommands()), services, json, chartDir: '/tmp/liqzone-test-charts', input, output });
  const done = adapter.run();
  input.end(lines.join('\n') + '\n');
  await done;
  return text;
}

describe('console adapter', () => {
  it('answers each line as one JSON object in --json mode, in order', async () => {
    const out = await runLines(['/status', 'zonez ETH', '', '# comment', '/exit ETH long -5 20'], true);
    const objs = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(objs.map((o) => o.command)).toEqual(['/status', 'zonez ETH', '/exit ETH long -5 20']);
    expect(objs[0]).toMatchObject({ ok: true, image: null });
    expect(Object.keys(objs[0]).sort()).toEqual(['command', 'data', 'fields', 'image', 'ok', 'text']);
    expect(objs[0].data.venues[0].venue).toBe('binance');
    expect(objs[1]).toMatchObject({ ok: false });
    expect(objs[1].text).toMatch(/Did you mean \/zones/);
    expect(objs[2].ok).toBe(false);
  });

  it('prints plain text in plain mode', async () => {
    const out = await runLines(['/status'], false);
    expect(out).toMatch(/binance: market open/);
    expect(out).toMatch(/skipped: TON \(not listed\)/);
  });
});

describe('console before the market data is in', () => {
  /** Runs the console with a `ready` the test releases; returns what was printed before and after. */
  async function gated(lines: string[]): Promise<{ before: string[]; after: string[] }> {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d) => (text += d));
    let release!: () => void;
    const ready = new Promise<void>((r) => (release = r));
    const adapter = new ConsoleAdapter({ registry: new CommandRegistry(allCommands()), services, json: true, chartDir: '/tmp/liqzone-test-charts', input, output, ready });
    const done = adapter.run();
    input.end(`${lines.join('\n')}\n`);
    // let every line that may run now run (no timers involved: a few turns of the event loop)
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    const before = text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).command as string);
    release();
    await done;
    const after = text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).command as string);
    return { before, after };
  }

  it('/status and /help answer at once; market commands wait for the start-up history', async () => {
    const r = await gated(['/status', '/help', '/symbols']);
    expect(r.before).toEqual(['/status', '/help']);
    expect(r.after).toEqual(['/status', '/help', '/symbols']);
  });

  it('lines stay in order: /status typed after a waiting command waits behind it', async () => {
    const r = await gated(['/symbols', '/status']);
    expect(r.before).toEqual([]);
    expect(r.after).toEqual(['/symbols', '/status']);
  });
});
