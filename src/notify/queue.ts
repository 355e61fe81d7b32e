/**
 * Delivery queue: one ordered worker per destination, platform rate limits via slot reservation,
 * 429s waited out and retried without dropping, permanent failures counted per destination (a few
 * in a row disable it and tell its owner), transient errors retried with backoff. A slow or broken
 * destination only ever waits on its own worker, so it never slows the others.
 */
import type { Reply } from '../bot/reply.ts';
import type { HealthRepo } from '../store/health.ts';
import type { OutboxMessage, OutboxRepo } from '../store/outbox.ts';
import type { AlertSender, SendResult } from './types.ts';
import type { Destination } from '../store/types.ts';
import { realSleep, type ClockDriven, type Sleep } from './clock.ts';
import { DEFAULT_POLICIES, RateLimiter, type RatePolicy } from './limiter.ts';
import type { AlertPayload } from './rules.ts';
import type { LogFn } from '../ops/log.ts';

export type AlertMessage = OutboxMessage<AlertPayload>;


export interface DeliveryRecord {
  at: number;
  dest: Destination;
  messageId: string;
  reply: Reply;
  silent: boolean;
  attempts: number;
}

export interface DeliveryQueueOptions {
  senders: AlertSender[];
  /** Only `save` is used: the notifier may wrap it (records of erased destinations are not written back). */
  outbox: Pick<OutboxRepo, 'save'>;
  health: HealthRepo;
  render(msg: AlertMessage): Reply | Promise<Reply>;
  now?: () => number;
  sleep?: Sleep;
  limits?: Partial<Record<Destination['platform'], RatePolicy>>;
  /** Consecutive permanent failures that disable a destination (default 3). */
  disableAfter?: number;
  /** First retry delay after a failure; doubles per attempt up to `maxBackoffMs` (default 2 s / 5 min). */
  retryBaseMs?: number;
  maxBackoffMs?: number;
  /** Attempts for a transient (non-permanent, not rate-limited) error before the message is given up (default 6). */
  maxTransientAttempts?: number;
  onDelivered?(record: DeliveryRecord): void;
  /** A destination was disabled after permanent failures (the notifier tells its owner). */
  onDisabled?(dest: Destination, reason: string): void;
  log?: LogFn;
}

interface Lane {
  dest: Destination;
  items: AlertMessage[];
  running: boolean;
}

export class DeliveryQueue implements ClockDriven {
  private readonly lanes = new Map<string, Lane>();
  private readonly limiter: RateLimiter;
  private readonly now: () => number;
  private readonly sleepFn: Sleep;
  private readonly senders: Map<string, AlertSender>;
  /**
   * One controller per sleeping lane, aborted by stop(). Not one shared signal with a listener per
   * lane: EventTarget scans its listeners on every add, so 10 000 lanes sleeping on one signal (a
   * burst) cost O(n²) — about a second — inside the tick that enqueued them.
   */
  private readonly sleepers = new Set<AbortController>();
  private readonly workers = new Set<Promise<void>>();
  private active = 0;
  private sleeping = 0;
  private stopped = false;
  /** Destinations with recorded failures, so a success resets them without a write per message. */
  private readonly failing = new Set<string>();
  /** Counters for /status and the bench. */
  readonly stats = { sent: 0, rateLimited: 0, permanentFailures: 0, transientFailures: 0, dropped: 0, failed: 0 };

  constructor(private readonly opts: DeliveryQueueOptions) {
    this.limiter = new RateLimiter(opts.limits ?? DEFAULT_POLICIES);
    this.now = opts.now ?? Date.now;
    this.sleepFn = opts.sleep ?? realSleep;
    this.senders = new Map(opts.senders.map((s) => [s.platform, s]));
  }

  /** Adds a persisted message to its destination's lane (order = enqueue order). */
  enqueue(msg: AlertMessage): void {
    if (this.stopped) return;
    let lane = this.lanes.get(msg.destKey);
    if (!lane) this.lanes.set(msg.destKey, (lane = { dest: msg.dest, items: [], running: false }));
    if (lane.items.some((m) => m.id === msg.id)) return;
    lane.items.push(msg);
    if (!lane.running) this.startWorker(msg.destKey, lane);
  }

  /**
   * Removes a destination's waiting messages, except one being sent (it finishes); returns the ids
   * of all of them, the one in flight included.
   */
  drop(destKey: string): string[] {
    const lane = this.lanes.get(destKey);
    if (!lane) return [];
    const ids = lane.items.map((m) => m.id);
    lane.items.splice(lane.running ? 1 : 0);
    return ids;
  }

  /** Messages waiting or in flight. */
  get pending(): number {
    let n = 0;
    for (const l of this.lanes.values()) n += l.items.length;
    return n;
  }

  isIdle(): boolean {
    return this.active === 0;
  }

  waitingOnClock(): boolean {
    return this.active > 0 && this.sleeping === this.active;
  }

  /** Resolves when every lane is empty (or the queue stopped). */
  async idle(): Promise<void> {
    while (this.workers.size) await Promise.all([...this.workers]);
  }

