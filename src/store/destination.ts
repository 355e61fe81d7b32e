import type { Destination } from './types.ts';

/** The part of a command's caller a destination is derived from (structurally a bot `Caller`). */
export interface DestinationCaller {
  platform: Destination['platform'];
  userId: string;
  chatId: string;
}

const PLATFORMS = ['discord', 'telegram', 'console'] as const;

/** Stable string key of a destination, e.g. `telegram:channel:-100123`. Ids may contain colons. */
export function destinationKey(d: Destination): string {
  return `${d.platform}:${d.kind}:${d.id}`;
}

export function parseDestinationKey(key: string): Destination | undefined {
  const m = /^([a-z]+):(user|channel):(.+)$/.exec(key);
  if (!m || !(PLATFORMS as readonly string[]).includes(m[1]!)) return undefined;
  return { platform: m[1] as Destination['platform'], kind: m[2] as Destination['kind'], id: m[3]! };
}

/** The caller's personal destination: Discord DM, Telegram private chat (chat id = user id), console. */
export function personalDestination(caller: DestinationCaller): Destination {
  return { platform: caller.platform, kind: 'user', id: caller.userId };
}

/** The channel or group the command was typed in. */
export function channelDestination(caller: DestinationCaller): Destination {
  return { platform: caller.platform, kind: 'channel', id: caller.chatId };
}

/** Human wording of a destination for replies. */
export function describeDestination(d: Destination): string {
  if (d.kind === 'channel') return d.platform === 'telegram' ? `this group (${d.id})` : `channel ${d.id}`;
  if (d.platform === 'discord') return 'your DMs';
  if (d.platform === 'telegram') return 'your private chat with the bot';
  return 'this console';
}
