/**
 * The notifier tick: on a node-cron schedule (noOverlap) it collects the subscription candidates
 * (candidates.ts, over the subscription index) and the sources' personal alerts, has the decider
 * turn them into at most one message per destination (a digest when several alerts coincide) and
 * commit them — outbox first, then delivery (decider.ts; see src/store/outbox.ts for the
 * guarantee). It also releases messages held by a mute, renders messages at delivery time and
 * tells a channel's owner when the channel gets disabled.
 *
 * Performance: subscriptions live in memory, indexed by symbol and grouped by the settings that
 * shape the proximity band (subscription-index.ts), so a tick evaluates each (symbol, settings
 * group) once — not each subscription — and touches the store only for destinations that actually
 * get an alert.
 */
import type { RunCoordinator } from 'node-cron';
import cron, { type ScheduledTask } from 'node-cron';
import type { Reply } from '../bot/reply.ts';
import type { ChartService } from '../bot/services.ts';
import type { SignalEvent, SignalMode, SignalSnapshot, SweepEvent, ZoneSnapshot } from '../engine/types.ts';
import { destinationKey } from '../store/destination.ts';
import { inQuietHours, isMuted } from '../store/settings.ts';
import type { Store } from '../store/store.ts';
import type { AlertSender } from './types.ts';
import type { Destination } from '../store/types.ts';
import { collectCandidates, type PendingEvent } from './candidates.ts';
import { realSleep, type Sleep } from './clock.ts';
import { Decider, type DecisionTally } from './decider.ts';
import type { RatePolicy } from './limiter.ts';
import { disabledChannelNotice } from './messages.ts';
import type { LogFn } from '../ops/log.ts';
import { DeliveryQueue, type AlertMessage, type DeliveryRecord } from './queue.ts';
import { renderAlerts } from './render.ts';
import { checkSweep, type SuppressReason } from './rules.ts';
import type { AlertSource, SourceContext, SourcedAlert } from './sources.ts';
import { SubscriptionIndex } from './subscription-index.ts';

export interface NotifierOptions {
  store: Store;
  zones: { snapshot(symbol: string): ZoneSnapshot | undefined };
  signals?: { snapshot(symbol: string, mode: SignalMode): SignalSnapshot | undefined };
  senders: AlertSender[];
  /** node-cron expression (NOTIFY_CRON), default every 10 s. */
  cron?: string;
  now?: () => number;
  sleep?: Sleep;
  charts?: ChartService;
  log?: LogFn;
  /** Scale-out: a node-cron run coordinator (Redis lease) so exactly one instance runs each slot. */
  coordinator?: RunCoordinator;
  /** Signal mode whose events and context alerts use (default `day`: 1m/5m/1h). */
  signalMode?: SignalMode;
  /** Same dedupe key within this window is a duplicate unless the band re-armed (default 6 h). */
  dedupeWindowMs?: number;
  /** Re-read subscriptions and settings from the store this often, for changes made by other processes (default: 60 s on Redis, never otherwise). */
  reloadEveryMs?: number;
  limits?: Partial<Record<Destination['platform'], RatePolicy>>;
  disableAfter?: number;
  retryBaseMs?: number;
  /** Deliveries kept for `recentDeliveries()` (default 200). */
  keepDeliveries?: number;
  /** Other producers of personal alerts (the position watcher); see sources.ts. */
  sources?: AlertSource[];
}

export interface TickResult {
  t: number;
  symbols: number;
  subscriptions: number;
  /** Zone-band entries across settings groups. */
  entered: number;
  events: number;
  candidates: number;
  /** Alerts accepted into messages. */
  decided: number;
  messages: number;
  held: number;
  released: number;
  /** Messages decided but not sent because the outbox could not persist them. */
  unpersisted: number;
  suppressed: Partial<Record<SuppressReason, number>>;
  durationMs: number;
}

/** How often the decision caches are pruned (clock time). */
const PRUNE_EVERY_MS = 3_600_000;

