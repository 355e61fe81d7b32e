/**
 * Venue frames for the ingest bench, built the same way in the bench process and in the loopback
 * venue child (same seed → same frames), so the floor and the live path see identical text.
 */

import { mulberry32 as prng } from '../../testkit/random.ts';

export const START = 1_780_000_000_000;

/** Venue name, a typical price and its tick, so frames look like the real ones (decimals, magnitudes). */
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
export const SYMBOLS = ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'PEPE', 'LINK', 'SUI'];

function decimalsOf(tick: number): number {
  return Math.max(0, Math.round(-Math.log10(tick)));
}

/** Combined-stream aggTrade frames as Binance sends them in 2026 (with nq and st). */
export function binanceFrames(n: number): string[] {
  const rand = prng(1);
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
export function bybitFrames(n: number): string[] {
  const rand = prng(2);
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

export type BenchVenue = 'binance' | 'bybit';

export function framesOf(venue: BenchVenue, n: number): string[] {
  return venue === 'binance' ? binanceFrames(n) : bybitFrames(n);
}
