/**
 * Market sources: where a process's zones, signals and venue status come from.
 *  - live: the venues (real, or the demo's simulated ones) → market state → local engines;
 *  - replay: a recording through the same mappers, on the recorded clock;
 *  - remote: the snapshots a `ROLE=market` process publishes over Redis (`ROLE=bot`).
 * Each returns once its first data is in (`ready`) and a stopper.
 */
import { readFileSync } from 'node:fs';
import { planExit } from '../engine/exit.ts';
import type { VenueStatus } from '../bot/services.ts';
import type { MarketState } from '../market/state.ts';
import type { Venue } from '../market/types.ts';
import { logFn } from '../ops/log.ts';
import { Recorder } from '../ops/recorder.ts';
import { createRemoteHeatmaps } from '../ops/heatmap-bus.ts';
import { createSnapshotSubscriber, followPriceTicks, remoteBrackets, remoteSignalService, remoteStatus, remoteZoneService } from '../ops/snapshot-bus.ts';
import { delay } from '../venues/backoff.ts';
import { startVenues, type VenueEndpointMap } from '../venues/index.ts';
import { installRecordedTiers, recordedOkxTiers } from '../venues/recorded-tiers.ts';
import { ObservedAccounts, ObservedPoller, recordedClearinghouseState } from '../venues/hyperliquid/observed.ts';
import { loadOkxTiers } from '../venues/okx/tiers.ts';
import { type FrameRecord, parseFrameRecord, registryFromRecords } from '../venues/records.ts';
import type { Core, Stopper } from './core.ts';
import type { FeedTiming } from '../venues/feed.ts';
import { replayRecords, replayStatus } from './replay.ts';

export interface MarketSource {
  /** Resolves when the feeds have started, the replay has been applied, or the bus is connected. */
  ready: Promise<void>;
  stop: Stopper;
}

/** OKX tiers load this long after the feeds start (they are converted at the live OKX mark). */
const OKX_TIERS_AFTER_MS = 5_000;

/** Stoppers run in order; a failing one is logged and the rest still run. */
function sequence(core: Core, stoppers: Stopper[]): Stopper {
  return async () => {
    for (const s of stoppers) {
      try {
        await s();
      } catch (err) {
        core.log('warn', `shutdown step failed: ${(err as Error).message}`);
      }
    }
  };
}

/** The venue endpoints from the configuration (the demo passes its simulated ones instead). */
export function configuredEndpoints(core: Core): VenueEndpointMap {
  const { config } = core;
  return {
    binance: { wsUrl: config.BINANCE_WS_URL, restUrl: config.BINANCE_REST_URL },
    bybit: { wsUrl: config.BYBIT_WS_URL, restUrl: config.BYBIT_REST_URL },
    okx: { wsUrl: config.OKX_WS_URL, restUrl: config.OKX_REST_URL },
    // the REST client posts to `<base>/info`
    hyperliquid: { wsUrl: config.HYPERLIQUID_WS_URL, restUrl: config.HYPERLIQUID_INFO_URL.replace(/\/info\/?$/, '') },
  };
}

/**
 * Live venues → market state → local engines: zone snapshots on SNAPSHOT_INTERVAL_MS, the signal
 * cycle, calibration saves, exchange risk tiers fetched through the venues' REST clients.
 */
export function liveSource(core: Core, opts: { endpoints?: VenueEndpointMap; recordTo?: string; timing?: Partial<FeedTiming> } = {}): MarketSource {
  const { config, logger, zones, signals, state } = core;
  const stoppers: Stopper[] = [];
  const recorder = opts.recordTo ? new Recorder(opts.recordTo) : undefined;
  const endpoints = opts.endpoints ?? configuredEndpoints(core);
  const bracketLog = logFn(logger, 'brackets');
  const background = new AbortController();
  let venuesStop: Stopper = () => undefined;
  let pollerStop: Stopper = () => undefined;

  const ready = (async () => {
    let poller: ObservedPoller | undefined;
    const venues = await startVenues({
      venues: config.VENUES,
      symbols: config.SYMBOLS,
      binance: endpoints.binance,
      bybit: endpoints.bybit,
      ...(endpoints.okx ? { okx: endpoints.okx } : {}),
      ...(endpoints.hyperliquid ? { hyperliquid: endpoints.hyperliquid } : {}),
      onHyperliquidTrades: (payload) => poller?.noteTrades(payload),
      onEvent: core.ingest,
      onRecord: recorder ? (rec) => recorder.write(rec) : undefined,
      ...(opts.timing ? { timing: opts.timing } : {}),
      // Bybit tiers through Bybit's REST client (weight budget, recordings); published to bot processes by the publisher surface
      onBybitRiskTiers: (symbol, tiers) => zones.setBybitTiers(symbol, tiers),
      onHyperliquidTiers: (symbol, tiers) => zones.setHyperliquidTiers(symbol, tiers),
      // /status (and the console's early commands) see the sockets and the history loading
      onStarted: (early) => {
        core.symbols.set(early.registry);
        core.setVenueStatus(() => withValidation(early.status(), state));
      },
      log: logFn(logger, 'venues'),
    });
    venuesStop = () => venues.stop();
    core.symbols.set(venues.registry);
    core.setVenueStatus(() => withObserved(withValidation(venues.status(), state), poller, core.now()));
    const hlRest = venues.rest('hyperliquid');
    if (hlRest) {
      poller = new ObservedPoller({
        registry: venues.registry,
        rest: hlRest,
        book: core.observed,
        now: core.now,
        log: logFn(logger, 'observed'),
        onEvent: core.ingest,
        markOf: (s) => state.get(s, 'hyperliquid')?.mark,
      });
      poller.start();
      const p = poller;
      pollerStop = () => p.stop();
    }
    const okxRest = venues.rest('okx');
    if (okxRest) {
      // OKX tiers are in contracts: convert at the live OKX mark, so wait for the first marks
      void delay(OKX_TIERS_AFTER_MS, background.signal).then((waited) => {
        if (!waited) return;
        void loadOkxTiers(
          venues.registry,
          okxRest,
          (t) => {
            const price = state.get(t.symbol, 'okx')?.mark ?? state.price(t.symbol);
            if (price !== undefined) zones.setOkxTiers(t.symbol, t.tiers, t.coinsPerContract, price);
          },
          bracketLog,
          background.signal,
        );
      });
    }
    core.updateZones();
    signals.cycle();
  })();

  const snapshotTimer = setInterval(() => {
    try {
      core.updateZones();
    } catch (err) {
      core.log('error', `zone update failed: ${(err as Error).message}`);
    }
  }, config.SNAPSHOT_INTERVAL_MS);
  const saveCalibration = async (): Promise<void> => {
    await zones.saveCalibration().catch((err: Error) => core.log('warn', `leverage-mix calibration not saved: ${err.message}`));
  };
  const calibrationTimer = setInterval(saveCalibration, 5 * 60_000);
  calibrationTimer.unref?.();
  signals.start();

  stoppers.push(
    () => background.abort(),
    () => pollerStop(),
    () => venuesStop(),
    () => recorder?.close(),
    () => clearInterval(snapshotTimer),
    () => clearInterval(calibrationTimer),
    saveCalibration,
    () => signals.stop(),
    () => signals.save().catch(() => undefined),
  );
  return { ready, stop: sequence(core, stoppers) };
}

