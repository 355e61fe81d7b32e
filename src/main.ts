/**
 * The `liqzone` CLI: run | console | demo | record | replay | evaluate | deploy-commands.
 * Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or arguments.
 * `--help`/`-h` print the usage (exit 0); a `.env` in the working directory is read (the environment wins).
 */
import { parseCli, USAGE, type CliArgs } from './cli-args.ts';
import type { Config } from './config.ts';
import type { Logger } from './ops/log.ts';
import type { App, AppOptions } from './app.ts';
import type { DemoMarket } from './demo/demo-market.ts';
// Everything else is imported once the verb is known: `liqzone help` loads only the argument parser.

function fail(message: string, code = 2): never {
  process.stderr.write(`liqzone: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2));
  if ('error' in args) fail(`${args.error}\n\n${USAGE}`);
  if (args.verb === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const { loadConfig, loadDotEnv } = await import('./config.ts');
  const { createLogger } = await import('./ops/log.ts');
  // `.env` in the working directory, as .env.example promises; variables already set win.
  try {
    loadDotEnv();
  } catch (err) {
    fail(`could not read .env: ${(err as Error).message}`);
  }
  const loaded = loadConfig(process.env);
  if (!loaded.ok) fail(`invalid configuration:\n  ${loaded.errors.join('\n  ')}\nSee .env.example for every key and its default.`);
  const config = loaded.config;
  const logger = createLogger(config.LOG_LEVEL, { secrets: [config.DISCORD_TOKEN, config.TELEGRAM_TOKEN] });
  for (const w of config.symbolWarnings) logger.warn(w);

  switch (args.verb) {
    case 'deploy-commands':
      return deployCommands(config, args);
    case 'evaluate':
      return evaluateFile(config, args);
    default:
      return runApp(config, args, logger);
  }
}

async function runApp(config: Config, args: CliArgs, logger: Logger): Promise<void> {
  const [{ logFn }, { installLastResort, installShutdown }, { startApp }, { demoCommand }] = await Promise.all([
    import('./ops/log.ts'),
    import('./ops/shutdown.ts'),
    import('./app.ts'),
    import('../commands/demo.ts'),
  ]);
  const log = logFn(logger, 'main');
  let demo: DemoMarket | undefined;
  const useDemo = args.verb === 'demo' || (args.verb === 'record' && args.demo);
  if (useDemo) {
    const { startDemoMarket } = await import('./demo/demo-market.ts');
    const market = await startDemoMarket({ symbols: config.SYMBOLS, venues: config.VENUES, speed: args.speed ?? 1, log: logFn(logger, 'demo') });
    demo = market;
    log(
      'info',
      `demo: simulated venues on ${Object.entries(market.endpoints)
        .map(([v, e]) => `${v} ${e.restUrl}`)
        .join(', ')}`,
    );
  }
  if (args.verb === 'run' && args.shards) {
    if (!config.DISCORD_TOKEN) fail('--shards is for Discord: set DISCORD_TOKEN.');
    if (config.ROLE !== 'bot') fail('--shards runs bot processes: set ROLE=bot and STORE_URL=redis://…, and run one ROLE=market process for the feeds.');
    const { runShards } = await import('./ops/sharding.ts');
    // Each shard is a child `liqzone run` (ROLE=bot from the inherited env); discord.js reads its shard id from the manager.
    await runShards({
      file: new URL(import.meta.url).pathname,
      totalShards: args.shards,
      token: config.DISCORD_TOKEN,
      shardArgs: ['run'],
      log: logFn(logger, 'shards'),
    });
    return;
  }
  const mode: AppOptions['mode'] = args.verb === 'replay' ? 'replay' : useDemo ? 'demo' : 'live';
  // The demo keeps its own store (DEMO_STORE_URL): demo subscriptions and positions never reach the live bot's.
  if (useDemo) config = { ...config, STORE_URL: config.DEMO_STORE_URL };
  // A market process (ROLE=market) serves no chat: it runs as a daemon, so stdin is not a console.
  const surface: AppOptions['surface'] =
    args.verb === 'record' || (args.verb === 'run' && config.ROLE === 'market')
      ? 'none'
      : args.verb === 'console' || args.verb === 'replay'
        ? 'console'
        : 'auto';
  // Signals are handled from the start: SIGTERM while starting waits for the start, then stops.
  const starting = startApp({
    config,
    mode,
    logger,
    surface,
    json: args.json,
    recordTo: args.out,
    replayFile: args.file,
    endpoints: demo?.endpoints,
    extraCommands: demo
      ? [
          demoCommand({
            setRegime: (s, r) => demo!.setRegime(s, r as never),
            driveToward: (s, p, ms) => demo!.driveToward(s, p, ms),
            price: (s) => demo!.simulator.price(s),
          }),
        ]
      : [],
  });
  const stopAll = async () => {
    const started = await starting.catch(() => undefined);
    await started?.stop();
    await demo?.stop();
  };
  const shutdown = installShutdown({ stop: stopAll, log: logFn(logger, 'shutdown') });
  installLastResort(shutdown, logger);
  let app: App;
  try {
    app = await starting;
  } catch (err) {
    shutdown.uninstall();
    await demo?.stop();
    // An unusable store is a configuration problem: say which variable (the demo's own one in demo
    // mode), which store and what is wrong, exit 2.
    const e = err as Error & { store?: string; reason?: string };
    if (e?.name === 'StoreUnavailableError') {
      const { storeFailureMessage } = await import('./store/backend.ts');
      fail(storeFailureMessage(useDemo ? 'DEMO_STORE_URL' : 'STORE_URL', e.store ?? '?', e.reason ?? 'unknown error'), 2);
    }
    fail(`could not start: ${e.message}`, 1);
  }
  if (shutdown.stopping) return;

  if (mode === 'replay') {
    try {
      await app.ready;
    } catch (err) {
      await stopAll();
      fail(`could not replay ${args.file}: ${(err as Error).message}`, 1);
    }
  }
  if (mode === 'live') warnWhenUnreachable(app, logger);

  if (args.verb === 'record') {
    const minutes = args.minutes;
    log('info', `recording to ${args.out}${minutes ? ` for ${minutes} min` : ' until stopped (Ctrl-C)'}`);
    if (minutes) {
      await new Promise((r) => setTimeout(r, minutes * 60_000));
      await stopAll();
      process.exit(0);
    }
    return;
  }
  if (app.consoleDone) {
    // Console surface: input ended (EOF) → shut down cleanly.
    await app.consoleDone;
    await stopAll();
    process.exit(0);
  }
}

/** Live venues unreachable: say so, keep retrying, and point to the offline demo. */
function warnWhenUnreachable(app: App, logger: Logger): void {
  const check = () => {
    const venues = app.services.status().venues;
    const down = venues.filter((v) => !v.connections.some((c) => c.state === 'open'));
    if (venues.length === 0 || down.length === venues.length) {
      const msg = `no venue reachable yet (${venues.map((v) => `${v.venue}: ${v.connections.map((c) => c.lastError ?? c.state).join(', ') || 'starting'}`).join('; ') || 'starting'}); still retrying. To see liqzone without network, run: npm run demo`;
      logger.warn(msg);
    }
  };
  const timer = setInterval(() => {
    try {
      check();
    } catch (err) {
      logger.error({ err: String((err as Error)?.stack ?? err) }, 'venue reachability check failed');
    }
  }, 20_000);
  timer.unref();
}

async function evaluateFile(config: Config, args: CliArgs): Promise<void> {
  const { evaluateRecording } = await import('./ops/evaluate-file.ts');
  try {
    process.stdout.write(`${await evaluateRecording(args.file!, config, args.horizon, args.signals)}\n`);
  } catch (err) {
    fail(`could not evaluate ${args.file}: ${(err as Error).message}`, 1);
  }
}

async function deployCommands(config: Config, args: CliArgs): Promise<void> {
  if (!config.DISCORD_TOKEN || !config.DISCORD_APP_ID)
    fail('deploy-commands needs DISCORD_TOKEN and DISCORD_APP_ID (see README: creating the Discord application).');
  const { deployCommands: deploy } = await import('./platforms/discord/index.ts');
  const { allCommands } = await import('../commands/index.ts');
  try {
    const r = await deploy({
      token: config.DISCORD_TOKEN,
      appId: config.DISCORD_APP_ID,
      apiUrl: config.DISCORD_API_URL || undefined,
      guildId: args.guild,
      commands: allCommands(),
    });
    process.stdout.write(`registered ${r.count} commands (${r.scope})\n`);
  } catch (err) {
    fail(`deploy-commands failed: ${(err as Error).message}`, 1);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`liqzone: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
