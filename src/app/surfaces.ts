/**
 * Surfaces: what a process offers on top of its market source. Each starts on its own and returns
 * a stopper: the console, the chat platforms, the notifier, the snapshot publisher (`ROLE=market`),
 * the health + metrics server.
 */
import { SIGNAL_MODES } from '../engine/types.ts';
import type { Venue } from '../market/types.ts';
import { Notifier } from '../notify/index.ts';
import { createEventPublisher, createEventSubscriber } from '../ops/event-bus.ts';
import { serveHeatmaps } from '../ops/heatmap-bus.ts';
import { assessHealth, startHealthServer, withChatHealth, withStoreHealth } from '../ops/health-server.ts';
import { logFn } from '../ops/log.ts';
import { connectRedis } from '../ops/redis.ts';
import { createRedisRunCoordinator } from '../ops/run-coordinator.ts';
import { createSnapshotPublisher } from '../ops/snapshot-bus.ts';
import { startChatPlatforms } from '../platforms/chat.ts';
import { ConsoleAdapter } from '../platforms/console/console.ts';
import type { Core, Stopper } from './core.ts';
import { priceTicks } from '../format/numbers.ts';

export interface Surface {
  stop: Stopper;
}

/** The console on stdin/stdout (or the given streams); `done` resolves when its input ends. */
export function consoleSurface(
  core: Core,
  opts: { json: boolean; ready: Promise<void>; input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream },
): Surface & { start(): Promise<void> } {
  const adapter = new ConsoleAdapter({
    registry: core.registry,
    services: core.services,
    json: opts.json,
    chartDir: core.config.CHART_DIR,
    log: logFn(core.logger, 'console'),
    input: opts.input,
    output: opts.output,
    ready: opts.ready,
  });
  core.senders.push(adapter.sender());
  return {
    // the console reads input only once every other surface is up
    start: () => adapter.run().catch((err: Error) => core.log('error', `console failed: ${err.message}`)),
    stop: () => undefined,
  };
}

/**
 * Discord and Telegram, chosen by the tokens present; each starts in the background and retries on
 * its own (platforms/chat.ts, platforms/supervisor.ts). Discord shard children (spawned by
 * `run --shards`) leave Telegram to a separate bot process: two pollers on one token would steal
 * each other's updates.
 */
export function chatSurface(core: Core): Surface {
  const { config, logger } = core;
  const chat = startChatPlatforms({
    discord: config.DISCORD_TOKEN ? { token: config.DISCORD_TOKEN, appId: config.DISCORD_APP_ID, apiUrl: config.DISCORD_API_URL } : undefined,
    telegram: config.TELEGRAM_TOKEN && !config.shardChild ? { token: config.TELEGRAM_TOKEN, apiRoot: config.TELEGRAM_API_ROOT } : undefined,
    registry: core.registry,
    services: core.services,
    log: (p) => logFn(logger, p),
  });
  core.setChatUsername(chat.telegramUsername);
  core.setChatStatus(() => chat.platforms.map((p) => ({ name: p.name, state: p.state(), lastError: p.lastError() })));
  core.senders.push(...chat.senders);
  return { stop: () => chat.stop() };
}

/**
 * Alerts: subscriptions and positions on NOTIFY_CRON. Reads zones and signals through `services`,
 * so a bot process uses the published snapshots; on `ROLE=bot` a Redis lease elects one notifier
 * per slot and engine events arrive over the event bus.
 */
