import { openBackend, type Backend, type BackendKind } from './backend.ts';
import { HealthRepo, type DestinationHealth } from './health.ts';
import { Kv, type KvOptions } from './kv.ts';
import { OutboxRepo, type LedgerEntry, type OutboxMessage } from './outbox.ts';
import { SettingsRepo } from './settings-repo.ts';
import { SubscriptionRepo } from './subscriptions.ts';
import type { Destination } from './types.ts';
import type { LogFn } from '../ops/log.ts';

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
export class Store {
  readonly subscriptions: SubscriptionRepo;
  readonly settings: SettingsRepo;
  readonly health: HealthRepo;
  readonly outbox: OutboxRepo;
  readonly owners: Kv<DestinationOwner>;
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private closed = false;

  constructor(readonly backend: Backend) {
    const emit = (c: StoreChange) => {
      for (const l of this.listeners) l(c);
    };
    this.subscriptions = new SubscriptionRepo(backend, (dest, symbol, subscribed) => emit({ type: 'subscription', dest, symbol, subscribed }));
    this.settings = new SettingsRepo(this.kv('settings', { indexed: false }), (dest) => emit({ type: 'settings', dest }));
    this.health = new HealthRepo(this.kv<DestinationHealth>('health', { indexed: false }), (dest) => emit({ type: 'health', dest }));
    this.outbox = new OutboxRepo(backend, this.kv<OutboxMessage>('outbox', { indexed: false }), this.kv<LedgerEntry>('ledger', { indexed: false }));
    this.owners = this.kv<DestinationOwner>('owners', { indexed: false });
  }

  get kind(): BackendKind {
    return this.backend.kind;
  }

  /** A namespaced repository; namespaces are letters, digits, `_ . -`. */
  kv<T>(namespace: string, opts?: KvOptions): Kv<T> {
    return new Kv<T>(this.backend, namespace, opts);
  }

  /** Listens to changes made through this Store instance; returns the unsubscribe function. */
  onChange(listener: (c: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.backend.close();
  }
}

/** Opens the store named by STORE_URL: `sqlite://PATH`, `redis://HOST:PORT`, or `memory:`. */
export async function openStore(url: string, opts: { connectTimeoutMs?: number; log?: LogFn } = {}): Promise<Store> {
  return new Store(await openBackend(url, opts));
}
