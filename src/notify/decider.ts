/**
 * The decider: turns a tick's candidate alerts into outbox messages and commits them. Subscription
 * alerts (rules.ts `decide`) and personal alerts from sources (sources.ts `decideSourced`) are
 * decided against the same bookkeeping — the dedupe ledger, cooldown stamps, daily counters — and
 * leave through the one `commit(messages)` path: /forgetme index → outbox (open set, record,
 * ledger) → cooldown and daily counters → delivery. Nothing is handed to delivery before its outbox
 * record is persisted (see src/store/outbox.ts for the guarantee).
 *
 * The bookkeeping is cached in memory and read from the store only for destinations that have
 * candidates in a tick; the caches are pruned by age.
 */
import { destinationKey } from '../store/destination.ts';
import type { Kv } from '../store/kv.ts';
import type { LedgerEntry } from '../store/outbox.ts';
import { ALERT_KINDS } from '../store/settings.ts';
import type { Store } from '../store/store.ts';
import type { Destination } from '../store/types.ts';
import { cooldownKey, dayKey, ownedBy, utcDay } from './keys.ts';
import { newMessage } from './messages.ts';
import type { AlertMessage } from './queue.ts';
import { decide, type Candidate, type SuppressReason } from './rules.ts';
import { decideSourced, type SourcedAlert } from './sources.ts';
import type { SubscriptionIndex } from './subscription-index.ts';

/** Days the /forgetme index keeps a day's message ids (longer than the longest mute plus retention). */
export const ERASE_INDEX_DAYS = 35;
/** Longest cooldown /alerts accepts. */
const MAX_COOLDOWN_MS = 1440 * 60_000;
const DAY_MS = 86_400_000;

/** What one decision round did, added into the tick's result. */
export interface DecisionTally {
  candidates: number;
  /** Alerts accepted into messages. */
  decided: number;
  suppressed: Partial<Record<SuppressReason, number>>;
}

export interface DeciderOptions {
  store: Store;
  index: SubscriptionIndex;
  /** Same dedupe key within this window is a duplicate unless the band re-armed. */
  dedupeWindowMs: number;
  /** Hands a committed message to delivery (queue, or held while muted). */
  deliver(m: AlertMessage): void;
}

export class Decider {
  readonly ledgerCache = new Map<string, LedgerEntry | null>();
  readonly lastCache = new Map<string, number | null>();
  readonly dayCache = new Map<string, number>();
  /** `destination|symbol` told about a conflict that has not resolved yet. */
  readonly conflictNotified = new Set<string>();
  private readonly lastKv: Kv<number>;
  private readonly dayKv: Kv<number>;
  private readonly eraseKv: Kv<string[]>;
  /** Cooldown stamps and daily counters decided but not yet written. */
  private readonly lastWrites = new Map<string, number>();
  private readonly dayWrites = new Map<string, number>();
  private readonly store: Store;

  constructor(private readonly opts: DeciderOptions) {
    this.store = opts.store;
    this.lastKv = this.store.notifyState.cooldowns;
    this.dayKv = this.store.notifyState.dayCounts;
    this.eraseKv = this.store.notifyState.eraseIndex;
  }

  /** An open message recovered from the outbox at start: its keys are decided. */
  recovered(m: AlertMessage): void {
    for (const k of m.keys) this.ledgerCache.set(k, { messageId: m.id, decidedAt: m.createdAt });
  }

  /** Whether a destination was told about a conflict on a symbol that has not resolved yet. */
  toldConflict(destKey: string, symbol: string): boolean {
    return this.conflictNotified.has(`${destKey}|${symbol}`);
  }

