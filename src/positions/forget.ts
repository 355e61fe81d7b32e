/**
 * /forgetme: deletes every key liqzone stores about one user — positions and their watch state,
 * personal subscriptions, personal alert settings, delivery health, channel-owner records naming
 * the user, and (through the erasers, i.e. the notifier) the outbox records, ledger entries and
 * counters of their personal destination.
 */
import type { Platform } from '../bot/command.ts';
import { destinationKey, personalDestination } from '../store/destination.ts';
import type { Store } from '../store/store.ts';
import type { Destination } from '../store/types.ts';
import { userKey, type PositionRepo } from './repo.ts';

/** Deletes what another component stores about a personal destination; resolves when done. */
export type Eraser = (dest: Destination) => Promise<unknown>;

export interface ForgetReport {
  positions: number;
  subscriptions: string[];
  /** Channels/groups the user had set up alerts for (their owner record is gone; the subscription stays). */
  ownedChannels: number;
}

export interface StoredAbout {
  positions: number;
  subscriptions: string[];
}

/** What /forgetme would delete, for the confirmation prompt. */
export async function storedAbout(store: Store, repo: PositionRepo, platform: Platform, userId: string): Promise<StoredAbout> {
  const dest = personalDestination({ platform, userId, chatId: userId });
  const [positions, subscriptions] = await Promise.all([repo.list(platform, userId), store.subscriptions.list(dest)]);
  return { positions: positions.length, subscriptions };
}

export async function forgetUser(store: Store, repo: PositionRepo, platform: Platform, userId: string, erasers: readonly Eraser[]): Promise<ForgetReport> {
  const dest = personalDestination({ platform, userId, chatId: userId });
  // Positions first, so no watcher tick alerts about them again; subscriptions next (the
  // notifier's index follows), then the notifier forgets its part, then settings and health.
  const positions = await repo.forget(platform, userId);
  const subscriptions = await store.subscriptions.removeAll(dest);
  for (const erase of erasers) await erase(dest);
  await store.forgetDestination(dest);
  // A tick that was running during the first step may have written the watch state back.
  await repo.watch.delete(userKey(platform, userId));
  const ownedChannels = await forgetOwnerships(store, platform, userId);
  // Deleted pages are zeroed (secure_delete); the write-ahead log may still hold older copies.
  await store.backend.scrub();
  return { positions, subscriptions, ownedChannels };
}

/** Channel-owner records (who set up a channel's alerts) that name the user. */
async function forgetOwnerships(store: Store, platform: Platform, userId: string): Promise<number> {
  const channels = new Map<string, Destination>();
  for (const symbol of await store.subscriptions.symbols()) {
    for (const d of await store.subscriptions.subscribersOf(symbol)) if (d.kind === 'channel' && d.platform === platform) channels.set(destinationKey(d), d);
  }
  let n = 0;
  for (const key of channels.keys()) {
    const owner = await store.owners.get(key);
    if (owner && owner.platform === platform && owner.userId === userId) {
      await store.owners.delete(key);
      n++;
    }
  }
  return n;
}
