/**
 * What every venue feed shares: the VenueFeed contract, timing defaults, mapping frames and REST
 * bodies to MarketEvents through the same record router replay uses, history bootstrap with a
 * live-only fallback, and the /status view.
 */
import type { StreamStatus, VenueStatus } from './status.ts';
import type { SymbolRegistry, VenueInstrument } from '../market/symbols.ts';
import type { MarketEvent, Venue } from '../market/types.ts';
import { delay } from './backoff.ts';
import { Connection, type ConnectionOptions, DEFAULT_TIMING, type ConnectionTiming, type LogFn } from './connection.ts';
import { createRecordMapper, type FrameRecord, type RecordMapper } from './records.ts';
import type { RestClient, RestError } from './rest-client.ts';

export interface VenueFeed {
  venue: Venue;
  /** Opens sockets and bootstraps history; resolves once the bootstrap has been tried. Never throws for a down venue. */
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): VenueStatus;
}

export interface FeedTiming extends ConnectionTiming {
  /** Watchdog bound for Binance `/public` (bookTicker has no fixed cadence). */
  publicWatchdogSilenceMs: number;
  /** Watchdog bound for Bybit (orderbook.1 re-sends every 3 s even without change). */
  bybitWatchdogSilenceMs: number;
  /** Binance open interest: every symbol is polled once per this period, requests spread evenly. */
  oiPollIntervalMs: number;
  /** Parallel REST requests during the history bootstrap. */
  bootstrapConcurrency: number;
  /** Retry failed history requests after this long. */
  bootstrapRetryMs: number;
  /** A symbol counts as live when one of its streams delivered within this window. */
  liveWindowMs: number;
  restTimeoutMs: number;
  /** Binance rollover age (the venue closes at 24 h). */
  binanceMaxAgeMs: number;
  /** OKX: mark-price pushes at least every 10 s, so 30 s of silence means a dead socket. */
  okxWatchdogSilenceMs: number;
  /** OKX closes a socket that received nothing for 30 s: the text `ping` goes out more often. */
  okxHeartbeatIntervalMs: number;
  /** Hyperliquid: activeAssetCtx arrives about once a second. */
  hyperliquidWatchdogSilenceMs: number;
  /** Hyperliquid closes a socket it has sent nothing to for 60 s: `{"method":"ping"}` more often. */
  hyperliquidHeartbeatIntervalMs: number;
}

export const DEFAULT_FEED_TIMING: FeedTiming = {
  ...DEFAULT_TIMING,
  publicWatchdogSilenceMs: 30_000,
  bybitWatchdogSilenceMs: 10_000,
  oiPollIntervalMs: 30_000,
  bootstrapConcurrency: 4,
  bootstrapRetryMs: 5 * 60_000,
  liveWindowMs: 60_000,
  restTimeoutMs: 10_000,
  binanceMaxAgeMs: 23 * 3_600_000 + 50 * 60_000,
  okxWatchdogSilenceMs: 30_000,
  okxHeartbeatIntervalMs: 20_000,
  hyperliquidWatchdogSilenceMs: 15_000,
  hyperliquidHeartbeatIntervalMs: 30_000,
};

export interface FeedOptions {
  registry: SymbolRegistry;
  wsUrl: string;
  rest: RestClient;
  onEvent(ev: MarketEvent): void;
  onRecord?(rec: FrameRecord): void;
  now?: () => number;
  log?: LogFn;
  timing?: Partial<FeedTiming>;
  /** Shared router so REST open interest is valued with the marks seen live (as in replay). */
  mapper?: RecordMapper;
  /** Problems found before the feed started (e.g. listing unavailable), shown in status. */
  notes?: string[];
}

/** One history request of the bootstrap. */
export interface HistoryRequest {
  label: string;
  path: string;
  query: Record<string, string | number>;
  weight: number;
  /** POST this JSON body instead of a GET (Hyperliquid `/info`). */
  body?: Record<string, unknown>;
  /** Wait for the local budget instead of failing (venues with tight per-endpoint limits: OKX). */
  waitForBudget?: boolean;
}

