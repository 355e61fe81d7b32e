import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.ts';
import type { Destination } from '../../src/store/types.ts';
import { startTestRedis, uniq, type TestRedis } from './redis.ts';

const dir = mkdtempSync(join(tmpdir(), 'liqzone-store-'));
let redis: TestRedis | undefined;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const user = (id: string): Destination => ({ platform: 'telegram', kind: 'user', id });

const backends: { name: string; url: () => string | undefined }[] = [
  { name: 'memory', url: () => 'memory:' },
  { name: 'sqlite', url: () => `sqlite://${join(dir, `nested/${uniq()}.sqlite`)}` },
  { name: 'redis', url: () => redis?.url },
];

for (const b of backends) {
  describe(`store on ${b.name}`, () => {
    let store: Store | undefined;
    beforeAll(async () => {
      const url = b.url();
      if (url) store = await openStore(url);
    });
    afterAll(async () => store?.close());

    it('keeps all 100 concurrent subscribes to one symbol, and 100 symbols on one destination', async (ctx) => {
      if (!store) return ctx.skip();
      const sym = `R${uniq()}`;
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store!.subscriptions.add(user(`u${sym}${i}`), sym)));
      expect(results.every((r) => r === 'added')).toBe(true);
      expect(await store.subscriptions.subscribersOf(sym)).toHaveLength(100);
      const one = user(`one${sym}`);
      await Promise.all(Array.from({ length: 100 }, (_, i) => store!.subscriptions.add(one, `${sym}X${i}`)));
      expect(await store.subscriptions.list(one)).toHaveLength(100);
      expect(await store.subscriptions.symbols()).toContain(sym);
    });

    it('interleaved subscribe and unsubscribe on one key lose nothing', async (ctx) => {
      if (!store) return ctx.skip();
      const sym = `I${uniq()}`;
      await Promise.all(Array.from({ length: 100 }, (_, i) => store!.subscriptions.add(user(`a${i}`), sym)));
      await Promise.all([
        ...Array.from({ length: 50 }, (_, i) => store!.subscriptions.remove(user(`a${i}`), sym)),
        ...Array.from({ length: 50 }, (_, i) => store!.subscriptions.add(user(`b${i}`), sym)),
      ]);
      const ids = (await store.subscriptions.subscribersOf(sym)).map((d) => d.id).sort();
      expect(ids).toHaveLength(100);
      expect(ids.filter((id) => id.startsWith('a'))).toHaveLength(50);
      expect(ids.every((id) => id.startsWith('b') || Number(id.slice(1)) >= 50)).toBe(true);
    });

    it('subscribe is idempotent and respects a cap', async (ctx) => {
      if (!store) return ctx.skip();
      const d = user(`cap${uniq()}`);
      expect(await store.subscriptions.add(d, 'ETH', { cap: 2 })).toBe('added');
      expect(await store.subscriptions.add(d, 'ETH', { cap: 2 })).toBe('exists');
      expect(await store.subscriptions.add(d, 'BTC', { cap: 2 })).toBe('added');
      expect(await store.subscriptions.add(d, 'SOL', { cap: 2 })).toBe('cap');
      expect(await store.subscriptions.remove(d, 'SOL')).toBe(false);
      expect(await store.subscriptions.remove(d, 'ETH')).toBe(true);
      expect(await store.subscriptions.list(d)).toEqual(['BTC']);
    });

    it('kv update under the per-key lock keeps 100 concurrent increments; lists keys; keeps null', async (ctx) => {
      if (!store) return ctx.skip();
      const kv = store.kv<number>(`counter-${uniq()}`);
      await Promise.all(Array.from({ length: 100 }, () => kv.update('n', (v) => (v ?? 0) + 1)));
      expect(await kv.get('n')).toBe(100);
      await kv.set('m', 0);
      expect(await kv.keys()).toEqual(['m', 'n']);
      await kv.delete('m');
      expect(await kv.entries()).toEqual([['n', 100]]);
      const nul = store.kv<null>(`nul-${uniq()}`);
      await nul.set('x', null);
      expect(await nul.get('x')).toBeNull();
    });

    it('settings default sensibly and persist per field', async (ctx) => {
      if (!store) return ctx.skip();
      const d = user(`set${uniq()}`);
      const s0 = await store.settings.get(d);
      expect(s0).toMatchObject({ proximityPct: 1, quietHours: null, mutedUntil: null, kinds: ['proximity', 'conflict', 'sweep'] });
      await Promise.all([store.settings.update(d, { proximityPct: 0.5 }), store.settings.update(d, { quietHours: { start: 22, end: 7 } })]);
      const s1 = await store.settings.get(d);
      expect(s1.proximityPct).toBe(0.5);
      expect(s1.quietHours).toEqual({ start: 22, end: 7 });
    });

    it('counts permanent failures and disables at the threshold; enable resets', async (ctx) => {
      if (!store) return ctx.skip();
      const d = user(`h${uniq()}`);
      expect((await store.health.recordPermanentFailure(d, 'blocked', 1, 3)).disabled).toBe(false);
      await store.health.recordPermanentFailure(d, 'blocked', 2, 3);
      const h = await store.health.recordPermanentFailure(d, 'blocked', 3, 3);
      expect(h).toMatchObject({ disabled: true, consecutiveFailures: 3, disabledReason: 'blocked' });
      expect(await store.health.enable(d)).toBe(true);
      expect((await store.health.get(d)).disabled).toBe(false);
    });

    it('forgets a destination: settings back to defaults, health gone, outbox records and their ledger keys deleted', async (ctx) => {
      if (!store) return ctx.skip();
      const d = user(`f${uniq()}`);
      await store.settings.update(d, { proximityPct: 3, cooldownMin: 5 });
      await store.health.recordPermanentFailure(d, 'blocked', 1, 1);
      const key = `${d.platform}:${d.kind}:${d.id}`;
      const msg = { id: `m${uniq()}`, destKey: key, dest: d, createdAt: 1, keys: [`${key}|ETH|z1|sweep`], alerts: [], state: 'queued' as const, silent: false, attempts: 0 };
      await store.outbox.put(msg);
      expect((await store.outbox.ledger(msg.keys))[0]).toBeDefined();
      await store.forgetDestination(d);
      expect((await store.settings.get(d)).proximityPct).toBe(1);
      expect((await store.health.get(d)).disabled).toBe(false);
      await store.outbox.deleteMessages([msg.id, 'no-such-id']);
      expect(await store.outbox.get(msg.id)).toBeUndefined();
      expect((await store.outbox.ledger(msg.keys))[0]).toBeUndefined();
      expect((await store.outbox.recoverOpen()).map((m) => m.id)).not.toContain(msg.id);
    });

    it('keeps the learned signal weights', async (ctx) => {
      if (!store) return ctx.skip();
      const state = { version: 1 as const, savedAt: 5, stats: { 'taker-flow|ETH|5m': { hits: 2, n: 3, total: 3 } } };
      await store.weights.save(state);
      expect(await store.weights.load()).toEqual(state);
    });
  });
}

