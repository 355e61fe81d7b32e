/**
 * The store fails loudly: an unusable store is refused at start (what is wrong, named), a store
 * failing mid-run turns command replies into "could not save … try again" (never a success),
 * shows in the status, and recovers by itself.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import type { Caller } from '../../src/bot/command.ts';
import { CommandRegistry } from '../../src/bot/registry.ts';
import type { Services } from '../../src/bot/services.ts';
import { DEFAULT_SYMBOLS } from '../../src/market/symbols.ts';
import { openBackend, StoreUnavailableError, type Backend } from '../../src/store/backend.ts';
import { MonitoredBackend, StoreError } from '../../src/store/monitor.ts';
import { createSubscriptionService } from '../../commands/services/subscriptions.ts';
import { openStore, Store } from '../../src/store/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'liqzone-loud-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(url: string): Promise<StoreUnavailableError> {
  const err = await openStore(url).then(
    async (s) => {
      await s.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreUnavailableError);
  return err as StoreUnavailableError;
}

function exec(path: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => {
      if (err) return reject(err);
      db.exec(sql, (e) => db.close(() => (e ? reject(e) : resolve())));
    });
  });
}

describe('an unusable SQLite store is refused at start, saying what is wrong', () => {
  it('garbage file', async () => {
    const path = join(dir, 'garbage.sqlite');
    writeFileSync(path, Buffer.from('this is not a database at all, just some text that fills a page or so '.repeat(80)));
    expect((await refusal(`sqlite://${path}`)).message).toMatch(/not a SQLite database/);
  });

  it('truncated file', async () => {
    const path = join(dir, 'truncated.sqlite');
    const store = await openStore(`sqlite://${path}`);
    const kv = store.kv<string>('filler', { indexed: false });
    for (let i = 0; i < 80; i++) await kv.set(`k${i}`, "x".repeat(1500 + i));
    await store.close();
    truncateSync(path, Math.floor(statSync(path).size / 2));
    expect((await refusal(`sqlite://${path}`)).message).toMatch(/corrupt|malformed|not a SQLite database/);
  });

  it('a keyv table of another shape (wrong schema)', async () => {
    const path = join(dir, 'schema.sqlite');
    await exec(path, 'CREATE TABLE keyv(id INTEGER PRIMARY KEY, data BLOB); INSERT INTO keyv(data) VALUES (x\'00\');');
    expect((await refusal(`sqlite://${path}`)).message).toMatch(/keyv table has columns \(data, id\).*not a liqzone store/);
  });

  it("another application's database", async () => {
    const path = join(dir, 'other.sqlite');
    await exec(path, 'CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT);');
    expect((await refusal(`sqlite://${path}`)).message).toMatch(/other tables \(users\).*not a liqzone store/);
  });

  it('a directory in its place', async () => {
    const path = join(dir, 'adir.sqlite');
    mkdirSync(path);
    expect((await refusal(`sqlite://${path}`)).message).toMatch(/cannot open .*adir\.sqlite/);
  });

  it('a store that accepts writes but loses them fails the write-and-read-back check', async () => {
    const inner = await openBackend('memory:');
    const forgetful: Backend = { ...bind(inner), set: async () => {} };
    const { verifyBackend } = await import('../../src/store/backend.ts');
    await expect(verifyBackend(forgetful)).rejects.toThrow(/could not be read back/);
    await inner.close();
  });

  it('a sound store opens and works', async () => {
    const store = await openStore(`sqlite://${join(dir, 'fine.sqlite')}`);
    expect(store.status().ok).toBe(true);
    await store.close();
  });
});

describe('store status recovers only on a verified write', () => {
  it('a delete of a missing key or an empty set update does not clear the failure (no flapping)', async () => {
    const inner = await openBackend('memory:');
    const state = { failSets: true };
    // storage that refuses writes, while a delete that matches nothing and a no-op update resolve
    const b: Backend = { ...bind(inner), set: (k, v, t) => (state.failSets ? Promise.reject(new Error('SQLITE_READONLY')) : inner.set(k, v, t)) };
    const changes: boolean[] = [];
    const m = new MonitoredBackend(b, { probeEveryMs: 20, onChange: (st) => changes.push(st.ok) });
    await expect(m.set('k', 1)).rejects.toThrow(StoreError);
    expect(m.status().ok).toBe(false);
    expect(await m.delete('missing')).toBe(false);
    await m.updateSets([]);
    expect(m.status().ok).toBe(false);
    expect(changes).toEqual([false]);
    // storage writable again: the background write-and-read-back notices
    state.failSets = false;
    await expect.poll(() => m.status().ok, { timeout: 2000, interval: 10 }).toBe(true);
    expect(changes).toEqual([false, true]);
    await m.close();
  });
});

/** A backend whose reads/writes can be made to fail, like a full disk or a store gone read-only. */
function faulty(inner: Backend) {
  const state = { failWrites: false, failReads: false };
  const boom = () => Promise.reject(Object.assign(new Error('SQLITE_READONLY: attempt to write a readonly database'), { code: 'SQLITE_READONLY' }));
  const b: Backend = {
    ...bind(inner),
    get: (k) => (state.failReads ? boom() : inner.get(k)),
    getMany: (k) => (state.failReads ? boom() : inner.getMany(k)),
    members: (s) => (state.failReads ? boom() : inner.members(s)),
    set: (k, v, t) => (state.failWrites ? boom() : inner.set(k, v, t)),
    delete: (k) => (state.failWrites ? boom() : inner.delete(k)),
    updateSets: (ops) => (state.failWrites ? boom() : inner.updateSets(ops)),
  };
  return { backend: b, state };
}

