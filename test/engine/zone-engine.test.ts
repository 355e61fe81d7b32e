import { describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import type { Caller } from '../../src/bot/command.ts';
import { CommandRegistry } from '../../src/bot/registry.ts';
import type { ChartService, Services } from '../../src/bot/services.ts';
import { bybitTiersToBrackets, type BybitRiskTier } from '../../src/engine/brackets.ts';
import { binanceLiquidationPrice, bybitLiquidationPrice } from '../../src/engine/liquidation.ts';
import type { SweepEvent } from '../../src/engine/types.ts';
import { CALIBRATION_GRID } from '../../src/engine/levels.ts';
import { ZoneEngine } from '../../src/engine/zone-engine.ts';
import { memoryCalibrationStore } from '../../src/store/calibration.ts';
import { MarketState } from '../../src/market/state.ts';
import { DEFAULT_SYMBOLS } from '../../src/market/symbols.ts';
import type { MarketEvent, Venue } from '../../src/market/types.ts';
import { liquidation, synthEvents, T0 } from './synthetic.ts';

const MIN = 60_000;

/** ETH on both venues and BTC on Binance: an hour of OI building around a gently swinging price. */
function history(): MarketEvent[] {
  const eth = (venue: Venue) =>
    synthEvents({
      symbol: 'ETH',
      venue,
      start: T0,
      minutes: 60,
      price: (m) => 3000 + 6 * Math.sin(m / 5),
      oi: (m) => 10_000 + 5 * m,
      buyFrac: (m) => (m % 2 === 0 ? 0.7 : 0.35),
    });
  const btc = synthEvents({ symbol: 'BTC', start: T0, minutes: 60, price: (m) => 100_000 + 50 * Math.cos(m / 7), oi: (m) => 500 + m, buyFrac: () => 0.6 });
  return [...eth('binance'), ...eth('bybit'), ...btc].sort((a, b) => a.recvTime - b.recvTime);
}

function setup() {
  const state = new MarketState();
  for (const e of history()) state.apply(e);
  let clock = T0 + 60 * MIN;
  const engine = new ZoneEngine(state, { symbols: () => ['BTC', 'ETH', 'SOL'], now: () => clock });
  engine.update();
  const chartCalls: string[] = [];
  const charts: ChartService = {
    zonesChart: (s) => (chartCalls.push(`zones:${s.symbol}`), { name: `zones-${s.symbol}.png`, alt: 'zones', render: async () => Buffer.alloc(0) }),
    exitChart: (s, p) => (chartCalls.push(`exit:${s.symbol}:${p.liquidationPrice}`), { name: `exit-${s.symbol}.png`, alt: 'exit', render: async () => Buffer.alloc(0) }),
  };
  const services: Services = {
    now: () => clock,
    status: () => ({ mode: 'demo', startedAt: T0, now: clock, venues: [] }),
    symbols: {
      tracked: () => [...DEFAULT_SYMBOLS],
      instruments: () => [],
      instrument: () => undefined,
      byVenueSymbol: () => undefined,
      skipped: () => [],
      venuesOf: () => ['binance', 'bybit'],
    },
    zones: engine,
    charts,
  };
  return { state, engine, services, chartCalls, tick: (ms: number) => (clock += ms), now: () => clock };
}

const caller: Caller = { platform: 'console', userId: 'u1', chatId: 'console', isPrivate: true, canManage: true };
const registry = new CommandRegistry(allCommands());

describe('ZoneEngine', () => {
  it('has zones on both sides right after bootstrapping history, per venue', () => {
    const { engine } = setup();
    const snap = engine.snapshot('ETH')!;
    expect(snap.seq).toBe(1);
    expect(snap.venues).toEqual(['binance', 'bybit']);
    expect(snap.zones.some((z) => z.side === 'long' && z.high <= snap.price)).toBe(true);
    expect(snap.zones.some((z) => z.side === 'short' && z.low >= snap.price)).toBe(true);
    // the per-venue split and the leverage breakdown each add up to the zone's notional
    for (const z of snap.zones) {
      expect(Object.values(z.venues).reduce((a, v) => a + v!, 0)).toBeCloseTo(z.notionalUsd, 3);
      expect(Object.values(z.leverage).reduce((a, v) => a + v, 0)).toBeCloseTo(z.notionalUsd, 3);
    }
    expect(snap.zones.some((z) => z.venues.binance)).toBe(true);
    expect(snap.zones.some((z) => z.venues.bybit)).toBe(true);
    expect(snap.atr).toBeGreaterThan(0);
    expect(engine.snapshot('SOL')).toBeUndefined();
    expect(engine.snapshot('BTC')!.venues).toEqual(['binance']);
    expect(Object.isFrozen(snap)).toBe(true);
  });

  it('keeps zone ids across updates and advances the sequence', () => {
    const { engine, tick } = setup();
    const a = engine.snapshot('ETH')!;
    tick(3000);
    engine.update();
    const b = engine.snapshot('ETH')!;
    expect(b.seq).toBe(2);
    expect(b).not.toBe(a);
    expect(b.zones.map((z) => z.id)).toEqual(a.zones.map((z) => z.id));
  });

  it('emits the crossing at once, then the sweep with realized liquidations once the window closes', () => {
    const { state, engine, tick, now } = setup();
    const snap = engine.snapshot('ETH')!;
    const target = snap.zones.find((z) => z.side === 'long')!;
    const seen: SweepEvent[] = [];
    const off = engine.onSweep((ev) => seen.push(ev));
    tick(2000);
    for (const venue of ['binance', 'bybit'] as const) {
      state.apply({ venue, symbol: 'ETH', kind: 'mark', exchTime: now(), recvTime: now(), mark: target.low - 1 });
    }
    state.apply(liquidation('ETH', 'bybit', now(), 'long', target.peak, 123_000));
    engine.update();
    // The crossing, told by the update that saw it: a zone of the snapshot just before, on the side price crossed.
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ phase: 'crossed', symbol: 'ETH', zoneId: target.id, side: 'long', t: now(), seq: snap.seq + 1, previousT: snap.t, realizedUsd: 0 });
    expect(engine.snapshot('ETH')!.price).toBeLessThan(target.low);
    expect(engine.snapshot('ETH')!.zones.some((z) => z.id === target.id)).toBe(false); // consumed
    tick(5 * MIN);
    engine.update();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({ phase: 'settled', symbol: 'ETH', zoneId: target.id, side: 'long', modeledUsd: target.notionalUsd, realizedUsd: 123_000 });
    expect(engine.trackRecord('ETH')).toMatch(/1 sweep, realized ≥ \$123k/);
    off();
  });

  it('plans exits with the venue bracket math and refreshed Bybit tiers', () => {
    const { engine } = setup();
    const plan = engine.planExit({ symbol: 'ETH', side: 'long', entry: 3000, leverage: 20, sizeUsd: 10_000, venue: 'binance' });
    if ('error' in plan) throw new Error(plan.error);
    const exact = binanceLiquidationPrice(engine.bracketTable('binance', 'ETH').brackets, { side: 'long', entry: 3000, leverage: 20, notionalUsd: 10_000 });
    expect(exact.ok && plan.liquidationPrice).toBeCloseTo((3000 * 0.95) / 0.996, 9);
    expect(plan.snapshotT).toBe(engine.snapshot('ETH')!.t);
    const tiers: BybitRiskTier[] = [
      { id: 1, symbol: 'ETHUSDT', riskLimitValue: 1_000_000, maintenanceMargin: 0.01, initialMargin: 0.02, maxLeverage: 50, mmDeduction: 0 },
      { id: 2, symbol: 'ETHUSDT', riskLimitValue: 2_000_000, maintenanceMargin: 0.015, initialMargin: 0.03, maxLeverage: 33.3, mmDeduction: 5000 },
    ];
    engine.setBybitTiers('ETH', tiers);
    const bybit = engine.planExit({ symbol: 'ETH', side: 'short', entry: 3000, leverage: 10, sizeUsd: 1_500_000, venue: 'bybit' });
    if ('error' in bybit) throw new Error(bybit.error);
    const expected = bybitLiquidationPrice(bybitTiersToBrackets(tiers), { side: 'short', entry: 3000, leverage: 10, notionalUsd: 1_500_000 });
    expect(expected.ok && bybit.liquidationPrice).toBeCloseTo(3000 * (1 + 0.1 - 0.015) + 5000 / 500, 9);
    expect(bybit.bracket.maxLeverage).toBe(33.3);
    expect(engine.planExit({ symbol: 'SOL', side: 'long', entry: 1, leverage: 2, sizeUsd: 10, venue: 'binance' })).toEqual({ error: 'No data yet for SOL, warming up.' });
  });

  it('starts and stops its own timer', () => {
    const { engine } = setup();
    engine.start(60_000);
    expect(engine.snapshot('ETH')!.seq).toBe(2);
    engine.stop();
    engine.stop();
  });
});

