/**
 * The notifier's own bookkeeping on the store: cooldown stamps, per-day message counters, the
 * proximity band state per symbol, and the /forgetme index of personal messages per day. The
 * namespaces and their layout live here; the notifier names keys (src/notify/keys.ts), never
 * namespaces.
 */
import { setMany, type Backend } from './backend.ts';
import { Kv } from './kv.ts';

export class NotifyStateRepo {
  /** `destination|symbol|kind` → time of the last alert decided (cooldown). */
  readonly cooldowns: Kv<number>;
  /** `destination|day` → messages decided that UTC day (daily cap). */
  readonly dayCounts: Kv<number>;
  /** symbol → settings group → zone id → time price entered its proximity band. */
  readonly bands: Kv<Record<string, Record<string, number>>>;
  /** `destination|day` → outbox ids of personal messages decided that day (for /forgetme). */
  readonly eraseIndex: Kv<string[]>;

  constructor(private readonly backend: Backend) {
    this.cooldowns = new Kv<number>(backend, 'notify-last', { indexed: false });
    this.dayCounts = new Kv<number>(backend, 'notify-day', { indexed: false });
    this.bands = new Kv(backend, 'notify-bands', { indexed: false });
    this.eraseIndex = new Kv<string[]>(backend, 'erase', { indexed: false });
  }

  /** A tick's cooldown stamps and day counters, in one batch (one statement on SQLite, one MULTI on Redis). */
  async putBookkeeping(cooldowns: ReadonlyArray<readonly [string, number]>, cooldownTtlMs: number, dayCounts: ReadonlyArray<readonly [string, number]>, dayTtlMs: number): Promise<void> {
    await setMany(this.backend, [
      ...cooldowns.map(([k, v]) => this.cooldowns.entry(k, v, cooldownTtlMs)),
      ...dayCounts.map(([k, v]) => this.dayCounts.entry(k, v, dayTtlMs)),
    ]);
  }

  /**
   * Appends message ids to the /forgetme index (`destination|day` → ids), one batched
   * read-modify-write under the same per-key locks `Kv.update` takes.
   */
  async appendErasable(ids: ReadonlyMap<string, string[]>, ttlMs: number): Promise<void> {
    if (ids.size === 0) return;
    const keys = [...ids.keys()];
    await this.backend.mutex.run(
      keys.map((k) => `${this.eraseIndex.namespace}:${k}`),
      async () => {
        const current = await this.eraseIndex.getMany(keys);
        await this.eraseIndex.setMany(keys.map((k, i) => [k, [...(current[i] ?? []), ...ids.get(k)!], ttlMs] as const));
      },
    );
  }
}
