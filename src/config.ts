import { existsSync } from 'node:fs';
import cron from 'node-cron';
import { z } from 'zod';
import { DEFAULT_SYMBOLS } from './market/symbols.ts';
import { VENUES, type Venue } from './market/types.ts';

/**
 * Every environment key liqzone reads, parsed and validated in one place.
 * `.env.example` lists the same keys with the same defaults (a test keeps them in step).
 */
export const ENV_DEFAULTS = {
  VENUES: 'binance,bybit,okx,hyperliquid',
  SYMBOLS: DEFAULT_SYMBOLS.join(','),
  BINANCE_WS_URL: 'wss://fstream.binance.com',
  BINANCE_REST_URL: 'https://fapi.binance.com',
  BYBIT_WS_URL: 'wss://stream.bybit.com/v5/public/linear',
  BYBIT_REST_URL: 'https://api.bybit.com',
  OKX_WS_URL: 'wss://ws.okx.com:8443/ws/v5/public',
  OKX_REST_URL: 'https://www.okx.com',
  HYPERLIQUID_WS_URL: 'wss://api.hyperliquid.xyz/ws',
  HYPERLIQUID_INFO_URL: 'https://api.hyperliquid.xyz/info',
  DISCORD_TOKEN: '',
  DISCORD_APP_ID: '',
  DISCORD_API_URL: '',
  TELEGRAM_TOKEN: '',
  TELEGRAM_API_ROOT: '',
  STORE_URL: 'sqlite://./data/liqzone.sqlite',
  DEMO_STORE_URL: 'sqlite://./data/demo.sqlite',
  METRICS_PORT: '0',
  LOG_LEVEL: 'info',
  SNAPSHOT_INTERVAL_MS: '3000',
  NOTIFY_CRON: '*/10 * * * * *',
  LEVERAGE_MIX: '5:0.30,10:0.30,25:0.20,50:0.12,100:0.08',
  CHART_DIR: './out/charts',
  EXIT_MIN_CLUSTER_SHARE: '0.03',
  ROLE: 'all',
} as const;

export type EnvKey = keyof typeof ENV_DEFAULTS;

const url = (schemes: string[]) =>
  z.string().refine((v) => {
    try {
      return schemes.includes(new URL(v).protocol.replace(':', ''));
    } catch {
      return false;
    }
  }, `a ${schemes.join(' or ')} URL`);

const optionalUrl = (schemes: string[]) => z.union([z.literal(''), url(schemes)]);

const intIn = (min: number, max: number) =>
  z.string().regex(/^\d+$/, `an integer from ${min} to ${max}`).transform(Number).refine((n) => n >= min && n <= max, `an integer from ${min} to ${max}`);

const storeUrl = z.string().refine((v) => /^(sqlite:\/\/.+|redis:\/\/.+|rediss:\/\/.+|memory:)$/.test(v), 'sqlite://PATH, redis://HOST:PORT or memory:');

