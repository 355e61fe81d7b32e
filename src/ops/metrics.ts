import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics on a registry of our own (never prom-client's global one, so tests and
 * several app instances in one process do not collide).
 *
 * The ingest path runs at ~1M events/s, so per-event counting is a plain `tally.count++` on a
 * handle the feed keeps; the totals are copied into prom-client only when /metrics is scraped.
 * Ages (feed lag, snapshot age) are likewise computed at scrape time from remembered timestamps,
 * so they are never stale between updates.
 */

/** A per-(venue, stream) event count owned by the hot path: `tally.count++` or `+= n`. */
export interface EventTally {
  count: number;
}

export type CommandTimerEnd = () => number;

export interface Metrics {
  readonly registry: Registry;
  /** `text/plain; version=0.0.4; charset=utf-8` — what /metrics answers with. */
  readonly contentType: string;

  /** Hot path: one handle per (venue, stream); the same handle is returned on every call. */
  eventTally(venue: string, stream: string): EventTally;
  /** Convenience for cold paths (a Map lookup per call). */
  countEvents(venue: string, stream: string, n?: number): void;
  /** Hot path: remembers the newest exchange time per venue; lag = now − it, at scrape time. */
  noteExchangeTime(venue: string, exchTime: number): void;
  /** Remembers a symbol's latest snapshot time; age = now − it, at scrape time. */
  noteSnapshot(symbol: string, t: number): void;

  readonly reconnects: Counter<'venue'>;
  readonly malformedFrames: Counter<'venue'>;
  /** Events with an exchange time in the future, clamped to the receive time (validated market view). */
  readonly futureTimestamps: Gauge<'venue'>;
  /** Trades dropped as duplicates by id. */
  readonly duplicateTrades: Gauge<'venue'>;
  /** Symbols a venue is quarantined for right now. */
  readonly quarantinedSymbols: Gauge<'venue'>;
  readonly feedLagMs: Gauge<'venue'>;
  /** Positions observed on Hyperliquid per symbol (count and USD), and the poller's accounts, polls, failures. */
  readonly observedPositions: Gauge<'symbol'>;
  readonly observedUsd: Gauge<'symbol'>;
  readonly observedPoller: Gauge<'what'>;
  readonly snapshotAgeMs: Gauge<'symbol'>;
  readonly alertsDecided: Counter<'kind' | 'platform'>;
  readonly alertsSent: Counter<'kind' | 'platform'>;
  readonly alertsFailed: Counter<'kind' | 'platform'>;
  /** Set it directly, or label it per platform. */
  readonly deliveryQueueDepth: Gauge<'platform'>;
  readonly commandLatency: Histogram<'command' | 'platform'>;

  /** Starts a command-latency timer; calling the result records and returns the seconds. */
  startCommandTimer(command: string, platform: string): CommandTimerEnd;
  /** Runs before every scrape, e.g. to copy a queue depth or reconnect totals from their owners. */
  onCollect(fn: () => void | Promise<void>): void;
  /** The Prometheus exposition text. */
  text(): Promise<string>;
}

