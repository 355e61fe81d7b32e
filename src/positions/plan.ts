/**
 * A position's stored plan: the stop, targets and liquidation price fixed when the position was
 * added (or explicitly re-planned). Alerts and the position view read this plan; a fresh plan on
 * the latest zones is shown next to it, never swapped in silently.
 */
import type { ExitPlan } from '../engine/types.ts';
import type { Position, StoredPlan } from './types.ts';

/** The plan to store from a planner result (prices in the canonical per-coin unit). */
export function storedPlanOf(plan: ExitPlan, plannedAt: number, backfilled = false): StoredPlan {
  return {
    stop: plan.stop ? plan.stop.price : null,
    targets: plan.targets.map((t) => t.price),
    liquidationPrice: plan.liquidationPrice,
    plannedAt,
    priceAtPlan: plan.price,
    ...(backfilled ? { backfilled: true } : {}),
    ...(plan.stop ? { stopReason: plan.stop.reason } : plan.noStop ? { stopReason: plan.noStop } : {}),
    targetZones: plan.targets.map((t) => ({ id: t.zoneId, usd: t.zoneUsd })),
  };
}

/** Reward/risk of a stored target from entry against the stored stop (undefined without a stop). */
export function rewardRiskFromEntry(p: Pick<Position, 'side' | 'entry'>, plan: Pick<StoredPlan, 'stop'>, target: number): number | undefined {
  if (plan.stop === null) return undefined;
  const dir = p.side === 'long' ? 1 : -1;
  const risk = (p.entry - plan.stop) * dir;
  return risk > 0 ? ((target - p.entry) * dir) / risk : undefined;
}

/** Reward/risk of a stored target from a price against the stored stop (undefined without a stop or past it). */
export function rewardRiskFrom(price: number, side: Position['side'], plan: Pick<StoredPlan, 'stop'>, target: number): number | undefined {
  if (plan.stop === null) return undefined;
  const dir = side === 'long' ? 1 : -1;
  const risk = (price - plan.stop) * dir;
  const reward = (target - price) * dir;
  return risk > 0 && reward > 0 ? reward / risk : undefined;
}

/** Do two plans say the same thing (to the displayed precision of the price)? */
export function samePlan(a: Pick<StoredPlan, 'stop' | 'targets'>, b: Pick<StoredPlan, 'stop' | 'targets'>, price: number): boolean {
  const eps = Math.abs(price) * 1e-6;
  const close = (x: number | null | undefined, y: number | null | undefined) => (x == null || y == null ? x == null && y == null : Math.abs(x - y) <= eps);
  return close(a.stop, b.stop) && a.targets.length === b.targets.length && a.targets.every((t, i) => close(t, b.targets[i]));
}
