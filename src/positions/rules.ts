/**
 * Pure position-watch rules: one step per position per notifier tick, from the previous watch
 * state, the latest zone snapshot and the refreshed exit plan, to the next state and the alert
 * events. Every alert has hysteresis (it re-arms only after price backs off), and its dedupe key
 * carries an episode number, so each fires once per approach. No I/O, no clock.
 */
import type { ExitPlan, ExitTarget, Zone, ZoneSnapshot } from '../engine/types.ts';
import { edgeDistancePct, HYSTERESIS_FACTOR } from '../notify/rules.ts';
import type { Position, PositionAlertEvent } from './types.ts';

export interface WatchParams {
  /** Target alert: price within this % of the near edge of the next cluster in the profit direction. */
  targetNearPct: number;
  /**
   * Urgent alert: the mark within this % of price from the liquidation price — or within half
   * the entry-to-liquidation distance when that is smaller (high leverage), so it never fires at entry.
   */
  liquidationNearPct: number;
  /** Cascade alert: a cluster between price and liquidation grew by this fraction since last told. */
  cascadeGrowth: number;
  /** Cascade alert: only clusters ranked this high on their side. */
  cascadeTopRank: number;
}

export const DEFAULT_WATCH_PARAMS: Readonly<WatchParams> = Object.freeze({
  targetNearPct: 1,
  liquidationNearPct: 1.5,
  cascadeGrowth: 0.5,
  cascadeTopRank: 3,
});

export interface TrackedZone {
  zoneId: string;
  low: number;
  high: number;
  notionalUsd: number;
  /** Price has entered the zone. */
  reached: boolean;
  /** Inside the target band (alerted for this approach). */
  near: boolean;
}

export interface WatchState {
  /** The first step has run (baselines for the change alerts are set). */
  seen: boolean;
  /** Episode per alert kind: bumped when an alert re-arms, so the next approach has a new dedupe key. */
  episode: Partial<Record<PositionAlertEvent, number>>;
  target?: TrackedZone;
  /** Target zones already swept (never tracked again). */
  swept: string[];
  liquidationNear: boolean;
  /** Own-side clusters between price and liquidation: notional when first seen or last told, alerts so far. */
  cascade: Record<string, { usd: number; n: number }>;
  conflicted?: boolean;
}

export interface WatchEvent {
  kind: PositionAlertEvent;
  /** Episode-specific part of the dedupe key, e.g. `target-near:ETH:S:3190:0`. */
  key: string;
  urgent: boolean;
  zone?: Pick<Zone, 'id' | 'side' | 'low' | 'high' | 'notionalUsd'>;
  /** Cascade: the cluster's notional before it grew (absent when it formed). */
  previousUsd?: number;
  /** Distance (% of price) to the zone's near edge, or to the liquidation price. */
  distancePct?: number;
  /** Swept: the next target in the profit direction, if any. */
  next?: ExitTarget;
}

export interface WatchInput {
  position: Position;
  snap: ZoneSnapshot;
  plan: ExitPlan;
  /** Timeframes conflict now (undefined: no signal). */
  conflicted?: boolean;
  /** Zone ids swept since the last step (engine sweep events). */
  sweptZoneIds?: ReadonlySet<string>;
}

const MAX_SWEPT_REMEMBERED = 12;

export function initialWatchState(): WatchState {
  return { seen: false, episode: {}, swept: [], liquidationNear: false, cascade: {} };
}

/** Distance from price to the liquidation price in % of price; ≤ 0 at or beyond it. */
export function liquidationDistancePct(position: Pick<Position, 'side'>, price: number, liquidationPrice: number): number {
  return ((position.side === 'long' ? price - liquidationPrice : liquidationPrice - price) / price) * 100;
}

/** The urgent alert's distance for this position (see WatchParams.liquidationNearPct). */
export function liquidationThresholdPct(position: Pick<Position, 'entry'>, liquidationPrice: number, params: Pick<WatchParams, 'liquidationNearPct'>): number {
  const entryGapPct = (Math.abs(position.entry - liquidationPrice) / position.entry) * 100;
  return Math.min(params.liquidationNearPct, entryGapPct / 2);
}

