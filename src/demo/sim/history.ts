/**
 * Minute history of one simulated venue+symbol: 1-minute bars built from the simulator's own
 * trades (so REST bootstrap bars agree with the live trade stream) and open interest sampled at
 * every minute close. Requests reaching past the recorded span are served from a synthetic
 * prehistory that walks backward from the earliest recorded minute, so it joins without a gap.
 */
import type { TakerSide } from '../../market/types.ts';
import { Rng } from './rng.ts';

export const MINUTE_MS = 60_000;

export interface MinuteRecord {
  /** Open time, aligned to the minute. */
  t: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  takerBuyVolume: number;
  /** Open interest at the minute's close. */
  oiBase: number;
  oiUsd: number;
}

export class MinuteRecorder {
  readonly minutes: MinuteRecord[] = [];
  private t: number;
  private open = 0;
  private high = 0;
  private low = 0;
  private close: number;
  private volume = 0;
  private takerBuy = 0;
  private traded = false;

  /** Starts recording at the first whole minute at or after `start`; earlier trades are ignored. */
  constructor(
    start: number,
    lastPrice: number,
    private readonly maxMinutes: number,
  ) {
    this.t = Math.ceil(start / MINUTE_MS) * MINUTE_MS;
    this.close = lastPrice;
  }

  addTrade(time: number, price: number, qty: number, side: TakerSide): void {
    if (time < this.t) return;
    if (!this.traded) {
      this.open = this.high = this.low = price;
      this.traded = true;
    } else {
      if (price > this.high) this.high = price;
      if (price < this.low) this.low = price;
    }
    this.close = price;
    this.volume += qty;
    if (side === 'buy') this.takerBuy += qty;
  }

  /** Closes the current minute when `time` is its end; a minute without trades repeats the last close. */
  closeIfDue(time: number, oiBase: number): void {
    if (time !== this.t + MINUTE_MS) return;
    const c = this.close;
    this.minutes.push({
      t: this.t,
      open: this.traded ? this.open : c,
      high: this.traded ? this.high : c,
      low: this.traded ? this.low : c,
      close: c,
      volume: this.volume,
      takerBuyVolume: this.takerBuy,
      oiBase,
      oiUsd: oiBase * c,
    });
    if (this.minutes.length > this.maxMinutes * 1.25) this.minutes.splice(0, this.minutes.length - this.maxMinutes);
    this.t += MINUTE_MS;
    this.volume = this.takerBuy = 0;
    this.traded = false;
  }
}

export interface PrehistoryParams {
  seed: number;
  salt: number;
  /** Log-volatility of one minute. */
  sigmaMinute: number;
  /** Fallbacks when nothing was recorded yet. */
  fallback: { t: number; price: number; volume: number; oiBase: number };
  round: (price: number) => number;
}

/**
 * `count` synthetic minutes immediately before `recorded[0]` (or before the fallback time), oldest
 * first. Deterministic for (seed, salt, anchor time), so every venue gets the same shape.
 */
export function prehistory(recorded: readonly MinuteRecord[], count: number, p: PrehistoryParams): MinuteRecord[] {
  if (count <= 0) return [];
  const first = recorded[0];
  const anchorT = first ? first.t : p.fallback.t;
  const rng = new Rng(p.seed, (p.salt ^ Math.floor(anchorT / MINUTE_MS)) >>> 0);
  const sample = recorded.slice(0, 60);
  const avgVolume = sample.length > 0 ? sample.reduce((a, m) => a + m.volume, 0) / sample.length : p.fallback.volume;
  let nextOpen = first ? first.open : p.fallback.price;
  let oi = first ? first.oiBase : p.fallback.oiBase;
  const out: MinuteRecord[] = new Array<MinuteRecord>(count);
  for (let k = 1; k <= count; k++) {
    const ret = p.sigmaMinute * rng.normal();
    const close = nextOpen;
    const open = p.round(close * Math.exp(-ret));
    const high = p.round(Math.max(open, close) * (1 + Math.abs(rng.normal()) * p.sigmaMinute * 0.5));
    const low = p.round(Math.min(open, close) * (1 - Math.abs(rng.normal()) * p.sigmaMinute * 0.5));
    const volume = avgVolume * rng.logNormal(1, 0.5);
    const buyShare = Math.min(0.9, Math.max(0.1, 0.5 + 0.12 * Math.max(-2, Math.min(2, ret / p.sigmaMinute)) + 0.04 * rng.normal()));
    out[count - k] = {
      t: anchorT - k * MINUTE_MS,
      open,
      high: Math.max(high, open, close),
      low: Math.min(low, open, close),
      close,
      volume,
      takerBuyVolume: volume * buyShare,
      oiBase: oi,
      oiUsd: oi * close,
    };
    nextOpen = open;
    oi *= Math.exp(0.0008 * rng.normal());
  }
  return out;
}
