/** Constructed chart cases for the layout snapshot tests: a crowded map and a PEPE-scale one. */
import type { ExitPlan, LiquidationBin, Zone, ZoneSnapshot } from '../src/engine/types.ts';

/**
 * Eleven zones packed within ±4 % of the price: neighbours that touch and overlap (shadings that
 * would stack), a large zone running off the left edge, and every rank 1–6 on both sides.
 */
export function crowdedSnapshot(symbol = 'ETH', price = 3150): ZoneSnapshot {
  const binSize = price * 0.001;
  const spec: [side: 'long' | 'short', lowPct: number, highPct: number, usd: number][] = [
    ['short', 0.3, 0.6, 9.1e6],
    ['short', 0.55, 0.9, 12.5e6], // overlaps the previous one
    ['short', 1.0, 1.3, 7.4e6],
    ['short', 1.35, 1.6, 21e6],
    ['short', 1.7, 2.2, 5.2e6],
    ['short', 2.3, 2.9, 892e3],
    ['long', -0.7, -0.35, 6.6e6],
    ['long', -1.1, -0.75, 670e3],
    ['long', -1.5, -1.05, 31e6], // overlaps the previous one
    ['long', -2.0, -1.6, 4.4e6],
    ['long', -30, -2.3, 88e6], // runs far past the left edge
  ];
  const zones: Zone[] = spec.map(([side, lo, hi, usd]) => {
    const low = price * (1 + lo / 100);
    const high = price * (1 + hi / 100);
    const near = side === 'long' ? high : low;
    return {
      id: `${symbol}:${side}:${lo}`,
      side,
      low,
      high,
      peak: (low + high) / 2,
      notionalUsd: usd,
      share: 0,
      distancePct: ((near - price) / price) * 100,
      distanceAtr: 0,
      rank: 0,
      leverage: {},
      venues: { binance: usd },
    };
  });
  for (const side of ['long', 'short'] as const) {
    const mine = zones.filter((z) => z.side === side).sort((a, b) => b.notionalUsd - a.notionalUsd);
    const total = mine.reduce((s, z) => s + z.notionalUsd, 0);
    mine.forEach((z, i) => Object.assign(z, { rank: i + 1, share: z.notionalUsd / total }));
  }
  zones.sort((a, b) => Math.abs(a.distancePct) - Math.abs(b.distancePct));
  const bins: LiquidationBin[] = [];
  for (let i = -60; i <= 60; i++) {
    const p = price + i * binSize;
    const inZone = zones.filter((z) => p >= z.low && p <= z.high);
    const usd = inZone.reduce((s, z) => s + z.notionalUsd / Math.max(1, (z.high - z.low) / binSize), 0) + 1e5;
    bins.push({ price: p, longUsd: p < price ? usd : 0, shortUsd: p >= price ? usd : 0 });
  }
  return { symbol, t: Date.UTC(2026, 10, 3, 14, 30), price, atr: price * 0.012, binSize, bins, zones, venues: ['binance', 'bybit'], dataAgeMs: 2400, seq: 1 };
}

/** A long plan whose lines crowd each other: entry just under price, T1 and T2 close, stop next to liq. */
export function crowdedPlan(snap: ZoneSnapshot): ExitPlan {
  const p = snap.price;
  return {
    request: { symbol: snap.symbol, side: 'long', entry: p * 0.998, leverage: 50, sizeUsd: 10_000, venue: 'binance' },
    price: p,
    liquidationPrice: p * 0.9815,
    bracket: { notionalCap: 50_000, maxLeverage: 125, maintMarginRatio: 0.004, maintAmount: 0 },
    targets: [
      { price: p * 1.0029, distancePct: 0.29, zoneId: 'a', zoneUsd: 9.1e6 },
      { price: p * 1.0052, distancePct: 0.52, zoneId: 'b', zoneUsd: 12.5e6 },
    ],
    stop: { price: p * 0.9835, distancePct: -1.65, reason: 'below the cluster' },
    warnings: [],
  } as unknown as ExitPlan;
}
