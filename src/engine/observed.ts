/**
 * Zones from positions observed on Hyperliquid: the same clustering as the estimate, fed only with
 * actual liquidation prices and sizes (never mixed into the estimate). Pure.
 */
import type { LeverageShare, ObservedSummary } from '../market/observed.ts';
import type { LevelSource } from './levels.ts';
import type { ObservedZones, Zone, ZoneSnapshot } from './types.ts';
import { buildZoneSnapshot } from './zones.ts';

export interface ObservedZonesInput {
  symbol: string;
  t: number;
  price: number;
  atr: number;
  summary: ObservedSummary;
  leverageMix: LeverageShare[];
  /** Hyperliquid open interest in USD (single side), for coverage. */
  oiUsd?: number;
  previous?: ZoneSnapshot;
}

/** Observed zones of one symbol; undefined when no position is observed. */
export function buildObservedZones(input: ObservedZonesInput): ObservedZones | undefined {
  const { summary } = input;
  if (summary.positions === 0) return undefined;
  const leverages = [...new Set(summary.levels.map((l) => Math.max(1, Math.round(l.leverage))))].sort((a, b) => a - b);
  const index = new Map(leverages.map((l, i) => [l, i]));
  const source: LevelSource = {
    venue: 'hyperliquid',
    forEachLevel(lo, hi, fn) {
      for (const l of summary.levels) {
        if (l.liquidationPx >= lo && l.liquidationPx <= hi) fn(l.side, index.get(Math.max(1, Math.round(l.leverage)))!, l.liquidationPx, l.notionalUsd);
      }
    },
  };
  const snap = buildZoneSnapshot({
    // an id space of its own: observed zone ids never collide with estimated ones
    symbol: `${input.symbol}:OBS`,
    t: input.t,
    price: input.price,
    atr: input.atr,
    dataAgeMs: summary.refreshedAt !== undefined ? Math.max(0, input.t - summary.refreshedAt) : Number.POSITIVE_INFINITY,
    seq: (input.previous?.seq ?? 0) + 1,
    sources: [source],
    leverages,
    previous: input.previous,
  });
  const out = {
    zones: snap.zones as Zone[],
    positions: summary.positions,
    usd: summary.usd,
    accounts: summary.accounts,
    leverageMix: input.leverageMix,
  } as ObservedZones;
  // kept for id continuity between snapshots, but not serialized (snapshot bus, JSON replies)
  Object.defineProperty(out, 'snapshot', { value: snap, enumerable: false });
  if (summary.refreshedAt !== undefined) out.refreshedAt = summary.refreshedAt;
  if (summary.oldestSeenAt !== undefined) out.oldestSeenAt = summary.oldestSeenAt;
  if (input.oiUsd !== undefined && input.oiUsd > 0) out.coverage = summary.usd / (2 * input.oiUsd);
  return Object.freeze(out);
}