export class Notifier {
  private readonly store: Store;
  private readonly now: () => number;
  private readonly queue: DeliveryQueue;
  private readonly mode: SignalMode;
  private readonly reloadEveryMs: number;
  private readonly dedupeWindowMs: number;
  private readonly index: SubscriptionIndex;
  private readonly decider: Decider;
  private readonly held = new Map<string, AlertMessage[]>();
  private readonly pending: PendingEvent[] = [];
  /** Sweep crossings waiting for the snapshot that confirms them. */
  private readonly crossings: SweepEvent[] = [];
  private readonly recent: DeliveryRecord[] = [];
  private readonly deliveryListeners = new Set<(r: DeliveryRecord) => void>();
  private readonly sources: AlertSource[];
  /** Outbox ids of erased destinations (/forgetme) still in a delivery lane: never written back. */
  private readonly erased = new Set<string>();
  private loading?: Promise<void>;
  private indexWork: Promise<void> = Promise.resolve();
  private unlisten?: () => void;
  private task?: ScheduledTask;
  private running?: Promise<TickResult>;
  private lastReload = 0;
  private lastPrune = 0;
  private stopped = false;

  constructor(private readonly opts: NotifierOptions) {
    this.store = opts.store;
    this.now = opts.now ?? Date.now;
    this.mode = opts.signalMode ?? 'day';
    this.reloadEveryMs = opts.reloadEveryMs ?? (opts.store.kind === 'redis' ? 60_000 : Number.POSITIVE_INFINITY);
    this.sources = opts.sources ?? [];
    this.index = new SubscriptionIndex(this.store);
    this.dedupeWindowMs = opts.dedupeWindowMs ?? 6 * 3_600_000;
    this.decider = new Decider({ store: this.store, index: this.index, dedupeWindowMs: this.dedupeWindowMs, deliver: (m) => this.deliver(m) });
    this.queue = new DeliveryQueue({
      senders: opts.senders,
      outbox: { save: (m) => (this.erased.has(m.id) ? Promise.resolve() : this.store.outbox.save(m)) },
      health: this.store.health,
      render: (m) => this.render(m),
      now: this.now,
      sleep: opts.sleep ?? realSleep,
      limits: opts.limits,
      disableAfter: opts.disableAfter,
      retryBaseMs: opts.retryBaseMs,
      log: opts.log,
      onDelivered: (r) => this.delivered(r),
      onDisabled: (dest, reason) => void this.destinationDisabled(dest, reason),
    });
  }

  /** The delivery queue (tests drive it on a manual clock; /status reads its stats). */
  get delivery(): DeliveryQueue {
    return this.queue;
  }

  /** Loads subscriptions, band state and the open outbox; starts the cron schedule. */
  async start(): Promise<void> {
    await this.ready();
    if (this.task) return;
    const expr = this.opts.cron ?? '*/10 * * * * *';
    if (!cron.validate(expr)) throw new Error(`NOTIFY_CRON "${expr}" is not a valid cron expression`);
    this.task = cron.schedule(
      expr,
      async () => {
        try {
          await this.tick();
        } catch (err) {
          this.opts.log?.('warn', 'notifier tick failed', { err: String(err) });
        }
      },
      this.opts.coordinator
        ? // several instances on one Redis: each slot is elected, so exactly one evaluates and sends
          { name: 'liqzone-notifier', noOverlap: true, distributed: true, runCoordinator: this.opts.coordinator }
        : { name: 'liqzone-notifier', noOverlap: true },
    );
  }

