/**
 * What commands may read and do (Services), and the command-side services behind /subscribe,
 * /alerts, /position and /forgetme. Engine ports and venue status are owned by engine/ and venues/
 * and re-exported here for the commands and adapters that use them together.
 */
import type { SymbolRegistry } from '../market/symbols.ts';
import type { HeatmapService, SignalService, ZoneService } from '../engine/ports.ts';
import type { HeatmapView } from '../engine/heatmap.ts';
import type { ExitPlan, ZoneSnapshot } from '../engine/types.ts';
import type { VenueStatus } from '../venues/status.ts';
import type { Caller } from './caller.ts';
import type { Reply, ReplyImage } from './reply.ts';

export type { HeatmapService, SignalService, ZoneService } from '../engine/ports.ts';
export type { StreamStatus, VenueStatus } from '../venues/status.ts';

export interface StatusReport {
  mode: 'live' | 'demo' | 'replay';
  startedAt: number;
  now: number;
  venues: VenueStatus[];
  /** The store: failing since when and why (absent where the process has none to report). */
  store?: { ok: boolean; store: string; failingSince?: number; lastError?: string };
  /** Chat platforms this process serves: connected, or still trying and why. */
  chat?: { name: string; state: 'starting' | 'retrying' | 'ready' | 'failed' | 'stopped'; lastError?: string }[];
}

export interface SubscriptionService {
  /** Handles /subscribe, /unsubscribe, /subscriptions and /alerts for a caller; returns the reply. */
  handle(command: 'subscribe' | 'unsubscribe' | 'subscriptions' | 'alerts', caller: Caller, args: Record<string, string | number | undefined>, subcommand?: string): Promise<Reply>;
}

export interface PositionService {
  handle(command: 'position' | 'forgetme', caller: Caller, args: Record<string, string | number | undefined>, subcommand?: string): Promise<Reply>;
}

export interface ChartService {
  zonesChart(snapshot: ZoneSnapshot): ReplyImage;
  exitChart(snapshot: ZoneSnapshot, plan: ExitPlan): ReplyImage;
  /** The liquidation heatmap (optional: test fakes may leave it out). */
  heatmapChart?(view: HeatmapView): ReplyImage;
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
  /** Heatmap history: present where the zone engine runs (not on ROLE=bot processes). */
  heatmaps?: HeatmapService;
  charts?: ChartService;
  subscriptions?: SubscriptionService;
  positions?: PositionService;
}
