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
  private swept = new Set<string>();

  constructor(private readonly opts: PositionWatcherOptions) {}

  onSweep(ev: SweepEvent): void {
    if (ev.phase === 'settled') return; // the crossing itself was told minutes earlier
    this.swept.add(ev.zoneId);
  }

  /** Sweeps seen but not yet evaluated are market facts, not personal: nothing to forget in memory. */
  forget(_dest: Destination): void {}

  async collect(ctx: SourceContext): Promise<SourcedAlert[]> {
    const { repo, zones } = this.opts;
    const swept = this.swept;
    this.swept = new Set();
    const users = (await repo.all()).filter(([, u]) => u.positions.length > 0);
    if (users.length === 0) return [];

    // State is read from the store every tick: with several bot instances, the last tick may have run elsewhere.
    const dests = users.map(([, u]) => ownerDestination(u));
    const [settings, states] = await Promise.all([
      this.opts.params?.targetNearPct === undefined ? this.opts.store.settings.getMany(dests) : Promise.resolve(undefined),
      repo.watch.getMany(users.map(([k]) => k)),
    ]);

    const alerts: SourcedAlert[] = [];
    const writes: Promise<void | boolean>[] = [];
    users.forEach(([key, u], i) => {
      const params: WatchParams = { ...DEFAULT_WATCH_PARAMS, ...(settings ? { targetNearPct: settings[i]!.proximityPct } : {}), ...this.opts.params };
      const dest = dests[i]!;
      const before = states[i] ?? {};
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
        writes.push(Object.keys(after).length ? repo.watch.set(key, after) : repo.watch.delete(key));
      }
    });
    await Promise.all(writes);
    return alerts;
  }
}
