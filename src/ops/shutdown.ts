import type { LogFn } from './log.ts';

/** The part of `process` shutdown handling needs; tests pass an EventEmitter. */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ShutdownOptions {
  /** Stops the app: stop taking commands, persist in-flight deliveries, flush the store, close sockets. */
  stop: () => Promise<void>;
  /** Exit 1 if `stop` has not finished by then (default 10 000 ms). */
  timeoutMs?: number;
  log?: LogFn;
  /** Default `process.exit`. */
  exit?: (code: number) => void;
  /** Default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  /** Default `process`. */
  source?: SignalSource;
}

export interface ShutdownHandle {
  /** Starts the same shutdown a signal would (e.g. on a fatal error); idempotent. `exitCode` after a clean stop (default 0). */
  shutdown(reason: string, exitCode?: number): Promise<void>;
  /** Removes the signal listeners (tests, or handing over to another handler). */
  uninstall(): void;
  readonly stopping: boolean;
}

/**
 * First SIGTERM/SIGINT: run `stop()` once; exit 0 when it finishes, 1 if it fails or outlasts the
 * timeout. A second signal exits at once (1): an operator pressing Ctrl-C twice means it.
 */
export function installShutdown(opts: ShutdownOptions): ShutdownHandle {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const source: SignalSource = opts.source ?? process;
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const log: LogFn = opts.log ?? (() => {});
  let stopping: Promise<void> | undefined;
  let exited = false;

  const exitOnce = (code: number) => {
    if (exited) return;
    exited = true;
    exit(code);
  };

  const shutdown = (reason: string, exitCode = 0): Promise<void> => {
    if (stopping) return stopping;
    log('info', 'shutting down', { reason, timeoutMs });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const stopped = Promise.resolve()
      .then(() => opts.stop())
      .then(
        () => 'stopped' as const,
        (err: unknown) => {
          log('error', 'shutdown failed', { error: String((err as Error)?.stack ?? err) });
          return 'failed' as const;
        },
      );
    stopping = Promise.race([stopped, timedOut]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === 'stopped') {
        log('info', 'stopped cleanly');
        exitOnce(exitCode);
      } else {
        if (outcome === 'timeout') log('error', `shutdown did not finish within ${timeoutMs} ms; exiting`);
        exitOnce(1);
      }
    });
    return stopping;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log('warn', `second ${signal}: exiting now`);
      exitOnce(1);
      return;
    }
    void shutdown(signal);
  };

  // Bound per signal: process passes the name, a test emitter may not.
  const listeners = signals.map((s) => [s, () => onSignal(s)] as const);
  for (const [s, l] of listeners) source.on(s, l);

  return {
    shutdown,
    uninstall() {
      for (const [s, l] of listeners) source.off(s, l);
    },
    get stopping() {
      return stopping !== undefined;
    },
  };
}

/** The part of `process` the last-resort handlers need; tests pass an EventEmitter. */
export interface FatalSource {
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (err: unknown) => void): unknown;
  off(event: 'uncaughtException' | 'unhandledRejection', listener: (err: unknown) => void): unknown;
}

/**
 * Last resort: an exception nobody caught, or a rejection nobody handled, is logged with its stack
 * and starts the same graceful shutdown as SIGTERM (the outbox keeps undelivered alerts for the
 * next start), ending with exit code 1 instead of a silent crash or a bot limping on in an
 * unknown state. Returns the uninstaller.
 */
export function installLastResort(handle: Pick<ShutdownHandle, 'shutdown'>, logger: { error(obj: object, msg: string): void }, source: FatalSource = process): () => void {
  const onFatal = (kind: string) => (err: unknown) => {
    logger.error({ err: String((err as Error)?.stack ?? err) }, `${kind}: shutting down`);
    // Idempotent: a second fatal error during the shutdown is logged, not a second shutdown.
    void handle.shutdown(kind, 1);
  };
  const onException = onFatal('uncaughtException');
  const onRejection = onFatal('unhandledRejection');
  source.on('uncaughtException', onException);
  source.on('unhandledRejection', onRejection);
  return () => {
    source.off('uncaughtException', onException);
    source.off('unhandledRejection', onRejection);
  };
}
