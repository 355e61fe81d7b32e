/** Venue health as the venues report it, for /status, /healthz and the snapshot bus. */
import type { Venue } from '../market/types.ts';

/** Per-stream liveness as /status shows it. */
export interface StreamStatus {
  name: string;
  /** Age of the last message, ms; null if none yet. */
  lastMessageAgeMs: number | null;
  /** Subscribed and acknowledged, but nothing arrived within the bound (e.g. wrong path). */
  silent: boolean;
}

export interface VenueStatus {
  venue: Venue;
  /** Connection state per socket, e.g. `market: open`, `public: reconnecting`. */
  connections: { name: string; state: string; reconnects: number; lastError?: string }[];
  streams: StreamStatus[];
  symbolsLive: string[];
  skipped: { symbol: string; reason: string }[];
  rest: { weightUsed: number; weightLimit: number; bannedUntil?: number; note?: string; /** The budget's window (Binance and Hyperliquid 1 min, Bybit 5 s, OKX 2 s). */ windowMs?: number };
  malformedFrames: number;
  /** Set when history bootstrap failed and the venue runs live-only. */
  degraded?: string;
  /** While the start-up history is still being fetched: requests answered so far of all. */
  historyLoading?: { done: number; total: number };
  /** Symbols this venue is held out of by the validated market view (market/validation.ts), and why. */
  quarantined?: { symbol: string; kind: 'departs' | 'unconfirmed'; since: number; reason: string }[];
  /** Trades dropped as duplicates by id (outside rollovers). */
  duplicateTrades?: number;
  /** Events whose exchange time was in the future (clamped to the receive time, counted here). */
  futureTimestamps?: number;
  /** Hyperliquid: the observed-position poller (addresses tracked, polls, failures; never an address). */
  observed?: { addresses: number; maxAddresses: number; polls: number; failures: number; rateLimited: number; inferredLiquidations: number; lastPollAgeMs?: number; lastError?: string };
}
