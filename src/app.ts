/**
 * The composition root: the one place that wires venues → market state → engines →
 * commands/notifier → platforms. Nothing else imports across those layers.
 */
import { readFileSync } from 'node:fs';
import { allCommands } from '../commands/index.ts';
import { createChartService } from './bot/charts.ts';
import type { CommandDef } from './bot/command.ts';
import { CommandRegistry } from './bot/registry.ts';
import type { Services, StatusReport, VenueStatus } from './bot/services.ts';
import type { Config } from './config.ts';
import { SignalEngine } from './engine/signals/index.ts';
import { ZoneEngine } from './engine/zone-engine.ts';
import { fetchBybitRiskLimits } from './engine/brackets.ts';
import { MarketState } from './market/state.ts';
import type { SymbolRegistry } from './market/symbols.ts';
import type { MarketEvent, Venue } from './market/types.ts';
import { Notifier } from './notify/index.ts';
import type { LogFn, Logger } from './ops/log.ts';
import { logFn } from './ops/log.ts';
import { Recorder } from './ops/recorder.ts';
import { createMetrics, type Metrics } from './ops/metrics.ts';
import { assessHealth, startHealthServer, withStoreHealth } from './ops/health-server.ts';
import { createEventPublisher, createEventSubscriber } from './ops/event-bus.ts';
import { connectRedis, isRedisUrl } from './ops/redis.ts';
import { createRedisRunCoordinator } from './ops/run-coordinator.ts';
import { createSnapshotPublisher, createSnapshotSubscriber, remoteSignalService, remoteStatus, remoteZoneService } from './ops/snapshot-bus.ts';
import { planExit } from './engine/exit.ts';
import { BracketBook } from './engine/brackets.ts';
import { SIGNAL_MODES } from './engine/types.ts';
import { ConsoleAdapter } from './platforms/console/console.ts';
import { startChatPlatforms } from './platforms/chat.ts';
import { openStore } from './store/index.ts';
import { createSubscriptionService } from '../commands/services/subscriptions.ts';
import { createPositionService } from '../commands/services/positions.ts';
import type { AlertSender } from './notify/types.ts';
import { kvCalibrationStore } from './store/calibration.ts';
import { delay } from './venues/backoff.ts';
import { startVenues, type VenueEndpointMap } from './venues/index.ts';
import { loadOkxTiers } from './venues/okx/tiers.ts';
import { ObservedPoller } from './venues/hyperliquid/observed.ts';
import { ObservedBook } from './market/observed.ts';

/** OKX tiers load this long after the feeds start (they are converted at the live OKX mark). */
const OKX_TIERS_AFTER_MS = 5_000;
import { createRecordMapper, parseFrameRecord, registryFromRecords, type FrameRecord } from './venues/records.ts';
import { buildRegistry } from './venues/registry.ts';
import { registerPriceTicks } from './format/ticks.ts';

export type AppMode = 'live' | 'demo' | 'replay';

export interface AppOptions {
  config: Config;
  mode: AppMode;
  logger: Logger;
  /** `auto`: chat platforms by token, console when none; `console`: console only; `none`: no surface. */
  surface: 'auto' | 'console' | 'none';
  json?: boolean;
  /** Write every raw frame to this recording. */
  recordTo?: string;
  /** Replay this recording instead of connecting. */
  replayFile?: string;
  /** Venue endpoints override (demo: the simulated fakes). */
  endpoints?: VenueEndpointMap;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Commands only this run offers (e.g. `/demo` in demo mode). */
  extraCommands?: CommandDef[];
}

