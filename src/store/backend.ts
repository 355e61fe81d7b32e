import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { KeyedMutex } from './lock.ts';
import { defaultLog, type LogFn } from '../ops/log.ts';

/**
 * The storage primitives the repositories are built on: keyv values plus sets with atomic
 * add/remove. Keyv itself has no atomic update, so sets are where concurrency is handled:
 * - memory and sqlite: a set is a JSON array under one keyv key, changed under a per-key lock
 *   (safe within one process, which is the only writer for these backends);
 * - redis: real Redis sets (SADD/SREM in one MULTI) through the adapter's client, so several
 *   processes can subscribe and unsubscribe concurrently without losing an update.
 */
export type BackendKind = 'memory' | 'sqlite' | 'redis';

export interface SetOp {
  op: 'add' | 'remove';
  set: string;
  member: string;
}

/** One value of a batch write (`Backend.setMany`). */
export interface SetEntry {
  key: string;
  value: unknown;
  ttlMs?: number;
}

export interface Backend {
  readonly kind: BackendKind;
  /** Human description without credentials, for logs and /status. */
  readonly description: string;
  get<T>(key: string): Promise<T | undefined>;
  getMany<T>(keys: string[]): Promise<(T | undefined)[]>;
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /**
   * Writes every entry in one batch: one SQL statement (one transaction) on SQLite, one MULTI on
   * Redis. Optional: `setMany(backend, entries)` falls back to parallel `set`s without it.
   */
  setMany?(entries: SetEntry[]): Promise<void>;
  /**
   * Deletes every value whose time to live has passed; returns how many. keyv drops an expired
   * value only when it is read, so on memory and SQLite a value nobody reads again (a finished
   * outbox record, a ledger key, a cooldown stamp) would stay forever; Redis expires keys itself.
   */
  sweepExpired?(now: number): Promise<number>;
  /** Applies every op atomically with respect to other set ops; returns whether each op changed its set. */
  updateSets(ops: SetOp[]): Promise<boolean[]>;
  members(set: string): Promise<string[]>;
  /** The in-process lock shared by every read-modify-write on this backend. */
  readonly mutex: KeyedMutex;
  /**
   * Makes deleted data unreadable on disk now (SQLite: checkpoint and truncate the write-ahead
   * log, whose older frames may still hold it). A no-op where nothing lingers.
   */
  scrub?(): Promise<void>;
  close(): Promise<void>;
}

const NAMESPACE = 'liqzone';

/** Writes a batch through the backend's own batch write when it has one, else as parallel sets. */
export async function setMany(backend: Backend, entries: SetEntry[]): Promise<void> {
  if (entries.length === 0) return;
  if (backend.setMany) return backend.setMany(entries);
  await Promise.all(entries.map((e) => backend.set(e.key, e.value, e.ttlMs)));
}

/** Memory and sqlite: keyv values; sets as arrays under a per-key lock. */
class KeyvBackend implements Backend {
  readonly mutex = new KeyedMutex();

  constructor(
    readonly kind: BackendKind,
    readonly description: string,
    protected readonly keyv: Keyv,
    private readonly scrubFn?: () => Promise<void>,
    private readonly sweepFn?: (now: number) => Promise<number>,
  ) {}

  async sweepExpired(now: number): Promise<number> {
    return this.sweepFn ? this.sweepFn(now) : 0;
  }

  async scrub(): Promise<void> {
    await this.scrubFn?.();
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.keyv.get(key)) as T | undefined;
  }

  async getMany<T>(keys: string[]): Promise<(T | undefined)[]> {
    if (keys.length === 0) return [];
    return (await this.keyv.getMany(keys)) as (T | undefined)[];
  }

  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    await this.keyv.set(key, value, ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    return this.keyv.delete(key);
  }

  /** keyv's setMany: the adapter's batch (SQLite: see batchedSqlite; Redis: one MULTI), else one set per entry (memory). */
  async setMany(entries: SetEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.keyv.setMany(entries.map((e) => ({ key: e.key, value: e.value, ttl: e.ttlMs })));
  }

  async updateSets(ops: SetOp[]): Promise<boolean[]> {
    const keys = [...new Set(ops.map((o) => setKey(o.set)))];
    return this.mutex.run(keys, async () => {
      const current = await this.getMany<string[]>(keys);
      const sets = new Map(keys.map((k, i) => [k, new Set(current[i] ?? [])]));
      const dirty = new Set<string>();
      const changed = ops.map((o) => {
        const k = setKey(o.set);
        const s = sets.get(k)!;
        const had = s.has(o.member);
        if (o.op === 'add') s.add(o.member);
        else s.delete(o.member);
        const did = had !== (o.op === 'add');
        if (did) dirty.add(k);
        return did;
      });
      // Only sets that changed are written: a key index or symbol list shared by every user is
      // read, not rewritten, on the common path, so users do not queue behind each other's writes.
      await Promise.all(
        [...dirty].map((k) => {
          const s = sets.get(k)!;
          return s.size ? this.keyv.set(k, [...s]) : this.keyv.delete(k);
        }),
      );
      return changed;
    });
  }

  async members(set: string): Promise<string[]> {
    return (await this.get<string[]>(setKey(set))) ?? [];
  }

  async close(): Promise<void> {
    await this.keyv.disconnect();
  }
}

