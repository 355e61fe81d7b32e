/**
 * What every process has, whatever its market source and surfaces: the store, the market state and
 * engines, the command registry and services, metrics. Built once by `startApp`; sources fill it
 * (venue status, registry, snapshots), surfaces read it.
 */
import { allCommands } from '../../commands/index.ts';
import { createPositionService } from '../../commands/services/positions.ts';
import { createSubscriptionService } from '../../commands/services/subscriptions.ts';
import { createChartService } from '../bot/charts.ts';
import type { CommandDef } from '../bot/command.ts';
import { CommandRegistry } from '../bot/registry.ts';
import type { ChartService, Services, StatusReport, VenueStatus } from '../bot/services.ts';
import type { Config } from '../config.ts';
import { SignalEngine } from '../engine/signals/index.ts';
import { ZoneEngine } from '../engine/zone-engine.ts';
import { registerPriceTicks } from '../format/ticks.ts';
import { ObservedBook } from '../market/observed.ts';
import { MarketState } from '../market/state.ts';
import type { SymbolRegistry } from '../market/symbols.ts';
import type { MarketEvent } from '../market/types.ts';
import type { AlertSender } from '../notify/types.ts';
import { type LogFn, type Logger, logFn } from '../ops/log.ts';
import { createMetrics, type Metrics } from '../ops/metrics.ts';
import { isRedisUrl } from '../ops/redis.ts';
import { openStore, type Store } from '../store/index.ts';
import { buildRegistry } from '../venues/registry.ts';

export type AppMode = 'live' | 'demo' | 'replay';
/** Scale-out role: `market` holds feeds + engines and publishes; `bot` serves chat from the published snapshots. */
export type Role = Config['ROLE'];

/** Undoes one started part. */
export type Stopper = () => Promise<void> | void;

export interface Core {
  config: Config;
  mode: AppMode;
  role: Role;
  logger: Logger;
  log: LogFn;
  startedAt: number;
  now(): number;
  /** Replay moves the clock to each record's time. */
  setClock(t: number): void;
  state: MarketState;
  symbols: SymbolRegistry & { set(r: SymbolRegistry): void };
  store: Store;
  zones: ZoneEngine;
  signals: SignalEngine;
  charts: ChartService;
  services: Services;
  positions: ReturnType<typeof createPositionService>;
  registry: CommandRegistry;
  metrics: Metrics;
  /** Applies one market event (with the metrics tallies). */
  ingest(ev: MarketEvent): void;
  /** Rebuilds the zone snapshots (and notes their age in the metrics). */
  updateZones(): void;
  status(): StatusReport;
  /** Sources say where venue status comes from (and, for replay, when the run started). */
  setVenueStatus(fn: () => VenueStatus[], startedAt?: number): void;
  venueStatus(): VenueStatus[];
  /** Alert senders of the surfaces (platforms push theirs as they connect). */
  senders: AlertSender[];
  /** The Telegram bot's username, once a chat surface knows it (deep links in /position). */
  setChatUsername(fn: () => string | undefined): void;
  /** The chat platforms' connection state, for /status (set by the chat surface). */
  setChatStatus(fn: () => NonNullable<StatusReport['chat']>): void;
  planner: { minClusterShare: number };
  /** Positions observed on Hyperliquid (the live source's poller fills it). */
  observed: ObservedBook;
}

export interface CoreOptions {
  config: Config;
  mode: AppMode;
  logger: Logger;
  extraCommands?: CommandDef[];
}

/** A SymbolRegistry whose backing registry can be swapped once venue listings arrive. */
function swappableRegistry(initial: SymbolRegistry): SymbolRegistry & { set(r: SymbolRegistry): void } {
  let cur = initial;
  registerPriceTicks(initial);
  return {
    set: (r) => {
      cur = r;
      registerPriceTicks(r);
    },
    tracked: () => cur.tracked(),
    instruments: (v) => cur.instruments(v),
    instrument: (v, s) => cur.instrument(v, s),
    byVenueSymbol: (v, s) => cur.byVenueSymbol(v, s),
    skipped: () => cur.skipped(),
    venuesOf: (s) => cur.venuesOf(s),
  };
}