/** State and helpers every feed needs; a venue feed owns one. */
export class FeedCore {
  readonly venue: Venue;
  readonly timing: FeedTiming;
  readonly now: () => number;
  readonly log: LogFn;
  readonly abort = new AbortController();
  readonly connections: Connection[] = [];
  private readonly opts: FeedOptions;
  private readonly mapper: RecordMapper;
  private mapperNulls = 0;
  private bootstrapProblem?: string;
  /** The start-up history fetch in progress (first attempt only; retries run in the background). */
  private historyProgress: { done: number; total: number } | undefined;
  private bootstrapLoop?: Promise<void>;

  constructor(venue: Venue, opts: FeedOptions) {
    this.venue = venue;
    this.opts = opts;
    this.timing = { ...DEFAULT_FEED_TIMING, ...opts.timing };
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.mapper = opts.mapper ?? createRecordMapper(opts.registry);
  }

  get registry(): SymbolRegistry {
    return this.opts.registry;
  }

  get rest(): RestClient {
    return this.opts.rest;
  }

  instruments(): VenueInstrument[] {
    return this.opts.registry.instruments(this.venue);
  }

  /** Connection timing for this feed, with per-connection overrides. */
  connectionTiming(overrides: Partial<ConnectionTiming> = {}): Partial<ConnectionTiming> {
    return { ...this.timing, ...overrides };
  }

  /** Passes a delivered frame to the recorder hook. */
  record(rec: FrameRecord): void {
    this.opts.onRecord?.(rec);
  }

  /**
   * For a connection's `onRecord`: the recorder hook when there is one, else nothing, so that a run
   * without a recorder builds no record object per frame.
   */
  recorderHook(): { onRecord?: (rec: FrameRecord) => void } {
    const hook = this.opts.onRecord;
    return hook ? { onRecord: (rec) => hook(rec) } : {};
  }

  /**
   * Every stream of every listed instrument, and which canonical symbol each stream belongs to
   * (for `status()`).
   */
  streamsByInstrument(streamsOf: (venueSymbol: string) => readonly string[]): { streams: string[]; symbolOf: Map<string, string> } {
    const streams: string[] = [];
    const symbolOf = new Map<string, string>();
    for (const inst of this.instruments()) {
      for (const s of streamsOf(inst.venueSymbol)) {
        streams.push(s);
        symbolOf.set(s, inst.symbol);
      }
    }
    return { streams, symbolOf };
  }

  /**
   * Opens one socket of this feed: the feed's clock, log and recorder, frames ingested (parsed
   * once) unless the caller passes its own `onData`; the connection is kept for status and stop.
   */
  openConnection(spec: Pick<ConnectionOptions, 'name' | 'url' | 'protocol' | 'streams' | 'timing'> & { onData?: ConnectionOptions['onData'] }): Connection {
    const venue = this.venue;
    const conn = new Connection({
      ...spec,
      now: this.now,
      log: this.log,
      ...this.recorderHook(),
      onData: spec.onData ?? ((stream, payload, recvTime, raw) => void this.ingest({ t: recvTime, v: venue, c: stream, raw }, payload)),
    });
    this.connections.push(conn);
    conn.start();
    return conn;
  }

  /**
   * Maps one frame or REST body (as a record) and emits its events; counts what does not map.
   * `parsed` is the message the connection already parsed from `rec.raw` (one parse per frame).
   */
  ingest(rec: FrameRecord, parsed?: unknown): number {
    let events: MarketEvent[] | null;
    try {
      events = this.mapper.map(rec, parsed);
    } catch (err) {
      this.log('error', `${this.venue}: mapper failed on ${rec.c}: ${String(err)}`);
      events = null;
    }
    if (events === null) {
      this.mapperNulls++;
      return 0;
    }
    const opts = this.opts;
    for (let i = 0; i < events.length; i++) opts.onEvent(events[i]!);
    return events.length;
  }

