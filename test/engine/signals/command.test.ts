import { describe, expect, it } from 'vitest';
import { allCommands } from '../../../commands/index.ts';
import { signalEventText } from '../../../commands/signal.ts';
import type { Caller } from '../../../src/bot/command.ts';
import { CommandRegistry } from '../../../src/bot/registry.ts';
import type { Services } from '../../../src/bot/services.ts';
import { SignalEngine } from '../../../src/engine/signals/engine.ts';
import type { SignalEvent, SignalSnapshot } from '../../../src/engine/types.ts';
import { DEFAULT_SYMBOLS } from '../../../src/market/symbols.ts';
import { DUMP, SyntheticMarket, TREND_UP } from './synthetic.ts';

const caller: Caller = { platform: 'console', userId: 'u1', chatId: 'console', isPrivate: true, canManage: true };
const registry = new CommandRegistry(allCommands());

function servicesWith(engine: SignalEngine | undefined, now: () => number): Services {
  return {
    now,
    status: () => ({ mode: 'demo', startedAt: 0, now: now(), venues: [] }),
    symbols: {
      tracked: () => [...DEFAULT_SYMBOLS],
      instruments: () => [],
      instrument: () => undefined,
      byVenueSymbol: () => undefined,
      skipped: () => [],
      venuesOf: () => ['binance', 'bybit'],
    },
    ...(engine ? { signals: engine } : {}),
  };
}

function trending(minutes: number): { market: SyntheticMarket; engine: SignalEngine; events: SignalEvent[] } {
  const market = new SyntheticMarket({ symbols: ['ETH'], seed: 7 });
  market.seedHistory(12 * 60, TREND_UP);
  const engine = new SignalEngine({ state: market.state, zones: { snapshot: () => undefined }, symbols: () => market.symbols(), now: market.now });
  const events: SignalEvent[] = [];
  engine.onEvent((e) => events.push(e));
  for (let i = 0; i < minutes * 6; i++) {
    market.step(TREND_UP);
    engine.cycle();
  }
  return { market, engine, events };
}

describe('/signal', () => {
  it('shows the composite, one row per timeframe, the conflict flag, top cards with accuracy, and sizing', async () => {
    const { market, engine } = trending(20);
    const r = await registry.dispatchLine('/signal eth', caller, servicesWith(engine, market.now));
    expect(r.ok).toBe(true);
    expect(r.tone).toBe('up');
    expect(r.title).toMatch(/ETH signal · day/);
    expect(r.text).toMatch(/ETH day read: ▲ UP \+0\.\d\d · confidence \d+%/);
    for (const tf of ['1m', '5m', '1h']) expect(r.text).toMatch(new RegExp(`^  ${tf}\\s+▲ \\+0\\.\\d\\d  strength \\d+%  confidence \\d+%$`, 'm'));
    expect(r.text).toMatch(/Top contributing cards:\n  • /);
    expect(r.text).toMatch(/hit rate \d+% over \d+/);
    expect(r.text).toMatch(/Card hit rates \(sign vs forward return, over samples\):\n(  .*\n)*  taker flow: 1m \d+%\/\d+/);
    expect(r.text).not.toMatch(/—\/0/); // no rows of nothing
    // the reads' own measured line: 20 trending minutes are fewer than 30 scored 1m calls
    expect(r.text).toMatch(/Measured \(each read vs the next move over its timeframe; flat moves not scored\):\n  1m  not enough history yet \(\d+ of 30 scored calls\)\n  5m  not enough history yet \(\d+ of 30 scored calls\)\n  1h  not enough history yet \(0 of 30 scored calls\)/);
    const measured = engine.accuracy.summary('ETH', '1m', market.now());
    expect(measured.n).toBeGreaterThan(5);
    expect(r.text).toContain(`1m  not enough history yet (${measured.n} of 30`);
    expect(r.text).toMatch(/Sizing: normal size at most/);
    expect(r.text).toMatch(/not financial advice/);
    expect(r.fields?.find((f) => f.name === 'Conflict')?.value).toBe('no');
    // nothing said twice: no field repeats a line of the text (the console prints fields under it)
    const textLines = new Set(r.text.split('\n').map((l) => l.trim()));
    for (const f of r.fields ?? []) {
      expect(textLines.has(`${f.name}: ${f.value}`)).toBe(false);
      expect(r.text).not.toContain(f.value.length > 3 ? f.value : '\u0000');
    }
    const data = r.data as SignalSnapshot;
    expect(data).toBe(engine.snapshot('ETH', 'day'));
    expect(data.timeframes.map((t) => t.tf)).toEqual(['1m', '5m', '1h']);
    expect(r.buttons?.every((b) => Buffer.byteLength(b.action) < 64)).toBe(true);
  });

  it('takes the mode option', async () => {
    const { market, engine } = trending(5);
    const r = await registry.dispatchLine('/signal ETH Swing', caller, servicesWith(engine, market.now));
    expect((r.data as SignalSnapshot).mode).toBe('swing');
    expect(r.title).toMatch(/swing \(1h-weighted\)/);
    const bad = await registry.dispatchLine('/signal ETH weekly', caller, servicesWith(engine, market.now));
    expect(bad.ok).toBe(false);
    expect(bad.text).toMatch(/^Mode must be one of scalp, day, swing \(got "weekly"\), e\.g\. scalp\./);
  });

  it('flags a conflict with a warning tone and reduced sizing', async () => {
    const { market, engine, events } = trending(10);
    let conflicted: SignalSnapshot | undefined;
    for (let i = 0; i < 40 * 6 && !conflicted; i++) {
      market.step(DUMP);
      engine.cycle();
      const s = engine.snapshot('ETH', 'day')!;
      if (s.conflicted) conflicted = s;
    }
    expect(conflicted).toBeDefined();
    const r = await registry.dispatchLine('/signal ETH', caller, servicesWith(engine, market.now));
    expect(r.tone).toBe('warning');
    expect(r.text).toMatch(/⚠ Timeframes conflict: \dm ▼ −0\.\d\d vs \d[mh] ▲ \+0\.\d\d — conviction lowered/);
    expect(r.text).toMatch(/Sizing: reduced size: timeframes conflict/);
    expect(r.fields?.find((f) => f.name === 'Conflict')?.value).toMatch(/^yes/);
    const start = events.find((e) => e.kind === 'conflict-start' && e.mode === 'day')!;
    expect(signalEventText(start)).toMatch(/^ETH day: Timeframes conflict: /);
  });

  it('suggests symbols for an unknown one, and says "warming up" when there is no data', async () => {
    const { market, engine } = trending(1);
    const services = servicesWith(engine, market.now);
    const unknown = await registry.dispatchLine('/signal ETHH', caller, services);
    expect(unknown.ok).toBe(false);
    expect(unknown.text).toMatch(/Unknown symbol "ETHH"\. Did you mean ETH/);
    const cold = await registry.dispatchLine('/signal SOL', caller, services);
    expect(cold.ok).toBe(false);
    expect(cold.tone).toBe('warning');
    expect(cold.text).toMatch(/warming up/);
  });

  it('answers honestly when the signal engine is absent', async () => {
    const r = await registry.dispatchLine('/signal ETH', caller, servicesWith(undefined, () => 0));
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/not available/);
  });
});
