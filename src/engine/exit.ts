import type { BracketTable } from './brackets.ts';
import { liquidationPrice } from './liquidation.ts';
import type { ExitPlan, ExitRequest, ExitTarget, Zone, ZoneSnapshot } from './types.ts';
import { formatPrice, formatUsd } from '../format/numbers.ts';

/**
 * The exit planner: the position's own liquidation price (the venue's bracket math), take-profit
 * targets just before the near edge of the next clusters in the profit direction, a stop that stays
 * out of the clusters on the losing side (stop hunts sweep through them) and before the liquidation
 * price, and warnings when the liquidation price sits in or near a cluster (cascade risk).
 */

export const DEFAULT_EXIT_SIZE_USD = 10_000;
const MAX_TARGETS = 3;

const venueName = (v: ExitRequest['venue']) => (v === 'bybit' ? 'Bybit' : 'Binance');

export function planExit(snapshot: ZoneSnapshot, req: ExitRequest, table: BracketTable): ExitPlan | { error: string } {
  if (!(req.entry > 0) || !Number.isFinite(req.entry)) return { error: 'Entry price must be a number above 0.' };
  if (!(req.sizeUsd > 0) || !Number.isFinite(req.sizeUsd)) return { error: 'Size must be a number of USD above 0.' };
  const liq = liquidationPrice(req.venue, table.brackets, { side: req.side, entry: req.entry, leverage: req.leverage, notionalUsd: req.sizeUsd });
  if (!liq.ok) {
    const where = `${venueName(req.venue)} ${req.symbol}`;
    return { error: liq.maxLeverage !== undefined ? `${liq.error.replace(/\.$/, '')} on ${where}.` : liq.error };
  }
  const long = req.side === 'long';
  const price = snapshot.price;
  const liqPrice = liq.price;
  const buffer = Math.max(snapshot.binSize * 0.25, price * 0.0001);
  const warnings: string[] = [];
  const fmt = (p: number) => formatPrice(p, snapshot.symbol);

  // Targets: clusters of the other side in the profit direction, beyond both price and entry.
  const beyond = long ? Math.max(price, req.entry) : Math.min(price, req.entry);
  const targetSide = long ? 'short' : 'long';
  const targets: ExitTarget[] = [];
  for (const z of snapshot.zones) {
    if (targets.length >= MAX_TARGETS) break;
    if (z.side !== targetSide) continue;
    const edge = long ? z.low - buffer : z.high + buffer;
    if (long ? edge <= beyond : edge >= beyond) continue;
    targets.push({ price: edge, zoneId: z.id, zoneUsd: z.notionalUsd, distancePct: ((edge - price) / price) * 100 });
  }

  // Stop: on the losing side, between the reference price and the liquidation price.
  const ownSide = req.side; // a long's losing side holds long-liquidation clusters (below), and vice versa
  const ownZones = snapshot.zones.filter((z) => z.side === ownSide);
  let stop: ExitPlan['stop'] = null;
  const ref = long ? Math.min(req.entry, price) : Math.max(req.entry, price);
  const liqGap = long ? ref - liqPrice : liqPrice - ref;
  if (long ? price <= liqPrice : price >= liqPrice) {
    warnings.push(`At the current price ${fmt(price)} this position would already be liquidated (liquidation ${fmt(liqPrice)}).`);
  } else if (liqGap > 0) {
    const limit = long ? liqPrice + 0.1 * liqGap : liqPrice - 0.1 * liqGap;
    const dist = Math.min(snapshot.atr, 0.8 * liqGap);
    let candidate = long ? ref - dist : ref + dist;
    let reason = dist < snapshot.atr ? '80 % of the way to the liquidation price' : '1 ATR(1h) beyond the entry side of price';
    for (let guard = 0; guard < ownZones.length + 1; guard++) {
      const hit = ownZones.find((z) => candidate >= z.low - buffer && candidate <= z.high + buffer);
      if (!hit) break;
      const past = long ? hit.low - buffer : hit.high + buffer;
      if (long ? past > limit : past < limit) {
        candidate = past;
        reason = `${long ? 'below' : 'above'} the ${hit.side}-liquidation cluster ${fmt(hit.low)}–${fmt(hit.high)}, not inside it (stop-hunt risk)`;
        continue;
      }
      const before = long ? hit.high + buffer : hit.low - buffer;
      if (long ? before < ref : before > ref) {
        candidate = before;
        reason = `${long ? 'above' : 'below'} the cluster ${fmt(hit.low)}–${fmt(hit.high)}: no room past it before liquidation`;
        warnings.push(
          `The ${hit.side}-liquidation cluster ${fmt(hit.low)}–${fmt(hit.high)} lies between price and your liquidation price; a sweep through it would stop you out. Consider lower leverage.`,
        );
      } else {
        reason = `inside the ${hit.side}-liquidation cluster ${fmt(hit.low)}–${fmt(hit.high)}: no room outside it before liquidation`;
        warnings.push(
          `Your stop sits inside the ${hit.side}-liquidation cluster ${fmt(hit.low)}–${fmt(hit.high)} (stop-hunt risk) and there is no room outside it before liquidation. Consider lower leverage.`,
        );
      }
      break;
    }
    stop = { price: candidate, reason };
  }

  // Cascade risk: own liquidation price in or near a cluster of the same side.
  const near = Math.max(0.25 * snapshot.atr, snapshot.binSize);
  for (const z of ownZones) {
    if (liqPrice < z.low - near || liqPrice > z.high + near) continue;
    const inside = liqPrice >= z.low && liqPrice <= z.high;
    warnings.push(
      `Your liquidation price ${fmt(liqPrice)} sits ${inside ? 'inside' : 'next to'} the estimated ${z.side}-liquidation cluster ${fmt(z.low)}–${fmt(z.high)} (~${formatUsd(z.notionalUsd)}): a cascade through that band would likely reach it.`,
    );
    break;
  }
  if (Math.abs(req.entry - liqPrice) < snapshot.atr) {
    warnings.push(`The liquidation price is less than 1 ATR(1h) (${fmt(snapshot.atr)}) from entry: ordinary hourly noise can reach it.`);
  }
  if (table.source === 'dated-default') {
    warnings.push(`${venueName(req.venue)} brackets for ${req.symbol} are a dated table (as of ${table.asOf}); the live ones may differ.`);
  } else if (table.source === 'generic') {
    warnings.push(`No ${venueName(req.venue)} tiers loaded for ${req.symbol}: used a generic bracket table (an assumption); the exchange's own may differ.`);
  }
  if (targets.length === 0) warnings.push(`No estimated ${targetSide}-liquidation cluster lies beyond ${fmt(beyond)} in the profit direction.`);

  const risk = stop ? Math.abs(req.entry - stop.price) : Math.abs(req.entry - liqPrice);
  for (const t of targets) {
    const reward = long ? t.price - req.entry : req.entry - t.price;
    if (risk > 0) t.rewardRisk = reward / risk;
  }

  return {
    request: { ...req },
    price,
    liquidationPrice: liqPrice,
    bracket: { maintMarginRatio: liq.bracket.maintMarginRatio, maxLeverage: liq.bracket.maxLeverage, notionalCap: liq.bracket.notionalCap },
    targets,
    stop,
    warnings,
    snapshotT: snapshot.t,
  };
}

/** Is a zone's band around a price? (for callers reasoning about a single zone). */
export function zoneContains(z: Zone, p: number): boolean {
  return p >= z.low && p <= z.high;
}

