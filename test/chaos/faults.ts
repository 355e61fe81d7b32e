/**
 * Seeded fault schedules for the chaos tests: which fault, where, when, for how long. Pure (the
 * same seed gives the same schedule); the test executes it against the fakes.
 */
import type { Venue } from '../../src/market/types.ts';
import { mulberry32 } from '../../testkit/random.ts';

/** The venues the chaos schedule faults (the demo market's Binance and Bybit fakes). */
export type FaultVenue = Extract<Venue, 'binance' | 'bybit'>;

export { mulberry32 };

export type VenueFault =
  /** Data stops on the open sockets (they stay open) for `ms`, then resumes. */
  | { kind: 'stall'; venue: FaultVenue; at: number; ms: number }
  /** Every socket closed: with a close code, or torn down without a close frame. */
  | { kind: 'close'; venue: FaultVenue; at: number; code?: number }
  /** `n` frames that are not JSON on every socket. */
  | { kind: 'garbage'; venue: FaultVenue; at: number; n: number }
  /** The next `times` REST requests get 429 with Retry-After. */
  | { kind: 'rest429'; venue: FaultVenue; at: number; retryAfterSec: number; times: number };

export interface VenueScheduleOptions {
  seed: number;
  count: number;
  /** Faults are spread over [0, spanMs). */
  spanMs: number;
  /**
   * Faults per venue that force a reconnect (closes, stalls longer than the watchdog). Reconnect
   * backoff doubles per attempt and is only forgiven after a healthy minute, so this bounds the
   * time a venue needs to come back (1 + 2 + 4 s for 3).
   */
  maxReconnectsPerVenue: number;
  /** A stall longer than this trips the venue's watchdog (a reconnect). */
  watchdogMs: Record<FaultVenue, number>;
}

const CLOSE_CODES = [undefined, 1000, 1001, 1011, 4000];

/** A fixed number of faults across both venues at seeded times, cheapest kinds filling in once the reconnect budget is spent. */
export function venueFaultSchedule(o: VenueScheduleOptions): VenueFault[] {
  const rand = mulberry32(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const times = Array.from({ length: o.count }, () => Math.floor(rand() * o.spanMs)).sort((a, b) => a - b);
  const reconnects: Record<FaultVenue, number> = { binance: 0, bybit: 0 };
  return times.map((at): VenueFault => {
    const venue: FaultVenue = rand() < 0.5 ? 'binance' : 'bybit';
    const roll = rand();
    const budget = reconnects[venue] < o.maxReconnectsPerVenue;
    if (roll < 0.2 && budget) {
      reconnects[venue]++;
      return { kind: 'close', venue, at, code: pick(CLOSE_CODES) };
    }
    if (roll < 0.45) {
      const ms = 300 + Math.floor(rand() * 5_700);
      if (ms > o.watchdogMs[venue]) {
        if (!budget) return { kind: 'stall', venue, at, ms: Math.min(ms, o.watchdogMs[venue] - 500) };
        reconnects[venue]++;
      }
      return { kind: 'stall', venue, at, ms };
    }
    if (roll < 0.75) return { kind: 'garbage', venue, at, n: 1 + Math.floor(rand() * 5) };
    return { kind: 'rest429', venue, at, retryAfterSec: 1, times: 1 + Math.floor(rand() * 3) };
  });
}

export type ChatFault =
  | { platform: 'discord'; retryAfterSec: number; times: number }
  | { platform: 'telegram'; method: 'sendMessage' | 'sendPhoto'; retryAfterSec: number; times: number };

/**
 * Rate limits for one delivery round: mostly short (waited out inside discord.js / grammY's
 * auto-retry), some longer than the adapters wait (handed back to the queue as retryAfterMs).
 */
export function chatFaults(rand: () => number, n: number): ChatFault[] {
  const out: ChatFault[] = [];
  for (let i = 0; i < n; i++) {
    const long = rand() < 0.25;
    const times = 1 + Math.floor(rand() * 3);
    if (rand() < 0.5) out.push({ platform: 'discord', retryAfterSec: long ? 2.5 : 0.1 + Math.round(rand() * 3) / 10, times });
    else out.push({ platform: 'telegram', method: rand() < 0.6 ? 'sendMessage' : 'sendPhoto', retryAfterSec: long ? 3 : 1, times });
  }
  return out;
}
