import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ShardingManager, type ShardingManagerOptions } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { runShards, shardingPlan, type ShardManagerLike } from '../../src/ops/sharding.ts';

const env = { cwd: '/srv/liqzone', tsxLoader: 'file:///srv/liqzone/node_modules/tsx/dist/loader.mjs' };

describe('shardingPlan', () => {
  it('maps the options onto ShardingManager and spawn()', () => {
    const plan = shardingPlan({ file: 'src/main.ts', totalShards: 3, token: 'tok', shardArgs: ['run', '--role', 'bot'] }, env);
    expect(plan).toEqual({
      file: '/srv/liqzone/src/main.ts',
      options: {
        totalShards: 3,
        mode: 'process',
        respawn: true,
        token: 'tok',
        execArgv: ['--import', env.tsxLoader],
        shardArgs: ['run', '--role', 'bot'],
      },
      spawn: { amount: 3, delay: 5_500, timeout: 30_000 },
    });
  });

  it('keeps explicit execArgv and timings, and adds no loader for JavaScript entries (source maps instead)', () => {
    const plan = shardingPlan({ file: '/opt/bot.js', totalShards: 1, token: 't', execArgv: ['--max-old-space-size=256'], respawn: false, spawnDelayMs: 0, spawnTimeoutMs: 1_000 }, env);
    expect(plan).toMatchObject({ file: '/opt/bot.js', options: { execArgv: ['--max-old-space-size=256'], respawn: false }, spawn: { amount: 1, delay: 0, timeout: 1_000 } });
    // a compiled entry runs with source maps and npm start's memory flags, never the tsx loader
    expect(shardingPlan({ file: '/opt/bot.js', totalShards: 2, token: 't' }, env)).toMatchObject({ options: { execArgv: ['--enable-source-maps', '--max-semi-space-size=2', '--optimize-for-size'] } });
  });

  it('refuses bad shard counts and a missing token with clear messages', () => {
    expect(shardingPlan({ file: 'a.ts', totalShards: 0, token: 't' }, env)).toEqual({ error: expect.stringMatching(/--shards must be a whole number of at least 1 \(got 0\)/) });
    expect(shardingPlan({ file: 'a.ts', totalShards: 1.5, token: 't' }, env)).toHaveProperty('error');
    expect(shardingPlan({ file: 'a.ts', totalShards: 2, token: '' }, env)).toEqual({ error: expect.stringMatching(/DISCORD_TOKEN/) });
  });

  it('produces options the real ShardingManager accepts as given (no spawn, no network)', () => {
    const file = fileURLToPath(import.meta.url);
    const plan = shardingPlan({ file, totalShards: 4, token: 'tok' }, env);
    if ('error' in plan) throw new Error(plan.error);
    const manager = new ShardingManager(plan.file, plan.options);
    expect(manager.totalShards).toBe(4);
    expect(manager.token).toBe('tok');
    // set at runtime, absent from the typings
    const untyped = manager as unknown as { mode: string; execArgv: string[] };
    expect(untyped.mode).toBe('process');
    expect(untyped.execArgv).toEqual(['--import', env.tsxLoader]);
  });
});

describe('runShards', () => {
  it('creates the manager from the plan, spawns, and logs shard lifecycle', async () => {
    const logs: string[] = [];
    let created: { file: string; options: ShardingManagerOptions } | undefined;
    let spawned: unknown;
    const events = new EventEmitter();
    const fake: ShardManagerLike = {
      on: (event, listener) => events.on(event, listener),
      async spawn(opts) {
        spawned = opts;
        const shard = new EventEmitter() as EventEmitter & { id: number };
        shard.id = 0;
        events.emit('shardCreate', shard);
        shard.emit('death');
      },
    };
    const m = await runShards({ file: '/opt/bot.js', totalShards: 2, token: 't', spawnDelayMs: 0, log: (_l, msg) => logs.push(msg) }, (file, options) => {
      created = { file, options };
      return fake;
    });
    expect(m).toBe(fake);
    expect(created).toMatchObject({ file: '/opt/bot.js', options: { totalShards: 2, token: 't' } });
    expect(spawned).toEqual({ amount: 2, delay: 0, timeout: 30_000 });
    expect(logs).toEqual(['shard spawned', 'shard process died']);
  });

  it('throws the plan error before creating anything', async () => {
    let created = false;
    await expect(
      runShards({ file: 'x.ts', totalShards: -1, token: 't' }, () => {
        created = true;
        return {} as ShardManagerLike;
      }),
    ).rejects.toThrow(/--shards/);
    expect(created).toBe(false);
  });
});