  /** Stops after in-flight sends finish; unsent messages stay persisted in the outbox for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.sleepers) s.abort();
    await this.idle();
  }

  private startWorker(key: string, lane: Lane): void {
    lane.running = true;
    this.active++;
    const w = this.work(key, lane).finally(() => {
      lane.running = false;
      this.active--;
      this.workers.delete(w);
      if (lane.items.length === 0) this.lanes.delete(key);
      else if (!this.stopped) this.startWorker(key, lane);
    });
    this.workers.add(w);
  }

  private async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    if (this.stopped) return;
    const wake = new AbortController();
    this.sleepers.add(wake);
    this.sleeping++;
    try {
      await this.sleepFn(ms, wake.signal);
    } finally {
      this.sleeping--;
      this.sleepers.delete(wake);
    }
  }

  private async work(key: string, lane: Lane): Promise<void> {
    while (!this.stopped && lane.items.length) {
      const msg = lane.items[0]!;
      try {
        await this.deliver(key, lane, msg);
      } catch (err) {
        // Store trouble: keep the message (it is persisted) and back off rather than spin.
        this.opts.log?.('warn', 'delivery bookkeeping failed', { err: String(err), dest: key, id: msg.id });
        await this.sleep(this.opts.retryBaseMs ?? 2000);
        continue;
      }
      if (lane.items[0] === msg) lane.items.shift();
    }
  }

  private async deliver(key: string, lane: Lane, msg: AlertMessage): Promise<void> {
    const { outbox, health } = this.opts;
    const sender = this.senders.get(msg.dest.platform);
    if (!sender) {
      this.stats.failed++;
      await outbox.save({ ...msg, state: 'failed', lastError: `no sender for ${msg.dest.platform}` });
      return;
    }
    const disableAfter = this.opts.disableAfter ?? 3;
    const base = this.opts.retryBaseMs ?? 2000;
    const maxBackoff = this.opts.maxBackoffMs ?? 300_000;
    let transient = 0;
    let permanent = 0;
    let healthChecked = false;
    while (!this.stopped) {
      // Wait for the destination's own limits first, then take a platform-wide slot.
      const ready = this.limiter.readyAt(msg.dest, this.now());
      if (ready > this.now()) {
        await this.sleep(ready - this.now());
        continue;
      }
      const slot = this.limiter.reserve(msg.dest, this.now());
      await this.sleep(slot - this.now());
      if (this.stopped) return;
      // Checked when its turn comes, not at enqueue: a burst of 10 000 lanes then reads the store at
      // the sending rate instead of 10 000 reads at once, and the answer is as fresh as it can be.
      if (!healthChecked) {
        healthChecked = true;
        if ((await health.get(msg.dest)).disabled) {
          this.stats.dropped++;
          await outbox.save({ ...msg, state: 'dropped', lastError: 'destination disabled' });
          return;
        }
      }
      // Render first (a chart can take a while), so the `sending` mark is written right before
      // the request: the window in which a crash re-sends the message is the request itself.
      const reply = await this.opts.render(msg);
      msg.state = 'sending';
      msg.attempts++;
      msg.sendingAt = this.now();
      await outbox.save(msg);
      let result: SendResult;
      try {
        result = await sender.send(msg.dest, reply, { silent: msg.silent, idempotencyKey: msg.id });
      } catch (err) {
        result = { ok: false, error: (err as Error)?.message ?? String(err) };
      }
      if (result.ok) {
        this.stats.sent++;
        const t = this.now();
        // Persisted at once, with the platform's message ids; if the store fails now, keep
        // retrying this write: sending again would be a duplicate the user sees.
        await this.persistSent({ ...msg, state: 'sent', sentAt: t, ...(result.platformMessageIds?.length ? { platformMessageIds: result.platformMessageIds } : {}) });
        if (this.failing.delete(key)) await health.recordSuccess(msg.dest, t);
        this.opts.onDelivered?.({ at: t, dest: msg.dest, messageId: msg.id, reply, silent: msg.silent, attempts: msg.attempts });
        return;
      }
      msg.lastError = result.error;
      if (result.retryAfterMs !== undefined && !result.permanent) {
        // Rate limited: wait exactly what the platform asked, then retry; never drop.
        this.stats.rateLimited++;
        this.opts.log?.('info', 'rate limited; waiting', { dest: key, retryAfterMs: result.retryAfterMs });
        await this.sleep(Math.max(0, result.retryAfterMs));
        continue;
      }
      this.failing.add(key);
      if (result.permanent) {
        this.stats.permanentFailures++;
        permanent++;
        const h = await health.recordPermanentFailure(msg.dest, result.error, this.now(), disableAfter);
        if (h.disabled) {
          await this.disable(key, lane, result.error);
          return;
        }
        await this.sleep(Math.min(base * 2 ** (permanent - 1), maxBackoff));
        continue;
      }
      this.stats.transientFailures++;
      transient++;
      if (transient >= (this.opts.maxTransientAttempts ?? 6)) {
        this.stats.failed++;
        this.opts.log?.('warn', 'giving up on message after transient failures', { dest: key, id: msg.id, error: result.error });
        await outbox.save({ ...msg, state: 'failed' });
        return;
      }
      await this.sleep(Math.min(base * 2 ** (transient - 1), maxBackoff));
    }
  }

  /** Writes the `sent` record, retrying with backoff while the store fails (never re-sending). */
  private async persistSent(msg: AlertMessage): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.opts.outbox.save(msg);
        return;
      } catch (err) {
        if (this.stopped) throw err;
        this.opts.log?.('warn', 'sent, but its record could not be saved; retrying the write', { id: msg.id, err: String(err) });
        await this.sleep(Math.min((this.opts.retryBaseMs ?? 2000) * 2 ** attempt, this.opts.maxBackoffMs ?? 300_000));
      }
    }
  }

  /** Drops everything queued for a disabled destination and reports it once. */
  private async disable(key: string, lane: Lane, reason: string): Promise<void> {
    const dropped = lane.items.splice(0);
    for (const m of dropped) await this.opts.outbox.save({ ...m, state: 'dropped', lastError: `destination disabled: ${reason}` });
    this.stats.dropped += dropped.length;
    this.limiter.forget(lane.dest);
    this.failing.delete(key);
    this.opts.log?.('warn', 'destination disabled after permanent failures', { dest: key, reason, dropped: dropped.length });
    this.opts.onDisabled?.(lane.dest, reason);
  }
}
