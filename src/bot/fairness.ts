/**
 * Fairness between chat users: a token bucket per user (a burst of 5 commands, then 1 per
 * second), one friendly answer when a user goes over it (the extra commands are skipped
 * silently after that), and one user's commands run one after another, in the order sent.
 * Platforms key users as `<platform>:<userId>`.
 */

export interface RateLimitOptions {
  /** Commands a user may send at once (default 5). */
  burst?: number;
  /** Commands per second after the burst (default 1). */
  perSecond?: number;
  now?: () => number;
  /** Idle users are forgotten after this long (default 10 min), so the map stays small. */
  forgetAfterMs?: number;
}

export type Admission = { ok: true } | { ok: false; /** First refusal of this flood: answer it once. */ notify: boolean; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
  notified: boolean;
}

export class UserRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly perMs: number;
  private readonly now: () => number;
  private readonly forgetAfterMs: number;
  private lastSweep = 0;

  constructor(opts: RateLimitOptions = {}) {
    this.burst = opts.burst ?? 5;
    this.perMs = (opts.perSecond ?? 1) / 1000;
    this.now = opts.now ?? Date.now;
    this.forgetAfterMs = opts.forgetAfterMs ?? 600_000;
  }

  admit(user: string): Admission {
    const t = this.now();
    this.sweep(t);
    const b = this.buckets.get(user) ?? { tokens: this.burst, at: t, notified: false };
    b.tokens = Math.min(this.burst, b.tokens + (t - b.at) * this.perMs);
    b.at = t;
    this.buckets.set(user, b);
    // Told once per flood: the notice is given again only after the user calmed down (full bucket).
    if (b.tokens >= this.burst) b.notified = false;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    const notify = !b.notified;
    b.notified = true;
    return { ok: false, notify, retryAfterMs: Math.ceil((1 - b.tokens) / this.perMs) };
  }

  /** Users currently tracked (tests, metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(t: number): void {
    if (t - this.lastSweep < 60_000) return;
    this.lastSweep = t;
    for (const [k, b] of this.buckets) if (t - b.at > this.forgetAfterMs) this.buckets.delete(k);
  }
}

/** The one answer a user gets when over the limit. */
export function rateLimitedText(retryAfterMs: number): string {
  const s = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return `Easy there: that is more commands than I answer at once (5 in a row, then 1 per second). I skipped the extra ones; try again in ${s} s.`;
}

/** Runs each user's tasks one after another, in the order given; different users run in parallel. */
export class PerUserSerial {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(user: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(user) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail: Promise<void> = next.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(user, tail);
    void tail.then(() => {
      if (this.tails.get(user) === tail) this.tails.delete(user);
    });
    return next;
  }

  get size(): number {
    return this.tails.size;
  }
}

/** No per-user limit (tests that drive one user through many features in a row). */
export const NO_LIMIT: Readonly<RateLimitOptions> = Object.freeze({ burst: 1e9 });
