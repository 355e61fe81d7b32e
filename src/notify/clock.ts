/** Injectable time: the real clock, and a manual one for tests and benchmarks. */

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** A clock that moves only when told to; `sleep` resolves when the clock passes its due time. */
export class ManualClock {
  private timers: { at: number; seq: number; resolve: () => void; cancelled?: boolean }[] = [];
  private seq = 0;
  /** Aborted timers still in the list (dropped lazily: filtering per abort is O(n²) when thousands of sleepers stop at once). */
  private cancelled = 0;

  constructor(public t = 0) {}

  readonly now = (): number => this.t;

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const onAbort = () => {
        timer.cancelled = true;
        this.cancelled++;
        if (this.cancelled > 64 && this.cancelled * 2 > this.timers.length) {
          this.timers = this.timers.filter((x) => !x.cancelled);
          this.cancelled = 0;
        }
        resolve();
      };
      const timer: { at: number; seq: number; resolve: () => void; cancelled?: boolean } = {
        at: this.t + ms,
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      // Binary insertion keeps timers ordered by (at, seq) without re-sorting thousands of sleepers.
      let lo = 0;
      let hi = this.timers.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.timers[mid]!.at <= timer.at) lo = mid + 1;
        else hi = mid;
      }
      this.timers.splice(lo, 0, timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  get pendingTimers(): number {
    return this.timers.length - this.cancelled;
  }

  /** The earliest timer not aborted (aborted ones at the head are dropped). */
  private head(): { at: number } | undefined {
    while (this.timers[0]?.cancelled) {
      this.timers.shift();
      this.cancelled--;
    }
    return this.timers[0];
  }

  /** Moves to the next due timer and fires every timer due then; false when none is pending. */
  advanceToNext(): boolean {
    const next = this.head();
    if (!next) return false;
    this.t = Math.max(this.t, next.at);
    let n = 0;
    while (n < this.timers.length && this.timers[n]!.at <= this.t) n++;
    for (const x of this.timers.splice(0, n)) {
      if (x.cancelled) this.cancelled--;
      else x.resolve();
    }
    return true;
  }

  /** Moves time forward, firing timers in order. */
  advanceBy(ms: number): void {
    const end = this.t + ms;
    for (let next = this.head(); next && next.at <= end; next = this.head()) this.advanceToNext();
    this.t = end;
  }
}

/** Something with asynchronous work that may be blocked on the clock (the delivery queue). */
export interface ClockDriven {
  isIdle(): boolean;
  /** Every busy worker is asleep on the clock: advancing time is the only way forward. */
  waitingOnClock(): boolean;
}

/**
 * Runs a clock-driven worker to idle on a manual clock: lets I/O settle, and advances the clock
 * only when everything is asleep. Returns the clock time at idle.
 */
export async function runUntilIdle(work: ClockDriven, clock: ManualClock, maxSteps = 1_000_000): Promise<number> {
  for (let i = 0; i < maxSteps; i++) {
    await new Promise((r) => setImmediate(r));
    if (work.isIdle()) return clock.t;
    if (work.waitingOnClock() && !clock.advanceToNext()) throw new Error('runUntilIdle: workers wait on the clock but no timer is pending');
  }
  throw new Error('runUntilIdle: did not become idle');
}
