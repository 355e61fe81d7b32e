/**
 * The pure watch rules on synthetic price paths, for a long and (mirrored around 3000) the
 * equivalent short: each alert fires once per approach, re-arms only after price backs off.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_WATCH_PARAMS, watchStep, type WatchEvent, type WatchState } from '../../src/positions/rules.ts';
import { storedAsExitPlan } from '../../src/positions/format.ts';
import { storedPlanOf } from '../../src/positions/plan.ts';
import type { Position, StoredPlan } from '../../src/positions/types.ts';
import type { PositionSide } from '../../src/market/types.ts';
import { mirror, realPlan, snapshotOf, type ZoneSpec } from './support.ts';

const params = { ...DEFAULT_WATCH_PARAMS, targetNearPct: 1 };

function position(side: PositionSide): Position {
  return { id: 1, symbol: 'ETH', side, entry: 3000, leverage: 20, sizeUsd: 10_000, venue: 'binance', openedAt: 0, liquidationPrice: 0 };
}

/**
 * Runs the rules along a path of (price, zones, conflicted?) steps against the plan stored at the
 * first step (as /position add stores it); returns events per step and the stored plan (long view).
 */
function walk(side: PositionSide, steps: { price: number; zones: ZoneSpec[]; conflicted?: boolean; t?: number; replan?: boolean; validated?: boolean }[]): { events: WatchEvent[][]; state: WatchState; stored: StoredPlan } {
  const m = mirror(side);
  const pos = position(side);
  let state: WatchState | undefined;
  let stored: StoredPlan | undefined;
  const out: WatchEvent[][] = [];
  for (const [i, s] of steps.entries()) {
    const snap = {
      ...snapshotOf('ETH', m.p(s.price), s.zones.map(m.zone), 0, i + 1),
      t: s.t ?? i * 10_000,
      ...(s.validated !== undefined ? { validation: { venues: ['bybit' as const], bound: 0.03, quarantined: [], confirmed: s.validated } } : {}),
    };
    const fresh = realPlan(snap, { symbol: 'ETH', side, entry: pos.entry, leverage: pos.leverage, sizeUsd: pos.sizeUsd, venue: pos.venue });
    if ('error' in fresh) throw new Error(fresh.error);
    if (!stored || s.replan) stored = storedPlanOf(fresh, snap.t);
    const plan = storedAsExitPlan(pos, stored, fresh);
    const r = watchStep(state, { position: pos, snap, plan, plannedAt: stored.plannedAt, conflicted: s.conflicted, now: snap.t }, params);
    state = r.state;
    out.push(r.events);
  }
  const long = { ...stored!, stop: stored!.stop === null ? null : m.p(stored!.stop), targets: stored!.targets.map(m.p), liquidationPrice: m.p(stored!.liquidationPrice) };
  return { events: out, state: state!, stored: long };
}

const kinds = (events: WatchEvent[][]) => events.map((e) => e.map((x) => x.kind));

// Long view (the short is mirrored): take-profit clusters above, own-side clusters below, liquidation ≈ 2861.
const T1: ZoneSpec = { id: 'T1', side: 'short', low: 3100, high: 3120, usd: 40e6, rank: 1 };
const T2: ZoneSpec = { id: 'T2', side: 'short', low: 3200, high: 3220, usd: 30e6, rank: 2 };
const targets = [T1, T2];
/** An own-side cluster below price (long view): the planner puts the stop beyond it, at 2,939.25. */
const L1: ZoneSpec = { id: 'L1', side: 'long', low: 2940, high: 2960, usd: 20e6, rank: 1 };

