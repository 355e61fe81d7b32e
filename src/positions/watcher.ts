/**
 * The position watcher: an alert source for the notifier (src/notify/sources.ts). Every tick it
 * steps the pure watch rules for each stored position against its STORED plan (stop, targets and
 * liquidation price fixed at add time; the fresh plan only supplies the current price) and returns
 * the alerts for the owner's personal destination; the notifier decides and delivers them (ledger,
 * quiet hours, mute, daily cap, outbox). Watch state is persisted per user once the alerts are in
 * the outbox, so a restart neither repeats nor loses an event.
 */
import type { ZoneService } from '../bot/services.ts';
import { timeframeContext } from '../notify/rules.ts';
import type { AlertSource, SourceContext, SourcedAlert } from '../notify/sources.ts';
import { destinationKey } from '../store/destination.ts';
import type { Store } from '../store/store.ts';
import type { Destination } from '../store/types.ts';
import { alertPayload, storedAsExitPlan } from './format.ts';
import { storedPlanOf } from './plan.ts';
import { ownerDestination, type PositionRepo } from './repo.ts';
import { DEFAULT_WATCH_PARAMS, watchStep, type WatchParams, type WatchState } from './rules.ts';
import type { Position } from './types.ts';

export interface PositionWatcherOptions {
  repo: PositionRepo;
  store: Store;
  zones: ZoneService;
  /**
   * Rule parameters. Without `targetNearPct` the target band follows each user's own
   * `/alerts proximity` setting.
   */
  params?: Partial<WatchParams>;
}

export function exitRequestOf(p: Position) {
  return { symbol: p.symbol, side: p.side, entry: p.entry, leverage: p.leverage, sizeUsd: p.sizeUsd, venue: p.venue };
}

export class PositionWatcher implements AlertSource {
  readonly name = 'positions';
  /** Watch-state writes and liquidation marks of the last collect, applied once its alerts are committed. */
  private pendingWrites: (() => Promise<unknown>)[] = [];

  constructor(private readonly opts: PositionWatcherOptions) {}

  /** Nothing about a destination is held in memory between ticks. */
  forget(_dest: Destination): void {}

  /**
   * The alerts of the last collect are persisted in the outbox: now their watch state may be
   * stored. Until then a restart (or a failed commit) recomputes the same events with the same
   * dedupe keys, so each lifecycle event is told exactly once.
   */
  async committed(): Promise<void> {
    const writes = this.pendingWrites;
    this.pendingWrites = [];
    await Promise.all(writes.map((w) => w()));
  }

  /** The last collect's alerts were not persisted: forget its state changes, so the next tick decides them again. */
  abandoned(): void {
    this.pendingWrites = [];
  }

  async collect(ctx: SourceContext): Promise<SourcedAlert[]> {
    const { repo, zones } = this.opts;
    this.pendingWrites = [];
    const users = (await repo.all()).filter(([, u]) => u.positions.some((p) => p.likelyLiquidatedAt === undefined));
    if (users.length === 0) return [];

    // State is read from the store every tick: with several bot instances, the last tick may have run elsewhere.
    const dests = users.map(([, u]) => ownerDestination(u));
    const [settings, states] = await Promise.all([
      this.opts.params?.targetNearPct === undefined ? this.opts.store.settings.getMany(dests) : Promise.resolve(undefined),
      repo.watch.getMany(users.map(([k]) => k)),
    ]);

    const alerts: SourcedAlert[] = [];
    const writes: (() => Promise<unknown>)[] = [];
    for (const [i, [key, u]] of users.entries()) {
      const params: WatchParams = { ...DEFAULT_WATCH_PARAMS, ...(settings ? { targetNearPct: settings[i]!.proximityPct } : {}), ...this.opts.params };
      const dest = dests[i]!;
      const before = states[i] ?? {};
      const after: Record<string, WatchState> = {};
      for (const p of u.positions) {
        const prev = before[p.id];
        if (p.likelyLiquidatedAt !== undefined) {
          if (prev) after[p.id] = prev;
          continue;
        }
        const snap = zones.snapshot(p.symbol);
        const fresh = snap ? zones.planExit(exitRequestOf(p)) : undefined;
        if (!snap || !fresh || 'error' in fresh) {
          if (prev) after[p.id] = prev;
          continue;
        }
        // The plan the alerts watch is the stored one; a position stored before plans gets one, once.
        const stored = p.plan ?? (await repo.setPlan(u.platform, u.userId, p.id, storedPlanOf(fresh, ctx.t, true), true));
        if (!stored) continue; // closed meanwhile
        const plan = storedAsExitPlan(p, stored, fresh);
        const signal = ctx.signal(p.symbol);
        const { state, events } = watchStep(prev, { position: p, snap, plan, plannedAt: stored.plannedAt, conflicted: signal?.conflicted, now: ctx.t }, params);
        after[p.id] = state;
        for (const e of events) {
          alerts.push({
            dest,
            key: `${destinationKey(dest)}|${p.symbol}|pos${p.id}:${e.key}|position`,
            symbol: p.symbol,
            payload: alertPayload(p, e, plan, ctx.t, e.kind === 'conflict' ? timeframeContext(signal) : undefined),
            urgent: e.urgent,
          });
          if (e.kind === 'liquidation-crossed') writes.push(() => repo.markLikelyLiquidated(u.platform, u.userId, p.id, e.at ?? ctx.t));
        }
      }
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        writes.push(() => (Object.keys(after).length ? repo.watch.set(key, after) : repo.watch.delete(key)));
      }
    }
    this.pendingWrites = writes;
    return alerts;
  }
}