function bind(inner: Backend): Backend {
  return {
    kind: inner.kind,
    description: inner.description,
    mutex: inner.mutex,
    get: (k) => inner.get(k),
    getMany: (k) => inner.getMany(k),
    set: (k, v, t) => inner.set(k, v, t),
    delete: (k) => inner.delete(k),
    updateSets: (ops) => inner.updateSets(ops),
    members: (s) => inner.members(s),
    close: () => inner.close(),
  };
}

describe('a store failing mid-run', () => {
  const T = Date.UTC(2026, 2, 14, 12, 0);
  const registry = new CommandRegistry(allCommands());
  const user: Caller = { platform: 'telegram', userId: '42', chatId: '42', isPrivate: true, canManage: true };
  let store: Store;
  let fault: ReturnType<typeof faulty>;
  let services: Services;
  const changes: boolean[] = [];

  beforeEach(async () => {
    fault = faulty(await openBackend('memory:'));
    store = new Store(fault.backend, { probeEveryMs: 20, onChange: (s) => changes.push(s.ok) });
    const symbols = {
      tracked: () => [...DEFAULT_SYMBOLS],
      instruments: () => [],
      instrument: () => undefined,
      byVenueSymbol: () => undefined,
      skipped: () => [],
      venuesOf: () => ['binance' as const],
    };
    services = { now: () => T, symbols, status: () => ({ mode: 'demo', startedAt: 0, now: T, venues: [] }), subscriptions: createSubscriptionService({ store, symbols, now: () => T }) };
  });
  afterEach(async () => store.close());

  it('answers "could not save your subscription, try again", never "Subscribed"; the status shows it; it recovers by itself', async () => {
    fault.state.failWrites = true;
    const r = await registry.dispatchLine('/subscribe BTC', user, services);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/Could not save your subscription.*try again/);
    expect(r.text).not.toMatch(/Subscribed/);
    const failing = store.status();
    expect(failing).toMatchObject({ ok: false, store: 'memory' });
    expect(failing.lastError).toMatch(/readonly/);
    const alerts = await registry.dispatchLine('/alerts proximity 2', user, services);
    expect(alerts.text).toMatch(/Could not save your alert settings/);

    // The store comes back: the background probe notices without any command.
    fault.state.failWrites = false;
    await expect.poll(() => store.status().ok, { timeout: 2000, interval: 10 }).toBe(true);
    expect(changes.slice(-2)).toEqual([false, true]);
    const ok = await registry.dispatchLine('/subscribe BTC', user, services);
    expect(ok.text).toMatch(/^Subscribed/);
    expect(await store.subscriptions.list({ platform: 'telegram', kind: 'user', id: '42' })).toEqual(['BTC']);
  });

  it('/healthz is 503 while the store fails and 200 again once it recovers', async () => {
    const { startHealthServer, withStoreHealth, assessHealth } = await import('../../src/ops/health-server.ts');
    const server = await startHealthServer({ port: 0, health: () => withStoreHealth(assessHealth([], T), store.status()), metrics: async () => '' });
    const get = async () => {
      const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      return { status: res.status, body: (await res.json()) as { store: { ok: boolean; lastError?: string } } };
    };
    try {
      expect((await get()).status).toBe(200);
      fault.state.failWrites = true;
      await registry.dispatchLine('/subscribe ETH', user, services);
      const down = await get();
      expect(down.status).toBe(503);
      expect(down.body.store).toMatchObject({ ok: false, store: 'memory' });
      expect(down.body.store.lastError).toMatch(/readonly/);
      fault.state.failWrites = false;
      await expect.poll(async () => (await get()).status, { timeout: 2000, interval: 20 }).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('/status says the store is failing, since when and why', async () => {
    const withStatus: Services = { ...services, status: () => ({ mode: 'live', startedAt: T - 60_000, now: T, venues: [], store: store.status(), chat: [{ name: 'telegram', state: 'retrying', lastError: 'ECONNREFUSED' }] }) };
    expect((await registry.dispatchLine('/status', user, withStatus)).text).not.toMatch(/STORE FAILING/);
    fault.state.failWrites = true;
    await registry.dispatchLine('/subscribe BTC', user, services);
    const r = await registry.dispatchLine('/status', user, withStatus);
    expect(r.tone).toBe('warning');
    expect(r.text).toMatch(/STORE FAILING \(memory\) since .* ago: .*readonly/);
    expect(r.text).toMatch(/telegram: not connected, retrying \(ECONNREFUSED\)/);
  });

  it('a failing read says so instead of answering with nothing', async () => {
    fault.state.failReads = true;
    const r = await registry.dispatchLine('/subscriptions', user, services);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/Could not read your saved data/);
  });

  it('repository calls reject with a StoreError (keyv errors are thrown, not warned)', async () => {
    fault.state.failWrites = true;
    await expect(store.outbox.put({ id: 'm1', destKey: 'telegram:user:42', dest: { platform: 'telegram', kind: 'user', id: '42' }, createdAt: T, keys: ['k'], alerts: [], state: 'queued', silent: false, attempts: 0 })).rejects.toBeInstanceOf(StoreError);
  });
});

describe('keyv adapter errors reject', () => {
  it('a closed SQLite connection rejects reads and writes instead of resolving undefined', async () => {
    const backend = await openBackend(`sqlite://${join(dir, 'closed.sqlite')}`);
    await backend.close();
    await expect(backend.set('a', 1)).rejects.toThrow();
    await expect(backend.get('a')).rejects.toThrow();
  });
});

describe('Redis going away mid-run', () => {
  it('commands fail at once with "could not save" instead of hanging, and the store recovers when Redis is back', async (ctx) => {
    const { spawn, spawnSync } = await import('node:child_process');
    if (spawnSync('redis-server', ['--version']).status !== 0) return ctx.skip();
    const { createServer, createConnection } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const startRedis = async () => {
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        const up = await new Promise<boolean>((r) => {
          const s = createConnection({ host: '127.0.0.1', port }, () => (s.end(), r(true)));
          s.on('error', () => r(false));
        });
        if (up) return child;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('redis-server did not start');
    };
    let redis = await startRedis();
    const store = await openStore(`redis://127.0.0.1:${port}`, { probeEveryMs: 100, opTimeoutMs: 3000 });
    const symbols = { tracked: () => [...DEFAULT_SYMBOLS], instruments: () => [], instrument: () => undefined, byVenueSymbol: () => undefined, skipped: () => [], venuesOf: () => ['binance' as const] };
    const services: Services = { now: () => 0, symbols, status: () => ({ mode: 'live', startedAt: 0, now: 0, venues: [] }), subscriptions: createSubscriptionService({ store, symbols, now: () => 0 }) };
    const registry = new CommandRegistry(allCommands());
    const user: Caller = { platform: 'telegram', userId: '7', chatId: '7', isPrivate: true, canManage: true };
    try {
      expect((await registry.dispatchLine('/subscribe ETH', user, services)).text).toMatch(/^Subscribed/);
      redis.kill('SIGKILL');
      await new Promise((r) => redis.once('exit', r));
      const t0 = Date.now();
      const r = await registry.dispatchLine('/subscribe BTC', user, services);
      expect(Date.now() - t0).toBeLessThan(3500);
      expect(r.text).toMatch(/Could not (save your subscription|read your saved data)/);
      expect(store.status().ok).toBe(false);
      // plain reads and writes through keyv fail too (@keyv/redis swallowed them: a dead Redis read as
      // "nothing stored", a write as done — "/alerts mute" answered "Muted until…" and the store "worked again")
      const mute = await registry.dispatchLine('/alerts mute 2h', user, services);
      expect(mute.ok).toBe(false);
      expect(mute.text).not.toMatch(/Muted until/);
      await expect(store.settings.get({ platform: 'telegram', kind: 'user', id: '7' })).rejects.toThrow();
      expect(store.status().ok).toBe(false);
      redis = await startRedis();
      await expect.poll(() => store.status().ok, { timeout: 10_000, interval: 50 }).toBe(true);
      expect((await registry.dispatchLine('/subscribe BTC', user, services)).text).toMatch(/^Subscribed/);
    } finally {
      await store.close().catch(() => {});
      redis.kill('SIGKILL');
    }
  }, 30_000);
});