export interface MetricsOptions {
  /** Clock for ages (default Date.now). */
  now?: () => number;
  /** Node process metrics (CPU, RSS, event-loop lag, GC, handles). Default true. */
  defaultMetrics?: boolean;
  /** Metric name prefix (default `liqzone_`). */
  prefix?: string;
}

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface TallyEntry {
  venue: string;
  stream: string;
  tally: EventTally;
  /** Part of `tally.count` already added to the prom-client counter. */
  reported: number;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const now = opts.now ?? Date.now;
  const p = opts.prefix ?? 'liqzone_';
  const registry = new Registry();
  const registers = [registry];

  const tallies = new Map<string, TallyEntry>();
  const exchTimes: Record<string, number> = Object.create(null) as Record<string, number>;
  const snapshotTimes = new Map<string, number>();
  const collectors: (() => void | Promise<void>)[] = [];

  new Counter({
    name: `${p}events_total`,
    help: 'Market events received, per venue and stream (rate() gives events/s).',
    labelNames: ['venue', 'stream'] as const,
    registers,
    collect() {
      for (const e of tallies.values()) {
        const delta = e.tally.count - e.reported;
        if (delta > 0) {
          this.inc({ venue: e.venue, stream: e.stream }, delta);
          e.reported = e.tally.count;
        } else if (e.reported === 0) {
          // expose the series at 0 so dashboards see the stream exists
          this.inc({ venue: e.venue, stream: e.stream }, 0);
        }
      }
    },
  });

  const feedLagMs = new Gauge({
    name: `${p}feed_lag_ms`,
    help: 'Now minus the newest exchange timestamp seen, per venue.',
    labelNames: ['venue'] as const,
    registers,
    collect() {
      const t = now();
      for (const venue of Object.keys(exchTimes)) this.set({ venue }, Math.max(0, t - exchTimes[venue]!));
    },
  });

  const snapshotAgeMs = new Gauge({
    name: `${p}snapshot_age_ms`,
    help: 'Now minus the time of the latest engine snapshot, per symbol.',
    labelNames: ['symbol'] as const,
    registers,
    collect() {
      const t = now();
      for (const [symbol, at] of snapshotTimes) this.set({ symbol }, Math.max(0, t - at));
    },
  });

  const reconnects = new Counter({
    name: `${p}reconnects_total`,
    help: 'Venue socket reconnects.',
    labelNames: ['venue'] as const,
    registers,
  });
  const malformedFrames = new Counter({
    name: `${p}malformed_frames_total`,
    help: 'Frames that failed to parse or map, per venue.',
    labelNames: ['venue'] as const,
    registers,
  });
  // Totals owned by the market validator, copied at scrape time (gauges: the owner keeps the count).
  const futureTimestamps = new Gauge({ name: `${p}future_timestamps_total`, help: 'Events whose exchange time was in the future (clamped to receive time), per venue.', labelNames: ['venue'] as const, registers });
  const duplicateTrades = new Gauge({ name: `${p}duplicate_trades_total`, help: 'Trades dropped as duplicates by id, per venue.', labelNames: ['venue'] as const, registers });
  const quarantinedSymbols = new Gauge({ name: `${p}quarantined_symbols`, help: 'Symbols a venue is held out of because its price departs from the others.', labelNames: ['venue'] as const, registers });
  const observedPositions = new Gauge({ name: `${p}observed_positions`, help: 'Positions observed on Hyperliquid (actual liquidation prices), per symbol.', labelNames: ['symbol'] as const, registers });
  const observedUsd = new Gauge({ name: `${p}observed_usd`, help: 'Notional of the positions observed on Hyperliquid, per symbol.', labelNames: ['symbol'] as const, registers });
  const observedPoller = new Gauge({ name: `${p}observed_poller`, help: 'Hyperliquid observed-position poller: accounts tracked, polls, failures, rate_limited (cumulative).', labelNames: ['what'] as const, registers });
  const alertLabels = ['kind', 'platform'] as const;
  const alertsDecided = new Counter({ name: `${p}alerts_decided_total`, help: 'Alerts the rules decided to send.', labelNames: alertLabels, registers });
  const alertsSent = new Counter({ name: `${p}alerts_sent_total`, help: 'Alerts delivered.', labelNames: alertLabels, registers });
  const alertsFailed = new Counter({ name: `${p}alerts_failed_total`, help: 'Alert deliveries that failed for good.', labelNames: alertLabels, registers });
  const deliveryQueueDepth = new Gauge({
    name: `${p}delivery_queue_depth`,
    help: 'Alerts waiting in the delivery queue.',
    labelNames: ['platform'] as const,
    registers,
  });
  const commandLatency = new Histogram({
    name: `${p}command_latency_seconds`,
    help: 'Time from a command arriving to its reply being ready.',
    labelNames: ['command', 'platform'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });

  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: p });

  function eventTally(venue: string, stream: string): EventTally {
    const key = `${venue}\u0000${stream}`;
    let e = tallies.get(key);
    if (!e) {
      e = { venue, stream, tally: { count: 0 }, reported: 0 };
      tallies.set(key, e);
    }
    return e.tally;
  }

  return {
    registry,
    contentType: registry.contentType,
    eventTally,
    countEvents(venue, stream, n = 1) {
      eventTally(venue, stream).count += n;
    },
    noteExchangeTime(venue, exchTime) {
      const cur = exchTimes[venue];
      if (cur === undefined || exchTime > cur) exchTimes[venue] = exchTime;
    },
    noteSnapshot(symbol, t) {
      snapshotTimes.set(symbol, t);
    },
    reconnects,
    malformedFrames,
    futureTimestamps,
    duplicateTrades,
    quarantinedSymbols,
    observedPositions,
    observedUsd,
    observedPoller,
    feedLagMs,
    snapshotAgeMs,
    alertsDecided,
    alertsSent,
    alertsFailed,
    deliveryQueueDepth,
    commandLatency,
    startCommandTimer(command, platform) {
      const end = commandLatency.startTimer({ command, platform });
      return () => end();
    },
    onCollect(fn) {
      collectors.push(fn);
    },
    async text() {
      for (const fn of collectors) await fn();
      return registry.metrics();
    },
  };
}
