import pino, { type Logger } from 'pino';

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

/**
 * Structured JSON logs on stderr (stdout belongs to the console protocol).
 * Secrets are redacted by key, and known token values are scrubbed from messages.
 */
export function createLogger(level: LogLevel, secrets: string[] = [], destination: NodeJS.WritableStream = process.stderr): Logger {
  const scrub = secrets.filter((s) => s.length >= 8);
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
            }
          }
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    destination as pino.DestinationStream,
  );
}

export function scrubText(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out;
}

/** The small logging callback the feeds and adapters take, bound to a pino logger. */
export type LogFn = (level: 'info' | 'warn' | 'error' | 'debug', msg: string, extra?: object) => void;

export function logFn(logger: Logger, component: string): LogFn {
  const child = logger.child({ component });
  return (level, msg, extra) => child[level](extra ?? {}, msg);
}
