import type { Zone } from '../../types.ts';
import type { Timeframe } from '../../types.ts';
import type { CardInput } from '../input.ts';
import { TIMEFRAME_SPECS } from '../spec.ts';
import { type Card, type CardOutput, clamp, directional, flat, pct, price, saturate } from './card.ts';

/** Buckets per half of the approach measurement. */
const HALF = 2;

/**
 * Approach deceleration toward the nearest zone: price heading for a cluster but slowing down
 * tends to be rejected before it (a lean away from the zone); price accelerating into it tends to
 * run into it (a weaker lean toward it).
 */
export const approachDeceleration: Card = {
  id: 'approach',
  label: 'approach deceleration',
  prior: 0.8,
  read(input: CardInput, tf: Timeframe): CardOutput {
    const z = input.zones;
    if (!z || !(z.atr > 0)) return flat('no liquidation map yet');
    const view = input.tf[tf];
    const close = view.close;
    const n = close.length;
    if (n < 2 * HALF + 1) return flat(`not enough ${tf} history yet`);
    const p = input.price;
    const reach = TIMEFRAME_SPECS[tf].reachAtr * z.atr;
    const target = nearestZone(z.zones, p, reach);
    if (!target) return flat(`no zone within reach on ${tf}`, 0.3);
    const { zone, distance } = target;
    const toward = zone.side === 'short' ? 1 : -1;
    const early = toward * (close[n - 1 - HALF]! - close[n - 1 - 2 * HALF]!);
    const late = toward * (close[n - 1]! - close[n - 1 - HALF]!);
    const noise = Math.max(view.returnRms * Math.sqrt(HALF) * p, p * 1e-5);
    const edge = zone.side === 'short' ? zone.low : zone.high;
    const where = `${zone.side} zone ${price(edge)} (${pct((edge - p) / p)})`;
    const confidence = 0.5 * saturate(view.filled / TIMEFRAME_SPECS[tf].buckets);
    if (early < 0.5 * noise) return flat(`not approaching the nearest ${where}`, confidence);
    const proximity = 1 - distance / reach;
    const ratio = late / early;
    if (ratio < 0.5) {
      const decel = clamp((1 - ratio) / 1.5, 0, 1);
      return directional(-toward * decel * proximity, confidence, `approaching ${where} but slowing (pace ×${ratio.toFixed(1)}): rejection risk`);
    }
    if (ratio > 1.5) {
      const accel = saturate((ratio - 1) / 2);
      return directional(toward * 0.5 * accel * proximity, confidence, `accelerating into ${where} (pace ×${ratio.toFixed(1)})`);
    }
    return flat(`approaching ${where} at a steady pace`, confidence);
  },
};

/** The nearest zone still ahead of the price (not yet entered) within reach, by near edge. */
function nearestZone(zones: Zone[], p: number, reach: number): { zone: Zone; distance: number } | undefined {
  let best: { zone: Zone; distance: number } | undefined;
  for (const zone of zones) {
    const distance = zone.side === 'short' ? zone.low - p : p - zone.high;
    if (distance < 0 || distance > reach) continue;
    if (!best || distance < best.distance) best = { zone, distance };
  }
  return best;
}