  /** Subscription alerts: at most one message per destination (a digest when several coincide). */
  async decideSubscriptions(byDest: Map<string, Candidate[]>, t: number): Promise<{ messages: AlertMessage[]; tally: DecisionTally }> {
    const tally: DecisionTally = { candidates: 0, decided: 0, suppressed: {} };
    const messages: AlertMessage[] = [];
    if (byDest.size === 0) return { messages, tally };
    const { index } = this.opts;
    const day = utcDay(t);
    const lastKeys = new Set<string>();
    const ledgerKeys: string[] = [];
    for (const [dk, cs] of byDest) {
      tally.candidates += cs.length;
      for (const c of cs) {
        const lk = cooldownKey(dk, c.symbol, c.kind);
        if (!this.lastCache.has(lk)) lastKeys.add(lk);
        if (!this.ledgerCache.has(c.key)) ledgerKeys.push(c.key);
      }
    }
    await this.loadBookkeeping([...byDest.keys()], day, ledgerKeys, [...lastKeys]);

    for (const [dk, cs] of byDest) {
      const d = index.dests.get(dk);
      if (!d) continue;
      const sentToday = this.dayCache.get(dayKey(dk, day)) ?? 0;
      const decision = decide(
        cs,
        {
          settings: d.settings,
          disabled: index.disabled.has(dk),
          lastAlertAt: (symbol, kind) => this.lastCache.get(cooldownKey(dk, symbol, kind)) ?? undefined,
          sentToday,
          ledger: (key) => this.ledgerCache.get(key) ?? undefined,
        },
        t,
        { dedupeWindowMs: this.opts.dedupeWindowMs },
      );
      for (const s of decision.suppressed) tally.suppressed[s.reason] = (tally.suppressed[s.reason] ?? 0) + 1;
      if (decision.accepted.length === 0) continue;
      const msg = newMessage(d.dest, t, decision.accepted, { silent: decision.silent, holdUntil: decision.holdUntil, lastOfDay: decision.lastOfDay });
      messages.push(msg);
      tally.decided += decision.accepted.length;
      for (const c of decision.accepted) {
        this.ledgerCache.set(c.key, { messageId: msg.id, decidedAt: t });
        this.stampCooldown(cooldownKey(dk, c.symbol, c.kind), t);
        if (c.kind === 'conflict' && c.payload.kind === 'conflict') {
          if (c.payload.phase === 'start') this.conflictNotified.add(`${dk}|${c.symbol}`);
          else this.conflictNotified.delete(`${dk}|${c.symbol}`);
        }
      }
      this.countDay(dayKey(dk, day), sentToday + 1);
    }
    return { messages, tally };
  }

  /** Personal alerts from sources: urgent ones in their own message, the rest as one. */
  async decideSourced(byDest: Map<string, SourcedAlert[]>, t: number): Promise<{ messages: AlertMessage[]; tally: DecisionTally }> {
    const tally: DecisionTally = { candidates: 0, decided: 0, suppressed: {} };
    const messages: AlertMessage[] = [];
    if (byDest.size === 0) return { messages, tally };
    const { index } = this.opts;
    const day = utcDay(t);
    const destKeys = [...byDest.keys()];
    const dests = destKeys.map((dk) => byDest.get(dk)![0]!.dest);
    const ledgerKeys = [...byDest.values()].flat().map((a) => a.key).filter((k) => !this.ledgerCache.has(k));
    const [settings, health] = await Promise.all([this.store.settings.getMany(dests), this.store.health.getMany(dests), this.loadBookkeeping(destKeys, day, ledgerKeys, [])]);

    destKeys.forEach((dk, i) => {
      const dest = dests[i]!;
      const alerts = byDest.get(dk)!;
      tally.candidates += alerts.length;
      index.notePersonal(dest, settings[i]!);
      let sentToday = this.dayCache.get(dayKey(dk, day)) ?? 0;
      const decision = decideSourced(
        alerts,
        { settings: settings[i]!, disabled: index.disabled.has(dk) || health[i]!.disabled, sentToday, ledger: (k) => this.ledgerCache.get(k) ?? undefined },
        t,
        { dedupeWindowMs: this.opts.dedupeWindowMs },
      );
      for (const s of decision.suppressed) tally.suppressed[s.reason] = (tally.suppressed[s.reason] ?? 0) + 1;
      const make = (list: SourcedAlert[], opts: Parameters<typeof newMessage>[3]): void => {
        const msg = newMessage(dest, t, list, opts);
        messages.push(msg);
        tally.decided += list.length;
        for (const a of list) this.ledgerCache.set(a.key, { messageId: msg.id, decidedAt: t });
        sentToday++;
      };
      // Liquidation risk goes out on its own, with notification, whatever the quiet hours or mute.
      if (decision.urgent.length) make(decision.urgent, {});
      if (decision.normal.length) make(decision.normal, { silent: decision.silent, holdUntil: decision.holdUntil, lastOfDay: decision.lastOfDay });
      if (sentToday !== (this.dayCache.get(dayKey(dk, day)) ?? 0)) this.countDay(dayKey(dk, day), sentToday);
    });
    return { messages, tally };
  }

  /**
   * The one way out: persists the messages (/forgetme index, then the outbox: open set → record →
   * ledger), then the cooldown stamps and daily counters decided with them, then hands each message
   * to delivery. If persisting throws, nothing is delivered, the messages are forgotten as decided
   * (a later tick may decide them again) and the error reaches the caller.
   */
  async commit(messages: AlertMessage[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.indexErasable(messages);
      await this.store.outbox.putMany(messages);
    } catch (err) {
      this.forgetDecided(messages);
      throw err;
    }
    const last = [...this.lastWrites];
    const days = [...this.dayWrites];
    this.lastWrites.clear();
    this.dayWrites.clear();
    await this.store.notifyState.putBookkeeping(last, this.opts.dedupeWindowMs + DAY_MS, days, 2 * DAY_MS);
    for (const m of messages) this.opts.deliver(m);
  }

