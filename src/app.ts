/**
 * The composition root: the one place that wires venues → market state → engines →
 * commands/notifier → platforms. Nothing else imports across those layers.
 */
import type { FeedTiming } from './venues/feed.ts';
import type { CommandDef } from './bot/command.ts';
import type { CommandRegistry } from './bot/registry.ts';
import type { Services } from './bot/services.ts';
import type { Config } from './config.ts';
import type { SignalEngine } from './engine/signals/index.ts';
import type { ZoneEngine } from './engine/zone-engine.ts';
import type { MarketState } from './market/state.ts';
import type { Logger } from './ops/log.ts';
import type { Metrics } from './ops/metrics.ts';
import type { VenueEndpointMap } from './venues/index.ts';
import { type AppMode, buildCore, type Stopper } from './app/core.ts';
import { liveSource, type MarketSource, remoteSource, replaySource } from './app/sources.ts';
import { chatSurface, consoleSurface, healthSurface, notifierSurface, publisherSurface } from './app/surfaces.ts';

export type { AppMode } from './app/core.ts';
export { replayRecords, type ReplayHooks } from './app/replay.ts';

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
  /**
   * Feed timing overrides (tests that step a simulated market by hand stop the wall-clock polls, e.g.
   * Binance's open-interest poll, so a loaded machine cannot change what the market shows).
   */
  feedTiming?: Partial<FeedTiming>;
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

/**
 * One market source (live venues | a replay | snapshots over Redis for `ROLE=bot`) and a list of
 * surfaces, each returning a stopper; `stop()` stops the surfaces (last started first), then the
 * source, then the store.
 */
export async function startApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const core = await buildCore({ config, mode: opts.mode, logger: opts.logger, extraCommands: opts.extraCommands });
  const { role } = core;
  const stoppers: Stopper[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const s of [...stoppers].reverse()) {
      try {
        await s();
      } catch (err) {
        core.log('warn', `shutdown step failed: ${(err as Error).message}`);
      }
    }
  };
  stoppers.push(() => core.store.close());

  try {
    const source: MarketSource =
      opts.mode === 'replay' ? replaySource(core, opts.replayFile!) : role === 'bot' ? remoteSource(core) : liveSource(core, { endpoints: opts.endpoints, recordTo: opts.recordTo, ...(opts.feedTiming ? { timing: opts.feedTiming } : {}) });
    stoppers.push(source.stop);

    let healthPort: number | undefined;
    if (config.METRICS_PORT > 0) {
      // venues without endpoints (a demo market that simulates only some) are not expected to report
      const expectedVenues = opts.endpoints ? config.VENUES.filter((v) => opts.endpoints?.[v]) : undefined;
      const health = await healthSurface(core, { expectedVenues });
      healthPort = health.port;
      stoppers.push(health.stop);
    }

    // ROLE=market publishes once its feeds are up (so bots see data from the first message).
    let ready = source.ready;
    if (role === 'market') {
      ready = source.ready.then(async () => {
        const publisher = await publisherSurface(core);
        if (stopped) await publisher.stop();
        else stoppers.push(publisher.stop);
      });
    }

    const hasTokens = Boolean(config.DISCORD_TOKEN || config.TELEGRAM_TOKEN);
    const console =
      opts.surface === 'console' || (opts.surface === 'auto' && !hasTokens)
        ? consoleSurface(core, { json: opts.json ?? false, ready, input: opts.input, output: opts.output })
        : undefined;
    if (console) stoppers.push(console.stop);
    // Chat platforms (not in replay, not on a market process): chosen by the tokens present.
    if (opts.mode !== 'replay' && opts.surface === 'auto' && role !== 'market') stoppers.push(chatSurface(core).stop);
    if (opts.mode !== 'replay' && role !== 'market') stoppers.push((await notifierSurface(core)).stop);

    const consoleDone = console?.start();
    return {
      registry: core.registry,
      services: core.services,
      metrics: core.metrics,
      healthPort,
      state: core.state,
      zones: core.zones,
      signals: core.signals,
      ready,
      consoleDone,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