describe.each(['long', 'short'] as const)('position watch rules: %s', (side) => {
  /** A price of the mirrored run back in the long view. */
  const m = (x: number) => mirror(side).p(x);
  it('target near: once on entering the band, again only after backing off', () => {
    const path = [3000, 3050, 3075, 3085, 3070, 3060, 3030, 3040, 3080, 3082].map((price) => ({ price, zones: targets }));
    const { events } = walk(side, path);
    expect(kinds(events)).toEqual([[], [], ['target-near'], [], [], [], [], [], ['target-near'], []]);
    const [first, second] = [events[2]![0]!, events[8]![0]!];
    expect(first.zone).toMatchObject({ id: 'T1' });
    expect(first.target!.index).toBe(0);
    expect(first.distancePct).toBeCloseTo(((side === 'long' ? 3099.25 - 3075 : 2925 - 2900.75) / (side === 'long' ? 3075 : 2925)) * 100, 6);
    expect(first.key).not.toBe(second.key);
  });

  it('target reached: each stored target once, in order, naming the next; the stored plan does not move', () => {
    const { events, state, stored } = walk(
      side,
      [3000, 3080, 3110, 3125, 3090, 3130, 3205, 3300].map((price) => ({ price, zones: targets })),
    );
    expect(kinds(events)).toEqual([[], ['target-near'], ['target-reached'], [], [], [], ['target-reached'], []]);
    const [tp1, tp2] = stored.targets;
    expect(events[2]![0]).toMatchObject({ target: { index: 0 }, at: 20_000 });
    expect(m(events[2]![0]!.target!.price)).toBeCloseTo(tp1!, 6);
    expect(m(events[2]![0]!.nextTarget!)).toBeCloseTo(tp2!, 6);
    expect(events[6]![0]!.nextTarget).toBeUndefined();
    expect(state.targetsReached).toBe(2);

    // Price jumping over both targets in one step: both told, in order.
    const jump = walk(side, [3000, 3250].map((price) => ({ price, zones: targets })));
    expect(jump.events[1]!.map((e) => `${e.kind}:${e.target?.index}`)).toEqual(['target-reached:0', 'target-reached:1']);
  });

  it('a zone swept elsewhere, or a cluster fading, is no target event: the stored targets are watched', () => {
    const { events } = walk(side, [
      { price: 3000, zones: targets },
      { price: 3010, zones: [T2] },
      { price: 3020, zones: [] },
    ]);
    expect(kinds(events)).toEqual([[], [], []]);
  });

  it('stop crossed: urgent, once two snapshots agree, with the stored stop and the price that crossed it', () => {
    const { events, stored } = walk(side, [3000, 2980, 2960, 2950, 2990, 2955].map((price) => ({ price, zones: [...targets, L1] })));
    expect(stored.stop).toBeCloseTo(2939.25, 6);
    expect(kinds(events)).toEqual([[], [], [], [], [], []]);
    const crossed = walk(side, [3000, 2950, 2938, 2930, 2990, 2935].map((price) => ({ price, zones: [...targets, L1] })));
    // Seen at 2,938, confirmed by the next snapshot (2,930): told then, saying where and when it was first seen.
    expect(kinds(crossed.events)).toEqual([[], [], [], ['stop-crossed'], [], []]);
    const e = crossed.events[3]![0]!;
    expect(e.urgent).toBe(true);
    expect(m(e.level!)).toBeCloseTo(2939.25, 6);
    expect(m(e.price!)).toBeCloseTo(2938, 6);
    expect(e.at).toBe(20_000);
  });

  it('liquidation crossed: urgent, once; nothing more after it', () => {
    const { events, state } = walk(side, [3000, 2900, 2895, 2860, 2850, 2870, 2800].map((price) => ({ price, zones: targets })));
    expect(kinds(events)).toEqual([[], [], ['stop-crossed', 'liquidation-near'], [], ['liquidation-crossed'], [], []]);
    expect(events[4]![0]!.urgent).toBe(true);
    expect(events[4]![0]!.at).toBe(30_000);
    expect(state.liquidated).toBe(true);
  });

  it('an explicit re-plan starts the lifecycle over on the new plan', () => {
    const { events } = walk(side, [
      { price: 3000, zones: targets },
      { price: 3110, zones: targets },
      { price: 3110, zones: [T2], replan: true },
      { price: 3205, zones: [T2] },
    ]);
    expect(kinds(events)).toEqual([[], ['target-reached'], [], ['target-reached']]);
    expect(events[3]![0]!.key).not.toBe(events[1]![0]!.key);
  });

  it('alert budget: at most 4 non-urgent alerts per position per hour; urgent ones always pass', () => {
    const flips = Array.from({ length: 12 }, (_, i) => ({ price: 3000, zones: targets, conflicted: i % 2 === 1, t: i * 60_000 }));
    const later = [false, true].map((conflicted, i) => ({ price: 3000, zones: targets, conflicted, t: (60 + i) * 60_000 }));
    const crash = [62, 63].map((min) => ({ price: 2850, zones: targets, t: min * 60_000 }));
    const { events } = walk(side, [...flips, ...later, ...crash, { price: 3000, zones: targets, conflicted: false, t: 64 * 60_000 }]);
    const all = events.flat();
    expect(all.filter((e) => e.kind === 'conflict')).toHaveLength(5); // 4 in the first hour, one after it
    expect(all.filter((e) => e.urgent).map((e) => e.kind)).toEqual(['stop-crossed', 'liquidation-crossed']);

    // A target reached is told even when the budget is spent (and counts against it).
    const spent = walk(side, [...flips.slice(0, 10), { price: 3110, zones: targets, conflicted: true, t: 10 * 60_000 }, { price: 3110, zones: targets, conflicted: false, t: 11 * 60_000 }, { price: 3110, zones: targets, conflicted: true, t: 12 * 60_000 }]);
    const told = spent.events.flat().map((e) => e.kind);
    expect(told.filter((k) => k === 'conflict')).toHaveLength(4);
    expect(told).toContain('target-reached');
  });

  it('cascade risk: a cluster forms, then grows, between price and the liquidation price', () => {
    const C = (usd: number, rank = 1): ZoneSpec => ({ id: 'C1', side: 'long', low: 2920, high: 2930, usd, rank });
    const below: ZoneSpec = { id: 'C0', side: 'long', low: 2800, high: 2810, usd: 50e6, rank: 1 }; // beyond liquidation: irrelevant
    const { events } = walk(side, [
      { price: 3000, zones: [...targets, below] },
      { price: 3000, zones: [...targets, below, C(10e6)] },
      { price: 2995, zones: [...targets, below, C(12e6)] },
      { price: 2990, zones: [...targets, below, C(16e6)] },
      { price: 2990, zones: [...targets, below, C(20e6)] },
      { price: 2990, zones: [...targets, below, C(24e6)] },
    ]);
    expect(kinds(events)).toEqual([[], ['cascade'], [], ['cascade'], [], ['cascade']]);
    expect(events[1]![0]).toMatchObject({ zone: { id: 'C1', notionalUsd: 10e6 } });
    expect(events[1]![0]!.previousUsd).toBeUndefined();
    expect(events[3]![0]).toMatchObject({ previousUsd: 10e6, zone: { notionalUsd: 16e6 } });
    expect(events[5]![0]).toMatchObject({ previousUsd: 16e6 });
    expect(new Set(events.flat().map((e) => e.key)).size).toBe(3);
  });

  it('cascade risk: clusters already there when the watch starts, and small ones, are the baseline', () => {
    const C1: ZoneSpec = { id: 'C1', side: 'long', low: 2920, high: 2930, usd: 10e6, rank: 1 };
    const small: ZoneSpec = { id: 'C2', side: 'long', low: 2950, high: 2955, usd: 1e6, rank: 5 };
    const { events } = walk(side, [
      { price: 3000, zones: [...targets, C1] },
      { price: 3000, zones: [...targets, C1, small] },
      { price: 3000, zones: [...targets, C1, { ...small, usd: 2e6, rank: 2 }] },
    ]);
    // The small cluster is remembered from its first sighting: it is told once it qualifies and has grown.
    expect(kinds(events)).toEqual([[], [], ['cascade']]);
    expect(events[2]![0]).toMatchObject({ zone: { id: 'C2' }, previousUsd: 1e6 });
  });

  it('liquidation near: urgent, once per approach', () => {
    const { events } = walk(
      side,
      [3000, 2950, 2915, 2900, 2890, 2910, 2920, 2940, 2960, 2902, 2901].map((price) => ({ price, zones: targets })),
    );
    // Each urgent alert once the next snapshot agrees.
    expect(kinds(events)).toEqual([[], [], ['stop-crossed'], [], ['liquidation-near'], [], [], [], [], [], ['liquidation-near']]);
    const e = events[4]![0]!;
    expect(e.urgent).toBe(true);
    const liq = side === 'long' ? 2861.45 : 3137.45;
    const price = side === 'long' ? 2890 : 3110;
    expect(e.distancePct).toBeCloseTo((Math.abs(price - liq) / price) * 100, 2);
    expect(events[10]![0]!.key).not.toBe(e.key);

    // A price not validated (a lone venue's jump awaiting its trades) neither starts nor confirms an urgent alert.
    const unvalidated = walk(side, [
      { price: 3000, zones: targets },
      { price: 2890, zones: targets, validated: false },
      { price: 2890, zones: targets, validated: false },
      { price: 2890, zones: targets, validated: true },
      { price: 2890, zones: targets, validated: true },
    ]);
    expect(kinds(unvalidated.events)).toEqual([[], [], [], [], ['stop-crossed', 'liquidation-near']]);

    // One snapshot alone (a bad print that the next one undoes) is no alert.
    const blip = walk(side, [3000, 2890, 3000, 2890, 3000].map((price) => ({ price, zones: targets })));
    expect(kinds(blip.events)).toEqual([[], [], [], [], []]);
  });

  it('timeframe conflict: on turning conflicted while open, re-armed when it resolves', () => {
    const { events } = walk(
      side,
      [true, false, true, true, false, false, true].map((conflicted) => ({ price: 3000, zones: targets, conflicted })),
    );
    // Conflicted at the first look is the baseline, not a change.
    expect(kinds(events)).toEqual([[], [], ['conflict'], [], [], [], ['conflict']]);
    expect(events[2]![0]!.key).not.toBe(events[6]![0]!.key);
  });

  it('only liquidation risk and the stop are urgent', () => {
    const { events } = walk(side, [
      { price: 3000, zones: targets, conflicted: false },
      { price: 3080, zones: targets, conflicted: true },
      { price: 3125, zones: targets },
      { price: 2900, zones: [...targets, { id: 'C1', side: 'long', low: 2880, high: 2890, usd: 9e6 }] },
      { price: 2895, zones: [...targets, { id: 'C1', side: 'long', low: 2880, high: 2890, usd: 9e6 }] },
    ]);
    const all = events.flat();
    expect(all.map((e) => e.kind).sort()).toEqual(['cascade', 'conflict', 'liquidation-near', 'stop-crossed', 'target-near', 'target-reached']);
    expect(all.filter((e) => e.urgent).map((e) => e.kind).sort()).toEqual(['liquidation-near', 'stop-crossed']);
  });
});

