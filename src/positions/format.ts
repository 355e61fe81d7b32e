/**
 * Wording for positions: the one-line plan, a position's summary, and the alert payloads the
 * watcher hands the notifier (rendered here because only this module knows what a position is).
 */
import { formatNumber, formatPercent, formatPrice, formatPriceRange, formatSignedPercent, formatUsd } from '../format/numbers.ts';
import type { ExitPlan, ExitTarget } from '../engine/types.ts';
import { unrealizedPnl } from '../engine/exit.ts';
import type { PositionAlertPayload } from '../notify/rules.ts';
import { alertClock, ESTIMATE_NOTE } from '../notify/render.ts';
import type { WatchEvent } from './rules.ts';
import { rewardRiskFrom, rewardRiskFromEntry } from './plan.ts';
import type { Position, StoredPlan } from './types.ts';

const signed = (x: number) => formatSignedPercent(x);

/** `ETH long 3,120 × 20x`. */
export function positionName(p: Pick<Position, 'symbol' | 'side' | 'entry' | 'leverage'>): string {
  return `${p.symbol} ${p.side} ${formatPrice(p.entry, p.symbol)} × ${p.leverage}x`;
}

/** Price move since entry in %, and the same on margin (× leverage), in the position's favour. */
export function pnlPct(p: Pick<Position, 'side' | 'entry' | 'leverage'>, price: number): { move: number; onMargin: number } {
  const { movePct, onMarginPct } = unrealizedPnl(p, price);
  return { move: movePct, onMargin: onMarginPct };
}

/** The refreshed plan in one line: price, targets, stop, liquidation. */
export function planLine(plan: ExitPlan): string {
  const parts = [`price ${formatPrice(plan.price, plan.request.symbol)}`];
  plan.targets.slice(0, 2).forEach((t, i) => parts.push(`TP${i + 1} ${formatPrice(t.price, plan.request.symbol)} (${signed(t.distancePct)})`));
  if (plan.targets.length === 0) parts.push(plan.alreadyLiquidated ? 'past the liquidation price' : plan.crowded ? 'no take-profit with room before the nearest clusters' : 'no target cluster ahead');
  parts.push(plan.stop ? `stop ${formatPrice(plan.stop.price, plan.request.symbol)}` : 'no safe stop');
  parts.push(`liq ${formatPrice(plan.liquidationPrice, plan.request.symbol)} (${signed(((plan.liquidationPrice - plan.price) / plan.price) * 100)})`);
  return parts.join(' · ');
}

/** The stored plan in one line: `stop 3,038.8 · TP1 3,180 (R:R 2.1 from entry) · liq 2,980.4`. */
export function storedPlanLine(p: Pick<Position, 'side' | 'entry' | 'symbol'>, plan: StoredPlan, opts: { short?: boolean } = {}): string {
  const price = (x: number) => formatPrice(x, p.symbol);
  const parts = [plan.stop !== null ? `stop ${price(plan.stop)}` : 'no stop'];
  plan.targets.slice(0, opts.short ? 1 : 3).forEach((t, i) => {
    const rr = rewardRiskFromEntry(p, plan, t);
    parts.push(`TP${i + 1} ${price(t)}${rr !== undefined && !opts.short ? ` (R:R ${formatNumber(rr, 1)} from entry)` : ''}`);
  });
  if (plan.targets.length === 0) parts.push('no target');
  if (!opts.short) parts.push(`liq ${price(plan.liquidationPrice)}`);
  return parts.join(' · ');
}

/**
 * The stored plan in the planner's shape, for the plan reply and its chart: stored stop, targets
 * and liquidation price; price, bracket, PnL and warnings from the fresh plan (they describe now).
 */
export function storedAsExitPlan(p: Pick<Position, 'side' | 'entry'>, stored: StoredPlan, fresh: ExitPlan): ExitPlan {
  const targets: ExitTarget[] = stored.targets.map((price, i) => {
    const rr = rewardRiskFrom(fresh.price, p.side, stored, price);
    const rrEntry = rewardRiskFromEntry(p, stored, price);
    return {
      price,
      zoneId: stored.targetZones?.[i]?.id ?? '',
      zoneUsd: stored.targetZones?.[i]?.usd ?? 0,
      distancePct: ((price - fresh.price) / fresh.price) * 100,
      ...(rr !== undefined ? { rewardRisk: rr } : {}),
      ...(rrEntry !== undefined ? { rewardRiskFromEntry: rrEntry } : {}),
    };
  });
  const { noStop: _freshNoStop, ...rest } = fresh;
  return {
    ...rest,
    liquidationPrice: stored.liquidationPrice,
    targets,
    stop: stored.stop !== null ? { price: stored.stop, reason: stored.stopReason ?? 'stored plan' } : null,
    ...(stored.stop === null ? { noStop: stored.stopReason ?? 'none was possible when the plan was made' } : {}),
  };
}

const clock = alertClock;