export interface App {
  registry: CommandRegistry;
  services: Services;
  metrics: Metrics;
  /** Port of the /healthz + /metrics server when METRICS_PORT is set. */
  healthPort?: number;
  state: MarketState;
  zones: ZoneEngine;
  signals: SignalEngine;
  /** Resolves when the feeds have started (or the replay has been applied). */
  ready: Promise<void>;
  /** Resolves when the console's input ends (console surface only). */
  consoleDone?: Promise<void>;
  stop(): Promise<void>;
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

export async function startApp(opts: AppOptions): Promise<App> {
  const { config, logger } = opts;
  const log: LogFn = logFn(logger, 'app');
  const startedAt = Date.now();
  // Scale-out roles share one Redis: `market` holds feeds + engines and publishes; `bot` serves chat.
  const role = opts.mode === 'replay' ? 'all' : config.ROLE;
  if (role !== 'all' && !isRedisUrl(config.STORE_URL)) throw new Error(`ROLE=${role} needs STORE_URL=redis://… (the processes meet in Redis)`);
  // The demo market may run faster than the wall clock (`--speed`): its exchange times are ahead of
  // receive times on purpose, so only live and replayed venue data get the future-timestamp clamp.
  const state = new MarketState({}, opts.mode === 'demo' ? { futureToleranceMs: Number.POSITIVE_INFINITY } : {});
  state.validator.onChange = (c) => log(c.type === 'quarantined' ? 'warn' : 'info', c.reason, { venue: c.venue, symbol: c.symbol });
  // Replay runs on the recorded clock; live and demo on the wall clock.
  let replayClock = 0;
  const now = opts.mode === 'replay' ? () => replayClock : () => Date.now();

  const symbols = swappableRegistry(buildRegistry({ symbols: config.SYMBOLS, venues: config.VENUES }));
  const store = opts.mode === 'replay' ? await openStore('memory:', { log: logFn(logger, 'store') }) : await openStore(config.STORE_URL, { log: logFn(logger, 'store') });
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
    calibrationStore: kvCalibrationStore(store.kv<unknown>('calibration')),
  });
  await zones
    .loadCalibration()
    .then((r) => r.restored + r.skipped > 0 && log('info', `leverage-mix calibration restored for ${r.restored} venue-symbols${r.skipped ? ` (${r.skipped} stored records unusable: other version or leverage grid)` : ''}`))
    .catch((err: Error) => log('warn', `leverage-mix calibration could not be loaded: ${err.message}`));
  const signals = new SignalEngine({ state, zones, symbols: () => symbols.tracked(), weights: store.weights, now, log: logFn(logger, 'signals') });
  await signals.load().catch((err: Error) => log('warn', `learned signal weights could not be loaded: ${err.message}`));
  const charts = createChartService();

  let venueStatus: () => VenueStatus[] = () => [];
  const status = (): StatusReport => ({ mode: opts.mode, startedAt: opts.mode === 'replay' ? replayStart : startedAt, now: now(), venues: venueStatus() });
  let replayStart = 0;

  const services: Services = {
    now,
    symbols,
    status,
    zones,
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
    for (const v of venueStatus()) {
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
  const stoppers: (() => Promise<void> | void)[] = [];
  const senders: AlertSender[] = [];

  let ready: Promise<void>;
  if (opts.mode === 'replay') {
    ready = (async () => {
      const text = readFileSync(opts.replayFile!, 'utf8');
      const records: FrameRecord[] = [];
      let bad = 0;
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        const r = parseFrameRecord(line);
        if (r) records.push(r);
        else bad++;
      }
      const venues = [...new Set(records.map((r) => r.v))] as Venue[];
      const reg = registryFromRecords(records, config.SYMBOLS, venues.length ? venues : config.VENUES);
      symbols.set(reg);
      replayStart = records[0]?.t ?? 0;
      const result = replayRecords(records, reg, state, (t) => {
        replayClock = t;
      }, {
        zonesEvery: config.SNAPSHOT_INTERVAL_MS,
        onZones: () => zones.update(),
        onSignals: () => signals.cycle(),
      });
      zones.update();
      signals.cycle();
      venueStatus = () => withValidation(replayStatus(reg, venues, state, records, result.malformed + bad, now()), state);
      log('info', `replayed ${records.length} frames (${result.events} events, ${result.malformed + bad} malformed) from ${opts.replayFile}`);
    })();
  } else {
    const recorder = opts.recordTo ? new Recorder(opts.recordTo) : undefined;
    if (recorder) stoppers.push(() => recorder.close());
    const endpoints: VenueEndpointMap = opts.endpoints ?? {
      binance: { wsUrl: config.BINANCE_WS_URL, restUrl: config.BINANCE_REST_URL },
      bybit: { wsUrl: config.BYBIT_WS_URL, restUrl: config.BYBIT_REST_URL },
      okx: { wsUrl: config.OKX_WS_URL, restUrl: config.OKX_REST_URL },
      // the REST client posts to `<base>/info`
      hyperliquid: { wsUrl: config.HYPERLIQUID_WS_URL, restUrl: config.HYPERLIQUID_INFO_URL.replace(/\/info\/?$/, '') },
    };
    const venueLog = logFn(logger, 'venues');
    if (role === 'bot') {
      ready = (async () => {
        const sub = await createSnapshotSubscriber(config.STORE_URL, { log: logFn(logger, 'snapshots') });
        const brackets = new BracketBook();
        services.zones = remoteZoneService(sub, { planExit: (snap, req) => planExit(snap, req, brackets.get(req.venue, req.symbol), planner) });
        services.signals = remoteSignalService(sub);
        const remote = remoteStatus(sub, { now, mode: opts.mode, startedAt });
        venueStatus = () => remote().venues;
        stoppers.push(() => sub.close());
      })();
    } else ready = (async () => {
      let poller: ObservedPoller | undefined;
      const venues = await startVenues({
        venues: config.VENUES,
        symbols: config.SYMBOLS,
        binance: endpoints.binance,
        bybit: endpoints.bybit,
        ...(endpoints.okx ? { okx: endpoints.okx } : {}),
        ...(endpoints.hyperliquid ? { hyperliquid: endpoints.hyperliquid } : {}),
        onHyperliquidTrades: (payload) => poller?.noteTrades(payload),
        onEvent: ingest,
        onRecord: recorder ? (rec) => recorder.write(rec) : undefined,
        log: venueLog,
      });
      symbols.set(venues.registry);
      venueStatus = () => withValidation(venues.status(), state);
      if (config.VENUES.includes('bybit')) void refreshBybitTiers(venues.registry, endpoints.bybit.restUrl, zones, logFn(logger, 'brackets'));
      const hlRest = venues.rest('hyperliquid');
      if (hlRest) {
        poller = new ObservedPoller({
          registry: venues.registry,
          rest: hlRest,
          book: observed,
          now,
          log: logFn(logger, 'observed'),
          onEvent: ingest,
          markOf: (s) => state.get(s, 'hyperliquid')?.mark,
        });
        poller.start();
        const p = poller;
        stoppers.unshift(() => p.stop());
      }
      const okxRest = venues.rest('okx');
      if (okxRest) {
        // OKX tiers are in contracts: convert at the live OKX mark, so wait for the first marks
        const abort = new AbortController();
        stoppers.push(() => abort.abort());
        void delay(OKX_TIERS_AFTER_MS, abort.signal).then((waited) => {
          if (!waited) return;
          void loadOkxTiers(venues.registry, okxRest, (t) => {
            const price = state.get(t.symbol, 'okx')?.mark ?? state.price(t.symbol);
            if (price !== undefined) zones.setOkxTiers(t.symbol, t.tiers, t.coinsPerContract, price);
          }, logFn(logger, 'brackets'), abort.signal);
        });
      }
      stoppers.unshift(() => venues.stop());
      updateZones();
      signals.cycle();
      if (role === 'market') await startPublishing();
    })();
    async function startPublishing(): Promise<void> {
      const publisher = await createSnapshotPublisher(config.STORE_URL, { log: logFn(logger, 'snapshots') });
      const events = await createEventPublisher(config.STORE_URL, { log: logFn(logger, 'events') });
      const publishAll = () => {
        for (const s of symbols.tracked()) {
          const z = zones.snapshot(s);
          if (z) void publisher.publishZones(z, zones.trackRecord(s));
          for (const mode of SIGNAL_MODES) {
            const sig = signals.snapshot(s, mode);
            if (sig) void publisher.publishSignals(sig);
          }
        }
        void publisher.publishStatus(status());
      };
      publishAll();
      const timer = setInterval(publishAll, Math.min(config.SNAPSHOT_INTERVAL_MS, 5_000));
      const offSignals = signals.onEvent((event) => void events.publish({ type: 'signal', event }));
      const offSweeps = zones.onSweep((event) => void events.publish({ type: 'sweep', event }));
      stoppers.unshift(async () => {
        clearInterval(timer);
        offSignals();
        offSweeps();
        await publisher.close();
        await events.close();
      });
    }
    const snapshotTimer = setInterval(() => {
      if (role === 'bot') return;
      try {
        updateZones();
      } catch (err) {
        log('error', `zone update failed: ${(err as Error).message}`);
      }
    }, config.SNAPSHOT_INTERVAL_MS);
    stoppers.push(() => clearInterval(snapshotTimer));
    if (role !== 'bot') {
      const saveCalibration = async (): Promise<void> => {
        await zones.saveCalibration().catch((err: Error) => log('warn', `leverage-mix calibration not saved: ${err.message}`));
      };
      const calibrationTimer = setInterval(saveCalibration, 5 * 60_000);
      calibrationTimer.unref?.();
      stoppers.push(() => clearInterval(calibrationTimer));
      stoppers.push(saveCalibration);
      signals.start();
      stoppers.push(() => signals.stop());
      stoppers.push(() => signals.save().catch(() => undefined));
    }
  }

  let consoleAdapter: ConsoleAdapter | undefined;
  const hasTokens = Boolean(config.DISCORD_TOKEN || config.TELEGRAM_TOKEN);
  const useConsole = opts.surface === 'console' || (opts.surface === 'auto' && !hasTokens);
  if (useConsole) {
    consoleAdapter = new ConsoleAdapter({
      registry,
      services,
      json: opts.json ?? false,
      chartDir: config.CHART_DIR,
      log: logFn(logger, 'console'),
      input: opts.input,
      output: opts.output,
      ready,
    });
    senders.push(consoleAdapter.sender());
  }

  // Chat platforms (only outside replay): chosen by the tokens present.
  if (opts.mode !== 'replay' && opts.surface === 'auto' && role !== 'market') {
    // Each platform starts in the background and retries on its own (src/platforms/supervisor.ts).
    // Discord shard children (spawned by `run --shards`) leave Telegram to a separate bot process:
    // two pollers on one token would steal each other's updates.
    const chat = startChatPlatforms({
      discord: config.DISCORD_TOKEN ? { token: config.DISCORD_TOKEN, appId: config.DISCORD_APP_ID, apiUrl: config.DISCORD_API_URL } : undefined,
      telegram: config.TELEGRAM_TOKEN && !config.shardChild ? { token: config.TELEGRAM_TOKEN, apiRoot: config.TELEGRAM_API_ROOT } : undefined,
      registry,
      services,
      log: (p) => logFn(logger, p),
    });
    chatUsername = chat.telegramUsername;
    senders.push(...chat.senders);
    stoppers.unshift(() => chat.stop());
  }

  if (opts.mode !== 'replay' && role !== 'market') {
    // Read through `services` so a bot process uses the snapshots the market process publishes.
    const zoneView = { snapshot: (s: string) => services.zones?.snapshot(s) };
    const signalView = { snapshot: (s: string, m: (typeof SIGNAL_MODES)[number]) => services.signals?.snapshot(s, m) };
    let coordinator;
    if (role === 'bot') {
      const client = await connectRedis(config.STORE_URL, { name: 'liqzone-cron-lease', log: logFn(logger, 'lease') });
      coordinator = createRedisRunCoordinator(client);
      stoppers.push(() => client.close().catch(() => undefined));
    }
    const notifier = new Notifier({ store, zones: zoneView, signals: signalView, senders, cron: config.NOTIFY_CRON, now, charts, coordinator, reloadEveryMs: role === 'bot' ? 10_000 : undefined, sources: [positions.watcher], log: logFn(logger, 'notifier') });
    positions.addEraser((dest) => notifier.forgetDestination(dest));
    if (role === 'bot') {
      const events = await createEventSubscriber(config.STORE_URL, { log: logFn(logger, 'events') });
      events.onEvent((ev) => (ev.type === 'signal' ? notifier.onSignalEvent(ev.event) : notifier.onSweep(ev.event)));
      stoppers.push(() => events.close());
    } else {
      signals.onEvent((ev) => notifier.onSignalEvent(ev));
      zones.onSweep((ev) => notifier.onSweep(ev));
    }
    await notifier.start();
    stoppers.unshift(() => notifier.stop());
  }
  stoppers.push(() => store.close());

  let healthPort: number | undefined;
  if (config.METRICS_PORT > 0) {
    const server = await startHealthServer({
      port: config.METRICS_PORT,
      health: () => withStoreHealth(assessHealth(venueStatus(), now(), { staleMs: 30_000, startedAt, startupGraceMs: 120_000, expected: role === 'bot' || opts.mode === 'replay' ? undefined : config.VENUES }), store.status()),
      metrics: () => metrics.text(),
      metricsContentType: metrics.contentType,
    });
    healthPort = server.port;
    stoppers.push(() => server.close());
  }

  const consoleDone = consoleAdapter?.run().catch((err: Error) => log('error', `console failed: ${err.message}`));

  let stopped = false;
  return {
    registry,
    services,
    metrics,
    healthPort,
    state,
    zones,
    signals,
    ready,
    consoleDone: consoleDone as Promise<void> | undefined,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of stoppers) {
        try {
          await s();
        } catch (err) {
          log('warn', `shutdown step failed: ${(err as Error).message}`);
        }
      }
    },
  };
}