describe('liquidation threshold', () => {
  it('is half the entry-to-liquidation distance at high leverage, so it never fires at entry', () => {
    const pos = { ...position('long'), leverage: 100 };
    const snap = snapshotOf('ETH', 3000, []);
    const plan = realPlan(snap, { symbol: 'ETH', side: 'long', entry: 3000, leverage: 100, sizeUsd: 10_000, venue: 'binance' });
    if ('error' in plan) throw new Error(plan.error);
    const r = watchStep(undefined, { position: pos, snap, plan }, params);
    expect(r.events).toEqual([]);
    const near = snapshotOf('ETH', plan.liquidationPrice + (3000 - plan.liquidationPrice) * 0.4, [], 0, 2);
    const plan2 = realPlan(near, { symbol: 'ETH', side: 'long', entry: 3000, leverage: 100, sizeUsd: 10_000, venue: 'binance' });
    if ('error' in plan2) throw new Error(plan2.error);
    const seen = watchStep(r.state, { position: pos, snap: near, plan: plan2 }, params);
    expect(seen.events).toEqual([]); // one snapshot: waits for the next to agree
    expect(watchStep(seen.state, { position: pos, snap: { ...near, seq: 3 }, plan: plan2 }, params).events.map((e) => e.kind)).toEqual(['liquidation-near']);
  });
});
