/**
 * The notifier: on a node-cron schedule (noOverlap) it evaluates every subscription against the
 * latest engine snapshots and the signal/sweep events received since the last tick, decides at
 * most one message per destination (a digest when several alerts coincide), persists it in the
 * outbox and hands it to the delivery queue. See src/store/outbox.ts for the delivery guarantee.
 *
 * Performance: subscriptions live in memory, indexed by symbol and grouped by the settings that
 * shape the proximity band, so a tick evaluates each (symbol, settings group) once — not each
 * subscription — and touches the store only for destinations that actually get an alert.
 */
import { randomUUID } from 'node:crypto';
import type { RunCoordinator } from 'node-cron';
import cron, { type ScheduledTask } from 'node-cron';
import type { Reply } from '../bot/reply.ts';
import type { ChartService } from '../bot/services.ts';
import type { SignalEvent, SignalMode, SignalSnapshot, SweepEvent, ZoneSnapshot } from '../engine/types.ts';
import { destinationKey } from '../store/destination.ts';
import type { Kv } from '../store/kv.ts';
import type { LedgerEntry } from '../store/outbox.ts';
import { inQuietHours, isMuted, type AlertSettings } from '../store/settings.ts';
import type { Store, StoreChange } from '../store/store.ts';
import type { AlertSender, Destination } from '../store/types.ts';
import { realSleep, type Sleep } from './clock.ts';
import type { RatePolicy } from './limiter.ts';
import { DeliveryQueue, type AlertMessage, type DeliveryRecord, type QueueLog } from './queue.ts';
import { renderAlerts } from './render.ts';
import { decideSourced, type AlertSource, type SourceContext, type SourcedAlert } from './sources.ts';
import {
  decide,
  dedupeKey,
  nearestZone,
  proximityPayload,
  proximityStep,
  sweepPayload,
  timeframeContext,
  utcDay,
  type AlertPayload,
  type Candidate,
  type ProximityParams,
  type SuppressReason,
} from './rules.ts';

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
  log?: QueueLog;
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
  suppressed: Partial<Record<SuppressReason, number>>;
  durationMs: number;
}

interface Member {
  key: string;
  dest: Destination;
  settings: AlertSettings;
}

interface Group {
  params: ProximityParams;
  members: Map<string, Member>;
  /** Zone id → time price entered its band. */
  inside: Map<string, number>;
  /** Zone id → time price last left its band (re-arms the alert). */
  rearmedAt: Map<string, number>;
}

type PendingEvent = { type: 'signal'; ev: SignalEvent } | { type: 'sweep'; ev: SweepEvent };

/** How often the decision caches are pruned (clock time). */
const PRUNE_EVERY_MS = 3_600_000;
/** Days the /forgetme index keeps a day's message ids (longer than the longest mute plus retention). */
const ERASE_INDEX_DAYS = 35;
/** Longest cooldown /alerts accepts. */
const MAX_COOLDOWN_MS = 1440 * 60_000;

const groupKey = (s: AlertSettings) => `${s.proximityPct}|${s.minZoneUsd}`;

