/**
 * The message factory: the one place an outbox message (AlertMessage) is built, for subscription
 * alerts, position alerts and owner notices alike, and where the notifier's own notice texts live.
 * Alert wording itself is rendered from payloads in render.ts at delivery time.
 */
import { destinationKey } from '../store/destination.ts';
import type { Destination } from '../store/types.ts';
import { messageId } from './keys.ts';
import type { AlertMessage } from './queue.ts';
import type { AlertPayload } from './rules.ts';

/** One decided alert: its dedupe key and what it says. */
export interface KeyedAlert {
  key: string;
  payload: AlertPayload;
}

export interface MessageOptions {
  /** Quiet hours: delivered without notification. */
  silent?: boolean;
  /** Muted: held until this time. */
  holdUntil?: number;
  /** The last message allowed today for this destination. */
  lastOfDay?: boolean;
}

/** A new outbox message for one destination, decided at `t`. */
export function newMessage(dest: Destination, t: number, alerts: readonly KeyedAlert[], opts: MessageOptions = {}): AlertMessage {
  return {
    id: messageId(t),
    destKey: destinationKey(dest),
    dest,
    createdAt: t,
    keys: alerts.map((a) => a.key),
    alerts: alerts.map((a) => a.payload),
    state: opts.holdUntil !== undefined ? 'held' : 'queued',
    silent: opts.silent ?? false,
    ...(opts.holdUntil !== undefined ? { holdUntil: opts.holdUntil } : {}),
    ...(opts.lastOfDay ? { lastOfDay: true } : {}),
    attempts: 0,
  };
}

/** The notice to the person who subscribed a channel that has just been disabled. */
export function disabledChannelNotice(channel: Destination, owner: Destination, reason: string, t: number): AlertMessage {
  const where = `${channel.platform} ${channel.platform === 'telegram' ? 'group' : 'channel'} ${channel.id}`;
  return newMessage(owner, t, [
    {
      key: `${destinationKey(channel)}|disabled@${t}`,
      payload: {
        kind: 'notice',
        symbol: '',
        t,
        title: 'liqzone stopped posting alerts',
        text: `Alerts to ${where} were paused after repeated failures: ${reason}. Fix the bot's access (re-add it or restore its permissions), then run /subscribe SYMBOL here there to resume.`,
      },
    },
  ]);
}