/**
 * Bybit publishes its risk-limit tiers: fetch them once at start (a few at a time) so Bybit exit
 * plans use the venue's own maintenance tiers; a symbol whose fetch fails keeps the generic table.
 */
async function refreshBybitTiers(reg: SymbolRegistry, restUrl: string, zones: ZoneEngine, log: LogFn): Promise<void> {
  const queue = reg.instruments('bybit').slice();
  let ok = 0;
  let failed = 0;
  const worker = async () => {
    for (let inst = queue.shift(); inst; inst = queue.shift()) {
      const r = await fetchBybitRiskLimits(restUrl, inst.venueSymbol);
      if (r.ok) {
        zones.setBybitTiers(inst.symbol, r.tiers);
        ok++;
      } else failed++;
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  log(failed ? 'warn' : 'info', `bybit risk-limit tiers: ${ok} symbols loaded${failed ? `, ${failed} kept the generic table` : ''}`);
}

export interface ReplayHooks {
  zonesEvery: number;
  onZones(): void;
  onSignals(): void;
}

/** Pushes recorded frames through the same mappers into state, ticking the engines on the recorded clock. */
export function replayRecords(
  records: FrameRecord[],
  reg: SymbolRegistry,
  state: MarketState,
  setClock: (t: number) => void,
  hooks?: ReplayHooks,
): { events: number; malformed: number } {
  const mapper = createRecordMapper(reg);
  let events = 0;
  let malformed = 0;
  let nextZones = 0;
  let nextSignals = 0;
  for (const rec of records) {
    setClock(rec.t);
    if (hooks) {
      if (nextZones === 0) {
        nextZones = rec.t + hooks.zonesEvery;
        nextSignals = rec.t + 10_000;
      }
      if (rec.t >= nextZones) {
        hooks.onZones();
        nextZones = rec.t + hooks.zonesEvery;
      }
      if (rec.t >= nextSignals) {
        hooks.onSignals();
        nextSignals = rec.t + 10_000;
      }
    }
    const evs = mapper.map(rec);
    if (evs === null) {
      malformed++;
      continue;
    }
    for (const ev of evs) {
      state.apply(ev);
      events++;
    }
  }
  return { events, malformed };
}

/** Adds what the validated market view holds out per venue: quarantines, duplicates, future timestamps. */
function withValidation(list: VenueStatus[], state: MarketState): VenueStatus[] {
  const held = state.validator.quarantines();
  return list.map((v) => {
    const q = held.filter((x) => x.venue === v.venue).map((x) => ({ symbol: x.symbol, kind: x.kind, since: x.since, reason: x.reason }));
    const c = state.validator.byVenue.get(v.venue);
    return {
      ...v,
      ...(q.length > 0 ? { quarantined: q } : {}),
      ...(c && c.duplicateTrades > 0 ? { duplicateTrades: c.duplicateTrades } : {}),
      ...(c && c.futureTimestamps > 0 ? { futureTimestamps: c.futureTimestamps } : {}),
    };
  });
}

function replayStatus(reg: SymbolRegistry, venues: Venue[], state: MarketState, records: FrameRecord[], malformed: number, now: number): VenueStatus[] {
  return venues.map((venue) => {
    const lastByStream = new Map<string, number>();
    for (const r of records) if (r.v === venue && !r.c.startsWith('rest:')) lastByStream.set(r.c, r.t);
    const live = reg.tracked().filter((s) => state.get(s, venue));
    return {
      venue,
      connections: [{ name: 'replay', state: 'replayed', reconnects: 0 }],
      streams: [...lastByStream].map(([name, t]) => ({ name, lastMessageAgeMs: Math.max(0, now - t), silent: false })),
      symbolsLive: live,
      skipped: reg.skipped().filter((s) => s.venue === venue).map((s) => ({ symbol: s.symbol, reason: s.reason })),
      rest: { weightUsed: 0, weightLimit: 0, note: 'replay: no REST calls' },
      malformedFrames: malformed,
    };
  });
}
