import type { Platform } from '../bot/command.ts';
import type { Kv } from '../store/kv.ts';
import type { Store } from '../store/store.ts';
import type { Destination } from '../store/types.ts';
import type { WatchState } from './rules.ts';
import type { Position, StoredPlan, UserPositions } from './types.ts';

/** Store key of a user: `telegram:42`, `discord:1290…`, `console:console`. */
export function userKey(platform: Platform, userId: string): string {
  return `${platform}:${userId}`;
}

/** The personal destination position alerts go to (Discord DM, Telegram private chat, console). */
export function ownerDestination(u: Pick<UserPositions, 'platform' | 'userId'>): Destination {
  return { platform: u.platform, kind: 'user', id: u.userId };
}

export type AddOutcome = { ok: true; position: Position } | { ok: false; reason: 'cap'; count: number };

/**
 * Positions on the store: `positions:<user>` (indexed, so the watcher can list every user) holds
 * a user's positions; `position-watch:<user>` holds the watcher's per-position alert state.
 * Writes go through the per-key lock, so concurrent commands of one user cannot lose an update.
 */
export class PositionRepo {
  readonly positions: Kv<UserPositions>;
  readonly watch: Kv<Record<string, WatchState>>;

  constructor(store: Store) {
    this.positions = store.kv<UserPositions>('positions');
    this.watch = store.kv<Record<string, WatchState>>('position-watch', { indexed: false });
  }

  async list(platform: Platform, userId: string): Promise<Position[]> {
    return (await this.positions.get(userKey(platform, userId)))?.positions ?? [];
  }

  async add(platform: Platform, userId: string, fields: Omit<Position, 'id'>, cap: number): Promise<AddOutcome> {
    let outcome: AddOutcome | undefined;
    await this.positions.update(userKey(platform, userId), (cur) => {
      const u: UserPositions = cur ?? { platform, userId, nextId: 1, positions: [] };
      if (u.positions.length >= cap) {
        outcome = { ok: false, reason: 'cap', count: u.positions.length };
        return cur;
      }
      const position: Position = { id: u.nextId, ...fields };
      outcome = { ok: true, position };
      return { ...u, nextId: u.nextId + 1, positions: [...u.positions, position] };
    });
    return outcome!;
  }

  async close(platform: Platform, userId: string, id: number): Promise<Position | undefined> {
    let closed: Position | undefined;
    await this.positions.update(userKey(platform, userId), (cur) => {
      closed = cur?.positions.find((p) => p.id === id);
      if (!cur || !closed) return cur;
      return { ...cur, positions: cur.positions.filter((p) => p.id !== id) };
    });
    if (closed) {
      await this.watch.update(userKey(platform, userId), (cur) => {
        if (!cur || !(id in cur)) return cur;
        const { [id]: _gone, ...rest } = cur;
        return Object.keys(rest).length ? rest : undefined;
      });
    }
    return closed;
  }

  /**
   * Stores a position's plan. With `onlyIfMissing` (the one-time backfill of positions stored before
   * plans existed) a plan already there wins, so two readers racing cannot store two different plans.
   * Returns the plan now stored, or undefined when the position is gone.
   */
  async setPlan(platform: Platform, userId: string, id: number, plan: StoredPlan, onlyIfMissing = false): Promise<StoredPlan | undefined> {
    let stored: StoredPlan | undefined;
    await this.positions.update(userKey(platform, userId), (cur) => {
      const p = cur?.positions.find((x) => x.id === id);
      if (!cur || !p) return cur;
      if (onlyIfMissing && p.plan) {
        stored = p.plan;
        return cur;
      }
      stored = plan;
      return { ...cur, positions: cur.positions.map((x) => (x.id === id ? { ...x, plan, liquidationPrice: plan.liquidationPrice } : x)) };
    });
    return stored;
  }

  /** Marks a position as likely liquidated (its liquidation price was crossed): no more alerts for it. */
  async markLikelyLiquidated(platform: Platform, userId: string, id: number, at: number): Promise<void> {
    await this.positions.update(userKey(platform, userId), (cur) => {
      if (!cur?.positions.some((x) => x.id === id && x.likelyLiquidatedAt === undefined)) return cur;
      return { ...cur, positions: cur.positions.map((x) => (x.id === id ? { ...x, likelyLiquidatedAt: at } : x)) };
    });
  }

  /** Every user with stored positions. */
  async all(): Promise<[string, UserPositions][]> {
    return this.positions.entries();
  }

  /** Deletes a user's positions and watch state; returns how many positions there were. */
  async forget(platform: Platform, userId: string): Promise<number> {
    const key = userKey(platform, userId);
    const count = (await this.positions.get(key))?.positions.length ?? 0;
    await this.positions.delete(key);
    await this.watch.delete(key);
    return count;
  }
}
