/**
 * Pure position-watch rules: one step per position per notifier tick, from the previous watch
 * state, the latest zone snapshot and the position's STORED plan (stop, targets, liquidation
 * price fixed at add time or by an explicit /position replan), to the next state and the alert
 * events. Lifecycle events — target reached (then the next target), stop crossed, liquidation
 * price crossed — fire once per plan; approach alerts (target near, liquidation near) have
 * hysteresis and an episode number in their dedupe key, so each fires once per approach. Urgent
 * events (stop, liquidation near or crossed) need the validated price (`snap.validation.confirmed`)
 * and two consecutive snapshots agreeing. A
 * per-position budget caps the non-urgent alerts per hour. No I/O; time is an input.
 */
import type { ExitPlan, Zone, ZoneSnapshot } from '../engine/types.ts';
import { edgeDistancePct, HYSTERESIS_FACTOR } from '../notify/rules.ts';
import type { Position, PositionAlertEvent } from './types.ts';

export interface WatchParams {
  /** Target alert: price within this % of the next stored target. */
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
  /** Alert budget: at most this many non-urgent alerts per position per `budgetWindowMs` (urgent ones always pass). */
  budgetPerWindow: number;
  budgetWindowMs: number;
}

export const DEFAULT_WATCH_PARAMS: Readonly<WatchParams> = Object.freeze({
  targetNearPct: 1,
  liquidationNearPct: 1.5,
  cascadeGrowth: 0.5,
  cascadeTopRank: 3,
  budgetPerWindow: 4,
  budgetWindowMs: 3_600_000,
});

export interface WatchState {
  /** The first step has run (baselines for the change alerts are set). */
  seen: boolean;
  /** Episode per alert kind: bumped when an alert re-arms, so the next approach has a new dedupe key. */
  episode: Partial<Record<PositionAlertEvent, number>>;
  /** `plannedAt` of the stored plan the lifecycle below refers to (a re-plan starts it over). */
  plannedAt?: number;
  /** Stored targets reached so far, in order (each told once). */
  targetsReached?: number;
  /** Inside the band of the next stored target (told for this approach). */
  targetNear?: boolean;
  /** The stored stop was crossed (told once). */
  stopCrossed?: boolean;
  /** The liquidation price was crossed (told once; the position is then marked likely liquidated). */
  liquidated?: boolean;
  liquidationNear: boolean;
  /** Own-side clusters between price and liquidation: notional when first seen or last told, alerts so far. */
  cascade: Record<string, { usd: number; n: number }>;
  conflicted?: boolean;
  /** Times of the non-urgent alerts told in the budget window. */
  told?: number[];
  /**
   * Urgent conditions seen in one snapshot, waiting for the next snapshot to agree (issue 12: no
   * urgent alert rests on one snapshot): where and when each was first seen.
   */
  pending?: Partial<Record<'stop' | 'near' | 'crossed', SeenAt>>;
}

/** A snapshot in which an urgent condition held. */
export interface SeenAt {
  seq: number;
  t: number;
  price: number;
}

export interface WatchEvent {
  kind: PositionAlertEvent;
  /** Episode-specific part of the dedupe key, e.g. `target-near:1:0`. */
  key: string;
  urgent: boolean;
  zone?: Pick<Zone, 'id' | 'side' | 'low' | 'high' | 'notionalUsd'>;
  /** Cascade: the cluster's notional before it grew (absent when it formed). */
  previousUsd?: number;
  /** Distance (% of price) to the target, the zone's near edge, or the liquidation price. */
  distancePct?: number;
  /** Target events: index of the stored target (0 = TP1) and its price. */
  target?: { index: number; price: number };
  /** Target reached: the next stored target, if any. */
  nextTarget?: number;
  /** Crossings (target reached, stop, liquidation): the stored level crossed and the price that crossed it. */
  level?: number;
  price?: number;
  /** When the crossing was seen (snapshot time). */
  at?: number;
}

export interface WatchInput {
  position: Position;
  snap: ZoneSnapshot;
  /** The position's plan: the stored one (targets, stop, liquidation fixed at add or re-plan). */
  plan: ExitPlan;
  /** `plannedAt` of the stored plan (a change means an explicit re-plan). */
  plannedAt?: number;
  /** Timeframes conflict now (undefined: no signal). */
  conflicted?: boolean;
  /** Tick time, for the alert budget. */
  now?: number;
}

