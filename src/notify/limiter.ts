/**
 * Send-slot reservation under sliding-window limits (e.g. Telegram: 1 msg/s per chat, 20/min per
 * group, 30/s overall). Reservations may lie in the future; a slot is granted only if every window
 * that would contain it stays within its limit, so the rate is never exceeded — and never slower
 * than needed, because the earliest such slot is chosen (a busy chat does not delay another chat).
 */
import type { Destination } from '../store/types.ts';

export interface WindowLimit {
  limit: number;
  windowMs: number;
}

export class SlidingWindow {
  /** Reserved send times, ascending. */
  private times: number[] = [];

  constructor(readonly limit: number, readonly windowMs: number) {}

  /** Smallest t' ≥ t at which one more send keeps every window within the limit. */
  earliest(t: number): number {
    if (this.feasible(t)) return t;
    // Only when a reservation leaves the windows around t' can t' become feasible.
    for (const s of this.times) {
      const c = s + this.windowMs;
      if (c > t && this.feasible(c)) return c;
    }
    return (this.times.at(-1) ?? t) + this.windowMs;
  }

  reserve(t: number): void {
    let i = this.times.length;
    while (i > 0 && this.times[i - 1]! > t) i--;
    this.times.splice(i, 0, t);
  }

  get reserved(): number {
    return this.times.length;
  }

  /** Every window (x − W, x] with x in [t, t + W) holds fewer than `limit` sends. */
  private feasible(t: number): boolean {
    const W = this.windowMs;
    const count = (x: number) => {
      let n = 0;
      for (const s of this.times) if (s > x - W && s <= x) n++;
      return n;
    };
    if (count(t) >= this.limit) return false;
    for (const s of this.times) if (s > t && s < t + W && count(s) >= this.limit) return false;
    return true;
  }

  /** Forgets reservations that can no longer share a window with any time ≥ now (now only moves forward). */
  prune(now: number): void {
    let k = 0;
    while (k < this.times.length && this.times[k]! <= now - this.windowMs) k++;
    if (k) this.times.splice(0, k);
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
  private readonly windows = new Map<string, SlidingWindow>();

  constructor(private readonly policies: Partial<Record<Destination['platform'], RatePolicy>> = DEFAULT_POLICIES) {}

  /** Reserves and returns the earliest allowed send time ≥ now for the destination. */
  reserve(dest: Destination, now: number): number {
    const ws = this.windowsFor(dest);
    if (ws.length === 0) return now;
    for (const w of ws) w.prune(now);
    let t = now;
    // Fixed point: each window's earliest() is the least feasible time ≥ its input, so iterating
    // until none moves yields the least time feasible for all of them.
    for (;;) {
      let moved = false;
      for (const w of ws) {
        const e = w.earliest(t);
        if (e !== t) {
          t = e;
          moved = true;
        }
      }
      if (!moved) break;
    }
    for (const w of ws) w.reserve(t);
    return t;
  }

  /** Forgets a destination's own windows (e.g. after it is disabled). */
  forget(dest: Destination): void {
    this.windows.delete(`d:${dest.platform}:${dest.kind}:${dest.id}`);
    this.windows.delete(`c:${dest.platform}:${dest.id}`);
  }

  private windowsFor(dest: Destination): SlidingWindow[] {
    const p = this.policies[dest.platform];
    if (!p) return [];
    const out: SlidingWindow[] = [];
    const get = (key: string, l: WindowLimit) => {
      let w = this.windows.get(key);
      if (!w) this.windows.set(key, (w = new SlidingWindow(l.limit, l.windowMs)));
      out.push(w);
    };
    if (p.perDestination) get(`d:${dest.platform}:${dest.kind}:${dest.id}`, p.perDestination);
    if (p.perChannel && dest.kind === 'channel') get(`c:${dest.platform}:${dest.id}`, p.perChannel);
    if (p.global) get(`g:${dest.platform}`, p.global);
    return out;
  }
}
