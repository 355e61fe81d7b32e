/**
 * The notifier's in-memory subscription index: subscriptions by symbol, grouped by the settings
 * that shape the proximity band, so a tick evaluates each (symbol, settings group) once — not each
 * subscription. Also the settings and delivery health of every destination the notifier alerts
 * (subscribers, and personal destinations alerted only by sources such as positions). Kept current
 * by the store's change events; rebuilt from the store on start (and periodically on Redis).
 */
import { destinationKey } from '../store/destination.ts';
import type { Kv } from '../store/kv.ts';
import type { AlertSettings } from '../store/settings.ts';
import type { Store, StoreChange } from '../store/store.ts';
import type { Destination } from '../store/types.ts';
import type { ProximityParams } from './rules.ts';

export interface Member {
  key: string;
  dest: Destination;
  settings: AlertSettings;
}

export interface Group {
  params: ProximityParams;
  members: Map<string, Member>;
  /** Zone id → time price entered its band. */
  inside: Map<string, number>;
  /** Zone id → time price last left its band (re-arms the alert). */
  rearmedAt: Map<string, number>;
}

interface Subscriber {
  dest: Destination;
  settings: AlertSettings;
  symbols: Set<string>;
}

const groupKey = (s: AlertSettings) => `${s.proximityPct}|${s.minZoneUsd}`;

export class SubscriptionIndex {
  /** symbol → settings group key → group. */
  readonly bySymbol = new Map<string, Map<string, Group>>();
  /** destination key → settings and subscribed symbols. */
  readonly dests = new Map<string, Subscriber>();
  /** Destinations disabled after repeated delivery failures. */
  readonly disabled = new Set<string>();
  /** Settings of destinations alerted only by sources (no subscription), for mutes and held messages. */
  readonly personal = new Map<string, { dest: Destination; settings: AlertSettings }>();
  private readonly bandKv: Kv<Record<string, Record<string, number>>>;

  constructor(private readonly store: Store) {
    this.bandKv = store.notifyState.bands;
  }

  /** Rebuilds the index from the store, keeping band state for groups that still exist. */
  async reload(): Promise<void> {
    const symbols = await this.store.subscriptions.symbols();
    const bySymbol = await Promise.all(symbols.map((s) => this.store.subscriptions.subscribersOf(s)));
    const destMap = new Map<string, Destination>();
    for (const list of bySymbol) for (const d of list) destMap.set(destinationKey(d), d);
    const destList = [...destMap.values()];
    const settings: AlertSettings[] = [];
    const health: boolean[] = [];
    for (let i = 0; i < destList.length; i += 500) {
      const chunk = destList.slice(i, i + 500);
      settings.push(...(await this.store.settings.getMany(chunk)));
      health.push(...(await this.store.health.getMany(chunk)).map((h) => h.disabled));
    }
    const saved = await this.bandKv.getMany(symbols);
    const previous = new Map(this.bySymbol);
    this.bySymbol.clear();
    this.dests.clear();
    this.disabled.clear();
    destList.forEach((d, i) => {
      const key = destinationKey(d);
      this.dests.set(key, { dest: d, settings: settings[i]!, symbols: new Set() });
      if (health[i]) this.disabled.add(key);
    });
    symbols.forEach((symbol, i) => {
      for (const d of bySymbol[i]!) this.addMember(symbol, destinationKey(d));
      const groups = this.bySymbol.get(symbol);
      if (!groups) return;
      for (const [gk, g] of groups) {
        const old = previous.get(symbol)?.get(gk);
        if (old) {
          g.inside = old.inside;
          g.rearmedAt = old.rearmedAt;
        } else {
          const persisted = saved[i]?.[gk];
          if (persisted) g.inside = new Map(Object.entries(persisted));
        }
      }
    });
  }

  /** Applies a change made through this process's store. */
  async apply(c: StoreChange): Promise<void> {
    const key = destinationKey(c.dest);
    if (c.type === 'subscription') {
      if (!c.subscribed) {
        this.removeMember(c.symbol, key);
        this.dests.get(key)?.symbols.delete(c.symbol);
        return;
      }
      if (!this.dests.has(key)) {
        const [settings, health] = await Promise.all([this.store.settings.get(c.dest), this.store.health.get(c.dest)]);
        this.dests.set(key, { dest: c.dest, settings, symbols: new Set() });
        if (health.disabled) this.disabled.add(key);
      }
      this.addMember(c.symbol, key);
    } else if (c.type === 'settings') {
      const d = this.dests.get(key);
      const settings = await this.store.settings.get(c.dest);
      const p = this.personal.get(key);
      if (p) p.settings = settings;
      if (!d) return;
      const symbols = [...d.symbols];
      for (const s of symbols) this.removeMember(s, key);
      d.settings = settings;
      for (const s of symbols) this.addMember(s, key);
    } else {
      const h = await this.store.health.get(c.dest);
      if (h.disabled) this.disabled.add(key);
      else this.disabled.delete(key);
    }
  }