/** The subset of the node-redis client used for sets. */
interface RedisSetClient {
  sMembers(key: string): Promise<string[]>;
  multi(): RedisMulti;
  ping(): Promise<string>;
  close?(): Promise<void>;
  quit?(): Promise<unknown>;
  destroy?(): void;
}
interface RedisMulti {
  sAdd(key: string, member: string): RedisMulti;
  sRem(key: string, member: string): RedisMulti;
  exec(): Promise<unknown[]>;
}

class RedisBackend extends KeyvBackend {
  constructor(
    description: string,
    keyv: Keyv,
    private readonly client: RedisSetClient,
  ) {
    super('redis', description, keyv);
  }

  override async updateSets(ops: SetOp[]): Promise<boolean[]> {
    if (ops.length === 0) return [];
    let multi = this.client.multi();
    for (const o of ops) multi = o.op === 'add' ? multi.sAdd(redisSetKey(o.set), o.member) : multi.sRem(redisSetKey(o.set), o.member);
    const replies = await multi.exec();
    return replies.map((r) => Number(r) > 0);
  }

  override async members(set: string): Promise<string[]> {
    return this.client.sMembers(redisSetKey(set));
  }

  override async close(): Promise<void> {
    // keyv's disconnect closes the shared client.
    await this.keyv.disconnect();
  }
}

const setKey = (set: string) => `set:${set}`;
const redisSetKey = (set: string) => `${NAMESPACE}:set:${set}`;

/**
 * keyv 5 turns adapter failures into an 'error' event and a resolved promise (`undefined`,
 * `false`) unless `throwOnErrors` is set: with it, every failed read or write rejects, so a
 * caller can never mistake a lost write for a saved one. The listener only keeps an 'error'
 * event from crashing the process; the failure itself reaches the caller as a rejection.
 */
function strictKeyv(opts: ConstructorParameters<typeof Keyv>[0] & object, description: string, log: LogFn): Keyv {
  const keyv = new Keyv({ ...opts, serialize: keyvSerialize, throwOnErrors: true });
  // Each failure is also a rejection for the caller; the store says once when it starts failing and recovers.
  keyv.on('error', (err: unknown) => log('debug', 'store error', { store: description, err }));
  return keyv;
}

const COLON_STRING = /[[:,]":/;

/** keyv's in-memory Map holds serialized values ending in `,"expires":ms}` when they expire. */
const EXPIRES_AT_END = /"expires":(\d+)\}$/;
function sweepMap(map: Map<string, unknown>, now: number): number {
  let n = 0;
  for (const [k, v] of map) {
    if (typeof v !== 'string') continue;
    const m = EXPIRES_AT_END.exec(v);
    if (m && Number(m[1]) < now) {
      map.delete(k);
      n++;
    }
  }
  return n;
}

/**
 * The same text as keyv's default serializer (@keyv/serialize: strings starting with ':' get one
 * more ':', Buffers become ':base64:…'; its deserializer reads both back), through the native
 * JSON.stringify instead of a string built value by value — about 3× faster on a tick's
 * 10 000 outbox records. test/store/serialize.property.test.ts checks the two agree.
 */
export function keyvSerialize(data: unknown): string {
  if (data === undefined || data === null) return 'null';
  // Common case: no string starts with ':' (it would show as `":` after `:`, `[` or `,`, or at the
  // very start) and no Buffer: the plain text is already keyv's. Anything else (or a look-alike,
  // such as a key starting with ':') takes the replacer.
  const plain = JSON.stringify(data);
  if (plain === undefined || (!COLON_STRING.test(plain) && !plain.startsWith('":') && !plain.includes('"Buffer"'))) return plain ?? 'null';
  return JSON.stringify(data, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (Buffer.isBuffer(raw)) return `:base64:${raw.toString('base64')}`;
    return typeof value === 'string' && value.charCodeAt(0) === 58 ? `:${value}` : value;
  });
}

