/**
 * Console-friendly views of what the notifier sends, and a recording AlertSender for tests,
 * benchmarks and the demo (it behaves like a platform: scripted failures, 429s, idempotency keys).
 */
import type { Reply } from '../bot/reply.ts';
import { destinationKey } from '../store/destination.ts';
import type { AlertSender, SendResult } from './types.ts';
import type { Destination } from '../store/types.ts';
import type { DeliveryRecord } from './queue.ts';

/** One alert as plain text for a terminal: header line, title, body. */
export function formatAlertForConsole(dest: Destination, reply: Reply, opts: { silent: boolean; at?: number }): string {
  const when = opts.at !== undefined ? `${new Date(opts.at).toISOString()} ` : '';
  const header = `[alert ${when}→ ${destinationKey(dest)}${opts.silent ? ' (silent)' : ''}]`;
  const fields = (reply.fields ?? []).map((f) => `  ${f.name}: ${f.value}`);
  return [header, reply.title ? `** ${reply.title} **` : undefined, reply.text, ...fields].filter((x) => x !== undefined).join('\n');
}

/** A delivery record (Notifier.recentDeliveries / onDelivery) as console text. */
export function formatDelivery(r: DeliveryRecord): string {
  return formatAlertForConsole(r.dest, r.reply, { silent: r.silent, at: r.at });
}

/** One JSON object per delivery, like `liqzone console --json`. */
export function deliveryJson(r: DeliveryRecord): { alert: true; at: number; destination: Destination; silent: boolean; title?: string; text: string; data?: unknown } {
  return { alert: true, at: r.at, destination: r.dest, silent: r.silent, title: r.reply.title, text: r.reply.text, data: r.reply.data };
}

export interface RecordedSend {
  dest: Destination;
  reply: Reply;
  silent: boolean;
  idempotencyKey?: string;
  at: number;
}

/**
 * What a scripted send does: a SendResult, `'hang-before'` (never returns, nothing delivered —
 * a crash before the request), `'hang-after'` (delivered, never returns — a crash before the
 * mark), or undefined for success.
 */
export type SendBehavior = (dest: Destination, reply: Reply, attempt: number) => SendResult | 'hang-before' | 'hang-after' | undefined;

export class RecordingAlertSender implements AlertSender {
  /** Messages the user would see. */
  readonly delivered: RecordedSend[] = [];
  /** Every call, including failed and duplicate ones. */
  readonly calls: RecordedSend[] = [];
  private readonly seenKeys = new Set<string>();
  behavior?: SendBehavior;

  constructor(
    readonly platform: Destination['platform'],
    private readonly opts: { now?: () => number; honorIdempotencyKey?: boolean; behavior?: SendBehavior } = {},
  ) {
    this.behavior = opts.behavior;
  }

  async send(dest: Destination, reply: Reply, opts: { silent: boolean; idempotencyKey?: string }): Promise<SendResult> {
    const rec: RecordedSend = { dest, reply, silent: opts.silent, idempotencyKey: opts.idempotencyKey, at: (this.opts.now ?? Date.now)() };
    this.calls.push(rec);
    const b = this.behavior?.(dest, reply, this.calls.length);
    if (b === 'hang-before') return new Promise<SendResult>(() => {});
    if (b && b !== 'hang-after' && !b.ok) return b;
    // Like Discord's nonce + enforce_nonce: a repeated key is acknowledged but not shown twice.
    const duplicate = this.opts.honorIdempotencyKey && opts.idempotencyKey !== undefined && this.seenKeys.has(opts.idempotencyKey);
    if (!duplicate) {
      this.delivered.push(rec);
      if (opts.idempotencyKey !== undefined) this.seenKeys.add(opts.idempotencyKey);
    }
    if (b === 'hang-after') return new Promise<SendResult>(() => {});
    return { ok: true };
  }

  deliveredTo(dest: Destination): RecordedSend[] {
    const k = destinationKey(dest);
    return this.delivered.filter((r) => destinationKey(r.dest) === k);
  }
}