const schema = z.object({
  VENUES: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean))
    .refine((list) => list.length > 0 && list.every((v) => (VENUES as readonly string[]).includes(v)), `a comma-separated list of ${VENUES.join(', ')}`)
    .transform((list) => [...new Set(list)] as Venue[]),
  SYMBOLS: z.string().transform((s) => s.split(',').map((x) => x.trim().toUpperCase()).filter(Boolean)),
  BINANCE_WS_URL: url(['ws', 'wss']),
  BINANCE_REST_URL: url(['http', 'https']),
  BYBIT_WS_URL: url(['ws', 'wss']),
  BYBIT_REST_URL: url(['http', 'https']),
  OKX_WS_URL: url(['ws', 'wss']),
  OKX_REST_URL: url(['http', 'https']),
  HYPERLIQUID_WS_URL: url(['ws', 'wss']),
  HYPERLIQUID_INFO_URL: url(['http', 'https']),
  DISCORD_TOKEN: z.string(),
  DISCORD_APP_ID: z.union([z.literal(''), z.string().regex(/^\d{5,25}$/, 'a numeric Discord application id')]),
  DISCORD_API_URL: optionalUrl(['http', 'https']),
  TELEGRAM_TOKEN: z.union([z.literal(''), z.string().regex(/^\d+:[\w-]+$/, 'a Telegram bot token like 123456:ABC-...')]),
  TELEGRAM_API_ROOT: optionalUrl(['http', 'https']),
  STORE_URL: storeUrl,
  DEMO_STORE_URL: storeUrl,
  METRICS_PORT: intIn(0, 65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  SNAPSHOT_INTERVAL_MS: intIn(500, 60_000),
  NOTIFY_CRON: z.string().refine((v) => cron.validate(v), 'a node-cron expression with seconds, e.g. "*/10 * * * * *" (every 10 s)'),
  LEVERAGE_MIX: z.string().transform((s, ctx) => {
    const mix: { leverage: number; weight: number }[] = [];
    for (const part of s.split(',')) {
      const m = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d*\.?\d+)\s*$/.exec(part);
      if (!m || Number(m[1]) < 1 || Number(m[1]) > 125 || !(Number(m[2]) > 0)) {
        ctx.addIssue({ code: 'custom', message: 'comma-separated LEVERAGE:WEIGHT pairs, leverage 1–125, weight > 0 (e.g. 5:0.3,10:0.3)' });
        return z.NEVER;
      }
      mix.push({ leverage: Number(m[1]), weight: Number(m[2]) });
    }
    const total = mix.reduce((a, x) => a + x.weight, 0);
    return mix.map((x) => ({ leverage: x.leverage, weight: x.weight / total }));
  }),
  CHART_DIR: z.string().min(1),
  EXIT_MIN_CLUSTER_SHARE: z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, 'a share from 0 to 1, e.g. 0.05')
    .transform(Number),
  ROLE: z.enum(['all', 'market', 'bot']),
});

export type Config = z.output<typeof schema> & {
  /** Symbols from SYMBOLS that are well-formed but not known to liqzone's defaults or any venue yet. */
  symbolWarnings: string[];
  /**
   * This process is a Discord shard child spawned by `run --shards` (discord.js's ShardingManager
   * sets SHARDING_MANAGER=true): it leaves Telegram to a separate bot process.
   */
  shardChild: boolean;
};

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Parses env into a Config. Unknown symbols are reported, not fatal; malformed ones are skipped. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ConfigResult {
  const input: Record<string, string> = {};
  for (const key of Object.keys(ENV_DEFAULTS) as EnvKey[]) {
    const v = env[key];
    input[key] = v === undefined || v.trim() === '' ? ENV_DEFAULTS[key] : v.trim();
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      return `${key}=${JSON.stringify(input[key] ?? '')} is invalid: expected ${i.message}`;
    });
    return { ok: false, errors };
  }
  const symbolWarnings: string[] = [];
  const symbols: string[] = [];
  for (const s of parsed.data.SYMBOLS) {
    if (!/^[A-Z0-9]{1,20}$/.test(s)) symbolWarnings.push(`SYMBOLS: "${s}" is not a symbol name, skipped`);
    else if (!symbols.includes(s)) symbols.push(s);
  }
  if (symbols.length === 0) return { ok: false, errors: ['SYMBOLS is invalid: expected at least one symbol such as BTC,ETH'] };
  return { ok: true, config: { ...parsed.data, SYMBOLS: symbols, symbolWarnings, shardChild: env.SHARDING_MANAGER === 'true' } };
}

/**
 * Reads `file` (default `.env` in the working directory) into process.env with
 * `process.loadEnvFile`, as `.env.example` promises. The environment wins: a key already set (even
 * to "") keeps its value. Returns the keys the file supplied, or `undefined` when there is no file.
 */
export function loadDotEnv(file = '.env'): string[] | undefined {
  if (!existsSync(file)) return undefined;
  const before = { ...process.env };
  process.loadEnvFile(file);
  const supplied: string[] = [];
  for (const key of Object.keys(process.env)) {
    if (!(key in before)) supplied.push(key);
    else if (process.env[key] !== before[key]) process.env[key] = before[key];
  }
  return supplied;
}