export class Notifier {
  private readonly store: Store;
  private readonly now: () => number;
  private readonly queue: DeliveryQueue;
  private readonly mode: SignalMode;
  private readonly dedupeWindowMs: number;
  private readonly reloadEveryMs: number;
  /** symbol → settings group key → group. */
  private readonly index = new Map<string, Map<string, Group>>();
  /** destination key → settings and subscribed symbols. */
  private readonly dests = new Map<string, { dest: Destination; settings: AlertSettings; symbols: Set<string> }>();
  private readonly disabled = new Set<string>();
  private readonly held = new Map<string, AlertMessage[]>();
  private readonly pending: PendingEvent[] = [];
  private readonly conflictNotified = new Set<string>();
  private readonly lastCache = new Map<string, number | null>();
  private readonly dayCache = new Map<string, number>();
  private readonly ledgerCache = new Map<string, LedgerEntry | null>();
  private readonly lastKv: Kv<number>;
  private readonly dayKv: Kv<number>;
  private readonly bandKv: Kv<Record<string, Record<string, number>>>;
  private readonly eraseKv: Kv<string[]>;
  private readonly recent: DeliveryRecord[] = [];
  private readonly deliveryListeners = new Set<(r: DeliveryRecord) => void>();
  private readonly sources: AlertSource[];
  /** Settings of destinations alerted only by sources (no subscription), for mutes and held messages. */
  private readonly personal = new Map<string, { dest: Destination; settings: AlertSettings }>();
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
    this.dedupeWindowMs = opts.dedupeWindowMs ?? 6 * 3_600_000;
    this.reloadEveryMs = opts.reloadEveryMs ?? (opts.store.kind === 'redis' ? 60_000 : Number.POSITIVE_INFINITY);
    this.lastKv = this.store.kv<number>('notify-last', { indexed: false });
    this.dayKv = this.store.kv<number>('notify-day', { indexed: false });
    this.bandKv = this.store.kv('notify-bands', { indexed: false });
    this.eraseKv = this.store.kv<string[]>('erase', { indexed: false });
    this.sources = opts.sources ?? [];
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
          this.opts.log?.warn({ err: String(err) }, 'notifier tick failed');
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

