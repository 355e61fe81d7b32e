import { setMany, verifyBackend, type Backend, type SetEntry, type SetOp } from './backend.ts';

/** Whether the store works right now, for /healthz and /status. */
export interface StoreStatus {
  ok: boolean;
  /** Backend description (no credentials). */
  store: string;
  /** Since when it fails (epoch ms). */
  failingSince?: number;
  lastError?: string;
  /** Failed operations since start. */
  failures: number;
}

/**
 * Thrown (wrapped) for every failed store operation, so callers can tell "the store failed" from
 * a bug: a command answers "could not save …, try again", never a success.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly op: 'read' | 'write',
    override readonly cause: unknown,
  ) {
    super(`store ${op} failed: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

export interface MonitorOptions {
  /** While failing, probe (write, read back, delete) this often so the status recovers by itself (default 5 s). */
  probeEveryMs?: number;
  now?: () => number;
  /** An operation not answered within this long fails (default 10 s): a stuck store must not hang commands. */
  opTimeoutMs?: number;
  /** Told once when the store starts failing and once when it recovers. */
  onChange?: (status: StoreStatus) => void;
}

/**
 * Wraps a backend: failures become StoreError rejections and mark the store failing; only a
 * successful probe (write, read back, delete; run in the background while failing) marks it working
 * again. Other operations never clear a failure: a read does not prove writes work, and a delete of a
 * missing key or a set update with nothing to change resolves without touching storage (the status
 * flipped to "works again" and back within a millisecond on a read-only SQLite file).
 */
export class MonitoredBackend implements Backend {
  private failingSince: number | undefined;
  private lastError: string | undefined;
  private failures = 0;
  private probeTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(
    /** The wrapped backend (tests reach through it to inspect raw storage). */
    readonly inner: Backend,
    private readonly opts: MonitorOptions = {},
  ) {}

  get kind() {
    return this.inner.kind;
  }
  get description() {
    return this.inner.description;
  }
  get mutex() {
    return this.inner.mutex;
  }

  status(): StoreStatus {
    return { ok: this.failingSince === undefined, store: this.inner.description, failingSince: this.failingSince, lastError: this.lastError, failures: this.failures };
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.read(() => this.inner.get<T>(key));
  }
  getMany<T>(keys: string[]): Promise<(T | undefined)[]> {
    return this.read(() => this.inner.getMany<T>(keys));
  }
  members(set: string): Promise<string[]> {
    return this.read(() => this.inner.members(set));
  }
  set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    return this.write(() => this.inner.set(key, value, ttlMs));
  }
  delete(key: string): Promise<boolean> {
    return this.write(() => this.inner.delete(key));
  }
  setMany(entries: SetEntry[]): Promise<void> {
    return this.write(() => setMany(this.inner, entries));
  }
  sweepExpired(now: number): Promise<number> {
    return this.write(async () => (this.inner.sweepExpired ? this.inner.sweepExpired(now) : 0));
  }
  updateSets(ops: SetOp[]): Promise<boolean[]> {
    return this.write(() => this.inner.updateSets(ops));
  }

  scrub(): Promise<void> {
    return this.write(async () => this.inner.scrub?.());
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    await this.inner.close();
  }

  /** Rejects when `fn` has not settled within the operation timeout. */
  private bounded<T>(fn: () => Promise<T>): Promise<T> {
    const ms = this.opts.opTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([fn(), timeout]).finally(() => clearTimeout(timer));
  }

  private async read<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.bounded(fn);
    } catch (err) {
      this.failed(err);
      throw new StoreError('read', err);
    }
  }

  private async write<T>(fn: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await this.bounded(fn);
    } catch (err) {
      this.failed(err);
      throw new StoreError('write', err);
    }
    return result;
  }

  private failed(err: unknown): void {
    this.failures++;
    this.lastError = (err as Error)?.message ?? String(err);
    if (this.failingSince !== undefined) return;
    this.failingSince = (this.opts.now ?? Date.now)();
    this.opts.onChange?.(this.status());
    if (!this.closed && !this.probeTimer) {
      this.probeTimer = setInterval(() => void this.probe(), this.opts.probeEveryMs ?? 5_000);
      this.probeTimer.unref?.();
    }
  }

  private recovered(): void {
    if (this.failingSince === undefined) return;
    this.failingSince = undefined;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.opts.onChange?.(this.status());
  }

  /** Background write-and-read-back while failing. */
  private async probe(): Promise<void> {
    try {
      await verifyBackend(this.inner);
      this.recovered();
    } catch (err) {
      this.lastError = (err as Error)?.message ?? String(err);
    }
  }
}
