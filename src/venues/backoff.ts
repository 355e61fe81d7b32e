/**
 * Reconnect delays: exponential with jitter, capped, and forgiven after a healthy spell.
 * Pure: the caller supplies the clock readings and (optionally) the random source.
 */

export interface BackoffOptions {
  /** First delay, ms. */
  initialMs: number;
  /** Cap, ms. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** Fraction of the delay that is randomized away (0 = none, 0.5 = delay in [0.5·d, d]). */
  jitter: number;
  /** A connection that stayed healthy this long resets the attempt count. */
  healthyResetMs: number;
  /** Uniform [0, 1) source; injectable for tests. */
  random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 1_000,
  maxMs: 60_000,
  factor: 2,
  jitter: 0.3,
  healthyResetMs: 60_000,
  random: Math.random,
};

export interface Backoff {
  /** Delay before the next attempt; counts the attempt. */
  next(): number;
  /** Failed attempts since the last reset. */
  attempts(): number;
  reset(): void;
  /**
   * Tell the backoff a connection ended; if it was healthy from `healthySince` until `now`
   * for at least `healthyResetMs`, the attempt count starts over.
   */
  connectionEnded(healthySince: number | undefined, now: number): void;
}

export function createBackoff(options: Partial<BackoffOptions> = {}): Backoff {
  const o: BackoffOptions = { ...DEFAULT_BACKOFF, ...options };
  let attempt = 0;
  return {
    next() {
      const base = Math.min(o.maxMs, o.initialMs * o.factor ** attempt);
      attempt++;
      const jittered = base * (1 - o.jitter * o.random());
      return Math.max(0, Math.round(Math.min(o.maxMs, jittered)));
    },
    attempts: () => attempt,
    reset() {
      attempt = 0;
    },
    connectionEnded(healthySince, now) {
      if (healthySince !== undefined && now - healthySince >= o.healthyResetMs) attempt = 0;
    },
  };
}

/** Waits `ms`, or less if `signal` aborts first. Resolves `false` when aborted, never rejects. */
export function delay(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
