import { randomUUID } from 'node:crypto';
import type { RunCoordinator } from 'node-cron';

/**
 * The two SET forms the coordinator sends; a node-redis v5 client (`RedisClient` in redis.ts,
 * or `await new KeyvRedis(url).getClient()`) satisfies it.
 */
export interface LeaseClient {
  set(
    key: string,
    value: string,
    options: { condition: 'NX'; expiration: { type: 'PX'; value: number } } | { expiration: { type: 'PX'; value: number } },
  ): Promise<unknown>;
}

export interface RedisRunCoordinatorOptions {
  /** Prepended to node-cron's `${name}:${slotISO}` key (default `liqzone:cron:`). */
  prefix?: string;
  /** Written as the lease value, for debugging who ran a slot (default a random id). */
  owner?: string;
  /**
   * How long a finished slot stays marked done (default 10 min). Keeping the marker past the
   * lease stops a peer whose timer fires late (GC pause, busy loop, clock skew) from running
   * the same slot again.
   */
  doneRetentionMs?: number;
  /**
   * Give up on Redis after this long (default 5 000 ms). node-cron then skips the slot on this
   * instance (fail-closed): during an outage a slot may run nowhere, but never twice.
   */
  timeoutMs?: number;
}

/**
 * node-cron 4.6 run coordinator on a Redis lease: each instance calls `shouldRun(key, lease)` per
 * slot; `SET key owner NX PX lease` lets exactly one win. The lease is deliberately not released
 * on completion (that would let a late peer win the same slot); it is turned into a longer-lived
 * done marker instead.
 */
export function createRedisRunCoordinator(client: LeaseClient, opts: RedisRunCoordinatorOptions = {}): RunCoordinator {
  const prefix = opts.prefix ?? 'liqzone:cron:';
  const owner = opts.owner ?? randomUUID();
  const doneRetentionMs = opts.doneRetentionMs ?? 600_000;
  const timeoutMs = opts.timeoutMs ?? 5_000;

  return {
    async shouldRun(key: string, leaseMs: number): Promise<boolean> {
      const px = Math.max(1, Math.ceil(Number.isFinite(leaseMs) ? leaseMs : 30_000));
      const reply = await withTimeout(client.set(prefix + key, owner, { condition: 'NX', expiration: { type: 'PX', value: px } }), timeoutMs, key);
      return reply === 'OK';
    },
    async onComplete(key: string): Promise<void> {
      await withTimeout(client.set(prefix + key, `done:${owner}`, { expiration: { type: 'PX', value: doneRetentionMs } }), timeoutMs, key);
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, key: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`run coordinator: Redis did not answer within ${ms} ms for ${key}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
