import type { Backend } from './backend.ts';
import { destinationKey, parseDestinationKey } from './destination.ts';
import type { Destination } from './types.ts';

export type AddResult = 'added' | 'exists' | 'cap';

/**
 * Subscriptions as sets, so every change is a set add/remove (atomic on Redis across processes,
 * locked per key in-process elsewhere): `subs:<destination>` → symbols, `symsubs:<SYMBOL>` →
 * destinations (the notifier's index), `subsyms` → symbols with at least one subscriber.
 */
export class SubscriptionRepo {
  constructor(
    private readonly backend: Backend,
    private readonly changed: (dest: Destination, symbol: string, subscribed: boolean) => void,
  ) {}

  async add(dest: Destination, symbol: string, opts: { cap?: number } = {}): Promise<AddResult> {
    const key = destinationKey(dest);
    if (opts.cap !== undefined) {
      const current = await this.backend.members(`subs:${key}`);
      if (current.includes(symbol)) return 'exists';
      // Soft cap: two racing subscribes may both pass the check; that is one symbol over, harmless.
      if (current.length >= opts.cap) return 'cap';
    }
    const [added] = await this.backend.updateSets([
      { op: 'add', set: `subs:${key}`, member: symbol },
      { op: 'add', set: `symsubs:${symbol}`, member: key },
      { op: 'add', set: 'subsyms', member: symbol },
    ]);
    if (added) this.changed(dest, symbol, true);
    return added ? 'added' : 'exists';
  }

  async remove(dest: Destination, symbol: string): Promise<boolean> {
    const key = destinationKey(dest);
    const [removed] = await this.backend.updateSets([
      { op: 'remove', set: `subs:${key}`, member: symbol },
      { op: 'remove', set: `symsubs:${symbol}`, member: key },
    ]);
    if (removed) this.changed(dest, symbol, false);
    return removed ?? false;
  }

  async removeAll(dest: Destination): Promise<string[]> {
    const symbols = await this.list(dest);
    const removed: string[] = [];
    for (const s of symbols) if (await this.remove(dest, s)) removed.push(s);
    return removed;
  }

  async list(dest: Destination): Promise<string[]> {
    return (await this.backend.members(`subs:${destinationKey(dest)}`)).sort();
  }

  async subscribersOf(symbol: string): Promise<Destination[]> {
    const keys = await this.backend.members(`symsubs:${symbol}`);
    return keys.map(parseDestinationKey).filter((d): d is Destination => d !== undefined);
  }

  /** Symbols that have (or had) subscribers. */
  async symbols(): Promise<string[]> {
    return (await this.backend.members('subsyms')).sort();
  }
}
