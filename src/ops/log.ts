import pino, { type Logger } from 'pino';
import { createRequire } from 'node:module';
import type pinoPretty from 'pino-pretty';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type { Logger };

/** Keys whose values never reach a log line. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'DISCORD_TOKEN',
  'TELEGRAM_TOKEN',
  '*.DISCORD_TOKEN',
  '*.TELEGRAM_TOKEN',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'config.DISCORD_TOKEN',
  'config.TELEGRAM_TOKEN',
];

export interface LoggerOptions {
  /** Secret values (tokens) scrubbed from every message and error text. */
  secrets?: string[];
  /** Where lines go (default stderr). */
  destination?: NodeJS.WritableStream;
  /** Human-readable lines instead of JSON (default: when the destination is stderr and a TTY). */
  pretty?: boolean;
}

/**
 * The process logger: JSON lines on stderr (stdout belongs to the console protocol), or
 * pino-pretty's human-readable lines when stderr is a terminal. Secrets are redacted by key,
 * and known token values are scrubbed from messages and from logged errors.
 */
export function createLogger(level: LogLevel, o: LoggerOptions = {}): Logger {
  const scrub = (o.secrets ?? []).filter((s) => s.length >= 8);
  const destination = o.destination ?? process.stderr;
  const human = o.pretty ?? (destination === process.stderr && process.stderr.isTTY === true);
  // pino-pretty (30 modules) only for a terminal: a service logging JSON never loads it
  const pretty = human ? (createRequire(import.meta.url)('pino-pretty') as typeof pinoPretty) : undefined;
  const stream = pretty ? pretty({ destination: destination as NodeJS.WritableStream & { fd?: number }, colorize: true, sync: true, ignore: 'pid,hostname,app' }) : destination;
  return pino(
    {
      level,
      base: { app: 'liqzone' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          if (scrub.length) {
            for (let i = 0; i < args.length; i++) {
              const a = args[i];
              if (typeof a === 'string') args[i] = scrubText(a, scrub);
              else if (a && typeof a === 'object') args[i] = scrubFields(a as Record<string, unknown>, scrub);
            }
          }
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    stream as pino.DestinationStream,
  );
}

/** Scrubs secrets from the string and Error fields of a log object (one level deep). */
function scrubFields(obj: Record<string, unknown>, secrets: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') out[k] = scrubText(v, secrets);
    else if (v instanceof Error) out[k] = scrubError(v, secrets);
    else out[k] = v;
  }
  return out;
}

/** A copy of an error (same class, so the log keeps its type) with secrets scrubbed from message and stack. */
function scrubError(err: Error, secrets: string[]): Error {
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Error;
  copy.message = scrubText(err.message, secrets);
  if (err.stack) copy.stack = scrubText(err.stack, secrets);
  return copy;
}

export function scrubText(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out;
}

/**
 * The one logging port. Every module that logs takes a `LogFn` (usually as `log?: LogFn`); only
 * the composition root knows pino and binds it per component with `logFn(logger, component)`.
 * Errors go in `extra.err` (an Error keeps its stack in the JSON line).
 */
export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, extra?: object) => void;

/** A LogFn that drops everything (tests and tools that do not log). */
export const silentLog: LogFn = () => {};

export function logFn(logger: Logger, component: string): LogFn {
  const child = logger.child({ component });
  return (level, msg, extra) => child[level](extra ?? {}, msg);
}

let fallback: Logger | undefined;

/**
 * For modules constructed without a log (tools, tests): JSON lines on stderr, so a failure is
 * never silent and never a `process.emitWarning`. The composition root always passes its own.
 */
export function defaultLog(component: string): LogFn {
  return (level, msg, extra) => {
    fallback ??= createLogger('info', { pretty: false });
    fallback.child({ component })[level](extra ?? {}, msg);
  };
}