describe('store persistence and errors', () => {
  it('sqlite keeps subscriptions and settings across reopen (folder created)', async () => {
    const url = `sqlite://${join(dir, 'deep/er/persist.sqlite')}`;
    const a = await openStore(url);
    await a.subscriptions.add(user('p1'), 'ETH');
    await a.settings.update(user('p1'), { cooldownMin: 5, mutedUntil: 123 });
    await a.close();
    const b = await openStore(url);
    expect(await b.subscriptions.list(user('p1'))).toEqual(['ETH']);
    expect((await b.subscriptions.subscribersOf('ETH')).map((d) => d.id)).toEqual(['p1']);
    expect(await b.settings.get(user('p1'))).toMatchObject({ cooldownMin: 5, mutedUntil: 123 });
    await b.close();
  });

  it('rejects unsupported URLs and unreachable Redis with a clear message', async () => {
    await expect(openStore('mongodb://x')).rejects.toThrow(/Unsupported STORE_URL/);
    await expect(openStore('sqlite://')).rejects.toThrow(/needs a file path/);
    await expect(openStore('redis://user:secret@127.0.0.1:1', { connectTimeoutMs: 200 })).rejects.toThrow(/cannot connect: .*ECONNREFUSED/);
    await expect(openStore('redis://user:secret@127.0.0.1:1', { connectTimeoutMs: 200 })).rejects.toThrow(/redis redis:\/\/\*\*\*@127\.0\.0\.1:1/);
  });

  it('rejects bad namespaces', async () => {
    const s = await openStore('memory:');
    expect(() => s.kv('a b')).toThrow(/Invalid store namespace/);
    await s.close();
  });

  it('two processes racing subscribes on one Redis key keep every one', async (ctx) => {
    if (!redis) return ctx.skip();
    const sym = `X${uniq()}`;
    const run = promisify(execFile);
    const child = (prefix: string) =>
      run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'race-child.ts'), redis!.url, sym, prefix, '100'], { timeout: 30_000 });
    await Promise.all([child('A'), child('B')]);
    const store = await openStore(redis.url);
    expect(await store.subscriptions.subscribersOf(sym)).toHaveLength(200);
    expect(await store.subscriptions.list({ platform: 'telegram', kind: 'user', id: `shared-${sym}` })).toHaveLength(200);
    await store.close();
  }, 40_000);
});
