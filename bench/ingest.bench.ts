/**
 * Ingest on one core: frames per second through the whole path (raw frame string → JSON.parse →
 * venue mapper → MarketState.apply) against the floor of JSON.parse alone on the same frames, in the
 * same run. Rounds alternate floor and full path; the best of each counts (noisy machines only ever
 * make a run slower). Goal: full path ≥ 0.6 of the floor for Binance aggTrade.
 * Run: `npx tsx bench/run.ts ingest`.
 */
import type { BenchRow } from './run.ts';
import { MarketState } from '../src/market/state.ts';
import type { MarketEvent } from '../src/market/types.ts';
import { createBinanceMapper } from '../src/venues/binance/mapper.ts';
import { createBybitMapper } from '../src/venues/bybit/mapper.ts';
import { buildRegistry } from '../src/venues/registry.ts';
import { mulberry32 } from '../testkit/random.ts';

const FRAMES = 200_000;
const ROUNDS = 7;
const START = 1_780_000_000_000;

/** Venue name and a typical price, so frames look like the real ones (decimals, magnitudes). */
const MARKET: Array<[string, number, number]> = [
  ['BTCUSDT', 64231.5, 0.1],
  ['ETHUSDT', 3120.45, 0.01],
  ['SOLUSDT', 142.318, 0.001],
  ['XRPUSDT', 0.5123, 0.0001],
  ['DOGEUSDT', 0.12345, 0.00001],
  ['1000PEPEUSDT', 0.0123456, 0.0000001],
  ['LINKUSDT', 14.213, 0.001],
  ['SUIUSDT', 1.0234, 0.0001],
];
const SYMBOLS = ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'PEPE', 'LINK', 'SUI'];


function decimalsOf(tick: number): number {
  return Math.max(0, Math.round(-Math.log10(tick)));
}

/** Combined-stream aggTrade frames as Binance sends them in 2026 (with nq and st). */
function binanceFrames(n: number): string[] {
  const rand = mulberry32(1);
  const out: string[] = new Array(n);
  let id = 5_933_014;
  for (let i = 0; i < n; i++) {
    const [name, price, tick] = MARKET[i % MARKET.length]!;
    const p = (price * (1 + (rand() - 0.5) * 0.01)).toFixed(decimalsOf(tick));
    const q = (0.001 + rand() * 3).toFixed(3);
    const t = START + i * 5;
    const data = { e: 'aggTrade', E: t + 3, s: name, a: id, p, q, nq: q, f: id * 3, l: id * 3 + 2, T: t, m: rand() < 0.5, st: 1 };
    id++;
    out[i] = JSON.stringify({ stream: `${name.toLowerCase()}@aggTrade`, data });
  }
  return out;
}

/** publicTrade frames as Bybit sends them, one trade each (the common case). */
function bybitFrames(n: number): string[] {
  const rand = mulberry32(2);
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const [name, price, tick] = MARKET[i % MARKET.length]!;
    const p = (price * (1 + (rand() - 0.5) * 0.01)).toFixed(decimalsOf(tick));
    const t = START + i * 5;
    const trade = { T: t, s: name, S: rand() < 0.5 ? 'Buy' : 'Sell', v: (0.001 + rand() * 3).toFixed(3), p, L: 'PlusTick', i: `20f43950-d8dd-5b31-9112-${(100_000_000_000 + i).toString(16)}`, BT: false, RPI: false, seq: 1_783_284_617 + i };
    out[i] = JSON.stringify({ topic: `publicTrade.${name}`, type: 'snapshot', ts: t + 3, data: [trade] });
  }
  return out;
}

interface Mapper {
  map(msg: unknown, recvTime: number): MarketEvent[] | null;
}

interface PassTime {
  /** Wall-clock frames per second. */
  wall: number;
  /** Frames per second of this process's CPU time (less sensitive to other load on the machine). */
  cpu: number;
}

function timed(frames: number, run: () => void): PassTime {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  run();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall: frames / (ms / 1000), cpu: frames / ((c.user + c.system) / 1e6) };
}

function floorPass(frames: string[]): PassTime {
  let sink = 0;
  const t = timed(frames.length, () => {
    for (let i = 0; i < frames.length; i++) {
      const msg = JSON.parse(frames[i]!) as object;
      if (msg !== null) sink++;
    }
  });
  if (sink !== frames.length) throw new Error('floor pass lost frames');
  return t;
}

function fullPass(frames: string[], mapper: Mapper): PassTime {
  const state = new MarketState();
  let malformed = 0;
  const t = timed(frames.length, () => {
    for (let i = 0; i < frames.length; i++) {
      const evs = mapper.map(JSON.parse(frames[i]!), START + i * 5);
      if (evs === null) malformed++;
      else for (let j = 0; j < evs.length; j++) state.apply(evs[j]!);
    }
  });
  if (malformed > 0 || state.counts.trade !== frames.length) throw new Error(`full pass: ${malformed} malformed, ${state.counts.trade} trades applied`);
  return t;
}

function measure(label: string, frames: string[], mapper: Mapper): BenchRow[] {
  const floor = { wall: 0, cpu: 0 };
  const full = { wall: 0, cpu: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    const a = floorPass(frames);
    const b = fullPass(frames, mapper);
    floor.wall = Math.max(floor.wall, a.wall);
    floor.cpu = Math.max(floor.cpu, a.cpu);
    full.wall = Math.max(full.wall, b.wall);
    full.cpu = Math.max(full.cpu, b.cpu);
  }
  return [
    { name: `${label}: JSON.parse only (floor)`, value: floor.wall, unit: 'frames/s', note: `${frames.length} frames, best of ${ROUNDS}` },
    {
      name: `${label}: parse → mapper → MarketState`,
      value: full.wall,
      unit: 'frames/s',
      ratio: full.wall / floor.wall,
      goal: '≥ 0.6 of floor',
      note: `CPU-time ratio ${(full.cpu / floor.cpu).toFixed(3)}`,
    },
  ];
}

export default async function ingestBench(): Promise<BenchRow[]> {
  const reg = buildRegistry({ symbols: SYMBOLS, venues: ['binance', 'bybit'] });
  return [
    ...measure('binance aggTrade', binanceFrames(FRAMES), createBinanceMapper(reg)),
    ...measure('bybit publicTrade', bybitFrames(FRAMES), createBybitMapper(reg)),
  ];
}