export async function notifierSurface(core: Core): Promise<Surface> {
  const { config, logger, services, role } = core;
  const stoppers: Stopper[] = [];
  const zoneView = { snapshot: (s: string) => services.zones?.snapshot(s) };
  const signalView = { snapshot: (s: string, m: (typeof SIGNAL_MODES)[number]) => services.signals?.snapshot(s, m) };
  let coordinator: ReturnType<typeof createRedisRunCoordinator> | undefined;
  if (role === 'bot') {
    const client = await connectRedis(config.STORE_URL, { name: 'liqzone-cron-lease', log: logFn(logger, 'lease') });
    coordinator = createRedisRunCoordinator(client);
    stoppers.push(() => client.close().catch(() => undefined));
  }
  const notifier = new Notifier({
    store: core.store,
    zones: zoneView,
    signals: signalView,
    senders: core.senders,
    cron: config.NOTIFY_CRON,
    now: core.now,
    charts: core.charts,
    coordinator,
    reloadEveryMs: role === 'bot' ? 10_000 : undefined,
    sources: [core.positions.watcher],
    log: logFn(logger, 'notifier'),
  });
  core.positions.addEraser((dest) => notifier.forgetDestination(dest));
  if (role === 'bot') {
    const events = await createEventSubscriber(config.STORE_URL, { log: logFn(logger, 'events') });
    events.onEvent((ev) => (ev.type === 'signal' ? notifier.onSignalEvent(ev.event) : notifier.onSweep(ev.event)));
    stoppers.push(() => events.close());
  } else {
    core.signals.onEvent((ev) => notifier.onSignalEvent(ev));
    core.zones.onSweep((ev) => notifier.onSweep(ev));
  }
  await notifier.start();
  stoppers.unshift(() => notifier.stop());
  return {
    stop: async () => {
      for (const s of stoppers) await s();
    },
  };
}

/**
 * `ROLE=market`: publishes zone and signal snapshots, status and the exchange bracket tables (Bybit
 * and OKX tiers, as each loads) over Redis for bot processes, and engine events on the event bus.
 */
export async function publisherSurface(core: Core): Promise<Surface> {
  const { config, logger, zones, signals, symbols } = core;
  const publisher = await createSnapshotPublisher(config.STORE_URL, { log: logFn(logger, 'snapshots') });
  const events = await createEventPublisher(config.STORE_URL, { log: logFn(logger, 'events') });
  // bot processes ask for heatmap views (the grid stays here; see ops/heatmap-bus.ts)
  const stopHeatmaps = await serveHeatmaps(config.STORE_URL, zones, { log: logFn(logger, 'heatmaps') });
  const publishAll = () => {
    for (const s of symbols.tracked()) {
      const z = zones.snapshot(s);
      if (z) void publisher.publishZones(z, zones.trackRecord(s));
      for (const mode of SIGNAL_MODES) {
        const sig = signals.snapshot(s, mode);
        if (sig) void publisher.publishSignals(sig);
      }
    }
    void publisher.publishStatus(core.status());
    void publisher.publishTicks(priceTicks());
  };
  publishAll();
  for (const table of zones.brackets.installed()) void publisher.publishBrackets(table);
  const offBrackets = zones.brackets.onSet((table) => void publisher.publishBrackets(table));
  const publishLog = logFn(logger, 'snapshots');
  const timer = setInterval(() => {
    try {
      publishAll();
    } catch (err) {
      publishLog('error', 'snapshot publish failed', { err });
    }
  }, Math.min(config.SNAPSHOT_INTERVAL_MS, 5_000));
  const offSignals = signals.onEvent((event) => void events.publish({ type: 'signal', event }));
  const offSweeps = zones.onSweep((event) => void events.publish({ type: 'sweep', event }));
  return {
    stop: async () => {
      clearInterval(timer);
      offBrackets();
      offSignals();
      offSweeps();
      await stopHeatmaps();
      await publisher.close();
      await events.close();
    },
  };
}

/** /healthz and /metrics on METRICS_PORT (127.0.0.1). */
export async function healthSurface(core: Core, opts: { expectedVenues?: readonly Venue[] } = {}): Promise<Surface & { port: number }> {
  const server = await startHealthServer({
    port: core.config.METRICS_PORT,
    health: () =>
      withChatHealth(
        withStoreHealth(
          assessHealth(core.venueStatus(), core.now(), {
            staleMs: 30_000,
            startedAt: core.startedAt,
            startupGraceMs: 120_000,
            expected: core.role === 'bot' || core.mode === 'replay' ? undefined : opts.expectedVenues ?? core.config.VENUES,
          }),
          core.store.status(),
        ),
        core.status().chat ?? [],
      ),
    metrics: () => core.metrics.text(),
    metricsContentType: core.metrics.contentType,
  });
  return { port: server.port, stop: () => server.close() };
}
