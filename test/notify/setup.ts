import type { Caller } from '../../src/bot/command.ts';
import { DEFAULT_SYMBOLS, type SymbolRegistry } from '../../src/market/symbols.ts';
import { ManualClock, runUntilIdle } from '../../src/notify/clock.ts';
import { Notifier, type NotifierOptions } from '../../src/notify/notifier.ts';
import { RecordingAlertSender } from '../../src/notify/recording.ts';
import { createSubscriptionService } from '../../commands/services/subscriptions.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import type { SubscriptionService } from '../../src/bot/services.ts';
import { FakeZones } from './helpers.ts';

export const symbols: SymbolRegistry = {
  tracked: () => [...DEFAULT_SYMBOLS],
  instruments: () => [],
  instrument: () => undefined,
  byVenueSymbol: () => undefined,
  skipped: () => [],
  venuesOf: () => ['binance', 'bybit'],
};

export const T0 = Date.UTC(2026, 2, 14, 12, 0, 0);

export const tgUser = (id = '42'): Caller => ({ platform: 'telegram', userId: id, chatId: id, isPrivate: true, canManage: true });
export const tgGroupAdmin = (chatId = '-100777', userId = '7'): Caller => ({ platform: 'telegram', userId, chatId, isPrivate: false, canManage: true });

export interface Harness {
  store: Store;
  clock: ManualClock;
  zones: FakeZones;
  sender: RecordingAlertSender;
  service: SubscriptionService;
  notifier: Notifier;
  /** One tick, then deliver everything on the manual clock. */
  step(): Promise<Awaited<ReturnType<Notifier['tick']>>>;
  cmd(caller: Caller, command: Parameters<SubscriptionService['handle']>[0], args?: Record<string, string | number | undefined>, sub?: string): ReturnType<SubscriptionService['handle']>;
  close(): Promise<void>;
}

export async function harness(opts: { url?: string; store?: Store; extra?: Partial<NotifierOptions>; sender?: RecordingAlertSender; clock?: ManualClock; zones?: FakeZones } = {}): Promise<Harness> {
  const store = opts.store ?? (await openStore(opts.url ?? 'memory:'));
  const clock = opts.clock ?? new ManualClock(T0);
  const zones = opts.zones ?? new FakeZones();
  const sender = opts.sender ?? new RecordingAlertSender('telegram', { now: clock.now });
  const service = createSubscriptionService({ store, symbols, now: clock.now });
  const notifier = new Notifier({ store, zones, senders: [sender], now: clock.now, sleep: clock.sleep, ...opts.extra });
  return {
    store,
    clock,
    zones,
    sender,
    service,
    notifier,
    async step() {
      const r = await notifier.tick();
      await runUntilIdle(notifier.delivery, clock);
      return r;
    },
    cmd: (caller, command, args = {}, sub) => service.handle(command, caller, args, sub),
    async close() {
      await notifier.stop();
      await store.close();
    },
  };
}
