/** Who typed a command, and where (filled by platform adapters). */
export type Platform = 'discord' | 'telegram' | 'console';

/** Who typed the command, and where. Platform adapters fill it; commands never see platform objects. */
export interface Caller {
  platform: Platform;
  userId: string;
  /** Channel id (Discord), chat id (Telegram), `console` for the console. */
  chatId: string;
  /** A private conversation with the bot (Discord DM, Telegram private chat, console). */
  isPrivate: boolean;
  /** May configure the channel/group: Discord Manage Channels, Telegram group admin; always in private. */
  canManage: boolean;
  guildId?: string;
  /** Display name, for messages only. */
  displayName?: string;
}
