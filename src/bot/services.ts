import type { ReplyImage } from './reply.ts';
import type { SymbolRegistry } from '../market/symbols.ts';
import type { Venue } from '../market/types.ts';
import type {
  ExitPlan,
  ExitRequest,
  SignalMode,
  SignalSnapshot,
  ZoneSnapshot,
} from '../engine/types.ts';
import type { SubscriptionService } from '../store/types.ts';
import type { PositionService } from '../store/types.ts';

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
  rest: { weightUsed: number; weightLimit: number; bannedUntil?: number; note?: string };
  malformedFrames: number;
  /** Set when history bootstrap failed and the venue runs live-only. */
  degraded?: string;
}

export interface StatusReport {
  mode: 'live' | 'demo' | 'replay';
  startedAt: number;
  now: number;
  venues: VenueStatus[];
}

export interface ZoneService {
  snapshot(symbol: string): ZoneSnapshot | undefined;
  planExit(req: ExitRequest): ExitPlan | { error: string };
  /** Running track record for the symbol, one line, if any. */
  trackRecord?(symbol: string): string | undefined;
}

export interface SignalService {
  snapshot(symbol: string, mode: SignalMode): SignalSnapshot | undefined;
}

export interface ChartService {
  zonesChart(snapshot: ZoneSnapshot): ReplyImage;
  exitChart(snapshot: ZoneSnapshot, plan: ExitPlan): ReplyImage;
}

/**
 * What commands may read and do. Optional services are absent until their issue lands;
 * a command whose service is absent answers honestly that the feature is unavailable.
 */
export interface Services {
  now(): number;
  symbols: SymbolRegistry;
  status(): StatusReport;
  zones?: ZoneService;
  signals?: SignalService;
  charts?: ChartService;
  subscriptions?: SubscriptionService;
  positions?: PositionService;
}
