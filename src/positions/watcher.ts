/**
 * The position watcher: an alert source for the notifier (src/notify/sources.ts). Every tick it
 * re-plans each stored position on the latest zones, steps the pure watch rules and returns the
 * alerts for the owner's personal destination; the notifier decides and delivers them (ledger,
 * quiet hours, mute, daily cap, outbox). Watch state is persisted per user so a restart neither
 * repeats nor loses an approach.
 */
import type { ZoneService } from '../bot/services.ts';
import type { SweepEvent } from '../engine/types.ts';
import { timeframeContext } from '../notify/rules.ts';
import type { AlertSource, SourceContext, SourcedAlert } from '../notify/sources.ts';
import { destinationKey } from '../store/destination.ts';
import type { Store } from '../store/store.ts';
import type { Destination } from '../store/types.ts';
import { alertPayload } from './format.ts';
import { ownerDestination, userKey, type PositionRepo } from './repo.ts';
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
  /** user key → position id → watch state (mirrors `position-watch:<user>`). */
  private readonly states = new Map<string, Record<string, WatchState>>();
  private swept = new Set<string>();

  constructor(private readonly opts: PositionWatcherOptions) {}

  onSweep(ev: SweepEvent): void {
    this.swept.add(ev.zoneId);
  }

  forget(dest: Destination): void {
    this.states.delete(userKey(dest.platform, dest.id));
  }

  async collect(ctx: SourceContext): Promise<SourcedAlert[]> {
    const { repo, zones } = this.opts;
    const swept = this.swept;
    this.swept = new Set();
    const users = (await repo.all()).filter(([, u]) => u.positions.length > 0);
    const present = new Set(users.map(([k]) => k));
    for (const k of this.states.keys()) if (!present.has(k)) this.states.delete(k);
    if (users.length === 0) return [];

    const dests = users.map(([, u]) => ownerDestination(u));
    const missing = users.map(([k]) => k).filter((k) => !this.states.has(k));
    const [settings, loaded] = await Promise.all([
      this.opts.params?.targetNearPct === undefined ? this.opts.store.settings.getMany(dests) : Promise.resolve(undefined),
      repo.watch.getMany(missing),
    ]);
    missing.forEach((k, i) => this.states.set(k, loaded[i] ?? {}));

    const alerts: SourcedAlert[] = [];
    const writes: Promise<void | boolean>[] = [];
    users.forEach(([key, u], i) => {
      const params: WatchParams = { ...DEFAULT_WATCH_PARAMS, ...(settings ? { targetNearPct: settings[i]!.proximityPct } : {}), ...this.opts.params };
      const dest = dests[i]!;
      const before = this.states.get(key)!;
      const after: Record<string, WatchState> = {};
      for (const p of u.positions) {
        const prev = before[p.id];
        const snap = zones.snapshot(p.symbol);
        const plan = snap ? zones.planExit(exitRequestOf(p)) : undefined;
        if (!snap || !plan || 'error' in plan) {
          if (prev) after[p.id] = prev;
          continue;
        }
        const signal = ctx.signal(p.symbol);
        const { state, events } = watchStep(prev, { position: p, snap, plan, conflicted: signal?.conflicted, sweptZoneIds: swept }, params);
        after[p.id] = state;
        for (const e of events) {
          alerts.push({
            dest,
            key: `${destinationKey(dest)}|${p.symbol}|pos${p.id}:${e.key}|position`,
            symbol: p.symbol,
            payload: alertPayload(p, e, plan, ctx.t, e.kind === 'conflict' ? timeframeContext(signal) : undefined),
            urgent: e.urgent,
          });
        }
      }
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        this.states.set(key, after);
        writes.push(Object.keys(after).length ? repo.watch.set(key, after) : repo.watch.delete(key));
      }
    });
    await Promise.all(writes);
    return alerts;
  }
}