describe('/zones and /exit through the command registry', () => {
  it('/zones answers with the nearest zones, magnet, data age, venues and the word estimated', async () => {
    const { services, chartCalls, tick } = setup();
    tick(1500);
    const r = await registry.dispatchLine('/zones eth', caller, services);
    expect(r.ok).toBe(true);
    expect(r.text).toMatch(/estimated/);
    expect(r.text).toMatch(/binance \+ bybit/);
    expect(r.text).toMatch(/Above price/);
    expect(r.text).toMatch(/Below price/);
    expect(r.fields?.find((f) => f.name === 'Strongest magnet')?.value).toMatch(/ATR/);
    expect(r.text).toMatch(/Track record/);
    expect(r.text).toMatch(/Leverage mix: prior mix \(not enough liquidations yet: 0 seen, 20 per venue needed\)\./);
    expect(r.text).toMatch(/data 2 s old/);
    expect(r.image?.name).toBe('zones-ETH.png');
    expect(chartCalls).toEqual(['zones:ETH']);
    expect(r.buttons).toEqual([
      { action: '/zones ETH', label: 'Refresh' },
      { action: '/subscribe ETH', label: 'Subscribe ETH' },
    ]);
    const data = r.data as { symbol: string; price: number; t: number; dataAgeMs: number; venues: string[]; zones: Record<string, unknown>[] };
    expect(data.symbol).toBe('ETH');
    expect(data.venues).toEqual(['binance', 'bybit']);
    expect(data.zones.length).toBeGreaterThan(1);
    for (const z of data.zones) {
      const keys = ['distancePct', 'high', 'id', 'low', 'notionalUsd', 'peak', 'rank', 'share', 'side'];
      // `core` only when the densest band differs from the whole band, and then inside it around the peak
      expect(Object.keys(z).sort()).toEqual((z.core ? [...keys, 'core'] : keys).sort());
      if (z.core) {
        const core = z.core as { low: number; high: number };
        expect(core.low).toBeGreaterThanOrEqual(z.low as number);
        expect(core.high).toBeLessThanOrEqual(z.high as number);
        expect(core.high - core.low).toBeLessThan((z.high as number) - (z.low as number));
        expect(z.peak as number).toBeGreaterThan(core.low);
        expect(z.peak as number).toBeLessThan(core.high);
      }
      expect(typeof z.low).toBe('number');
      expect(z.side === 'long' ? (z.high as number) <= data.price : (z.low as number) >= data.price).toBe(true);
    }
    const lines = r.text.split('\n').filter((l) => /^\s+\S.*of side/.test(l));
    expect(lines.length).toBeLessThanOrEqual(6);
  });

  it('/calibration shows the mix in use next to the prior per venue, and persists through a restart', async () => {
    const { services, engine, state, tick, now } = setup();
    const store = memoryCalibrationStore();
    const saving = new ZoneEngine(state, { symbols: () => ['ETH'], now, calibrationStore: store });
    saving.update();
    const r = await registry.dispatchLine('/calibration ETH', caller, services);
    expect(r.ok).toBe(true);
    expect(r.text).toMatch(/^ETH leverage mix behind the zones \(estimated/);
    expect(r.text).toMatch(/binance: prior mix \(not enough liquidations yet: 0 of 20\)/);
    expect(r.text).toMatch(/\n\s+5x\s+30\.0%\s+30\.0%\n/);
    const data = r.data as { venues: { venue: string; status: string; mix: { leverage: number; prior: number; weight: number }[] }[] };
    expect(data.venues.map((v) => v.venue).sort()).toEqual(['binance', 'bybit']);
    // the whole calibration grid is tracked; leverages the prior does not name start at 0 and are not listed in the text
    expect(data.venues[0]!.mix.map((m) => m.leverage)).toEqual([...CALIBRATION_GRID]);
    expect(data.venues[0]!.mix.filter((m) => m.prior > 0).map((m) => m.leverage)).toEqual([5, 10, 25, 50, 100]);
    expect(r.text).not.toMatch(/^\s+7x/m);
    expect((await registry.dispatchLine('/calibration XYZQ', caller, services)).ok).toBe(false);
    // prints at the nearest long zone's peak: matched against the levels there
    const z = engine.snapshot('ETH')!.zones.find((x) => x.side === 'long')!;
    for (let i = 0; i < 25; i++) state.apply(liquidation('ETH', 'binance', now() + i, 'long', z.peak, 20_000));
    const dip = (t: number) => state.apply({ venue: 'binance', symbol: 'ETH', kind: 'mark', exchTime: t, recvTime: t, mark: z.peak * 0.999 });
    dip(now() + 100);
    tick(60_000);
    engine.update();
    saving.update();
    const after = await registry.dispatchLine('/calibration ETH', caller, services);
    expect(after.text).toMatch(/binance: calibrated on 25 liquidations \(\$500k\) over the last 1 min/);
    expect(after.text).toMatch(/bybit: prior mix/);
    const zonesText = (await registry.dispatchLine('/zones ETH', caller, services)).text;
    expect(zonesText).toMatch(/Leverage mix: calibrated on 25 liquidations \(\$500k\) over the last 1 min \(binance\); prior mix on bybit\./);
    // restart-safe: the evidence of an engine that saw the same prints, saved and restored into a new engine
    expect(await saving.saveCalibration()).toBe(1); // only states with evidence are saved
    const restarted = new ZoneEngine(new MarketState(), { symbols: () => ['ETH'], now, calibrationStore: store });
    expect(await restarted.loadCalibration()).toEqual({ restored: 1, skipped: 0 });
    expect(restarted.calibrationSummary('ETH').find((c) => c.venue === 'binance')).toMatchObject({ status: 'calibrated', prints: 25 });
  });

  it('/zones handles unknown symbols, warming up and a missing engine', async () => {
    const { services } = setup();
    const unknown = await registry.dispatchLine('/zones ETX', caller, services);
    expect(unknown.ok).toBe(false);
    expect(unknown.text).toMatch(/Unknown symbol "ETX"\. Did you mean ETH/);
    expect(unknown.text).toMatch(/Usage: \/zones SYMBOL/);
    const warming = await registry.dispatchLine('/zones SOL', caller, services);
    expect(warming.ok).toBe(false);
    expect(warming.text).toMatch(/No data yet for SOL, warming up/);
    const { zones: _z, ...without } = services;
    expect((await registry.dispatchLine('/zones ETH', caller, without)).text).toMatch(/not available/);
    expect((await registry.dispatchLine('/exit ETH long 3000 20', caller, without)).text).toMatch(/not available/);
  });

  it('/exit gives the bracket-exact liquidation price, targets, stop and warnings', async () => {
    const { services, chartCalls, engine } = setup();
    const r = await registry.dispatchLine('/exit ETH long 3,000 20x', caller, services);
    expect(r.ok).toBe(true);
    const liq = (3000 * 0.95) / 0.996;
    const field = r.fields?.find((f) => f.name === 'Liquidation price');
    expect(field?.value).toMatch(/^2,861\.4/);
    const data = r.data as { liquidationPrice: number; targets: { price: number }[]; stop: { price: number } | null; warnings: string[]; sizeUsd: number; venue: string };
    expect(data.liquidationPrice).toBeCloseTo(liq, 9);
    expect(data.sizeUsd).toBe(10_000);
    expect(data.venue).toBe('binance');
    expect(Array.isArray(data.targets)).toBe(true);
    expect(data.targets.every((t) => t.price > 3000)).toBe(true);
    expect(data.stop!.price).toBeGreaterThan(liq);
    expect(Array.isArray(data.warnings)).toBe(true);
    expect(r.image?.name).toBe('exit-ETH.png');
    expect(chartCalls.at(-1)).toBe(`exit:ETH:${data.liquidationPrice}`);
    const plan = engine.planExit({ symbol: 'ETH', side: 'long', entry: 3000, leverage: 20, sizeUsd: 10_000, venue: 'binance' });
    expect('error' in plan ? undefined : plan.targets).toEqual(data.targets);
  });

  it('/exit explains bad input in one line with usage', async () => {
    const { services } = setup();
    const cases: [string, RegExp][] = [
      ['/exit ETH long', /Missing entry/],
      ['/exit ETH long 0 20', /Entry must be a price above 0/],
      ['/exit ETH long -5 20', /Entry must be a price above 0/],
      ['/exit ETH long 3000 0.5', /Leverage must be at least 1/],
      ['/exit ETH long 3000 150x', /150x is above the maximum of 125x for a \$10k position on Binance ETH/],
      ['/exit ETH long 3000 100 1m', /above the maximum of 75x for a \$1M position/],
      ['/exit ETX long 3000 20', /Unknown symbol "ETX"\. Did you mean ETH/],
      ['/exit ETH sideways 3000 20', /Side must be one of long, short/],
      ['/exit SOL long 100 5', /No data yet for SOL, warming up/],
    ];
    for (const [line, want] of cases) {
      const r = await registry.dispatchLine(line, caller, services);
      expect(r.ok, line).toBe(false);
      expect(r.text, line).toMatch(want);
      expect(r.text.split('\n')[0]!.length, line).toBeLessThan(160);
      // Each refusal carries its own hint; option-level parse errors add the usage line.
      expect(r.text, line).toMatch(/e\.g\.|Usage: \/exit SYMBOL|Did you mean|use at most|warming up/);
    }
  });

  it('/exit on Bybit without tiers says it used the generic table', async () => {
    const { services } = setup();
    const r = await registry.dispatchLine('/exit BTC short 100000 10 25k bybit', caller, services);
    expect(r.ok).toBe(true);
    expect((r.data as { warnings: string[] }).warnings.some((w) => /generic bracket table/.test(w))).toBe(true);
  });
});
