import { setMany, type Backend, type SetEntry } from './backend.ts';

export interface KvOptions {
  /**
   * Keep a set of this namespace's keys so `keys()`/`entries()` can list them on every backend
   * (keyv iteration differs per adapter). Costs one set write per new key. Default true.
   */
  indexed?: boolean;
}

/**
 * A namespaced key-value repository on the store (`kv('positions')`, `kv('weights')`, …).
 * `update` is a read-modify-write under a per-key lock: safe against concurrent callers in this
 * process, last-writer-wins across processes (use one key per independent fact when that matters).
 */
export class Kv<T> {
  private readonly indexed: boolean;

  constructor(
    private readonly backend: Backend,
    readonly namespace: string,
    opts: KvOptions = {},
  ) {
    if (!/^[\w.-]+$/.test(namespace)) throw new Error(`Invalid store namespace "${namespace}": use letters, digits, _ . -`);
    this.indexed = opts.indexed ?? true;
  }

  private k(key: string): string {
    return `${this.namespace}:${key}`;
  }

  private get indexSet(): string {
    return `kvkeys:${this.namespace}`;
  }

  async get(key: string): Promise<T | undefined> {
    const box = await this.backend.get<{ v: T }>(this.k(key));
    return box?.v;
  }

  async getMany(keys: string[]): Promise<(T | undefined)[]> {
    const boxes = await this.backend.getMany<{ v: T }>(keys.map((k) => this.k(k)));
    return boxes.map((b) => b?.v);
  }

  /** Values are boxed so `null` and `false` survive every adapter's serializer. */
  async set(key: string, value: T, ttlMs?: number): Promise<void> {
    if (this.indexed) await this.backend.updateSets([{ op: 'add', set: this.indexSet, member: key }]);
    await this.backend.set(this.k(key), { v: value }, ttlMs);
  }

  /** The backend entry `set(key, value, ttlMs)` would write, for a batch across namespaces (unindexed namespaces only). */
  entry(key: string, value: T, ttlMs?: number): SetEntry {
    if (this.indexed) throw new Error(`store namespace "${this.namespace}" is indexed; write it with set or setMany`);
    return { key: this.k(key), value: { v: value }, ttlMs };
  }

  /** Writes many keys in one batch (Backend.setMany: one statement on SQLite, one MULTI on Redis). */
  async setMany(entries: ReadonlyArray<readonly [key: string, value: T, ttlMs?: number]>): Promise<void> {
    if (entries.length === 0) return;
    if (this.indexed) await this.backend.updateSets(entries.map(([key]) => ({ op: 'add' as const, set: this.indexSet, member: key })));
    await setMany(
      this.backend,
      entries.map(([key, value, ttlMs]) => ({ key: this.k(key), value: { v: value }, ttlMs })),
    );
  }

  async delete(key: string): Promise<boolean> {
    const existed = await this.backend.delete(this.k(key));
    if (this.indexed) await this.backend.updateSets([{ op: 'remove', set: this.indexSet, member: key }]);
    return existed;
  }

  /** Read-modify-write under the per-key lock. `fn` returning undefined deletes the key. */
  async update(key: string, fn: (current: T | undefined) => T | undefined, ttlMs?: number): Promise<T | undefined> {
    return this.backend.mutex.run(this.k(key), async () => {
      const next = fn(await this.get(key));
      if (next === undefined) await this.delete(key);
      else await this.set(key, next, ttlMs);
      return next;
    });
  }

  /** Keys of this namespace (indexed namespaces only; expired keys are pruned as found). */
  async keys(): Promise<string[]> {
    return (await this.entries()).map(([k]) => k);
  }

  async entries(): Promise<[string, T][]> {
    if (!this.indexed) throw new Error(`store namespace "${this.namespace}" is not indexed; it cannot be listed`);
    const keys = (await this.backend.members(this.indexSet)).sort();
    const values = await this.getMany(keys);
    const out: [string, T][] = [];
    const gone: string[] = [];
    keys.forEach((k, i) => (values[i] === undefined ? gone.push(k) : out.push([k, values[i]!])));
    if (gone.length) await this.backend.updateSets(gone.map((member) => ({ op: 'remove' as const, set: this.indexSet, member })));
    return out;
  }
}
