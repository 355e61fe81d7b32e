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

/** OKX v5 `trades` pushes on USDT swaps, one trade each; sizes in contracts. */
export function okxFrames(n: number): string[] {
  const rand = prng(3);
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const [name, price, tick] = MARKET[i % MARKET.length]!;
    const pepe = name.startsWith('1000');
    const instId = `${pepe ? name.slice(4, -4) : name.slice(0, -4)}-USDT-SWAP`;
    // OKX quotes per coin: PEPE's price is a thousandth of Binance's 1000PEPE
    const p = ((pepe ? price / 1000 : price) * (1 + (rand() - 0.5) * 0.01)).toFixed(decimalsOf(pepe ? tick / 1000 : tick));
    const t = START + i * 5;
    const trade = { instId, tradeId: String(1_842_736_501 + i), px: p, sz: String(1 + Math.floor(rand() * 300)), side: rand() < 0.5 ? 'buy' : 'sell', ts: String(t), count: '1', source: '0', seqId: 9_000_000 + i };
    out[i] = JSON.stringify({ arg: { channel: 'trades', instId }, data: [trade] });
  }
  return out;
}

/** Hyperliquid `trades` pushes, one trade each, with the participants' addresses. */
export function hyperliquidFrames(n: number): string[] {
  const rand = prng(4);
  const out: string[] = new Array(n);
  const hex = (k: number) => `0x${Math.floor(rand() * 0xffffffff).toString(16).padStart(8, '0')}${'0'.repeat(31)}${k % 10}`;
  for (let i = 0; i < n; i++) {
    const [name, price, tick] = MARKET[i % MARKET.length]!;
    const pepe = name.startsWith('1000');
    const coin = pepe ? `k${name.slice(4, -4)}` : name.slice(0, -4);
    const p = (price * (1 + (rand() - 0.5) * 0.01)).toFixed(decimalsOf(tick));
    const trade = { coin, side: rand() < 0.5 ? 'B' : 'A', px: p, sz: (0.001 + rand() * 3).toFixed(4), time: START + i * 5, hash: `0x${'0'.repeat(64)}`, tid: 456_615_105_517_601 + i, users: [hex(i), hex(i + 1)] };
    out[i] = JSON.stringify({ channel: 'trades', data: [trade] });
  }
  return out;
}

export type BenchVenue = 'binance' | 'bybit' | 'okx' | 'hyperliquid';

export function framesOf(venue: BenchVenue, n: number): string[] {
  switch (venue) {
    case 'binance':
      return binanceFrames(n);
    case 'bybit':
      return bybitFrames(n);
    case 'okx':
      return okxFrames(n);
    case 'hyperliquid':
      return hyperliquidFrames(n);
  }
}
