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
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  constructor(public t = 0) {}

  readonly now = (): number => this.t;

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      const timer = {
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
    return this.timers.length;
  }

  /** Moves to the next due timer and fires every timer due then; false when none is pending. */
  advanceToNext(): boolean {
    const next = this.timers[0];
    if (!next) return false;
    this.t = Math.max(this.t, next.at);
    let n = 0;
    while (n < this.timers.length && this.timers[n]!.at <= this.t) n++;
    for (const x of this.timers.splice(0, n)) x.resolve();
    return true;
  }

  /** Moves time forward, firing timers in order. */
  advanceBy(ms: number): void {
    const end = this.t + ms;
    while (this.timers[0] && this.timers[0].at <= end) this.advanceToNext();
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
