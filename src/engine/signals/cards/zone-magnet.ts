import type { Timeframe } from '../../types.ts';
import type { CardInput } from '../input.ts';
import { TIMEFRAME_SPECS } from '../spec.ts';
import { type Card, type CardOutput, directional, flat, saturate, usd } from './card.ts';

/** A zone map older than this (market clock) is trusted less and less. */
const STALE_MS = 5 * 60_000;

/**
 * The "magnet": estimated short-liquidation mass above the price against long-liquidation mass
 * below, within the distance price plausibly travels on this timeframe, nearer bins weighing more.
 * More fuel above leans up (a squeeze would feed on it), more below leans down.
 */
export const zoneMagnet: Card = {
  id: 'zone-magnet',
  label: 'zone magnet',
  prior: 1,
  read(input: CardInput, tf: Timeframe): CardOutput {
    const z = input.zones;
    if (!z || z.bins.length === 0 || !(z.atr > 0)) return flat('no liquidation map yet');
    const reach = TIMEFRAME_SPECS[tf].reachAtr * z.atr;
    const p = input.price;
    let above = 0;
    let below = 0;
    let mapTotal = 0;
    for (const b of z.bins) {
      mapTotal += b.longUsd + b.shortUsd;
      const d = Math.abs(b.price - p);
      if (d > reach) continue;
      const w = 1 - d / reach;
      if (b.price > p) above += b.shortUsd * w;
      else if (b.price < p) below += b.longUsd * w;
    }
    const confidence = freshness(input.t - z.t) * Math.min(1, z.venues.length / 2) * 0.8;
    const reachPct = ((reach / p) * 100).toFixed(2);
    if (above + below <= 0 || mapTotal <= 0) return flat(`no estimated liquidation mass within ±${reachPct}%`, confidence * 0.5);
    const imbalance = (above - below) / (above + below);
    // a lopsided but tiny pocket of mass says little: scale by how much of the map sits within reach
    const nearShare = (above + below) / mapTotal;
    const score = imbalance * (0.4 + 0.6 * saturate(nearShare / 0.15));
    const heavier = above >= below ? 'short-liq mass above' : 'long-liq mass below';
    const ratio = Math.max(above, below) / Math.max(Math.min(above, below), 1);
    const ratioText = Math.min(above, below) < 1 ? 'only' : `${ratio.toFixed(1)}×`;
    return directional(
      score,
      confidence,
      `${ratioText} ${heavier} within ±${reachPct}% (${usd(above)} above vs ${usd(below)} below, distance-weighted, estimated)`,
    );
  },
};

function freshness(ageMs: number): number {
  if (ageMs <= STALE_MS) return 1;
  return Math.max(0, 1 - (ageMs - STALE_MS) / (4 * STALE_MS));
}
