/**
 * A place alerts are delivered to; the store's key type (subscriptions, settings, health, outbox are
 * keyed by it). Delivery contracts are in notify/types.ts, command services in bot/services.ts.
 */
export interface Destination {
  platform: 'discord' | 'telegram' | 'console';
  /** `user` = DM / private chat; `channel` = a Discord channel or Telegram group. */
  kind: 'user' | 'channel';
  /** User id for `user`, channel/chat id for `channel`. */
  id: string;
}
