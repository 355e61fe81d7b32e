import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, startLocalRedis, type LocalRedis } from '../../src/ops/redis.ts';
import { createRedisRunCoordinator, type LeaseClient } from '../../src/ops/run-coordinator.ts';

const local: LocalRedis | undefined = process.env.LIQZONE_TEST_REDIS_URL ? undefined : await startLocalRedis();
const redisUrl = process.env.LIQZONE_TEST_REDIS_URL ?? local?.url;
afterAll(async () => {
  await local?.stop();
});

/** An in-memory SET NX PX with a settable clock, to check the exact commands. */
function memoryLeaseClient() {
  const calls: { key: string; value: string; options: unknown }[] = [];
  const store = new Map<string, { value: string; until: number }>();
  let now = 0;
  const client: LeaseClient & { calls: typeof calls; advance(ms: number): void; hang: boolean } = {
    calls,
    hang: false,
    advance(ms) {
      now += ms;
    },
    set(key, value, options) {
      calls.push({ key, value, options });
      if (client.hang) return new Promise(() => {});
      const cur = store.get(key);
      const live = cur && cur.until > now;
      if ('condition' in options && live) return Promise.resolve(null);
      store.set(key, { value, until: now + options.expiration.value });
      return Promise.resolve('OK');
    },
  };
  return client;
}

const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };

describe('createRedisRunCoordinator', () => {
  it('sends SET key owner NX PX lease under its prefix; one winner per key', async () => {
    const client = memoryLeaseClient();
    const a = createRedisRunCoordinator(client, { prefix: 'p:', owner: 'A' });
    const b = createRedisRunCoordinator(client, { prefix: 'p:', owner: 'B' });
    expect(await a.shouldRun('notify:2026-01-01T00:00:00.000Z', 30_000)).toBe(true);
    expect(await b.shouldRun('notify:2026-01-01T00:00:00.000Z', 30_000)).toBe(false);
    expect(await b.shouldRun('notify:2026-01-01T00:01:00.000Z', 30_000)).toBe(true);
    expect(client.calls[0]).toEqual({ key: 'p:notify:2026-01-01T00:00:00.000Z', value: 'A', options: { condition: 'NX', expiration: { type: 'PX', value: 30_000 } } });
  });

  it('keeps a finished slot marked done past its lease, so a late peer cannot run it again', async () => {
    const client = memoryLeaseClient();
    const a = createRedisRunCoordinator(client, { owner: 'A', doneRetentionMs: 600_000 });
    const b = createRedisRunCoordinator(client, { owner: 'B' });
    const key = 'notify:2026-01-01T00:00:00.000Z';
    expect(await a.shouldRun(key, 1_000)).toBe(true);
    await a.onComplete!(key);
    expect(client.calls[1]).toEqual({ key: `liqzone:cron:${key}`, value: 'done:A', options: { expiration: { type: 'PX', value: 600_000 } } });
    client.advance(5_000); // lease long gone
    expect(await b.shouldRun(key, 1_000)).toBe(false);
    client.advance(600_000);
    expect(await b.shouldRun(key, 1_000)).toBe(true);
  });

  it('fails closed when Redis does not answer', async () => {
    const client = memoryLeaseClient();
    client.hang = true;
    const a = createRedisRunCoordinator(client, { timeoutMs: 20 });
    await expect(a.shouldRun('k', 1000)).rejects.toThrow(/did not answer within 20 ms/);
  });
});

describe.skipIf(!redisUrl)('run coordination on a real redis-server', () => {
  const url = redisUrl!;

  it('lets exactly one of many concurrent contenders win a slot', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => connectRedis(url)));
    try {
      const prefix = `test-${randomUUID()}:`;
      const coordinators = clients.flatMap((c) => [createRedisRunCoordinator(c, { prefix }), createRedisRunCoordinator(c, { prefix })]);
      for (let slot = 0; slot < 10; slot++) {
        const wins = await Promise.all(coordinators.map((co) => co.shouldRun(`job:${slot}`, 5_000)));
        expect(wins.filter(Boolean)).toHaveLength(1);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('two node-cron tasks with the same name run every slot exactly once in total', async () => {
    const [ca, cb] = await Promise.all([connectRedis(url), connectRedis(url)]);
    const prefix = `test-${randomUUID()}:`;
    const runs: { who: string; slot: string }[] = [];
    const skips: { who: string; slot: string; reason?: string }[] = [];
    const tasks: ScheduledTask[] = [];
    try {
      for (const [who, client] of [['A', ca!], ['B', cb!]] as const) {
        const task = cron.createTask('* * * * * *', (ctx) => void runs.push({ who, slot: ctx.date.toISOString() }), {
          name: 'notifier-tick',
          distributed: true,
          runCoordinator: createRedisRunCoordinator(client, { prefix, doneRetentionMs: 30_000 }),
          distributedLease: 5_000,
          logger: silentLogger,
          suppressMissedWarning: true,
        });
        task.on('execution:skipped', (ctx) => void skips.push({ who, slot: ctx.date.toISOString(), reason: ctx.reason }));
        tasks.push(task);
      }
      await Promise.all(tasks.map((t) => t.start()));
      // wait until at least three slots were contested by both instances
      const contested = () => new Set(skips.filter((s) => runs.some((r) => r.slot === s.slot)).map((s) => s.slot)).size;
      const deadline = Date.now() + 15_000;
      while (contested() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await Promise.all(tasks.map((t) => t.destroy()));
    }
    // let decisions already in flight land before counting
    await new Promise((r) => setTimeout(r, 100));
    await Promise.all([ca!.close(), cb!.close()]);

    const slots = new Set([...runs, ...skips].map((x) => x.slot));
    expect(slots.size).toBeGreaterThanOrEqual(3);
    for (const slot of slots) {
      expect(runs.filter((r) => r.slot === slot), `runs of ${slot}`).toHaveLength(1);
    }
    expect(skips.every((s) => s.reason === 'not-elected')).toBe(true);
    // every contested slot: one instance ran it, the other was told it lost
    for (const s of skips) expect(runs.find((r) => r.slot === s.slot)?.who).not.toBe(s.who);
  }, 20_000);
});
