import { openBackend, verifyBackend, type Backend, type BackendKind } from './backend.ts';
import { MonitoredBackend, type MonitorOptions, type StoreStatus } from './monitor.ts';
import { HealthRepo, type DestinationHealth } from './health.ts';
import { NotifyStateRepo } from './notify-state.ts';
import { Kv, type KvOptions } from './kv.ts';
import { OutboxRepo, type LedgerEntry, type OutboxMessage } from './outbox.ts';
import { SettingsRepo } from './settings-repo.ts';
import { SubscriptionRepo } from './subscriptions.ts';
import type { Destination } from './types.ts';
import type { LogFn } from '../ops/log.ts';
import { parseWeightState, type WeightStore } from './weights.ts';
import { kvCalibrationStore } from './calibration.ts';
import type { CalibrationStore } from '../engine/ports.ts';

/** What changed in the store, for in-process listeners (the notifier keeps its index current). */
export type StoreChange =
  | { type: 'subscription'; dest: Destination; symbol: string; subscribed: boolean }
  | { type: 'settings'; dest: Destination }
  | { type: 'health'; dest: Destination };

/** Who set up a channel destination (told when it gets disabled). */
export interface DestinationOwner {
  platform: Destination['platform'];
  userId: string;
  at: number;
}

/**
 * liqzone's persistent state on keyv: subscriptions, per-destination settings, the alert
 * outbox + dedupe ledger, destination health, and `kv(namespace)` for other features
 * (positions, learned weights).
 */
export const SWEEP_EVERY_MS = 10 * 60_000;

export class Store {
  readonly subscriptions: SubscriptionRepo;
  readonly settings: SettingsRepo;
  readonly health: HealthRepo;
  readonly outbox: OutboxRepo;
  readonly owners: Kv<DestinationOwner>;
  /** The notifier's cooldowns, daily counters, band state and /forgetme index. */
  readonly notifyState: NotifyStateRepo;
  /** The signal engine's learned weights (one key). */
  readonly weights: WeightStore;
  /** The zone engine's leverage-mix calibration. */
  readonly calibration: CalibrationStore;
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private closed = false;
  private readonly sweepTimer: ReturnType<typeof setInterval>;

  /** The backend, wrapped: every failure rejects with a StoreError and shows in `status()`. */
  readonly backend: MonitoredBackend;

  constructor(backend: Backend, opts: MonitorOptions = {}) {
    this.backend = backend instanceof MonitoredBackend ? backend : new MonitoredBackend(backend, opts);
    backend = this.backend;
    const emit = (c: StoreChange) => {
      for (const l of this.listeners) l(c);
    };
    this.subscriptions = new SubscriptionRepo(backend, (dest, symbol, subscribed) => emit({ type: 'subscription', dest, symbol, subscribed }));
    this.settings = new SettingsRepo(this.kv('settings', { indexed: false }), (dest) => emit({ type: 'settings', dest }));
    this.health = new HealthRepo(this.kv<DestinationHealth>('health', { indexed: false }), (dest) => emit({ type: 'health', dest }));
    this.outbox = new OutboxRepo(backend, this.kv<OutboxMessage>('outbox', { indexed: false }), this.kv<LedgerEntry>('ledger', { indexed: false }));
    this.owners = this.kv<DestinationOwner>('owners', { indexed: false });
    this.notifyState = new NotifyStateRepo(backend);
    const weights = this.kv<unknown>('weights', { indexed: false });
    this.calibration = kvCalibrationStore(this.kv<unknown>('calibration'));
    this.weights = { load: async () => parseWeightState(await weights.get('signals')), save: (s) => weights.set('signals', s) };
    // Expired values leave memory and SQLite on a timer, not only when read again (a failure shows in status()).
    this.sweepTimer = setInterval(() => void this.sweepExpired().catch(() => undefined), SWEEP_EVERY_MS);
    this.sweepTimer.unref?.();
  }

  /** Deletes values past their time to live now (memory, SQLite; Redis expires keys itself); returns how many. */
  async sweepExpired(now = Date.now()): Promise<number> {
    return this.backend.sweepExpired(now);
  }

  get kind(): BackendKind {
    return this.backend.kind;
  }

  /** Whether the store works right now (failing since when, last error); for /healthz and /status. */
  status(): StoreStatus {
    return this.backend.status();
  }

  /** A namespaced repository; namespaces are letters, digits, `_ . -`. */
  kv<T>(namespace: string, opts?: KvOptions): Kv<T> {
    return new Kv<T>(this.backend, namespace, opts);
  }

  /**
   * Deletes what the store keeps about a destination besides its subscriptions (remove those
   * first with `subscriptions.removeAll`) and its outbox records (`outbox.forget`): its settings
   * and its delivery health.
   */
  async forgetDestination(dest: Destination): Promise<void> {
    await this.settings.forget(dest);
    await this.health.forget(dest);
  }

  /** Listens to changes made through this Store instance; returns the unsubscribe function. */
  onChange(listener: (c: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.listeners.clear();
    await this.backend.close();
  }
}

/**
 * Opens the store named by STORE_URL (`sqlite://PATH`, `redis://HOST:PORT`, or `memory:`) and
 * checks it works: a value is written, read back and deleted. Rejects with a
 * StoreUnavailableError naming the store and what failed.
 */
export async function openStore(url: string, opts: { connectTimeoutMs?: number; log?: LogFn } & MonitorOptions = {}): Promise<Store> {
  const backend = await openBackend(url, opts);
  try {
    await verifyBackend(backend);
  } catch (err) {
    await backend.close().catch(() => {});
    throw err;
  }
  const log = opts.log;
  const onChange = opts.onChange ?? (log ? (st: StoreStatus) => (st.ok ? log('info', `store ${st.store} works again`) : log('error', `store ${st.store} is failing: ${st.lastError}; commands that save answer with an error until it recovers`)) : undefined);
  return new Store(backend, { ...opts, onChange });
}