  /** Every subscriber of a symbol, across settings groups. */
  subscribersOf(symbol: string): Member[] {
    const out: Member[] = [];
    for (const g of this.bySymbol.get(symbol)?.values() ?? []) out.push(...g.members.values());
    return out;
  }

  /** The settings a destination's alerts are decided with (subscriber or personal). */
  settingsOf(destKey: string): AlertSettings | undefined {
    return this.dests.get(destKey)?.settings ?? this.personal.get(destKey)?.settings;
  }

  /** Remembers the settings of a destination alerted only by sources. */
  notePersonal(dest: Destination, settings: AlertSettings): void {
    const key = destinationKey(dest);
    if (!this.dests.has(key)) this.personal.set(key, { dest, settings });
  }

  /** Symbols a destination is subscribed to. */
  symbolsOf(destKey: string): ReadonlySet<string> {
    return this.dests.get(destKey)?.symbols ?? new Set();
  }

  /** The band state of every group (which zones price is inside), to restore if a tick's alerts cannot be persisted. */
  bandState(): Map<Group, Map<string, number>> {
    const out = new Map<Group, Map<string, number>>();
    for (const groups of this.bySymbol.values()) for (const g of groups.values()) out.set(g, g.inside);
    return out;
  }

  restoreBands(saved: Map<Group, Map<string, number>>): void {
    for (const [g, inside] of saved) g.inside = inside;
  }

  /**
   * Forgets band exits at or before `before`. A re-arm only lets an alert through that the dedupe
   * ledger would call a duplicate, so one older than the dedupe window changes nothing; zone ids
   * follow price, so without this the map keeps every zone price ever left.
   */
  pruneRearmed(before: number): void {
    for (const groups of this.bySymbol.values()) for (const g of groups.values()) for (const [id, at] of g.rearmedAt) if (at <= before) g.rearmedAt.delete(id);
  }

  /** Band exits remembered, across groups. */
  rearmedCount(): number {
    let n = 0;
    for (const groups of this.bySymbol.values()) for (const g of groups.values()) n += g.rearmedAt.size;
    return n;
  }

  /** Persists band state (zones price is inside, per group) for the symbols whose bands moved. */
  async persistBands(symbols: Iterable<string>): Promise<void> {
    await Promise.all(
      [...symbols].map((symbol) => {
        const state: Record<string, Record<string, number>> = {};
        for (const [gk, g] of this.bySymbol.get(symbol) ?? []) if (g.inside.size) state[gk] = Object.fromEntries(g.inside);
        return this.bandKv.set(symbol, state);
      }),
    );
  }

  /** /forgetme: drops what the index remembers about a destination beyond its subscriptions. */
  forget(destKey: string): void {
    this.personal.delete(destKey);
    this.disabled.delete(destKey);
    if (this.dests.get(destKey)?.symbols.size === 0) this.dests.delete(destKey);
  }

  private addMember(symbol: string, key: string): void {
    const d = this.dests.get(key);
    if (!d) return;
    d.symbols.add(symbol);
    let groups = this.bySymbol.get(symbol);
    if (!groups) this.bySymbol.set(symbol, (groups = new Map()));
    const gk = groupKey(d.settings);
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = { params: { proximityPct: d.settings.proximityPct, minZoneUsd: d.settings.minZoneUsd }, members: new Map(), inside: new Map(), rearmedAt: new Map() }));
    g.members.set(key, { key, dest: d.dest, settings: d.settings });
  }

  private removeMember(symbol: string, key: string): void {
    const groups = this.bySymbol.get(symbol);
    if (!groups) return;
    for (const [gk, g] of groups) {
      g.members.delete(key);
      if (g.members.size === 0) groups.delete(gk);
    }
    if (groups.size === 0) this.bySymbol.delete(symbol);
  }
}