export function initialWatchState(): WatchState {
  return { seen: false, episode: {}, liquidationNear: false, cascade: {} };
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
  // Nothing more to say about a position that is likely liquidated.
  if (before.liquidated) return { state: before, events: [] };
  // An explicit re-plan starts the lifecycle over: the new targets and stop are watched from here.
  const replanned = input.plannedAt !== undefined && before.plannedAt !== undefined && before.plannedAt !== input.plannedAt;
  const state: WatchState = {
    seen: true,
    episode: { ...before.episode },
    ...(input.plannedAt !== undefined ? { plannedAt: input.plannedAt } : {}),
    targetsReached: replanned ? 0 : (before.targetsReached ?? 0),
    targetNear: replanned ? false : (before.targetNear ?? false),
    stopCrossed: replanned ? false : (before.stopCrossed ?? false),
    liquidated: before.liquidated ?? false,
    liquidationNear: before.liquidationNear,
    cascade: {},
    ...(before.conflicted !== undefined ? { conflicted: before.conflicted } : {}),
    told: (before.told ?? []).filter((t) => input.now === undefined || input.now - t < params.budgetWindowMs),
  };
  const events: WatchEvent[] = [];
  const long = position.side === 'long';
  const price = snap.price;
  const pending: NonNullable<WatchState['pending']> = {};
  /**
   * An urgent condition counts once two consecutive snapshots agree: it held in an earlier
   * snapshot (kept in state) and holds in this newer one. Returns where it was first seen.
   */
  const confirmed = (k: keyof typeof pending, holds: boolean): SeenAt | undefined => {
    if (snap.validation && !snap.validation.confirmed) {
      // A price not yet validated (a lone venue's jump awaiting trades) neither starts nor confirms.
      const first = before.pending?.[k];
      if (first) pending[k] = first;
      return undefined;
    }
    if (!holds) return undefined;
    const first = before.pending?.[k];
    if (first && snap.seq > first.seq) return first;
    pending[k] = first ?? { seq: snap.seq, t: snap.t, price };
    return undefined;
  };
  const ep = (k: PositionAlertEvent) => state.episode[k] ?? 0;
  const rearm = (k: PositionAlertEvent) => (state.episode[k] = ep(k) + 1);
  const planKey = input.plannedAt ?? 0;
  /** Price at or beyond a level in the profit direction (targets), or against it (stop, liquidation). */
  const reachedUp = (level: number) => (long ? price >= level : price <= level);
  const reachedDown = (level: number) => (long ? price <= level : price >= level);

  // --- stored targets: near, then reached (each once, in order; then the next target) ---
  const targets = plan.targets.map((t) => t.price);
  while (state.targetsReached! < targets.length && reachedUp(targets[state.targetsReached!]!)) {
    const index = state.targetsReached!;
    const next = targets[index + 1];
    events.push({
      kind: 'target-reached',
      key: `target-reached:${planKey}:${index}`,
      urgent: false,
      target: { index, price: targets[index]! },
      level: targets[index]!,
      price,
      at: snap.t,
      ...(next !== undefined ? { nextTarget: next } : {}),
    });
    state.targetsReached = index + 1;
    state.targetNear = false;
  }
  const nextIndex = state.targetsReached!;
  if (nextIndex < targets.length) {
    const level = targets[nextIndex]!;
    const d = Math.max(0, ((long ? level - price : price - level) / price) * 100);
    if (!state.targetNear && d <= params.targetNearPct) {
      state.targetNear = true;
      const t = plan.targets[nextIndex]!;
      const z = snap.zones.find((x) => x.id === t.zoneId);
      events.push({
        kind: 'target-near',
        key: `target-near:${planKey}:${nextIndex}:${ep('target-near')}`,
        urgent: false,
        target: { index: nextIndex, price: level },
        distancePct: d,
        ...(z ? { zone: { id: z.id, side: z.side, low: z.low, high: z.high, notionalUsd: z.notionalUsd } } : {}),
      });
    } else if (state.targetNear && d > params.targetNearPct * HYSTERESIS_FACTOR) {
      // Price backed off: the next approach is a new episode.
      state.targetNear = false;
      rearm('target-near');
    }
  }

  // --- the stored stop (urgent, once per plan) ---
  const stop = plan.stop?.price;
  const stopSeen = stop !== undefined && !state.stopCrossed ? confirmed('stop', reachedDown(stop)) : undefined;
  if (stop !== undefined && stopSeen) {
    state.stopCrossed = true;
    events.push({ kind: 'stop-crossed', key: `stop-crossed:${planKey}`, urgent: true, level: stop, price: stopSeen.price, at: stopSeen.t });
  }

  // --- own liquidation price (urgent): crossed (once; the position is likely liquidated), or near ---
  const liq = plan.liquidationPrice;
  const dLiq = liquidationDistancePct(position, price, liq);
  const threshold = liquidationThresholdPct(position, liq, params);
  const crossedSeen = confirmed('crossed', dLiq <= 0);
  const nearSeen = !crossedSeen && !state.liquidationNear ? confirmed('near', dLiq <= threshold) : undefined;
  if (crossedSeen) {
    state.liquidated = true;
    state.liquidationNear = true;
    events.push({ kind: 'liquidation-crossed', key: 'liquidation-crossed', urgent: true, level: liq, price: crossedSeen.price, at: crossedSeen.t, distancePct: dLiq });
  } else if (nearSeen) {
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

  if (Object.keys(pending).length) state.pending = pending;
  return { state, events: withinBudget(state, events, input.now, params) };
}

/**
 * The per-position alert budget: at most `budgetPerWindow` non-urgent alerts per position in the
 * window; urgent ones always pass, and so does a target reached (a lifecycle event, told once),
 * though it counts. What does not fit is dropped (its state has moved on, so it is not told late).
 */
function withinBudget(state: WatchState, events: WatchEvent[], now: number | undefined, params: WatchParams): WatchEvent[] {
  if (now === undefined) return events;
  const told = state.told ?? [];
  const order = (e: WatchEvent) => (e.urgent ? 0 : e.kind === 'target-reached' ? 1 : 2);
  const kept = new Set<WatchEvent>();
  for (const e of [...events].sort((a, b) => order(a) - order(b))) {
    if (e.urgent) kept.add(e);
    else if (e.kind === 'target-reached') {
      // A lifecycle event is told once, budget or not (it counts against the budget all the same).
      told.push(now);
      kept.add(e);
    } else if (told.length < params.budgetPerWindow) {
      told.push(now);
      kept.add(e);
    }
  }
  state.told = told;
  return events.filter((e) => kept.has(e));
}
