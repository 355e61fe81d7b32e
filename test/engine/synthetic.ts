import type { LevelSource } from '../../src/engine/levels.ts';
import type { ZoneSnapshot } from '../../src/engine/types.ts';
import { buildZoneSnapshot } from '../../src/engine/zones.ts';
import type { MarketEvent, PositionSide, Venue } from '../../src/market/types.ts';

/** A constructed market for the engine tests: one closed 1m bar, one OI point and one mark per minute. */
export interface SynthOptions {
  symbol: string;
  venue?: Venue;
  /** Start time, ms (minute-aligned). */
  start: number;
  minutes: number;
  /** Price at the end of minute m (m = 0 is the start price). */
  price: (m: number) => number;
  /** Open interest in coins at the end of minute m. */
  oi: (m: number) => number;
  /** Taker-buy fraction of minute m's volume (default 0.5). */
  buyFrac?: (m: number) => number;
  /** Base volume per minute (default 10). */
  volume?: number;
  /** Extra events per minute (e.g. liquidations), stamped inside minute m. */
  extra?: (m: number, t: number) => MarketEvent[];
}

export function synthEvents(o: SynthOptions): MarketEvent[] {
  const venue = o.venue ?? 'binance';
  const base = { venue, symbol: o.symbol } as const;
  const out: MarketEvent[] = [];
  const p0 = o.price(0);
  out.push({ ...base, kind: 'oi', exchTime: o.start, recvTime: o.start, oiBase: o.oi(0), oiUsd: o.oi(0) * p0 });
  out.push({ ...base, kind: 'mark', exchTime: o.start, recvTime: o.start, mark: p0 });
  for (let m = 1; m <= o.minutes; m++) {
    const openTime = o.start + (m - 1) * 60_000;
    const end = openTime + 60_000;
    const open = o.price(m - 1);
    const close = o.price(m);
    const volume = o.volume ?? 10;
    const buy = volume * (o.buyFrac?.(m) ?? 0.5);
    out.push(...(o.extra?.(m, openTime + 30_000) ?? []));
    out.push({
      ...base,
      kind: 'bar',
      exchTime: end,
      recvTime: end,
      openTime,
      open,
      high: Math.max(open, close),
      low: Math.min(open, close),
      close,
      volume,
      takerBuyVolume: buy,
    });
    out.push({ ...base, kind: 'oi', exchTime: end, recvTime: end, oiBase: o.oi(m), oiUsd: o.oi(m) * close });
    out.push({ ...base, kind: 'mark', exchTime: end, recvTime: end, mark: close });
  }
  return out;
}

export function liquidation(symbol: string, venue: Venue, t: number, side: PositionSide, price: number, notionalUsd: number): MarketEvent {
  return { venue, symbol, kind: 'liquidation', exchTime: t, recvTime: t, side, price, qty: notionalUsd / price, notionalUsd };
}

export const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

/* Hand-made level sources for zone and exit tests. */

type Lvl = [side: PositionSide, leverageIndex: number, price: number, usd: number];

export function source(venue: Venue, levels: Lvl[]): LevelSource {
  return {
    venue,
    forEachLevel(lo, hi, fn) {
      for (const [side, j, p, usd] of levels) if (p >= lo && p <= hi) fn(side, j, p, usd);
    },
  };
}

export const LEVERAGES = [10, 50, 100];

/**
 * Around price 1000 (bins of 0.5 when ATR ≤ 5). Below: a big cluster 990–991.5 (binance 100x +
 * bybit 50x) and a small one at 980; above: 1010–1011 and a two-peaked run 1020–1023 with a deep valley at 1021–1022.
 */
export function exampleSources(shift = 0): LevelSource[] {
  return [
    source('binance', [
      ['long', 2, 990.2 + shift, 3e6],
      ['long', 2, 990.7 + shift, 5e6],
      ['long', 2, 991.2 + shift, 2e6],
      ['long', 0, 980.1, 1e6],
      ['short', 1, 1010.2, 2e6],
      ['short', 1, 1010.7, 2e6],
      ['short', 0, 1020.2, 4e6],
      ['short', 0, 1020.7, 4e6],
      ['short', 0, 1021.2, 0.2e6],
      ['short', 0, 1021.7, 0.2e6],
      ['short', 0, 1022.2, 4e6],
      ['short', 0, 1022.7, 4e6],
    ]),
    source('bybit', [['long', 1, 990.7 + shift, 1e6]]),
  ];
}

export function snapshotOf(sources: LevelSource[], previous?: ZoneSnapshot, price = 1000, atr = 0): ZoneSnapshot {
  return buildZoneSnapshot({ symbol: 'ETH', t: 1000, price, atr, dataAgeMs: 500, seq: (previous?.seq ?? 0) + 1, sources, leverages: LEVERAGES, previous });
}