/** A recording through the same mappers into state, the engines ticking on the recorded clock. */
export function replaySource(core: Core, file: string): MarketSource {
  const { config, zones, signals, state, log } = core;
  const ready = (async () => {
    const text = readFileSync(file, 'utf8');
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
    core.symbols.set(reg);
    core.setClock(records[0]?.t ?? 0);
    // the exchange tiers the live run fetched are in the recording: plan exits with the same tables
    installRecordedTiers(records, reg, zones);
    // the observed Hyperliquid positions the live run polled, rebuilt from their recorded answers
    const observed = new ObservedAccounts({ registry: reg, book: core.observed, onEvent: (ev) => state.apply(ev), markOf: (s) => state.get(s, 'hyperliquid')?.mark });
    const result = replayRecords(records, reg, state, core.setClock, {
      onRecord: (rec) => {
        const answer = recordedClearinghouseState(rec);
        if (answer) observed.apply(answer.user, answer.body, rec.t);
        // OKX tiers are sized at the price when they arrived, as in the live run
        const okx = recordedOkxTiers(rec, reg);
        if (okx) {
          const price = state.get(okx.symbol, 'okx')?.mark ?? state.price(okx.symbol);
          if (price !== undefined) zones.setOkxTiers(okx.symbol, okx.tiers, okx.coinsPerContract, price);
        }
      },
      zonesEvery: config.SNAPSHOT_INTERVAL_MS,
      onZones: () => zones.update(),
      onSignals: () => signals.cycle(),
    });
    zones.update();
    signals.cycle();
    core.setVenueStatus(() => withValidation(replayStatus(reg, venues, state, records, result.malformed + bad, core.now()), state), records[0]?.t ?? 0);
    log('info', `replayed ${records.length} frames (${result.events} events, ${result.malformed + bad} malformed) from ${file}`);
  })();
  return { ready, stop: () => undefined };
}

/**
 * `ROLE=bot`: zones, signals, status and exchange bracket tables from the snapshots a market
 * process publishes; exits are planned here with the published tables.
 */
export function remoteSource(core: Core): MarketSource {
  const { config, logger, services } = core;
  let close: Stopper = () => undefined;
  const ready = (async () => {
    const sub = await createSnapshotSubscriber(config.STORE_URL, { log: logFn(logger, 'snapshots') });
    const offTicks = followPriceTicks(sub);
    // the heatmap history lives beside the zone engine in the market process: asked for on request
    const heatmaps = await createRemoteHeatmaps(config.STORE_URL, { log: logFn(logger, 'heatmaps') }).catch(async (err: unknown) => {
      await sub.close();
      throw err;
    });
    close = async () => {
      offTicks();
      await heatmaps.close();
      await sub.close();
    };
    const brackets = remoteBrackets(sub);
    services.zones = remoteZoneService(sub, { planExit: (snap, req) => planExit(snap, req, brackets.get(req.venue, req.symbol), core.planner) });
    services.signals = remoteSignalService(sub);
    services.heatmaps = heatmaps;
    const remote = remoteStatus(sub, { now: core.now, mode: core.mode, startedAt: core.startedAt });
    core.setVenueStatus(() => remote().venues);
  })();
  return { ready, stop: () => close() };
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

/** The Hyperliquid entry carries the observed-position poller's health (counts only, never an address). */
function withObserved(list: VenueStatus[], poller: ObservedPoller | undefined, now: number): VenueStatus[] {
  if (!poller) return list;
  const ps = poller.status();
  const observed: NonNullable<VenueStatus['observed']> = {
    addresses: ps.addresses,
    maxAddresses: ps.maxAddresses,
    polls: ps.polls,
    failures: ps.failures,
    rateLimited: ps.rateLimited,
    inferredLiquidations: ps.inferredLiquidations,
    ...(ps.lastPollAt !== undefined ? { lastPollAgeMs: Math.max(0, now - ps.lastPollAt) } : {}),
    ...(ps.lastError !== undefined ? { lastError: ps.lastError } : {}),
  };
  return list.map((v) => (v.venue === 'hyperliquid' ? { ...v, observed } : v));
}