  /**
   * Bounds the decision caches: ledger entries past the dedupe window and cooldown stamps past the
   * longest cooldown can no longer suppress anything (the store expires them too); other days'
   * counters are done. Entries known to be absent are dropped as well (they are re-read if needed).
   */
  prune(t: number): void {
    for (const [k, v] of this.ledgerCache) if (v === null || v.decidedAt < t - this.opts.dedupeWindowMs) this.ledgerCache.delete(k);
    for (const [k, v] of this.lastCache) if (v === null || v < t - MAX_COOLDOWN_MS) this.lastCache.delete(k);
    const today = `|${utcDay(t)}`;
    for (const k of this.dayCache.keys()) if (!k.endsWith(today)) this.dayCache.delete(k);
  }

  /**
   * /forgetme: forgets a destination's decisions — in memory, and on the store its outbox records
   * (found through the erase index) with their ledger keys, its cooldown stamps for `symbols` and
   * its daily counters. Returns the number of outbox records deleted.
   */
  async forget(dest: Destination, symbols: Iterable<string>, now: number): Promise<number> {
    const dk = destinationKey(dest);
    for (const cache of [this.ledgerCache, this.lastCache, this.dayCache] as Map<string, unknown>[]) for (const k of cache.keys()) if (ownedBy(k, dk)) cache.delete(k);
    for (const k of this.conflictNotified) if (ownedBy(k, dk)) this.conflictNotified.delete(k);
    for (const k of this.lastWrites.keys()) if (ownedBy(k, dk)) this.lastWrites.delete(k);
    for (const k of this.dayWrites.keys()) if (ownedBy(k, dk)) this.dayWrites.delete(k);

    const today = Date.parse(`${utcDay(now)}T00:00:00Z`);
    const days = Array.from({ length: ERASE_INDEX_DAYS + 1 }, (_, i) => utcDay(today - i * DAY_MS));
    const indexKeys = days.map((d) => dayKey(dk, d));
    const ids = (await this.eraseKv.getMany(indexKeys)).flatMap((list) => list ?? []);
    await this.store.outbox.deleteMessages(ids);
    // Cooldown stamps are per symbol and kind, day counters per day: both keys are known without an index.
    await Promise.all([
      ...[...symbols].flatMap((s) => ALERT_KINDS.map((kind) => this.lastKv.delete(cooldownKey(dk, s, kind)))),
      ...days.map((d) => this.dayKv.delete(dayKey(dk, d))),
      ...indexKeys.map((k) => this.eraseKv.delete(k)),
    ]);
    return ids.length;
  }

  /**
   * Undoes the in-memory bookkeeping of messages that could not be persisted: they were never
   * decided as far as the store knows, so the caches must not call them duplicates (or count them).
   */
  private forgetDecided(messages: AlertMessage[]): void {
    for (const m of messages) for (const k of m.keys) this.ledgerCache.delete(k);
    for (const k of this.lastWrites.keys()) this.lastCache.delete(k);
    for (const k of this.dayWrites.keys()) this.dayCache.delete(k);
    this.lastWrites.clear();
    this.dayWrites.clear();
  }

  private stampCooldown(key: string, t: number): void {
    this.lastCache.set(key, t);
    this.lastWrites.set(key, t);
  }

  private countDay(key: string, n: number): void {
    this.dayCache.set(key, n);
    this.dayWrites.set(key, n);
  }

  /** Reads the ledger entries, cooldown stamps and today's counters not cached yet. */
  private async loadBookkeeping(destKeys: string[], day: string, ledgerKeys: string[], lastKeys: string[]): Promise<void> {
    const dayKeys = destKeys.map((dk) => dayKey(dk, day)).filter((k) => !this.dayCache.has(k));
    const [lastVals, dayVals, ledgerVals] = await Promise.all([this.lastKv.getMany(lastKeys), this.dayKv.getMany(dayKeys), this.store.outbox.ledger(ledgerKeys)]);
    lastKeys.forEach((k, i) => this.lastCache.set(k, lastVals[i] ?? null));
    dayKeys.forEach((k, i) => this.dayCache.set(k, dayVals[i] ?? 0));
    ledgerKeys.forEach((k, i) => this.ledgerCache.set(k, ledgerVals[i] ?? null));
  }

  /**
   * Records, per personal destination and UTC day, the ids of the outbox messages decided for it
   * (`erase:<destination>|<day>`, expiring after ERASE_INDEX_DAYS), so /forgetme can find them
   * and, through each record, its ledger keys: those namespaces cannot be listed. Written before
   * the messages themselves; a crash in between leaves an id naming nothing, which is harmless.
   */
  private async indexErasable(messages: AlertMessage[]): Promise<void> {
    const ids = new Map<string, string[]>();
    for (const m of messages) {
      if (m.dest.kind !== 'user') continue;
      const key = dayKey(m.destKey, utcDay(m.createdAt));
      const list = ids.get(key);
      if (list) list.push(m.id);
      else ids.set(key, [m.id]);
    }
    await this.store.notifyState.appendErasable(ids, ERASE_INDEX_DAYS * DAY_MS);
  }
}