/**
 * Opens a backend from a STORE_URL: `sqlite://PATH` (folder created), `redis://…`/`rediss://…`,
 * or `memory:`. Rejects with a clear message when the URL is malformed or Redis is unreachable.
 */
export async function openBackend(url: string, opts: { connectTimeoutMs?: number; log?: LogFn } = {}): Promise<Backend> {
  const log = opts.log ?? defaultLog('store');
  if (url === 'memory:' || url === 'memory://') {
    const keyv = strictKeyv({ namespace: NAMESPACE }, 'memory', log);
    return new KeyvBackend('memory', 'memory', keyv, undefined, async (now) => sweepMap(keyv.store as Map<string, unknown>, now));
  }
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    if (!path) throw new Error('STORE_URL sqlite:// needs a file path, e.g. sqlite://./data/liqzone.sqlite');
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    const adapter = batchedSqlite(new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: 5000 }));
    adapter.on('error', () => {}); // a failed open also rejects every query; see checkSqlite
    const keyv = strictKeyv({ store: adapter, namespace: NAMESPACE }, `sqlite ${path}`, log);
    const sql = Object.assign(adapter as unknown as SqliteQuery, { path });
    try {
      await checkSqlite(sql);
    } catch (err) {
      await keyv.disconnect().catch(() => {});
      throw new StoreUnavailableError(`sqlite ${path}`, describeSqliteError(err, path));
    }
    const table = (adapter as unknown as { opts: { table: string } }).opts.table;
    return new KeyvBackend(
      'sqlite',
      `sqlite ${path}`,
      keyv,
      async () => void (await sql.query('PRAGMA wal_checkpoint(TRUNCATE)')),
      // keyv keeps `expires` inside the serialized value: {"value":…,"expires":ms}
      async (now) => (await sql.query(`DELETE FROM ${table} WHERE json_valid(value) AND json_extract(value, '$.expires') < ? RETURNING key`, now)).length,
    );
  }
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    const safe = redactUrl(url);
    let connected = false;
    // loaded here: node-redis is ~400 modules that a SQLite or memory store never needs
    const { default: KeyvRedis, createClient } = await import('@keyv/redis');
    const client = createClient({
      url,
      // While disconnected, commands fail at once (the store reports failing) instead of waiting
      // in an unbounded queue, which would hang every command that touches the store.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: opts.connectTimeoutMs ?? 3000,
        // Fail the first connect fast (a wrong URL should say so); after that, keep reconnecting.
        reconnectStrategy: (retries: number, cause: Error) => (connected ? Math.min(100 * 2 ** retries, 2000) : cause),
      },
    });
    client.on('error', () => {
      /* reported through keyv and the failed command; avoid an unhandled 'error' event */
    });
    try {
      await client.connect();
      connected = true;
    } catch (err) {
      throw new StoreUnavailableError(`redis ${safe}`, `cannot connect: ${(err as Error)?.message ?? String(err)}`);
    }
    // throwOnErrors: without it @keyv/redis swallows a failed get/set (an error event and an empty answer),
    // so a dead Redis read as "no positions" and a failed write as success
    const adapter = new KeyvRedis(client as never, { throwOnErrors: true });
    const keyv = strictKeyv({ store: adapter, namespace: NAMESPACE }, `redis ${safe}`, log);
    return new RedisBackend(`redis ${safe}`, keyv, client as unknown as RedisSetClient);
  }
  throw new Error(`Unsupported STORE_URL "${redactUrl(url)}": use sqlite://PATH, redis://HOST:PORT or memory:`);
}

/**
 * Gives the SQLite adapter a batch write keyv's setMany uses: every entry in ONE upsert statement
 * (rows from a JSON array parameter, so no bound-variable limit), i.e. one implicit transaction and
 * one commit — a tick's outbox records and ledger keys land together or not at all. A statement
 * rather than BEGIN…COMMIT because the adapter's one connection is shared by concurrent callers,
 * whose statements would otherwise fall into (and roll back with) the transaction.
 */
function batchedSqlite(adapter: KeyvSqlite): KeyvSqlite {
  const a = adapter as unknown as { opts: { table: string }; query(sql: string, ...params: unknown[]): Promise<unknown>; setMany?: (entries: { key: string; value: unknown }[]) => Promise<void> };
  const upsert = `INSERT INTO ${a.opts.table} (key, value)
    SELECT json_extract(e.value, '$[0]'), json_extract(e.value, '$[1]') FROM json_each(?) AS e WHERE true
    ON CONFLICT(key) DO UPDATE SET value=excluded.value;`;
  a.setMany = async (entries) => {
    if (entries.length > 0) await a.query(upsert, JSON.stringify(entries.map((e) => [e.key, e.value])));
  };
  return adapter;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** The store named by STORE_URL cannot be used (unopenable, unreadable, unwritable, not ours). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    readonly store: string,
    readonly reason: string,
  ) {
    super(`store ${store}: ${reason}`);
  }
}

