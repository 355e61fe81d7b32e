/**
 * Candidate generation for subscriptions, once per tick: proximity-band entries per (symbol,
 * settings group) from the latest zone snapshots, and conflict / fading / sweep alerts from the
 * engine events received since the last tick. Candidates are grouped by destination for the decider.
 */
import type { SignalEvent, SignalMode, SignalSnapshot, SweepEvent, ZoneSnapshot } from '../engine/types.ts';
import { dedupeKey } from './keys.ts';
import { nearestZone, proximityPayload, proximityStep, sweepPayload, timeframeContext, type AlertPayload, type Candidate } from './rules.ts';
import type { SubscriptionIndex } from './subscription-index.ts';

/** Events to alert on this tick; a sweep is a confirmed crossing, with the price that confirmed it. */
export type PendingEvent = { type: 'signal'; ev: SignalEvent } | { type: 'sweep'; ev: SweepEvent; price?: number };

export interface CandidateInputs {
  t: number;
  index: SubscriptionIndex;
  zones: { snapshot(symbol: string): ZoneSnapshot | undefined };
  signals?: { snapshot(symbol: string, mode: SignalMode): SignalSnapshot | undefined };
  mode: SignalMode;
  /** Whether a destination was told about a conflict that has not resolved (resolutions go only to them). */
  toldConflict(destKey: string, symbol: string): boolean;
}

export interface Candidates {
  byDest: Map<string, Candidate[]>;
  /** Symbols whose band state changed (to persist). */
  dirty: Set<string>;
  symbols: number;
  subscriptions: number;
  /** Zone-band entries across settings groups. */
  entered: number;
}

export function collectCandidates(inp: CandidateInputs, events: readonly PendingEvent[]): Candidates {
  const out: Candidates = { byDest: new Map(), dirty: new Set(), symbols: 0, subscriptions: 0, entered: 0 };
  const push = (destKey: string, c: Candidate) => {
    const list = out.byDest.get(destKey);
    if (list) list.push(c);
    else out.byDest.set(destKey, [c]);
  };
  const contextCache = new Map<string, string | undefined>();
  const context = (symbol: string, snap?: SignalSnapshot) => {
    if (snap) return timeframeContext(snap);
    if (!contextCache.has(symbol)) contextCache.set(symbol, timeframeContext(inp.signals?.snapshot(symbol, inp.mode)));
    return contextCache.get(symbol);
  };

  for (const [symbol, groups] of inp.index.bySymbol) {
    out.symbols++;
    for (const g of groups.values()) out.subscriptions += g.members.size;
    const snap = inp.zones.snapshot(symbol);
    if (!snap) continue;
    for (const g of groups.values()) {
      const step = proximityStep(g.inside, snap, g.params);
      if (step.entered.length === 0 && step.left.length === 0) continue;
      out.dirty.add(symbol);
      for (const id of step.left) g.rearmedAt.set(id, inp.t);
      g.inside = step.inside;
      for (const z of step.entered) {
        out.entered++;
        const payload = proximityPayload(snap, z, context(symbol));
        const rearmedAt = g.rearmedAt.get(z.id);
        for (const m of g.members.values()) push(m.key, { key: dedupeKey(m.key, symbol, z.id, 'proximity'), symbol, kind: 'proximity', payload, rearmedAt });
      }
    }
  }

  for (const e of events) eventCandidates(inp, e, push, context);
  return out;
}

function eventCandidates(inp: CandidateInputs, e: PendingEvent, push: (destKey: string, c: Candidate) => void, context: (symbol: string, snap?: SignalSnapshot) => string | undefined): void {
  if (e.type === 'sweep') {
    const ev = e.ev;
    const payload = sweepPayload(ev, context(ev.symbol), e.price);
    for (const m of inp.index.subscribersOf(ev.symbol)) push(m.key, { key: dedupeKey(m.key, ev.symbol, ev.zoneId, 'sweep'), symbol: ev.symbol, kind: 'sweep', payload, zoneUsd: ev.modeledUsd });
    return;
  }
  const ev = e.ev;
  const snap = inp.zones.snapshot(ev.symbol);
  if (ev.kind === 'conflict-start' || ev.kind === 'conflict-end') {
    const start = ev.kind === 'conflict-start';
    const ctx = context(ev.symbol, ev.snapshot);
    const nearest = nearestZone(snap, ev.snapshot.composite.direction);
    const f = ev.snapshot.conflictFollowUp;
    const payload: AlertPayload = {
      kind: 'conflict',
      phase: start ? 'start' : 'end',
      mode: ev.mode,
      symbol: ev.symbol,
      t: ev.t,
      ...(ctx ? { context: ctx } : {}),
      ...(start && f ? { followUp: { n: f.n, volRatio: f.volRatio, days: f.days, enough: f.enough } } : {}),
      ...(snap ? { price: snap.price } : {}),
      ...(nearest ? { nearest } : {}),
    };
    for (const m of inp.index.subscribersOf(ev.symbol)) {
      // A resolution only matters to those told about the conflict.
      if (!start && !inp.toldConflict(m.key, ev.symbol)) continue;
      push(m.key, { key: dedupeKey(m.key, ev.symbol, `${start ? 'conflict' : 'resolved'}@${ev.t}`, 'conflict'), symbol: ev.symbol, kind: 'conflict', payload, bypassCooldown: !start });
    }
    return;
  }
  if (ev.kind === 'fading') {
    const direction = ev.snapshot.composite.direction;
    const toward = nearestZone(snap, direction);
    const ctx = context(ev.symbol, ev.snapshot);
    const payload: AlertPayload = {
      kind: 'fading',
      mode: ev.mode,
      direction,
      symbol: ev.symbol,
      t: ev.t,
      ...(ctx ? { context: ctx } : {}),
      ...(snap ? { price: snap.price } : {}),
      ...(toward ? { toward } : {}),
    };
    for (const m of inp.index.subscribersOf(ev.symbol)) push(m.key, { key: dedupeKey(m.key, ev.symbol, toward?.id ?? 'none', 'fading'), symbol: ev.symbol, kind: 'fading', payload, zoneUsd: toward?.notionalUsd });
  }
}
