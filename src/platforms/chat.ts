/**
 * The chat surface: Discord and Telegram, each started independently in the background by its
 * supervisor. Returns at once with senders that deliver once the platform is connected, so an
 * unreachable API never holds up start-up, the other platform or the notifier.
 */
import type { CommandRegistry } from '../bot/registry.ts';
import type { Services } from '../bot/services.ts';
import type { AlertSender } from '../notify/types.ts';
import { supervisePlatform, type PlatformLog, type SupervisedPlatform, type PlatformHandle } from './supervisor.ts';

export interface ChatPlatformsOptions {
  discord?: { token: string; appId?: string; apiUrl?: string };
  telegram?: { token: string; apiRoot?: string };
  registry: CommandRegistry;
  services: Services;
  log: (platform: 'discord' | 'telegram') => PlatformLog;
  /** First retry delay (default 2 s); doubles up to 60 s. */
  retryInitialMs?: number;
}

export interface ChatPlatforms {
  senders: AlertSender[];
  platforms: SupervisedPlatform<PlatformHandle>[];
  /** The Telegram bot's username once connected (deep links). */
  telegramUsername(): string | undefined;
  stop(): Promise<void>;
}

const hostOf = (url: string | undefined, fallback: string) => {
  try {
    return url ? new URL(url).host : fallback;
  } catch {
    return fallback;
  }
};

export function startChatPlatforms(opts: ChatPlatformsOptions): ChatPlatforms {
  const platforms: SupervisedPlatform<PlatformHandle>[] = [];
  let telegramUsername: string | undefined;
  if (opts.discord) {
    const d = opts.discord;
    platforms.push(
      supervisePlatform({
        name: 'discord',
        host: hostOf(d.apiUrl, 'discord.com'),
        log: opts.log('discord'),
        initialDelayMs: opts.retryInitialMs,
        start: async (signal) => {
          const { startDiscord } = await import('./discord/index.ts');
          return startDiscord({ token: d.token, appId: d.appId || undefined, apiUrl: d.apiUrl || undefined, registry: opts.registry, services: opts.services, log: opts.log('discord'), signal });
        },
      }),
    );
  }
  if (opts.telegram) {
    const t = opts.telegram;
    platforms.push(
      supervisePlatform({
        name: 'telegram',
        host: hostOf(t.apiRoot, 'api.telegram.org'),
        log: opts.log('telegram'),
        initialDelayMs: opts.retryInitialMs,
        start: async (signal) => {
          const { startTelegram } = await import('./telegram/index.ts');
          const h = await startTelegram({ token: t.token, apiRoot: t.apiRoot || undefined, registry: opts.registry, services: opts.services, log: opts.log('telegram'), signal });
          telegramUsername = h.bot.botInfo.username;
          return h;
        },
      }),
    );
  }
  return {
    senders: platforms.map((p) => p.sender),
    platforms,
    telegramUsername: () => telegramUsername,
    async stop() {
      await Promise.all(platforms.map((p) => p.stop()));
    },
  };
}