/** The start-up refusal for an unusable store: the variable to change, the store, the reason, and what to do for that kind of store. */
export function storeFailureMessage(variable: string, store: string, reason: string): string {
  const fix = store.startsWith('redis') ? 'Start Redis or correct the address' : store.startsWith('sqlite') ? 'Fix or move the file' : 'Fix it';
  return `${variable} (${store}) cannot be used: ${reason}. ${fix}, or point ${variable} elsewhere.`;
}

interface SqliteQuery {
  query(sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]>;
  /** Database path (set below from the URL; `:memory:` has no journal to configure). */
  path?: string;
}

/**
 * Opens the file (the adapter connects lazily) and checks it is a sound SQLite database that is
 * ours: `quick_check` finds truncated or corrupt files, and a file that holds other tables but
 * no `keyv` table, or a `keyv` table of another shape, is refused rather than written into.
 * Freed pages are zeroed from now on (`secure_delete`), so deleted data (/forgetme) does not
 * stay readable in the file.
 */
async function checkSqlite(adapter: SqliteQuery): Promise<void> {
  const check = await adapter.query('PRAGMA quick_check');
  const verdict = check.map((r) => Object.values(r)[0]).join('; ');
  if (verdict !== 'ok') throw new Error(`database is corrupt (quick_check: ${verdict.slice(0, 200)})`);
  const others = (await adapter.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'keyv' AND name NOT LIKE 'sqlite_%'")).map((r) => String(r.name));
  if (others.length) throw new Error(`it holds other tables (${others.slice(0, 5).join(', ')}): not a liqzone store`);
  const columns = (await adapter.query('PRAGMA table_info(keyv)')).map((r) => String(r.name)).sort();
  if (columns.join(',') !== 'key,value') throw new Error(`its keyv table has columns (${columns.join(', ')}), expected (key, value): not a liqzone store`);
  await adapter.query('PRAGMA secure_delete = ON');
  // Write-ahead log with synchronous=NORMAL: a commit survives a process crash (kill -9) and costs
  // no fsync, so the outbox marks a delivery sent within a millisecond or two of the answer
  // (with the default rollback journal, fsyncs queued the marks for hundreds of ms under load and
  // every kill -9 re-sent ~10 Telegram alerts; see bench/telegram-duplicates.bench.ts). Only an
  // OS crash or power loss can lose the last commits.
  if (!/^file::memory:|^:memory:$/.test(adapter.path ?? '')) {
    await adapter.query('PRAGMA journal_mode = WAL');
    await adapter.query('PRAGMA synchronous = NORMAL');
  }
}

function describeSqliteError(err: unknown, path: string): string {
  const e = err as { code?: string; message?: string };
  const msg = e?.message ?? String(err);
  if (e?.code === 'SQLITE_NOTADB' || /not a database/i.test(msg)) return `${path} is not a SQLite database (garbage or truncated file)`;
  if (e?.code === 'SQLITE_CORRUPT' || /malformed/i.test(msg)) return `${path} is corrupt (${msg})`;
  if (e?.code === 'SQLITE_CANTOPEN') return `cannot open ${path} (is it a directory, or its folder unreadable?)`;
  if (e?.code === 'SQLITE_READONLY' || /readonly/i.test(msg)) return `${path} is read-only`;
  return msg;
}

/**
 * The start-up check every backend passes before the bot starts: write a value, read it back,
 * delete it. Throws StoreUnavailableError saying what failed.
 */
export async function verifyBackend(backend: Backend): Promise<void> {
  const key = `__check__:${process.pid}:${Date.now()}`;
  const value = { check: Math.random() };
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw new StoreUnavailableError(backend.description, `${what} failed: ${describeError(err)}`);
    }
  };
  await step('write', () => backend.set(key, value, 60_000));
  const back = await step('read', () => backend.get<typeof value>(key));
  if (back?.check !== value.check) throw new StoreUnavailableError(backend.description, 'a value written could not be read back');
  await step('delete', () => backend.delete(key));
}

function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = e?.message ?? String(err);
  if (e?.code === 'SQLITE_READONLY' || /readonly/i.test(msg)) return `the file is read-only (${msg})`;
  return msg;
}
