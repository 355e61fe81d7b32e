import { isAbsolute, resolve } from 'node:path';
import { ShardingManager, type ShardingManagerOptions } from 'discord.js';
import type { LogFn } from './log.ts';

/**
 * Discord sharding across processes (`liqzone run --shards N`): discord.js's ShardingManager
 * spawns one child per shard running `file`; each child logs in with its shard id from the env
 * the manager sets. The market process is separate (see snapshot-bus.ts).
 */

export interface RunShardsOptions {
  /** Entry each shard process runs (e.g. src/main.ts); made absolute against the cwd. */
  file: string;
  totalShards: number;
  token: string;
  /** Node flags for the children. Default: the tsx loader for a .ts file (`npm run dev`); for compiled JavaScript, NODE_FLAGS_COMPILED. */
  execArgv?: string[];
  /** CLI arguments for the children (e.g. `['run', '--role', 'bot']`). */
  shardArgs?: string[];
  /** Restart a shard process that dies (default true). */
  respawn?: boolean;
  /** Pause between shard spawns (default 5 500 ms: Discord allows one IDENTIFY per 5 s). */
  spawnDelayMs?: number;
  /** How long a shard may take to become ready (default 30 000 ms). */
  spawnTimeoutMs?: number;
  log?: LogFn;
}

/** Flags of a compiled shard child: the same as `npm start` (source-mapped stack traces, the small young generation). */
export const NODE_FLAGS_COMPILED = ['--enable-source-maps', '--max-semi-space-size=2', '--optimize-for-size'] as const;

export interface ShardingPlan {
  file: string;
  options: ShardingManagerOptions;
  spawn: { amount: number; delay: number; timeout: number };
}

/** Pure: validates the options and maps them onto ShardingManager's constructor and spawn(). */
export function shardingPlan(opts: RunShardsOptions, env: { cwd: string; tsxLoader: string } = defaultEnv()): ShardingPlan | { error: string } {
  if (!Number.isInteger(opts.totalShards) || opts.totalShards < 1) return { error: `--shards must be a whole number of at least 1 (got ${opts.totalShards}).` };
  if (!opts.token) return { error: 'Sharding needs DISCORD_TOKEN.' };
  if (!opts.file) return { error: 'Sharding needs the shard entry file.' };
  const file = isAbsolute(opts.file) ? opts.file : resolve(env.cwd, opts.file);
  const execArgv = opts.execArgv ?? (/\.[cm]?ts$/.test(file) ? ['--import', env.tsxLoader] : [...NODE_FLAGS_COMPILED]);
  return {
    file,
    options: {
      // A number, never 'auto': 'auto' would ask Discord for the recommended count.
      totalShards: opts.totalShards,
      mode: 'process',
      respawn: opts.respawn ?? true,
      token: opts.token,
      execArgv,
      shardArgs: opts.shardArgs ?? [],
    },
    spawn: { amount: opts.totalShards, delay: opts.spawnDelayMs ?? 5_500, timeout: opts.spawnTimeoutMs ?? 30_000 },
  };
}

/** What runShards needs of a manager; the real one is discord.js's ShardingManager. */
export interface ShardManagerLike {
  on(event: 'shardCreate', listener: (shard: { id: number; on(event: string, listener: (...args: unknown[]) => void): unknown }) => void): unknown;
  spawn(opts: { amount: number; delay: number; timeout: number }): Promise<unknown>;
}

export async function runShards(
  opts: RunShardsOptions,
  createManager: (file: string, options: ShardingManagerOptions) => ShardManagerLike = (file, options) => new ShardingManager(file, options),
): Promise<ShardManagerLike> {
  const plan = shardingPlan(opts);
  if ('error' in plan) throw new Error(plan.error);
  const log = opts.log ?? (() => {});
  const manager = createManager(plan.file, plan.options);
  manager.on('shardCreate', (shard) => {
    log('info', 'shard spawned', { shard: shard.id, of: plan.spawn.amount });
    shard.on('death', () => log('warn', 'shard process died', { shard: shard.id, respawn: plan.options.respawn }));
    shard.on('error', (err) => log('error', 'shard error', { shard: shard.id, error: String((err as Error)?.message ?? err) }));
  });
  await manager.spawn(plan.spawn);
  return manager;
}

function defaultEnv(): { cwd: string; tsxLoader: string } {
  let tsxLoader = 'tsx';
  try {
    // absolute, so children find it whatever their cwd
    tsxLoader = import.meta.resolve('tsx');
  } catch {
    // keep the bare specifier
  }
  return { cwd: process.cwd(), tsxLoader };
}