  /** Stops the schedule, waits for a running tick, and leaves undelivered messages persisted. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.task) {
      await this.task.stop();
      await this.task.destroy();
      this.task = undefined;
    }
    await this.running?.catch(() => undefined);
    await this.queue.stop();
    await this.store.outbox.flush().catch(() => undefined);
    this.unlisten?.();
  }

  onSignalEvent(ev: SignalEvent): void {
    for (const s of this.sources) s.onSignalEvent?.(ev);
    if (ev.mode !== this.mode || ev.kind === 'transition') return;
    this.pending.push({ type: 'signal', ev });
  }

  /**
   * Sweep alerts are about crossings (`phase: 'crossed'`), told within a tick once the next
   * snapshot confirms them (rules.ts `checkSweep`); the settled report five minutes later feeds
   * the track record, not another alert.
   */
  onSweep(ev: SweepEvent): void {
    for (const s of this.sources) s.onSweep?.(ev);
    if (ev.phase === 'crossed') this.crossings.push(ev);
  }

  /** Called for every successful delivery; returns the unsubscribe function. */
  onDelivery(listener: (r: DeliveryRecord) => void): () => void {
    this.deliveryListeners.add(listener);
    return () => this.deliveryListeners.delete(listener);
  }

  /** The most recent deliveries, oldest first (see formatDelivery for a console line). */
  recentDeliveries(limit = 20): DeliveryRecord[] {
    return this.recent.slice(-limit);
  }

