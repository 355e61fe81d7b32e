/**
 * Store-facing service contracts used by commands. Implemented in src/store and src/notify.
 * (Owned by the subscriptions/notifier work; commands depend only on these shapes.)
 */
import type { Caller } from '../bot/command.ts';
import type { Reply } from '../bot/reply.ts';

/** A place alerts are delivered to. */
export interface Destination {
  platform: 'discord' | 'telegram' | 'console';
  /** `user` = DM / private chat; `channel` = a Discord channel or Telegram group. */
  kind: 'user' | 'channel';
  /** User id for `user`, channel/chat id for `channel`. */
  id: string;
}

export interface SubscriptionService {
  /** Handles /subscribe, /unsubscribe, /subscriptions and /alerts for a caller; returns the reply. */
  handle(command: 'subscribe' | 'unsubscribe' | 'subscriptions' | 'alerts', caller: Caller, args: Record<string, string | number | undefined>, subcommand?: string): Promise<Reply>;
}

export interface PositionService {
  handle(command: 'position' | 'forgetme', caller: Caller, args: Record<string, string | number | undefined>, subcommand?: string): Promise<Reply>;
}

/** Outcome of one delivery attempt; adapters classify platform errors into these. */
export type SendResult =
  | { ok: true }
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
  send(dest: Destination, reply: import('../bot/reply.ts').Reply, opts: { silent: boolean; idempotencyKey?: string }): Promise<SendResult>;
}
