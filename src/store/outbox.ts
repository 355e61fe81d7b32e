/**
 * Alert outbox and dedupe ledger.
 *
 * DELIVERY GUARANTEE (what survives a crash or restart):
 *
 *   decide → persist → mark sending → send → mark sent
 *
 * 1. Decide: the notifier turns rule hits into at most one message per destination per tick.
 * 2. Persist: the message id joins the open set, then the record is written (state `queued`, or
 *    `held` while the destination is muted), then every alert's dedupe key
 *    (destination, symbol, zone id, kind) goes into the ledger. Only then is it handed to the
 *    delivery queue. A crash before the record exists loses nothing the user could miss: no alert
 *    was decided, and the next tick decides it again.
 * 3. Before each attempt the record is marked `sending` (attempt count persisted).
 * 4. The sender gets the message id as its idempotency key.
 * 5. After a successful send the record is marked `sent` (kept for the retention window as the
 *    ledger's evidence) and leaves the open set.
 *
 * On restart every open record (`queued`, `held`, `sending`) is re-enqueued in creation order and
 * its ledger keys are rewritten, and the ledger stops the new notifier deciding the same alert
 * again. So: every decided alert is attempted at least once (never lost), and decided exactly once.
 * A crash between send and mark re-sends the message on restart: the user still sees it once
 * where the platform deduplicates by idempotency key (Discord message nonce + enforce_nonce); on
 * Telegram, whose sendMessage has no idempotency key, that window (one HTTP request) can show a
 * duplicate. We prefer a rare duplicate to a lost warning.
 * Not covered: a SignalEvent/SweepEvent received but not yet evaluated by a tick when the process
 * dies — no alert had been decided from it yet.
 */
import { setMany, type Backend, type SetEntry } from './backend.ts';
import type { Kv } from './kv.ts';
import type { Destination } from './types.ts';

export type OutboxState = 'held' | 'queued' | 'sending' | 'sent' | 'failed' | 'dropped';
export const OPEN_STATES: readonly OutboxState[] = ['held', 'queued', 'sending'];

export interface OutboxMessage<A = unknown> {
  id: string;
  destKey: string;
  dest: Destination;
  createdAt: number;
  /** Dedupe keys of the alerts in this message. */
  keys: string[];
  /** Alert payloads (rendered to a Reply at delivery time). */
  alerts: A[];
  state: OutboxState;
  /** Quiet hours: deliver without a notification. */
  silent: boolean;
  /** Muted: not before this time. */
  holdUntil?: number;
  attempts: number;
  sentAt?: number;
  /** When the last attempt's request started (the `sending` mark). */
  sendingAt?: number;
  /** The platform's ids of the messages delivered (Telegram message_id, Discord message id). */
  platformMessageIds?: string[];
  lastError?: string;
  /** Rendering hints: delivered late after a mute (held since), last message allowed today. */
  heldSince?: number;
  lastOfDay?: boolean;
}

export interface LedgerEntry {
  messageId: string;
  decidedAt: number;
}

export class OutboxRepo {
  /**
   * Finished ids still to leave the open set. Removal is batched: a finished id left in the set
   * by a crash is harmless, because recovery reads each record's state.
   */
  private finished: string[] = [];

  constructor(
    private readonly backend: Backend,
    private readonly messages: Kv<OutboxMessage>,
    private readonly ledgerKv: Kv<LedgerEntry>,
    /** How long finished records and ledger entries are kept. */
    readonly retainMs: number = 2 * 86_400_000,
  ) {}

  /** Persists a decided message: open set, then record, then ledger (see the guarantee above). */
  async put(msg: OutboxMessage): Promise<void> {
    await this.backend.updateSets([{ op: 'add', set: 'outbox:open', member: msg.id }]);
    await this.messages.set(msg.id, msg);
    await this.writeLedger(msg);
  }

  /**
   * Persists a tick's messages: the open set (one update), then every record and ledger key in ONE
   * batch — one statement (one transaction) on SQLite, one MULTI on Redis — so records and their
   * ledger keys land together or not at all. 10 000 messages cost two round trips, not 20 000.
   */
  async putMany(msgs: OutboxMessage[]): Promise<void> {
    if (msgs.length === 0) return;
    const done = this.finished.splice(0);
    await this.backend.updateSets([
      ...done.map((member) => ({ op: 'remove' as const, set: 'outbox:open', member })),
      ...msgs.map((m) => ({ op: 'add' as const, set: 'outbox:open', member: m.id })),
    ]);
    const entries: SetEntry[] = [];
    for (const m of msgs) entries.push(this.messages.entry(m.id, m));
    for (const m of msgs) for (const k of m.keys) entries.push(this.ledgerKv.entry(k, { messageId: m.id, decidedAt: m.createdAt }, this.retainMs));
    await setMany(this.backend, entries);
  }

  async get(id: string): Promise<OutboxMessage | undefined> {
    return this.messages.get(id);
  }

  /** Writes a state change; finished records leave the open set and expire after the retention window. */
  async save(msg: OutboxMessage): Promise<void> {
    const open = OPEN_STATES.includes(msg.state);
    await this.messages.set(msg.id, msg, open ? undefined : this.retainMs);
    if (!open) {
      this.finished.push(msg.id);
      if (this.finished.length >= 64) await this.flush();
    }
  }

  /** Removes finished ids from the open set now. */
  async flush(): Promise<void> {
    const done = this.finished.splice(0);
    if (done.length) await this.backend.updateSets(done.map((member) => ({ op: 'remove' as const, set: 'outbox:open', member })));
  }

  /** Open records in creation order; repairs the ledger for each (a crash may have cut it short). */
  async recoverOpen(): Promise<OutboxMessage[]> {
    await this.flush();
    const ids = await this.backend.members('outbox:open');
    const records = await this.messages.getMany(ids);
    const open: OutboxMessage[] = [];
    const stale: string[] = [];
    ids.forEach((id, i) => {
      const r = records[i];
      if (r && OPEN_STATES.includes(r.state)) open.push(r);
      else stale.push(id);
    });
    if (stale.length) await this.backend.updateSets(stale.map((member) => ({ op: 'remove' as const, set: 'outbox:open', member })));
    for (const m of open) await this.writeLedger(m);
    return open.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** Deletes records (any state) with their ledger keys, and drops them from the open set (/forgetme). */
  async deleteMessages(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const records = await this.messages.getMany(ids);
    for (const [i, id] of ids.entries()) {
      await Promise.all((records[i]?.keys ?? []).map((k) => this.ledgerKv.delete(k)));
      await this.messages.delete(id);
    }
    await this.backend.updateSets(ids.map((member) => ({ op: 'remove' as const, set: 'outbox:open', member })));
  }

  async ledger(keys: string[]): Promise<(LedgerEntry | undefined)[]> {
    return this.ledgerKv.getMany(keys);
  }

  private async writeLedger(msg: OutboxMessage): Promise<void> {
    await Promise.all(msg.keys.map((k) => this.ledgerKv.set(k, { messageId: msg.id, decidedAt: msg.createdAt }, this.retainMs)));
  }
}
