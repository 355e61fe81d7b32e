/**
 * Rate limits for delivery (e.g. Telegram: 1 msg/s per chat, 20/min per group, 30/s overall).
 *
 * Two levels, so a busy chat never holds up another chat and every step is O(1):
 * - lane limits (per destination, per group) are checked against that destination's own send
 *   history: its worker sleeps until `readyAt`;
 * - the platform-wide limit hands out slots in request order. Workers ask only once they are
 *   lane-ready, at the current time, so requests arrive in time order and the slot is simply
 *   max(now, the send `limit` places back + window): never above the limit, and exactly at it
 *   when saturated.
 */
import type { Destination } from '../store/types.ts';

export interface WindowLimit {
  limit: number;
  windowMs: number;
}

/** The last `limit` send times (ascending) under one sliding window (x − W, x]. */
export class SendLog {
  private times: number[] = [];

  constructor(readonly limit: number, readonly windowMs: number) {}

  /** Earliest time one more send keeps every window within the limit (times are appended in order). */
  nextAllowed(): number {
    return this.times.length < this.limit ? Number.NEGATIVE_INFINITY : this.times[this.times.length - this.limit]! + this.windowMs;
  }

  /** Records a send; `t` must not precede the previous one. */
  append(t: number): void {
    const last = this.times.at(-1);
    if (last !== undefined && t < last) throw new Error(`SendLog: ${t} precedes ${last}`);
    this.times.push(t);
    if (this.times.length > this.limit) this.times.splice(0, this.times.length - this.limit);
  }
}

export interface RatePolicy {
  /** Every destination (chat, DM, channel). */
  perDestination?: WindowLimit;
  /** Channel/group destinations only. */
  perChannel?: WindowLimit;
  /** All destinations of the platform together. */
  global?: WindowLimit;
}

/** Telegram Bot API limits (reference/chat-platforms.md): 1/s per chat, 20/min per group, 30/s overall. */
export const TELEGRAM_POLICY: RatePolicy = {
  perDestination: { limit: 1, windowMs: 1000 },
  perChannel: { limit: 20, windowMs: 60_000 },
  global: { limit: 30, windowMs: 1000 },
};

/** Discord: discord.js's REST buckets pace requests; the queue only keeps per-destination order. */
export const DEFAULT_POLICIES: Partial<Record<Destination['platform'], RatePolicy>> = {
  telegram: TELEGRAM_POLICY,
};

export class RateLimiter {
  private readonly lanes = new Map<string, SendLog[]>();
  private readonly globals = new Map<string, SendLog>();

  constructor(private readonly policies: Partial<Record<Destination['platform'], RatePolicy>> = DEFAULT_POLICIES) {}

  /** Earliest time the destination's own limits allow its next send. */
  readyAt(dest: Destination, now: number): number {
    let t = now;
    for (const log of this.laneLogs(dest)) t = Math.max(t, log.nextAllowed());
    return t;
  }

  /**
   * Reserves the platform-wide slot for a lane-ready destination, at or after `now`, and records
   * the send in the destination's own logs. Call with a non-decreasing clock.
   */
  reserve(dest: Destination, now: number): number {
    const p = this.policies[dest.platform];
    let t = this.readyAt(dest, now);
    if (p?.global) {
      let g = this.globals.get(dest.platform);
      if (!g) this.globals.set(dest.platform, (g = new SendLog(p.global.limit, p.global.windowMs)));
      t = Math.max(t, g.nextAllowed());
      g.append(t);
    }
    for (const log of this.laneLogs(dest)) log.append(t);
    return t;
  }

  /** Forgets a destination's own history (e.g. after it is disabled). */
  forget(dest: Destination): void {
    this.lanes.delete(laneKey(dest));
  }

  private laneLogs(dest: Destination): SendLog[] {
    const key = laneKey(dest);
    let logs = this.lanes.get(key);
    if (!logs) {
      const p = this.policies[dest.platform];
      logs = [];
      if (p?.perDestination) logs.push(new SendLog(p.perDestination.limit, p.perDestination.windowMs));
      if (p?.perChannel && dest.kind === 'channel') logs.push(new SendLog(p.perChannel.limit, p.perChannel.windowMs));
      this.lanes.set(key, logs);
    }
    return logs;
  }
}

const laneKey = (d: Destination) => `${d.platform}:${d.kind}:${d.id}`;