export async function buildCore(opts: CoreOptions): Promise<Core> {
  const { config, logger, mode } = opts;
  const log: LogFn = logFn(logger, 'app');
  const startedAt = Date.now();
  const role: Role = mode === 'replay' ? 'all' : config.ROLE;
  if (role !== 'all' && !isRedisUrl(config.STORE_URL)) throw new Error(`ROLE=${role} needs STORE_URL=redis://… (the processes meet in Redis)`);
  // The demo market may run faster than the wall clock (`--speed`): its exchange times are ahead of
  // receive times on purpose, so only live and replayed venue data get the future-timestamp clamp.
  const state = new MarketState({}, mode === 'demo' ? { futureToleranceMs: Number.POSITIVE_INFINITY } : {});
  state.validator.onChange = (c) => log(c.type === 'quarantined' ? 'warn' : 'info', c.reason, { venue: c.venue, symbol: c.symbol });
  // Replay runs on the recorded clock; live and demo on the wall clock.
  let replayClock = 0;
  const now = mode === 'replay' ? () => replayClock : () => Date.now();

  const symbols = swappableRegistry(buildRegistry({ symbols: config.SYMBOLS, venues: config.VENUES }));
  const store = await openStore(mode === 'replay' ? 'memory:' : config.STORE_URL, { log: logFn(logger, 'store') });
  const planner = { minClusterShare: config.EXIT_MIN_CLUSTER_SHARE };
  // Positions observed on Hyperliquid (filled by the poller when that venue runs live)
  const observed = new ObservedBook();
  const zones = new ZoneEngine(state, {
    observed,
    symbols: () => symbols.tracked(),
    leverageMix: config.LEVERAGE_MIX,
    now,
    log: logFn(logger, 'zones'),
    planner,
    calibrationStore: store.calibration,
  });
  await zones
    .loadCalibration()
    .then((r) => r.restored + r.skipped > 0 && log('info', `leverage-mix calibration restored for ${r.restored} venue-symbols${r.skipped ? ` (${r.skipped} stored records unusable: other version or leverage grid)` : ''}`))
    .catch((err: Error) => log('warn', `leverage-mix calibration could not be loaded: ${err.message}`));
  const signals = new SignalEngine({ state, zones, symbols: () => symbols.tracked(), weights: store.weights, now, log: logFn(logger, 'signals') });
  await signals.load().catch((err: Error) => log('warn', `learned signal weights could not be loaded: ${err.message}`));
  const charts = createChartService();

  let venueStatus: () => VenueStatus[] = () => [];
  let runStartedAt = mode === 'replay' ? 0 : startedAt;
  let chatStatus: () => StatusReport['chat'] = () => undefined;
  const status = (): StatusReport => ({ mode, startedAt: runStartedAt, now: now(), venues: venueStatus(), store: store.status(), chat: chatStatus() });

  const services: Services = {
    now,
    symbols,
    status,
    zones,
    heatmaps: zones,
    signals,
    charts,
    subscriptions: createSubscriptionService({ store, symbols, now }),
  };
  // Positions read zones through `services`, so a bot process plans on the published snapshots.
  let chatUsername: () => string | undefined = () => undefined;
  const positions = createPositionService({
    store,
    zones: { snapshot: (s) => services.zones?.snapshot(s), planExit: (r) => services.zones?.planExit(r) ?? { error: 'Zones are not available yet.' } },
    charts,
    now,
    symbols,
    telegramBotUsername: () => chatUsername(),
  });
  services.positions = positions;
  const registry = new CommandRegistry([...allCommands(), ...(opts.extraCommands ?? [])], { log: logFn(logger, 'commands') });
  const metrics = createMetrics({ now });
  registry.observe((name, platform, seconds) => metrics.commandLatency.observe({ command: name, platform }, seconds));
  // Hot path: one tally per venue and event kind, counted with a plain increment (no per-event allocation).
  const tallies: Partial<Record<string, Partial<Record<MarketEvent['kind'], { count: number }>>>> = {};
  const ingest = (ev: MarketEvent): void => {
    const byKind = (tallies[ev.venue] ??= {});
    const tally = (byKind[ev.kind] ??= metrics.eventTally(ev.venue, ev.kind));
    tally.count++;
    // apply first: the validator clamps a future exchange time, which must not hide feed lag
    state.apply(ev);
    metrics.noteExchangeTime(ev.venue, ev.exchTime);
  };
  const reported = new Map<string, { reconnects: number; malformed: number }>();
  metrics.onCollect(() => {
    // validated market view: owned by the validator, copied at scrape time
    const held = state.validator.quarantines();
    for (const venue of config.VENUES) {
      const c = state.validator.byVenue.get(venue);
      metrics.futureTimestamps.set({ venue }, c?.futureTimestamps ?? 0);
      metrics.duplicateTrades.set({ venue }, c?.duplicateTrades ?? 0);
      metrics.quarantinedSymbols.set({ venue }, held.filter((q) => q.venue === venue).length);
    }
    for (const s of symbols.tracked()) {
      const o = observed.summary(s, now());
      metrics.observedPositions.set({ symbol: s }, o.positions);
      metrics.observedUsd.set({ symbol: s }, o.usd);
    }
    for (const v of venueStatus()) {
      if (v.observed) {
        metrics.observedPoller.set({ what: 'accounts' }, v.observed.addresses);
        metrics.observedPoller.set({ what: 'polls' }, v.observed.polls);
        metrics.observedPoller.set({ what: 'failures' }, v.observed.failures);
        metrics.observedPoller.set({ what: 'rate_limited' }, v.observed.rateLimited);
      }
      const prev = reported.get(v.venue) ?? { reconnects: 0, malformed: 0 };
      const reconnects = v.connections.reduce((a, c) => a + c.reconnects, 0);
      if (reconnects > prev.reconnects) metrics.reconnects.inc({ venue: v.venue }, reconnects - prev.reconnects);
      if (v.malformedFrames > prev.malformed) metrics.malformedFrames.inc({ venue: v.venue }, v.malformedFrames - prev.malformed);
      reported.set(v.venue, { reconnects: Math.max(reconnects, prev.reconnects), malformed: Math.max(v.malformedFrames, prev.malformed) });
    }
  });
  const updateZones = (): void => {
    zones.update();
    for (const s of symbols.tracked()) {
      const snap = zones.snapshot(s);
      if (snap) metrics.noteSnapshot(s, snap.t);
    }
  };

  return {
    config,
    mode,
    role,
    logger,
    log,
    startedAt,
    now,
    setClock: (t) => {
      replayClock = t;
    },
    state,
    symbols,
    store,
    zones,
    signals,
    charts,
    services,
    positions,
    registry,
    metrics,
    ingest,
    updateZones,
    status,
    setVenueStatus: (fn, at) => {
      venueStatus = fn;
      if (at !== undefined) runStartedAt = at;
    },
    venueStatus: () => venueStatus(),
    senders: [],
    setChatUsername: (fn) => {
      chatUsername = fn;
    },
    setChatStatus: (fn) => {
      chatStatus = fn;
    },
    planner,
    observed,
  };
}