  /** Evaluates once. Concurrent calls share the running tick. */
  async tick(): Promise<TickResult> {
    if (this.running) return this.running;
    this.running = this.evaluate().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Sizes of the in-memory collections (soak tests watch them stay bounded). */
  bufferSizes(): Record<string, number> {
    return {
      index: this.index.bySymbol.size,
      rearmed: this.index.rearmedCount(),
      dests: this.index.dests.size,
      disabled: this.index.disabled.size,
      personal: this.index.personal.size,
      held: this.held.size,
      pending: this.pending.length + this.crossings.length,
      conflictNotified: this.decider.conflictNotified.size,
      lastCache: this.decider.lastCache.size,
      dayCache: this.decider.dayCache.size,
      ledgerCache: this.decider.ledgerCache.size,
      recent: this.recent.length,
      deliveryListeners: this.deliveryListeners.size,
      erased: this.erased.size,
    };
  }

  // ---------- loading ----------

  private ready(): Promise<void> {
    this.loading ??= this.load();
    return this.loading;
  }

  private async load(): Promise<void> {
    this.unlisten = this.store.onChange((c) => {
      this.indexWork = this.indexWork.then(() => this.index.apply(c)).catch((err) => this.opts.log?.('warn', 'notifier index update failed', { err: String(err) }));
    });
    await this.index.reload();
    this.lastReload = this.now();
    const open = await this.store.outbox.recoverOpen();
    for (const m of open as AlertMessage[]) {
      this.decider.recovered(m);
      this.deliver(m);
    }
    // A held message for a destination with no subscription (a position alert) needs its mute.
    const orphans = [...this.held.values()].map((list) => list[0]!.dest).filter((d) => !this.index.dests.has(destinationKey(d)));
    const settings = await this.store.settings.getMany(orphans);
    orphans.forEach((dest, i) => this.index.notePersonal(dest, settings[i]!));
  }

  // ---------- one evaluation ----------

  private async evaluate(): Promise<TickResult> {
    const started = performance.now();
    await this.ready();
    await this.indexWork;
    if (this.now() - this.lastReload >= this.reloadEveryMs) {
      await this.index.reload();
      this.lastReload = this.now();
    }
    const t = this.now();
    if (t - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = t;
      this.decider.prune(t);
      this.index.pruneRearmed(t - this.dedupeWindowMs);
    }
    const result: TickResult = { t, symbols: 0, subscriptions: 0, entered: 0, events: 0, candidates: 0, decided: 0, messages: 0, held: 0, released: 0, unpersisted: 0, suppressed: {}, durationMs: 0 };
    if (this.stopped) return result;

    result.released = await this.releaseHeld(t);

    const events = this.pending.splice(0);
    events.push(...this.confirmedSweeps(t, result));
    result.events = events.length;
    const bands = this.index.bandState();
    const found = collectCandidates(
      { t, index: this.index, zones: this.opts.zones, signals: this.opts.signals, mode: this.mode, toldConflict: (dk, symbol) => this.decider.toldConflict(dk, symbol) },
      events,
    );
    Object.assign(result, { symbols: found.symbols, subscriptions: found.subscriptions, entered: found.entered });

    const subscribed = await this.decider.decideSubscriptions(found.byDest, t);
    this.tally(result, subscribed.tally);
    if (!(await this.commit(subscribed.messages, result))) {
      // Not persisted, so not decided: the next tick sees the same band entries and events again.
      this.index.restoreBands(bands);
      found.dirty.clear();
      for (const e of events) {
        if (e.type === 'signal') this.pending.push(e);
        else this.crossings.push(e.ev);
      }
    }

    if (this.sources.length && !this.stopped) {
      const personal = await this.decider.decideSourced(await this.collectSources(t, result), t);
      this.tally(result, personal.tally);
      const ok = await this.commit(personal.messages, result);
      for (const source of this.sources) {
        if (!ok) source.abandoned?.();
        else await source.committed?.().catch((err) => this.opts.log?.('error', 'alert source could not store its state', { err: String(err), source: source.name }));
      }
    }
    await this.index.persistBands(found.dirty);
    result.durationMs = performance.now() - started;
    return result;
  }

  /** Crossings confirmed by a newer snapshot become sweep events; unconfirmed and stale ones are dropped. */
  private confirmedSweeps(t: number, result: TickResult): PendingEvent[] {
    const out: PendingEvent[] = [];
    const waiting: SweepEvent[] = [];
    for (const ev of this.crossings.splice(0)) {
      const snap = this.opts.zones.snapshot(ev.symbol);
      const check = checkSweep(ev, snap, t);
      if (check === 'wait') waiting.push(ev);
      else if (check === 'confirmed') out.push({ type: 'sweep', ev, price: snap!.price });
      else result.suppressed[check] = (result.suppressed[check] ?? 0) + 1;
    }
    this.crossings.push(...waiting);
    return out;
  }

  private tally(result: TickResult, d: DecisionTally): void {
    result.candidates += d.candidates;
    result.decided += d.decided;
    for (const [reason, n] of Object.entries(d.suppressed) as [SuppressReason, number][]) result.suppressed[reason] = (result.suppressed[reason] ?? 0) + n;
  }

  /**
   * Commits decided messages (outbox first, then delivery). A store that fails to persist them
   * means they are not sent: logged, counted in `unpersisted`, decided again by a later tick.
   */
  private async commit(messages: AlertMessage[], result: TickResult): Promise<boolean> {
    try {
      await this.decider.commit(messages);
    } catch (err) {
      result.unpersisted += messages.length;
      this.opts.log?.('error', 'could not persist alerts in the outbox: not sending them', { err: String(err), messages: messages.length });
      return false;
    }
    result.messages += messages.length;
    result.held += messages.filter((m) => m.state === 'held').length;
    return true;
  }

  /** The sources' alerts for this tick, grouped by personal destination. */
  private async collectSources(t: number, result: TickResult): Promise<Map<string, SourcedAlert[]>> {
    const ctx: SourceContext = { t, signal: (symbol) => this.opts.signals?.snapshot(symbol, this.mode) };
    const byDest = new Map<string, SourcedAlert[]>();
    for (const source of this.sources) {
      let alerts: SourcedAlert[];
      try {
        alerts = await source.collect(ctx);
      } catch (err) {
        this.opts.log?.('warn', 'alert source failed', { err: String(err), source: source.name });
        continue;
      }
      for (const a of alerts) {
        // Personal by construction: nothing a source produces may reach a channel or group.
        if (a.dest.kind !== 'user') {
          result.candidates++;
          result.suppressed['not-personal'] = (result.suppressed['not-personal'] ?? 0) + 1;
          continue;
        }
        const dk = destinationKey(a.dest);
        const list = byDest.get(dk);
        if (list) list.push(a);
        else byDest.set(dk, [a]);
      }
    }
    return byDest;
  }

  // ---------- delivery: queue, held messages, rendering ----------

  /** A committed (or recovered) message goes to its delivery lane, or waits while muted. */
  private deliver(m: AlertMessage): void {
    if (m.state !== 'held') {
      this.queue.enqueue(m);
      return;
    }
    const list = this.held.get(m.destKey);
    if (list) list.push(m);
    else this.held.set(m.destKey, [m]);
  }

  /** Delivers messages held by a mute that has ended (or was lifted with /alerts unmute). */
  private async releaseHeld(t: number): Promise<number> {
    let released = 0;
    for (const [dk, list] of this.held) {
      const settings = this.index.settingsOf(dk);
      if (settings && isMuted(t, settings)) continue;
      this.held.delete(dk);
      for (const [i, m] of list.entries()) {
        const next: AlertMessage = { ...m, state: 'queued', heldSince: m.createdAt, silent: settings ? inQuietHours(t, settings.quietHours) : m.silent };
        try {
          await this.store.outbox.save(next);
        } catch (err) {
          // Released only once the outbox says so: the rest stay held for the next tick.
          this.held.set(dk, list.slice(i));
          this.opts.log?.('error', 'could not release held alerts: the outbox did not persist it', { err: String(err), dest: dk });
          return released;
        }
        this.queue.enqueue(next);
        released++;
      }
    }
    return released;
  }

  private render(m: AlertMessage): Reply {
    const single = m.alerts.length === 1 ? m.alerts[0]! : undefined;
    let image;
    if (single && this.opts.charts && (single.kind === 'proximity' || single.kind === 'sweep')) {
      const snap = this.opts.zones.snapshot(single.symbol);
      if (snap) image = this.opts.charts.zonesChart(snap);
    }
    return renderAlerts(m.alerts, { silent: m.silent, heldSince: m.heldSince, lastOfDay: m.lastOfDay, image });
  }

  private delivered(r: DeliveryRecord): void {
    this.recent.push(r);
    const keep = this.opts.keepDeliveries ?? 200;
    if (this.recent.length > keep) this.recent.splice(0, this.recent.length - keep);
    for (const l of this.deliveryListeners) l(r);
  }

  /** Tells the owner of a disabled channel (who subscribed it), where the platform allows a DM. */
  private async destinationDisabled(dest: Destination, reason: string): Promise<void> {
    const key = destinationKey(dest);
    this.index.disabled.add(key);
    this.held.delete(key);
    if (dest.kind !== 'channel') return;
    try {
      const owner = await this.store.owners.get(key);
      if (!owner) return;
      await this.decider.commit([disabledChannelNotice(dest, { platform: owner.platform, kind: 'user', id: owner.userId }, reason, this.now())]);
    } catch (err) {
      this.opts.log?.('warn', 'could not notify destination owner', { err: String(err), dest: key });
    }
  }

  // ---------- /forgetme ----------

  /**
   * /forgetme: forgets a personal destination — its queued and held messages, the notifier's and
   * the sources' memory of it, its outbox records and their ledger keys, its cooldown and daily
   * counters. Subscriptions, settings and health are the caller's to delete (remove the
   * subscriptions first). A message already being sent still arrives, but its record is not
   * written back. Returns the number of outbox records deleted.
   */
  async forgetDestination(dest: Destination): Promise<number> {
    const dk = destinationKey(dest);
    await this.ready();
    await this.running?.catch(() => undefined); // a tick deciding alerts for it right now
    await this.indexWork;
    for (const id of this.queue.drop(dk)) this.erased.add(id);
    for (const m of this.held.get(dk) ?? []) this.erased.add(m.id);
    this.held.delete(dk);
    const symbols = new Set([...this.index.symbolsOf(dk), ...this.index.bySymbol.keys(), ...(await this.store.subscriptions.symbols())]);
    this.index.forget(dk);
    for (const s of this.sources) s.forget?.(dest);
    return this.decider.forget(dest, symbols, this.now());
  }
}
