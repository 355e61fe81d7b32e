/** Delivery contracts: platform adapters implement AlertSender; the notifier's queue uses it. */
import type { Reply } from '../bot/reply.ts';
import type { Destination } from '../store/types.ts';

/** Outcome of one delivery attempt; adapters classify platform errors into these. */
export type SendResult =
  | {
      ok: true;
      /** The platform's ids of the messages sent (Telegram message_id), kept in the outbox record. */
      platformMessageIds?: string[];
    }
  | {
      ok: false;
      /** Rate limited: wait this long and retry (Telegram retry_after, Discord 429). */
      retryAfterMs?: number;
      /** Bot blocked, kicked, channel gone: retrying will not help. */
      permanent?: boolean;
      error: string;
    };

/**
 * Delivers a Reply to a destination. Implemented by each platform adapter (Discord DM/channel,
 * Telegram chat, console); used by the notifier's delivery queue.
 */
export interface AlertSender {
  platform: Destination['platform'];
  /**
   * `silent`: quiet hours — Telegram disable_notification, no pings on Discord.
   * `idempotencyKey` (optional, additive): the same key on a retry means the same message; a
   * platform that can deduplicate (Discord message `nonce` + `enforce_nonce`) should pass it on.
   */
  send(dest: Destination, reply: Reply, opts: { silent: boolean; idempotencyKey?: string }): Promise<SendResult>;
}