export function watchStep(prev: WatchState | undefined, input: WatchInput, params: WatchParams): { state: WatchState; events: WatchEvent[] } {
  const { position, snap, plan } = input;
  const before = prev ?? initialWatchState();
  const state: WatchState = {
    seen: true,
    episode: { ...before.episode },
    swept: [...before.swept],
    liquidationNear: before.liquidationNear,
    cascade: {},
    ...(before.conflicted !== undefined ? { conflicted: before.conflicted } : {}),
  };
  const events: WatchEvent[] = [];
  const long = position.side === 'long';
  const price = snap.price;
  const ep = (k: PositionAlertEvent) => state.episode[k] ?? 0;
  const rearm = (k: PositionAlertEvent) => (state.episode[k] = ep(k) + 1);
  const zoneById = new Map(snap.zones.map((z) => [z.id, z]));

  // --- take-profit zone: approach, then sweep ---
  let target = before.target ? { ...before.target } : undefined;
  const firstTarget = plan.targets.find((t) => !state.swept.includes(t.zoneId));
  if (target) {
    const z = zoneById.get(target.zoneId);
    const band = z ?? target;
    const through = long ? price > band.high : price < band.low;
    const reached = target.reached || (long ? price >= band.low : price <= band.high);
    if (through || input.sweptZoneIds?.has(target.zoneId) || (!z && reached)) {
      const next = plan.targets.find((t) => t.zoneId !== target!.zoneId && !state.swept.includes(t.zoneId));
      events.push({
        kind: 'target-swept',
        key: `target-swept:${target.zoneId}`,
        urgent: false,
        zone: { id: target.zoneId, side: long ? 'short' : 'long', low: target.low, high: target.high, notionalUsd: target.notionalUsd },
        ...(next ? { next } : {}),
      });
      state.swept = [...state.swept, target.zoneId].slice(-MAX_SWEPT_REMEMBERED);
      target = undefined;
    } else if (!z) {
      target = undefined; // the cluster faded before price got there
    } else if (!target.near && !reached && firstTarget && firstTarget.zoneId !== target.zoneId) {
      target = undefined; // a nearer cluster is now the next target
    } else {
      target = { zoneId: z.id, low: z.low, high: z.high, notionalUsd: z.notionalUsd, reached, near: target.near };
    }
  }
  if (!target) {
    const next = plan.targets.find((t) => !state.swept.includes(t.zoneId));
    const z = next && zoneById.get(next.zoneId);
    if (z) target = { zoneId: z.id, low: z.low, high: z.high, notionalUsd: z.notionalUsd, reached: false, near: false };
  }
  if (target) {
    const d = edgeDistancePct(price, target);
    if (!target.near && d <= params.targetNearPct) {
      target.near = true;
      events.push({
        kind: 'target-near',
        key: `target-near:${target.zoneId}:${ep('target-near')}`,
        urgent: false,
        zone: { id: target.zoneId, side: long ? 'short' : 'long', low: target.low, high: target.high, notionalUsd: target.notionalUsd },
        distancePct: d,
      });
    } else if (target.near && d > params.targetNearPct * HYSTERESIS_FACTOR) {
      // Price backed off: the next approach is a new episode.
      target.near = false;
      target.reached = false;
      rearm('target-near');
    }
  }
  if (target) state.target = target;

  // --- own liquidation price (urgent) ---
  const liq = plan.liquidationPrice;
  const dLiq = liquidationDistancePct(position, price, liq);
  const threshold = liquidationThresholdPct(position, liq, params);
  if (!state.liquidationNear && dLiq <= threshold) {
    state.liquidationNear = true;
    events.push({ kind: 'liquidation-near', key: `liquidation-near:${ep('liquidation-near')}`, urgent: true, distancePct: dLiq });
  } else if (state.liquidationNear && dLiq > threshold * HYSTERESIS_FACTOR) {
    state.liquidationNear = false;
    rearm('liquidation-near');
  }

  // --- cascade risk: own-side clusters between price and the liquidation price ---
  for (const z of snap.zones) {
    if (z.side !== position.side) continue;
    const between = long ? z.high < price && z.high > liq : z.low > price && z.low < liq;
    const known = before.cascade[z.id];
    if (!between) {
      if (known) state.cascade[z.id] = known; // remembered while the cluster exists: hovering does not re-alert
      continue;
    }
    const qualifies = z.rank <= params.cascadeTopRank;
    if (!before.seen || !qualifies) {
      state.cascade[z.id] = known ?? { usd: z.notionalUsd, n: 0 };
      continue;
    }
    if (!known || z.notionalUsd >= known.usd * (1 + params.cascadeGrowth)) {
      const n = (known?.n ?? 0) + 1;
      state.cascade[z.id] = { usd: z.notionalUsd, n };
      events.push({
        kind: 'cascade',
        key: `cascade:${z.id}:${n}`,
        urgent: false,
        zone: { id: z.id, side: z.side, low: z.low, high: z.high, notionalUsd: z.notionalUsd },
        ...(known ? { previousUsd: known.usd } : {}),
        distancePct: edgeDistancePct(price, z),
      });
    } else {
      state.cascade[z.id] = known; // growth is measured from the size last told (or first seen)
    }
  }

  // --- timeframe conflict while the position is open ---
  if (input.conflicted !== undefined) {
    if (before.seen && before.conflicted === false && input.conflicted) {
      events.push({ kind: 'conflict', key: `conflict:${ep('conflict')}`, urgent: false });
    } else if (before.conflicted && !input.conflicted) {
      rearm('conflict');
    }
    state.conflicted = input.conflicted;
  }

  return { state, events };
}
