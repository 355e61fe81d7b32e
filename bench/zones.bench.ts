/**
 * Zone engine costs: one level-book update per interval for 21 symbols, one zones snapshot, a full
 * engine update, and /zones reply latency read from a snapshot (goal p99 < 2 ms), each against a
 * baseline measured in the same run.
 */
import { allCommands } from '../commands/index.ts';
import type { Caller } from '../src/bot/command.ts';
import { CommandRegistry } from '../src/bot/registry.ts';
import type { Services } from '../src/bot/services.ts';
import { ZoneEngine } from '../src/engine/zone-engine.ts';
import { buildZoneSnapshot } from '../src/engine/zones.ts';
import { MarketState } from '../src/market/state.ts';
import { DEFAULT_SYMBOLS } from '../src/market/symbols.ts';
import type { MarketEvent, Venue } from '../src/market/types.ts';
import type { BenchRow } from './run.ts';
import { mulberry32 } from '../testkit/random.ts';

const MIN = 60_000;
const START = Date.UTC(2026, 0, 5);
const VENUES: Venue[] = ['binance', 'bybit'];

const rng = mulberry32;

interface Walk {
  price: number;
  oi: number;
}

function minuteEvents(symbol: string, venue: Venue, m: number, w: Walk, rand: () => number): MarketEvent[] {
  const open = w.price;
  w.price *= 1 + (rand() - 0.5) * 0.004;
  w.oi *= 1 + (rand() - 0.48) * 0.002;
  const openTime = START + m * MIN;
  const end = openTime + MIN;
  const base = { venue, symbol } as const;
  return [
    {
      ...base,
      kind: 'bar',
      exchTime: end,
      recvTime: end,
      openTime,
      open,
      high: Math.max(open, w.price) * (1 + rand() * 0.001),
      low: Math.min(open, w.price) * (1 - rand() * 0.001),
      close: w.price,
      volume: 100,
      takerBuyVolume: 100 * rand(),
    },
    { ...base, kind: 'oi', exchTime: end, recvTime: end, oiBase: w.oi, oiUsd: w.oi * w.price },
    { ...base, kind: 'mark', exchTime: end, recvTime: end, mark: w.price, fundingRateHourly: 0.0000125 },
  ];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function timeEach(n: number, fn: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

async function timeEachAsync(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

export default async function bench(): Promise<BenchRow[]> {
  const symbols = [...DEFAULT_SYMBOLS];
  const rand = rng(7);
  const state = new MarketState();
  const walks = new Map<string, Walk>();
  symbols.forEach((s, i) => VENUES.forEach((v) => walks.set(`${s}:${v}`, { price: 10 * (i + 1) ** 2, oi: 1e6 / (i + 1) })));
  const HISTORY = 24 * 60;
  for (let m = 0; m < HISTORY; m++) {
    for (const s of symbols) for (const v of VENUES) for (const e of minuteEvents(s, v, m, walks.get(`${s}:${v}`)!, rand)) state.apply(e);
  }
  let clock = START + HISTORY * MIN;
  const engine = new ZoneEngine(state, { symbols: () => symbols, now: () => clock });

  const tBoot = performance.now();
  engine.update();
  const bootMs = performance.now() - tBoot;

  // One new minute per venue and symbol, then the level-book update for all 21 symbols.
  const INTERVALS = 60;
  const levelMs: number[] = [];
  const applyMs: number[] = [];
  for (let k = 0; k < INTERVALS; k++) {
    const m = HISTORY + k;
    const t0 = performance.now();
    for (const s of symbols) for (const v of VENUES) for (const e of minuteEvents(s, v, m, walks.get(`${s}:${v}`)!, rand)) state.apply(e);
    applyMs.push(performance.now() - t0);
    clock = START + (m + 1) * MIN;
    const t1 = performance.now();
    for (const s of symbols) engine.levels.update(state, s, clock);
    levelMs.push(performance.now() - t1);
  }

  // One snapshot (bins + zones + ids) for ETH, against re-reading its levels only.
  const previous = engine.snapshot('ETH');
  engine.update();
  const snap = engine.snapshot('ETH')!;
  const sources = engine.levels.venues('ETH');
  const snapTimes = timeEach(300, () =>
    buildZoneSnapshot({ symbol: 'ETH', t: clock, price: snap.price, atr: snap.atr, dataAgeMs: 0, seq: 1, sources, leverages: engine.levels.leverages, previous }),
  );
  const scanTimes = timeEach(300, () => {
    let sum = 0;
    for (const src of sources) src.forEachLevel(snap.price * 0.75, snap.price * 1.25, (_s, _j, _p, usd) => (sum += usd));
    if (sum < 0) throw new Error('unreachable');
  });

  // The same engine without leverage-mix calibration (prior mix, 5 leverages instead of the 13 of the calibration grid).
  const plain = new ZoneEngine(state, { symbols: () => symbols, now: () => clock, calibration: false });
  plain.update();
  const updateTimes: number[] = [];
  const plainTimes: number[] = [];
  for (let k = 0; k < 20; k++) {
    clock += 3000;
    updateTimes.push(timeEach(1, () => engine.update())[0]!);
    plainTimes.push(timeEach(1, () => plain.update())[0]!);
  }
  updateTimes.sort((a, b) => a - b);
  plainTimes.sort((a, b) => a - b);

  // /zones text reply from a snapshot, against JSON.stringify of the same snapshot.
  const caller: Caller = { platform: 'console', userId: 'bench', chatId: 'console', isPrivate: true, canManage: true };
  const services: Services = {
    now: () => clock,
    status: () => ({ mode: 'demo', startedAt: START, now: clock, venues: [] }),
    symbols: {
      tracked: () => symbols,
      instruments: () => [],
      instrument: () => undefined,
      byVenueSymbol: () => undefined,
      skipped: () => [],
      venuesOf: () => VENUES,
    },
    zones: engine,
  };
  const registry = new CommandRegistry(allCommands());
  const N = 3000;
  for (let i = 0; i < 200; i++) await registry.dispatchLine('/zones ETH', caller, services); // warm-up
  const replyTimes = await timeEachAsync(N, () => registry.dispatchLine('/zones ETH', caller, services));
  const current = engine.snapshot('ETH')!;
  const jsonTimes = timeEach(N, () => JSON.stringify(current));

  const levels = engine.levels.venues('ETH').reduce((a, v) => a + v.levelCount(), 0);
  return [
    { name: 'bootstrap: level book + snapshots from 24 h, 21 symbols', value: bootMs, unit: 'ms', note: `${symbols.length * VENUES.length} venue-symbols` },
    {
      name: 'level-book update per interval, 21 symbols',
      value: mean(levelMs),
      unit: 'ms',
      ratio: mean(levelMs) / mean(applyMs),
      note: `baseline: applying that minute's events to MarketState ${mean(applyMs).toFixed(3)} ms`,
    },
    {
      name: 'zones snapshot, one symbol (p50)',
      value: percentile(snapTimes, 0.5) * 1000,
      unit: 'µs',
      ratio: percentile(snapTimes, 0.5) / percentile(scanTimes, 0.5),
      note: `baseline: scanning its ${levels} levels ${(percentile(scanTimes, 0.5) * 1000).toFixed(1)} µs; ${current.bins.length} bins, ${current.zones.length} zones`,
    },
    {
      name: 'engine.update(), 21 symbols (p50)',
      value: percentile(updateTimes, 0.5),
      unit: 'ms',
      ratio: percentile(updateTimes, 0.5) / percentile(plainTimes, 0.5),
      goal: 'calibration adds < 1 ms per symbol',
      note: `without calibration ${percentile(plainTimes, 0.5).toFixed(2)} ms: +${((percentile(updateTimes, 0.5) - percentile(plainTimes, 0.5)) / symbols.length).toFixed(3)} ms per symbol`,
    },
    {
      name: '/zones reply from a snapshot p50',
      value: percentile(replyTimes, 0.5) * 1000,
      unit: 'µs',
      ratio: percentile(replyTimes, 0.5) / percentile(jsonTimes, 0.5),
      note: `baseline JSON.stringify(snapshot) p50 ${(percentile(jsonTimes, 0.5) * 1000).toFixed(1)} µs`,
    },
    {
      name: '/zones reply from a snapshot p99',
      value: percentile(replyTimes, 0.99) * 1000,
      unit: 'µs',
      ratio: percentile(replyTimes, 0.99) / percentile(jsonTimes, 0.99),
      goal: 'p99 < 2000 µs',
      note: `baseline JSON.stringify(snapshot) p99 ${(percentile(jsonTimes, 0.99) * 1000).toFixed(1)} µs`,
    },
  ];
}