/** The alert payload for one watch event, with the plan line and a button to the full plan. */
export function alertPayload(p: Position, e: WatchEvent, plan: ExitPlan, t: number, context?: string): PositionAlertPayload {
  const name = `${p.symbol} ${p.side} #${p.id}`;
  const price = formatPrice(plan.price, p.symbol);
  const long = p.side === 'long';
  let title: string;
  let lead: string;
  let line: string;
  switch (e.kind) {
    case 'target-near': {
      const tp = `TP${e.target!.index + 1} ${formatPrice(e.target!.price, p.symbol)}`;
      const z = e.zone;
      const cluster = z ? ` at the ${z.side}-liquidation cluster ${formatPriceRange(z.low, z.high, p.symbol)} (~${formatUsd(z.notionalUsd)} est.)` : '';
      const where = e.distancePct === 0 ? 'is at' : `is ${formatPercent(e.distancePct!)} ${long ? 'below' : 'above'}`;
      title = `${name}: near your take-profit ${tp}`;
      lead = `${p.symbol} ${price} ${where} your ${tp}${cluster}. Forced ${long ? 'buying' : 'selling'} there is liquidity to exit into: consider taking profit there.`;
      line = `${name} near ${tp}: price ${price}`;
      break;
    }
    case 'target-reached': {
      const tp = `TP${e.target!.index + 1} ${formatPrice(e.target!.price, p.symbol)}`;
      const next = e.nextTarget !== undefined ? `Next target: TP${e.target!.index + 2} ${formatPrice(e.nextTarget, p.symbol)}.` : 'That was the last target of your plan.';
      title = `${name}: ${tp} reached`;
      lead = `${p.symbol} reached your ${tp} at ${clock(e.at!)} (price ${formatPrice(e.price!, p.symbol)}). ${next} Consider taking profit or trailing your stop; /position replan ${p.id} makes a new plan.`;
      line = `${name} ${tp} reached at ${clock(e.at!)}; ${e.nextTarget !== undefined ? `next TP ${formatPrice(e.nextTarget, p.symbol)}` : 'last target'}`;
      break;
    }
    case 'stop-crossed': {
      const stop = formatPrice(e.level!, p.symbol);
      title = `URGENT · ${name}: stop ${stop} crossed`;
      lead = `Your stop ${stop} was crossed at ${clock(e.at!)} (price ${formatPrice(e.price!, p.symbol)}). If your stop order filled, close the position here with /position close ${p.id}; if you had none, act now: your estimated liquidation price is ${formatPrice(plan.liquidationPrice, p.symbol)}.`;
      line = `URGENT ${name}: stop ${stop} crossed at ${clock(e.at!)}`;
      break;
    }
    case 'liquidation-crossed': {
      const liq = formatPrice(e.level!, p.symbol);
      title = `URGENT · ${name}: liquidation price crossed`;
      lead = `${p.symbol} ${formatPrice(e.price!, p.symbol)} crossed your estimated liquidation price ${liq} at ${clock(e.at!)} (${p.leverage}x, entry ${formatPrice(p.entry, p.symbol)}): the position is likely liquidated. It is marked so and gets no more alerts; check your exchange account, and /position close ${p.id} removes it here.`;
      line = `URGENT ${name}: liquidation price ${liq} crossed at ${clock(e.at!)} — likely liquidated`;
      break;
    }
    case 'cascade': {
      const z = e.zone!;
      const how = e.previousUsd !== undefined ? `grew from ~${formatUsd(e.previousUsd)} to ~${formatUsd(z.notionalUsd)}` : `formed (~${formatUsd(z.notionalUsd)} est.)`;
      title = `${name}: cascade risk before your liquidation`;
      lead = `A ${z.side}-liquidation cluster ${formatPriceRange(z.low, z.high, p.symbol)} ${how} between the price ${price} and your liquidation price ${formatPrice(plan.liquidationPrice, p.symbol)}. A flush through it could cascade toward your liquidation: consider a tighter stop or less leverage.`;
      line = `${name} cascade risk: cluster ${formatPriceRange(z.low, z.high, p.symbol)} ${e.previousUsd !== undefined ? 'grew' : 'formed'} (~${formatUsd(z.notionalUsd)}) before liq ${formatPrice(plan.liquidationPrice, p.symbol)}`;
      break;
    }
    case 'liquidation-near': {
      const d = e.distancePct!;
      title = `URGENT · ${name}: close to liquidation`;
      lead =
        d <= 0
          ? `${p.symbol} ${price} is at or beyond your estimated liquidation price ${formatPrice(plan.liquidationPrice, p.symbol)} (${p.leverage}x, entry ${formatPrice(p.entry, p.symbol)}). Check your position now.`
          : `${p.symbol} ${price} is ${formatPercent(d)} from your estimated liquidation price ${formatPrice(plan.liquidationPrice, p.symbol)} (${p.leverage}x, entry ${formatPrice(p.entry, p.symbol)}). Reduce size, add margin or close before the mark gets there.`;
      line = `URGENT ${name}: ${price} is ${formatPercent(Math.max(0, d))} from liquidation ${formatPrice(plan.liquidationPrice, p.symbol)}`;
      break;
    }
    case 'conflict':
      title = `${name}: timeframes now conflict`;
      lead = `The 1m, 5m and 1h signals for ${p.symbol} now disagree while your ${p.side} is open: lower confidence in the move. Consider reducing size or tightening the stop.${context ? ` Timeframes: ${context}.` : ''}`;
      line = `${name} timeframes conflict${context ? ` — ${context}` : ''}`;
      break;
  }
  const plan1 = planLine(plan);
  return {
    kind: 'position',
    event: e.kind,
    symbol: p.symbol,
    t,
    positionId: p.id,
    urgent: e.urgent,
    title,
    text: [lead, `Plan: ${plan1}`, `Liquidation price from ${p.venue === 'bybit' ? 'Bybit' : 'Binance'} brackets, isolated margin. ${ESTIMATE_NOTE}`].join('\n'),
    line: `${line} | ${plan1}`,
    fields: [{ name: 'Plan', value: plan1 }],
    buttons: [
      { action: `/position plan ${p.id}`, label: `Plan #${p.id}` },
      { action: `/zones ${p.symbol}`, label: `Zones ${p.symbol}` },
    ],
  };
}