  /**
   * Fetches history for every request; what fails is retried in the background every
   * `bootstrapRetryMs` while the feed runs live-only for it, and status says so.
   */
  async bootstrap(requests: HistoryRequest[]): Promise<void> {
    this.historyProgress = { done: 0, total: requests.length };
    let failed: { req: HistoryRequest; error: RestError }[];
    try {
      failed = await this.runHistory(requests, this.historyProgress);
    } finally {
      this.historyProgress = undefined;
    }
    if (failed.length === 0) return;
    this.bootstrapLoop = (async () => {
      let left = failed;
      while (left.length > 0 && (await delay(this.timing.bootstrapRetryMs, this.abort.signal))) {
        left = await this.runHistory(left.map((f) => f.req));
      }
    })();
  }

  private async runHistory(requests: HistoryRequest[], progress?: { done: number }): Promise<{ req: HistoryRequest; error: RestError }[]> {
    const failed: { req: HistoryRequest; error: RestError }[] = [];
    let stopAll: RestError | undefined;
    let next = 0;
    const worker = async () => {
      while (next < requests.length && !this.abort.signal.aborted) {
        const req = requests[next++]!;
        if (stopAll) {
          failed.push({ req, error: stopAll });
          continue;
        }
        const ropts = { weight: req.weight, signal: this.abort.signal, ...(req.waitForBudget ? { waitForBudget: true } : {}) };
        const res = req.body ? await this.rest.post(req.path, req.body, ropts) : await this.rest.get(req.path, req.query, ropts);
        if (progress) progress.done++;
        if (res.ok) {
          this.ingest(res.record);
          continue;
        }
        failed.push({ req, error: res.error });
        // An unreachable, banned or blocked venue will not answer the rest either: stop asking.
        if (['network', 'timeout', 'banned', 'blocked', 'rate-limited', 'paused'].includes(res.error.kind)) stopAll = res.error;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.timing.bootstrapConcurrency) }, worker));
    if (this.abort.signal.aborted) return [];
    if (failed.length === 0) {
      if (this.bootstrapProblem) this.log('info', `${this.venue}: history bootstrap complete`);
      this.bootstrapProblem = undefined;
    } else {
      const labels = [...new Set(failed.map((f) => f.req.label))];
      this.bootstrapProblem =
        `history bootstrap failed for ${failed.length}/${requests.length} requests (${labels.slice(0, 6).join(', ')}${labels.length > 6 ? ', …' : ''}): ` +
        `${failed[0]!.error.message}; running live-only for those, retrying every ${Math.round(this.timing.bootstrapRetryMs / 1000)} s`;
      this.log('warn', `${this.venue}: ${this.bootstrapProblem}`);
    }
    return failed;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.connections.map((c) => c.stop()));
    await this.bootstrapLoop;
  }

  status(symbolOfStream: (stream: string) => string | undefined): VenueStatus {
    const conns = this.connections.map((c) => c.status());
    const streams: StreamStatus[] = conns.flatMap((c) => c.streams);
    const live = new Set<string>();
    for (const s of streams) {
      if (s.lastMessageAgeMs !== null && s.lastMessageAgeMs <= this.timing.liveWindowMs) {
        const sym = symbolOfStream(s.name);
        if (sym) live.add(sym);
      }
    }
    const problems = [...(this.opts.notes ?? []), ...(this.bootstrapProblem ? [this.bootstrapProblem] : [])];
    const status: VenueStatus = {
      venue: this.venue,
      connections: conns.map((c) => ({ name: c.name, state: c.state, reconnects: c.reconnects, ...(c.lastError !== undefined ? { lastError: c.lastError } : {}) })),
      streams,
      symbolsLive: this.instruments().map((i) => i.symbol).filter((s) => live.has(s)),
      skipped: this.registry.skipped().filter((s) => s.venue === this.venue).map(({ symbol, reason }) => ({ symbol, reason })),
      rest: this.rest.status(),
      malformedFrames: conns.reduce((a, c) => a + c.malformedFrames, 0) + this.mapperNulls,
    };
    if (problems.length > 0) status.degraded = problems.join('; ');
    if (this.historyProgress) status.historyLoading = { ...this.historyProgress };
    return status;
  }
}
