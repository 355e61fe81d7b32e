/**
 * A position watcher wired into a real Notifier on a manual clock, with a recording sender and a
 * controllable zone service (real exit planner), for the alert, privacy and restart tests.
 */
import type { Caller } from '../../src/bot/command.ts';
import type { Reply } from '../../src/bot/reply.ts';
import { ManualClock, runUntilIdle } from '../../src/notify/clock.ts';
import { Notifier, type NotifierOptions, type TickResult } from '../../src/notify/notifier.ts';
import { RecordingAlertSender } from '../../src/notify/recording.ts';
import type { AlertPayload, PositionAlertPayload } from '../../src/notify/rules.ts';
import { createPositionService, type PositionFeature } from '../../commands/services/positions.ts';
import { createSubscriptionService } from '../../commands/services/subscriptions.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import type { SubscriptionService } from '../../src/bot/services.ts';
import { signalSnapshot } from '../notify/helpers.ts';
import { symbols } from '../notify/setup.ts';
import { PlanningZones, type ZoneSpec } from './support.ts';

/** 12:00 UTC. */
export const T0 = Date.UTC(2026, 2, 14, 12, 0, 0);

export const TARGETS: ZoneSpec[] = [
  { id: 'ETH:S:3100', side: 'short', low: 3100, high: 3120, usd: 40e6, rank: 1 },
  { id: 'ETH:S:3200', side: 'short', low: 3200, high: 3220, usd: 30e6, rank: 2 },
];

export interface PositionHarness {
  store: Store;
  clock: ManualClock;
  zones: PlanningZones;
  sender: RecordingAlertSender;
  positions: PositionFeature;
  subscriptions: SubscriptionService;
  notifier: Notifier;
  signal: { conflicted: boolean };
  /** Sets the price (and zones), advances 10 s, ticks, delivers everything. */
  step(price: number, zones?: ZoneSpec[]): Promise<TickResult>;
  cmd(caller: Caller, command: 'position' | 'forgetme', args?: Record<string, string | number | undefined>, sub?: string): Promise<Reply>;
  /** Position payloads delivered so far, with their delivery. */
  positionAlerts(): { payload: PositionAlertPayload; silent: boolean; dest: string }[];
  close(): Promise<void>;
}

export async function positionHarness(opts: { url?: string; store?: Store; clock?: ManualClock; zones?: PlanningZones; sender?: RecordingAlertSender; extra?: Partial<NotifierOptions> } = {}): Promise<PositionHarness> {
  const store = opts.store ?? (await openStore(opts.url ?? 'memory:'));
  const clock = opts.clock ?? new ManualClock(T0);
  const zones = opts.zones ?? new PlanningZones();
  if (!zones.snapshot('ETH')) zones.set('ETH', 3000, TARGETS);
  const sender = opts.sender ?? new RecordingAlertSender('telegram', { now: clock.now });
  const signal = { conflicted: false };
  const positions = createPositionService({ store, zones, now: clock.now, symbols });
  const subscriptions = createSubscriptionService({ store, symbols, now: clock.now });
  const notifier = new Notifier({
    store,
    zones,
    signals: { snapshot: (s) => signalSnapshot(s, signal.conflicted ? [0.5, -0.4, 0.3] : [0.3, 0.2, 0.4], signal.conflicted, clock.now()) },
    senders: [sender],
    now: clock.now,
    sleep: clock.sleep,
    sources: [positions.watcher],
    ...opts.extra,
  });
  positions.addEraser((dest) => notifier.forgetDestination(dest));
  return {
    store,
    clock,
    zones,
    sender,
    positions,
    subscriptions,
    notifier,
    signal,
    async step(price, z) {
      zones.set('ETH', price, z);
      clock.advanceBy(10_000);
      zones.t = clock.now();
      const r = await notifier.tick();
      await runUntilIdle(notifier.delivery, clock);
      return r;
    },
    cmd: (caller, command, args = {}, sub) => positions.handle(command, caller, args, sub),
    positionAlerts() {
      return sender.delivered.flatMap((d) =>
        ((d.reply.data as { alerts?: AlertPayload[] } | undefined)?.alerts ?? [])
          .filter((a): a is PositionAlertPayload => a.kind === 'position')
          .map((payload) => ({ payload, silent: d.silent, dest: `${d.dest.platform}:${d.dest.kind}:${d.dest.id}` })),
      );
    },
    async close() {
      await notifier.stop();
      await store.close();
    },
  };
}