  onSweep(ev: SweepEvent): void {
    for (const s of this.sources) s.onSweep?.(ev);
    this.pending.push({ type: 'sweep', ev });
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

  // ---------- loading and the in-memory index ----------

  private ready(): Promise<void> {
    this.loading ??= this.load();
    return this.loading;
  }

  private async load(): Promise<void> {
    this.unlisten = this.store.onChange((c) => this.changed(c));
    await this.reloadIndex();
    const open = await this.store.outbox.recoverOpen();
    for (const m of open as AlertMessage[]) {
      for (const k of m.keys) this.ledgerCache.set(k, { messageId: m.id, decidedAt: m.createdAt });
      if (m.state === 'held') this.hold(m);
      else this.queue.enqueue(m);
    }
    // A held message for a destination with no subscription (a position alert) needs its mute.
    const orphans = [...this.held.values()].map((list) => list[0]!.dest).filter((d) => !this.dests.has(destinationKey(d)));
    const settings = await this.store.settings.getMany(orphans);
    orphans.forEach((dest, i) => this.personal.set(destinationKey(dest), { dest, settings: settings[i]! }));
  }

  /** Rebuilds the index from the store, keeping band state for groups that still exist. */
  private async reloadIndex(): Promise<void> {
    const symbols = await this.store.subscriptions.symbols();
    const bySymbol = await Promise.all(symbols.map((s) => this.store.subscriptions.subscribersOf(s)));
    const destMap = new Map<string, Destination>();
    for (const list of bySymbol) for (const d of list) destMap.set(destinationKey(d), d);
    const destList = [...destMap.values()];
    const settings: AlertSettings[] = [];
    const health: boolean[] = [];
    for (let i = 0; i < destList.length; i += 500) {
      const chunk = destList.slice(i, i + 500);
      settings.push(...(await this.store.settings.getMany(chunk)));
      health.push(...(await this.store.health.getMany(chunk)).map((h) => h.disabled));
    }
    const saved = await this.bandKv.getMany(symbols);
    const previous = new Map(this.index);
    this.index.clear();
    this.dests.clear();
    this.disabled.clear();
    destList.forEach((d, i) => {
      const key = destinationKey(d);
      this.dests.set(key, { dest: d, settings: settings[i]!, symbols: new Set() });
      if (health[i]) this.disabled.add(key);
    });
    symbols.forEach((symbol, i) => {
      for (const d of bySymbol[i]!) this.addMember(symbol, destinationKey(d));
      const groups = this.index.get(symbol);
      if (!groups) return;
      for (const [gk, g] of groups) {
        const old = previous.get(symbol)?.get(gk);
        if (old) {
          g.inside = old.inside;
          g.rearmedAt = old.rearmedAt;
        } else {
          const persisted = saved[i]?.[gk];
          if (persisted) g.inside = new Map(Object.entries(persisted));
        }
      }
    });
    this.lastReload = this.now();
  }

  private addMember(symbol: string, key: string): void {
    const d = this.dests.get(key);
    if (!d) return;
    d.symbols.add(symbol);
    let groups = this.index.get(symbol);
    if (!groups) this.index.set(symbol, (groups = new Map()));
    const gk = groupKey(d.settings);
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = { params: { proximityPct: d.settings.proximityPct, minZoneUsd: d.settings.minZoneUsd }, members: new Map(), inside: new Map(), rearmedAt: new Map() }));
    g.members.set(key, { key, dest: d.dest, settings: d.settings });
  }

  private removeMember(symbol: string, key: string): void {
    const groups = this.index.get(symbol);
    if (!groups) return;
    for (const [gk, g] of groups) {
      g.members.delete(key);
      if (g.members.size === 0) groups.delete(gk);
    }
    if (groups.size === 0) this.index.delete(symbol);
  }

  /** Applies a change made through this process's store; ticks wait for it. */
  private changed(c: StoreChange): void {
    this.indexWork = this.indexWork.then(async () => {
      const key = destinationKey(c.dest);
      if (c.type === 'subscription') {
        if (!c.subscribed) {
          this.removeMember(c.symbol, key);
          this.dests.get(key)?.symbols.delete(c.symbol);
          return;
        }
        if (!this.dests.has(key)) {
          const [settings, health] = await Promise.all([this.store.settings.get(c.dest), this.store.health.get(c.dest)]);
          this.dests.set(key, { dest: c.dest, settings, symbols: new Set() });
          if (health.disabled) this.disabled.add(key);
        }
        this.addMember(c.symbol, key);
      } else if (c.type === 'settings') {
        const d = this.dests.get(key);
        const settings = await this.store.settings.get(c.dest);
        const p = this.personal.get(key);
        if (p) p.settings = settings;
        if (!d) return;
        const symbols = [...d.symbols];
        for (const s of symbols) this.removeMember(s, key);
        d.settings = settings;
        for (const s of symbols) this.addMember(s, key);
      } else {
        const h = await this.store.health.get(c.dest);
        if (h.disabled) this.disabled.add(key);
        else this.disabled.delete(key);
      }
    }).catch((err) => this.opts.log?.warn({ err: String(err) }, 'notifier index update failed'));
  }

  // ---------- one evaluation ----------

  private async evaluate(): Promise<TickResult> {
    const started = performance.now();
    await this.ready();
    await this.indexWork;
    if (this.now() - this.lastReload >= this.reloadEveryMs) await this.reloadIndex();
    const t = this.now();
    if (t - this.lastPrune >= PRUNE_EVERY_MS) this.pruneCaches(t);
    const result: TickResult = { t, symbols: 0, subscriptions: 0, entered: 0, events: 0, candidates: 0, decided: 0, messages: 0, held: 0, released: 0, suppressed: {}, durationMs: 0 };
    if (this.stopped) return result;

    result.released = await this.releaseHeld(t);

    const byDest = new Map<string, Candidate[]>();
    const push = (destKey: string, c: Candidate) => {
      const list = byDest.get(destKey);
      if (list) list.push(c);
      else byDest.set(destKey, [c]);
      result.candidates++;
    };
    const dirty = new Set<string>();
    const contextCache = new Map<string, string | undefined>();
    const context = (symbol: string, snap?: SignalSnapshot) => {
      if (snap) return timeframeContext(snap);
      if (!contextCache.has(symbol)) contextCache.set(symbol, timeframeContext(this.opts.signals?.snapshot(symbol, this.mode)));
      return contextCache.get(symbol);
    };

    for (const [symbol, groups] of this.index) {
      result.symbols++;
      for (const g of groups.values()) result.subscriptions += g.members.size;
      const snap = this.opts.zones.snapshot(symbol);
      if (!snap) continue;
      for (const g of groups.values()) {
        const step = proximityStep(g.inside, snap, g.params);
        if (step.entered.length === 0 && step.left.length === 0) continue;
        dirty.add(symbol);
        for (const id of step.left) g.rearmedAt.set(id, t);
        g.inside = step.inside;
        for (const z of step.entered) {
          result.entered++;
          const payload = proximityPayload(snap, z, context(symbol));
          const rearmedAt = g.rearmedAt.get(z.id);
          for (const m of g.members.values()) push(m.key, { key: dedupeKey(m.key, symbol, z.id, 'proximity'), symbol, kind: 'proximity', payload, rearmedAt });
        }
      }
    }

    const events = this.pending.splice(0);
    result.events = events.length;
    for (const e of events) this.eventCandidates(e, push, context);

    await this.decideAll(byDest, t, result);
    await this.decideFromSources(t, result);
    await this.persistBands(dirty);
    result.durationMs = performance.now() - started;
    return result;
  }

  private subscribersOf(symbol: string): Member[] {
    const out: Member[] = [];
    for (const g of this.index.get(symbol)?.values() ?? []) out.push(...g.members.values());
    return out;
  }

  private eventCandidates(e: PendingEvent, push: (destKey: string, c: Candidate) => void, context: (symbol: string, snap?: SignalSnapshot) => string | undefined): void {
    if (e.type === 'sweep') {
      const ev = e.ev;
      const payload = sweepPayload(ev, context(ev.symbol));
      for (const m of this.subscribersOf(ev.symbol)) push(m.key, { key: dedupeKey(m.key, ev.symbol, ev.zoneId, 'sweep'), symbol: ev.symbol, kind: 'sweep', payload, zoneUsd: ev.modeledUsd });
      return;
    }
    const ev = e.ev;
    const snap = this.opts.zones.snapshot(ev.symbol);
    if (ev.kind === 'conflict-start' || ev.kind === 'conflict-end') {
      const start = ev.kind === 'conflict-start';
      const payload: AlertPayload = {
        kind: 'conflict',
        phase: start ? 'start' : 'end',
        mode: ev.mode,
        symbol: ev.symbol,
        t: ev.t,
        ...(context(ev.symbol, ev.snapshot) ? { context: context(ev.symbol, ev.snapshot) } : {}),
        ...(snap ? { price: snap.price } : {}),
        ...(nearestZone(snap, ev.snapshot.composite.direction) ? { nearest: nearestZone(snap, ev.snapshot.composite.direction) } : {}),
      };
      for (const m of this.subscribersOf(ev.symbol)) {
        const tag = `${m.key}|${ev.symbol}`;
        // A resolution only matters to those told about the conflict.
        if (!start && !this.conflictNotified.has(tag)) continue;
        push(m.key, { key: dedupeKey(m.key, ev.symbol, `${start ? 'conflict' : 'resolved'}@${ev.t}`, 'conflict'), symbol: ev.symbol, kind: 'conflict', payload, bypassCooldown: !start });
      }
      return;
    }
    if (ev.kind === 'fading') {
      const direction = ev.snapshot.composite.direction;
      const toward = nearestZone(snap, direction);
      const payload: AlertPayload = {
        kind: 'fading',
        mode: ev.mode,
        direction,
        symbol: ev.symbol,
        t: ev.t,
        ...(context(ev.symbol, ev.snapshot) ? { context: context(ev.symbol, ev.snapshot) } : {}),
        ...(snap ? { price: snap.price } : {}),
        ...(toward ? { toward } : {}),
      };
      for (const m of this.subscribersOf(ev.symbol)) push(m.key, { key: dedupeKey(m.key, ev.symbol, toward?.id ?? 'none', 'fading'), symbol: ev.symbol, kind: 'fading', payload, zoneUsd: toward?.notionalUsd });
    }
  }

  /** Loads the bookkeeping the decisions need (only for destinations with candidates), decides, persists, enqueues. */
  private async decideAll(byDest: Map<string, Candidate[]>, t: number, result: TickResult): Promise<void> {
    if (byDest.size === 0) return;
    const day = utcDay(t);
    const destKeys = [...byDest.keys()];
    const lastKeys = new Set<string>();
    const ledgerKeys: string[] = [];
    for (const [dk, cs] of byDest) {
      for (const c of cs) {
        const lk = `${dk}|${c.symbol}`;
        if (!this.lastCache.has(lk)) lastKeys.add(lk);
        if (!this.ledgerCache.has(c.key)) ledgerKeys.push(c.key);
      }
    }
    const dayKeys = destKeys.filter((dk) => !this.dayCache.has(`${dk}|${day}`)).map((dk) => `${dk}|${day}`);
    const lastList = [...lastKeys];
    const [lastVals, dayVals, ledgerVals] = await Promise.all([this.lastKv.getMany(lastList), this.dayKv.getMany(dayKeys), this.store.outbox.ledger(ledgerKeys)]);
    lastList.forEach((k, i) => this.lastCache.set(k, lastVals[i] ?? null));
    dayKeys.forEach((k, i) => this.dayCache.set(k, dayVals[i] ?? 0));
    ledgerKeys.forEach((k, i) => this.ledgerCache.set(k, ledgerVals[i] ?? null));

    const messages: AlertMessage[] = [];
    const lastWrites = new Map<string, number>();
    const dayWrites = new Map<string, number>();
    for (const [dk, cs] of byDest) {
      const d = this.dests.get(dk);
      if (!d) continue;
      const sentToday = this.dayCache.get(`${dk}|${day}`) ?? 0;
      const decision = decide(
        cs,
        {
          settings: d.settings,
          disabled: this.disabled.has(dk),
          lastAlertAt: (symbol) => this.lastCache.get(`${dk}|${symbol}`) ?? undefined,
          sentToday,
          ledger: (key) => this.ledgerCache.get(key) ?? undefined,
        },
        t,
        { dedupeWindowMs: this.dedupeWindowMs },
      );
      for (const s of decision.suppressed) result.suppressed[s.reason] = (result.suppressed[s.reason] ?? 0) + 1;
      if (decision.accepted.length === 0) continue;
      const msg: AlertMessage = {
        id: `${t.toString(36)}-${randomUUID()}`,
        destKey: dk,
        dest: d.dest,
        createdAt: t,
        keys: decision.accepted.map((c) => c.key),
        alerts: decision.accepted.map((c) => c.payload),
        state: decision.holdUntil !== undefined ? 'held' : 'queued',
        silent: decision.silent,
        ...(decision.holdUntil !== undefined ? { holdUntil: decision.holdUntil } : {}),
        ...(decision.lastOfDay ? { lastOfDay: true } : {}),
        attempts: 0,
      };
      messages.push(msg);
      result.decided += decision.accepted.length;
      for (const c of decision.accepted) {
        this.ledgerCache.set(c.key, { messageId: msg.id, decidedAt: t });
        this.lastCache.set(`${dk}|${c.symbol}`, t);
        lastWrites.set(`${dk}|${c.symbol}`, t);
        if (c.kind === 'conflict' && c.payload.kind === 'conflict') {
          if (c.payload.phase === 'start') this.conflictNotified.add(`${dk}|${c.symbol}`);
          else this.conflictNotified.delete(`${dk}|${c.symbol}`);
        }
      }
      this.dayCache.set(`${dk}|${day}`, sentToday + 1);
      dayWrites.set(`${dk}|${day}`, sentToday + 1);
    }
    // Persist first (outbox order: open set → record → ledger), then deliver.
    await this.indexErasable(messages, day);
    await this.store.outbox.putMany(messages);
    await Promise.all([
      ...[...lastWrites].map(([k, v]) => this.lastKv.set(k, v, this.dedupeWindowMs + 86_400_000)),
      ...[...dayWrites].map(([k, v]) => this.dayKv.set(k, v, 2 * 86_400_000)),
    ]);
    for (const m of messages) {
      result.messages++;
      if (m.state === 'held') {
        result.held++;
        this.hold(m);
      } else this.queue.enqueue(m);
    }
  }

  /**
   * Bounds the decision caches: ledger entries past the dedupe window and cooldown stamps past the
   * longest cooldown can no longer suppress anything (the store expires them too); other days'
   * counters are done. Entries known to be absent are dropped as well (they are re-read if needed).
   */
  private pruneCaches(t: number): void {
    this.lastPrune = t;
    for (const [k, v] of this.ledgerCache) if (v === null || v.decidedAt < t - this.dedupeWindowMs) this.ledgerCache.delete(k);
    for (const [k, v] of this.lastCache) if (v === null || v < t - MAX_COOLDOWN_MS) this.lastCache.delete(k);
    const today = `|${utcDay(t)}`;
    for (const k of this.dayCache.keys()) if (!k.endsWith(today)) this.dayCache.delete(k);
  }

  private hold(m: AlertMessage): void {
    const list = this.held.get(m.destKey);
    if (list) list.push(m);
    else this.held.set(m.destKey, [m]);
  }

  /** Delivers messages held by a mute that has ended (or was lifted with /alerts unmute). */
  private async releaseHeld(t: number): Promise<number> {
    let released = 0;
    for (const [dk, list] of this.held) {
      const settings = this.dests.get(dk)?.settings ?? this.personal.get(dk)?.settings;
      if (settings && isMuted(t, settings)) continue;
      this.held.delete(dk);
      for (const m of list) {
        const next: AlertMessage = { ...m, state: 'queued', heldSince: m.createdAt, silent: settings ? inQuietHours(t, settings.quietHours) : m.silent };
        await this.store.outbox.save(next);
        this.queue.enqueue(next);
        released++;
      }
    }
    return released;
  }

  private async persistBands(symbols: Set<string>): Promise<void> {
    await Promise.all(
      [...symbols].map((symbol) => {
        const state: Record<string, Record<string, number>> = {};
        for (const [gk, g] of this.index.get(symbol) ?? []) if (g.inside.size) state[gk] = Object.fromEntries(g.inside);
        return this.bandKv.set(symbol, state);
      }),
    );
  }

  // ---------- personal alerts from sources (positions) ----------

  /** Decides the sources' alerts per personal destination, persists and enqueues them. */
  private async decideFromSources(t: number, result: TickResult): Promise<void> {
    if (this.sources.length === 0 || this.stopped) return;
    const ctx: SourceContext = { t, signal: (symbol) => this.opts.signals?.snapshot(symbol, this.mode) };
    const byDest = new Map<string, SourcedAlert[]>();
    for (const source of this.sources) {
      let alerts: SourcedAlert[];
      try {
        alerts = await source.collect(ctx);
      } catch (err) {
        this.opts.log?.warn({ err: String(err), source: source.name }, 'alert source failed');
        continue;
      }
      for (const a of alerts) {
        result.candidates++;
        // Personal by construction: nothing a source produces may reach a channel or group.
        if (a.dest.kind !== 'user') {
          result.suppressed['not-personal'] = (result.suppressed['not-personal'] ?? 0) + 1;
          continue;
        }
        const dk = destinationKey(a.dest);
        const list = byDest.get(dk);
        if (list) list.push(a);
        else byDest.set(dk, [a]);
      }
    }
    if (byDest.size === 0) return;
    const day = utcDay(t);
    const destKeys = [...byDest.keys()];
    const dests = destKeys.map((dk) => byDest.get(dk)![0]!.dest);
    const ledgerKeys = [...byDest.values()].flat().map((a) => a.key).filter((k) => !this.ledgerCache.has(k));
    const dayKeys = destKeys.filter((dk) => !this.dayCache.has(`${dk}|${day}`)).map((dk) => `${dk}|${day}`);
    const [settings, health, ledgerVals, dayVals] = await Promise.all([
      this.store.settings.getMany(dests),
      this.store.health.getMany(dests),
      this.store.outbox.ledger(ledgerKeys),
      this.dayKv.getMany(dayKeys),
    ]);
    ledgerKeys.forEach((k, i) => this.ledgerCache.set(k, ledgerVals[i] ?? null));
    dayKeys.forEach((k, i) => this.dayCache.set(k, dayVals[i] ?? 0));

    const messages: AlertMessage[] = [];
    const dayWrites = new Map<string, number>();
    destKeys.forEach((dk, i) => {
      const dest = dests[i]!;
      if (!this.dests.has(dk)) this.personal.set(dk, { dest, settings: settings[i]! });
      let sentToday = this.dayCache.get(`${dk}|${day}`) ?? 0;
      const decision = decideSourced(
        byDest.get(dk)!,
        { settings: settings[i]!, disabled: this.disabled.has(dk) || health[i]!.disabled, sentToday, ledger: (k) => this.ledgerCache.get(k) ?? undefined },
        t,
        { dedupeWindowMs: this.dedupeWindowMs },
      );
      for (const s of decision.suppressed) result.suppressed[s.reason] = (result.suppressed[s.reason] ?? 0) + 1;
      const make = (alerts: SourcedAlert[], extra: Partial<AlertMessage>): void => {
        const msg: AlertMessage = {
          id: `${t.toString(36)}-${randomUUID()}`,
          destKey: dk,
          dest,
          createdAt: t,
          keys: alerts.map((a) => a.key),
          alerts: alerts.map((a) => a.payload),
          state: 'queued',
          silent: false,
          attempts: 0,
          ...extra,
        };
        messages.push(msg);
        result.decided += alerts.length;
        for (const a of alerts) this.ledgerCache.set(a.key, { messageId: msg.id, decidedAt: t });
        sentToday++;
      };
      // Liquidation risk goes out on its own, with notification, whatever the quiet hours or mute.
      if (decision.urgent.length) make(decision.urgent, {});
      if (decision.normal.length) {
        make(decision.normal, {
          silent: decision.silent,
          ...(decision.holdUntil !== undefined ? { state: 'held' as const, holdUntil: decision.holdUntil } : {}),
          ...(decision.lastOfDay ? { lastOfDay: true } : {}),
        });
      }
      if (sentToday !== (this.dayCache.get(`${dk}|${day}`) ?? 0)) {
        this.dayCache.set(`${dk}|${day}`, sentToday);
        dayWrites.set(`${dk}|${day}`, sentToday);
      }
    });
    await this.indexErasable(messages, day);
    await this.store.outbox.putMany(messages);
    await Promise.all([...dayWrites].map(([k, v]) => this.dayKv.set(k, v, 2 * 86_400_000)));
    for (const m of messages) {
      result.messages++;
      if (m.state === 'held') {
        result.held++;
        this.hold(m);
      } else this.queue.enqueue(m);
    }
  }

  /**
   * Records, per personal destination and UTC day, the ids of the outbox messages decided for it
   * (`erase:<destination>|<day>`, expiring after ERASE_INDEX_DAYS), so /forgetme can find them
   * and, through each record, its ledger keys: those namespaces cannot be listed. Written before
   * the messages themselves; a crash in between leaves an id naming nothing, which is harmless.
   */
  private async indexErasable(messages: AlertMessage[], day: string): Promise<void> {
    const ids = new Map<string, string[]>();
    for (const m of messages) {
      if (m.dest.kind !== 'user') continue;
      const key = `${m.destKey}|${day}`;
      const list = ids.get(key);
      if (list) list.push(m.id);
      else ids.set(key, [m.id]);
    }
    if (ids.size === 0) return;
    const keys = [...ids.keys()];
    // One batched read-modify-write under the per-key locks (Kv.update would be one round trip per key).
    await this.store.backend.mutex.run(
      keys.map((k) => `erase:${k}`),
      async () => {
        const current = await this.eraseKv.getMany(keys);
        await Promise.all(keys.map((k, i) => this.eraseKv.set(k, [...(current[i] ?? []), ...ids.get(k)!], ERASE_INDEX_DAYS * 86_400_000)));
      },
    );
  }

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
    this.personal.delete(dk);
    this.disabled.delete(dk);
    const symbols = new Set([...(this.dests.get(dk)?.symbols ?? []), ...this.index.keys(), ...(await this.store.subscriptions.symbols())]);
    if (this.dests.get(dk)?.symbols.size === 0) this.dests.delete(dk);
    const prefix = `${dk}|`;
    for (const cache of [this.ledgerCache, this.lastCache, this.dayCache] as Map<string, unknown>[]) for (const k of cache.keys()) if (k.startsWith(prefix)) cache.delete(k);
    for (const k of this.conflictNotified) if (k.startsWith(prefix)) this.conflictNotified.delete(k);
    for (const s of this.sources) s.forget?.(dest);

    const today = Date.parse(`${utcDay(this.now())}T00:00:00Z`);
    const days = Array.from({ length: ERASE_INDEX_DAYS + 1 }, (_, i) => utcDay(today - i * 86_400_000));
    const indexKeys = days.map((d) => `${dk}|${d}`);
    const ids = (await this.eraseKv.getMany(indexKeys)).flatMap((list) => list ?? []);
    const outboxKv = this.store.kv<AlertMessage>('outbox', { indexed: false });
    const ledgerKv = this.store.kv<unknown>('ledger', { indexed: false });
    const records = await outboxKv.getMany(ids);
    for (const [i, id] of ids.entries()) {
      await Promise.all((records[i]?.keys ?? []).map((k) => ledgerKv.delete(k)));
      await outboxKv.delete(id);
    }
    // Cooldown stamps are per symbol, day counters per day: both keys are known without an index.
    await Promise.all([
      ...[...symbols].map((s) => this.lastKv.delete(`${dk}|${s}`)),
      ...days.map((d) => this.dayKv.delete(`${dk}|${d}`)),
      ...indexKeys.map((k) => this.eraseKv.delete(k)),
    ]);
    return ids.length;
  }

  // ---------- delivery callbacks ----------

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
    this.disabled.add(key);
    this.held.delete(key);
    if (dest.kind !== 'channel') return;
    try {
      const owner = await this.store.owners.get(key);
      if (!owner) return;
      const ownerDest: Destination = { platform: owner.platform, kind: 'user', id: owner.userId };
      const t = this.now();
      const notice: AlertMessage = {
        id: `${t.toString(36)}-${randomUUID()}`,
        destKey: destinationKey(ownerDest),
        dest: ownerDest,
        createdAt: t,
        keys: [`${key}|disabled@${t}`],
        alerts: [
          {
            kind: 'notice',
            symbol: '',
            t,
            title: 'liqzone stopped posting alerts',
            text: `Alerts to ${dest.platform} ${dest.platform === 'telegram' ? 'group' : 'channel'} ${dest.id} were paused after repeated failures: ${reason}. Fix the bot's access (re-add it or restore its permissions), then run /subscribe SYMBOL here there to resume.`,
          },
        ],
        state: 'queued',
        silent: false,
        attempts: 0,
      };
      await this.indexErasable([notice], utcDay(t));
      await this.store.outbox.put(notice);
      this.queue.enqueue(notice);
    } catch (err) {
      this.opts.log?.warn({ err: String(err), dest: key }, 'could not notify destination owner');
    }
  }
}
