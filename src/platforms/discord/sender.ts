import { createHash } from 'node:crypto';
/**
 * Discord AlertSender: personal alerts by DM, channel alerts to the channel. Errors are classified
 * for the notifier's queue: rate limits carry the wait, dead destinations are permanent.
 */
import type { REST, RESTPostAPIChannelMessageJSONBody } from 'discord.js';
import { MessageFlags, Routes } from 'discord.js';
import type { Reply } from '../../bot/reply.ts';
import type { AlertSender, SendResult } from '../../notify/types.ts';
import type { Destination } from '../../store/types.ts';
import { renderDiscordMessage } from './render.ts';
import type { LogFn } from '../../ops/log.ts';

/** Discord JSON error codes that mean the destination is gone or unreachable for good. */
const PERMANENT_CODES = new Map<number, string>([
  [10003, 'unknown channel'],
  [10004, 'unknown guild'],
  [10013, 'unknown user'],
  [50001, 'missing access'],
  [50007, 'cannot send messages to this user'],
  [50013, 'missing permissions'],
]);

/** Pure: turns whatever @discordjs/rest threw into a SendResult. */
export function classifyDiscordError(err: unknown): SendResult & { ok: false } {
  const e = err as { name?: string; message?: string; status?: number; code?: number | string; retryAfter?: number; timeToReset?: number; rawError?: { retry_after?: number } };
  const message = e?.message ?? String(err);
  // RateLimitError (rejectOnRateLimit) carries the wait in ms.
  if (typeof e?.retryAfter === 'number' && (e.name?.includes('RateLimit') || e.status === undefined)) {
    return { ok: false, retryAfterMs: Math.max(e.retryAfter, e.timeToReset ?? 0), error: `rate limited: ${message}` };
  }
  if (e?.status === 429) {
    const seconds = e.rawError?.retry_after;
    return { ok: false, retryAfterMs: typeof seconds === 'number' ? Math.ceil(seconds * 1000) : 1000, error: `rate limited: ${message}` };
  }
  const code = typeof e?.code === 'number' ? e.code : Number(e?.code);
  const known = PERMANENT_CODES.get(code);
  if (known) return { ok: false, permanent: true, error: `${known} (${code}): ${message}` };
  if (e?.status === 403 || e?.status === 404) return { ok: false, permanent: true, error: `HTTP ${e.status}: ${message}` };
  return { ok: false, error: message };
}

export interface DiscordSenderOptions {
  rest: REST;
  log?: LogFn;
}

/** Discord nonces are at most 25 characters: a stable digest of the outbox message id. */
export function discordNonce(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 25);
}

export function createDiscordSender(opts: DiscordSenderOptions): AlertSender {
  const dmChannels = new Map<string, string>();

  async function channelFor(dest: Destination): Promise<string> {
    if (dest.kind === 'channel') return dest.id;
    const cached = dmChannels.get(dest.id);
    if (cached) return cached;
    const dm = (await opts.rest.post(Routes.userChannels(), { body: { recipient_id: dest.id } })) as { id: string };
    dmChannels.set(dest.id, dm.id);
    return dm.id;
  }

  return {
    platform: 'discord',
    async send(dest: Destination, reply: Reply, sendOpts: { silent: boolean; idempotencyKey?: string }): Promise<SendResult> {
      if (dest.platform !== 'discord') return { ok: false, permanent: true, error: `not a Discord destination: ${dest.platform}` };
      try {
        const png = reply.image ? await renderImage(reply, opts.log) : undefined;
        const parts = renderDiscordMessage(reply, png ? reply.image!.name : undefined);
        const body: RESTPostAPIChannelMessageJSONBody = {
          embeds: parts.embeds,
          components: parts.components,
          // Alerts never ping anyone; quiet hours also suppress the push notification.
          allowed_mentions: { parse: [] },
          ...(sendOpts.silent ? { flags: MessageFlags.SuppressNotifications } : {}),
          // A re-send after a crash carries the same nonce: Discord returns the first message instead of posting twice.
          ...(sendOpts.idempotencyKey ? { nonce: discordNonce(sendOpts.idempotencyKey), enforce_nonce: true } : {}),
        };
        const channelId = await channelFor(dest);
        await opts.rest.post(Routes.channelMessages(channelId), {
          body,
          files: png ? [{ name: reply.image!.name, data: png, contentType: 'image/png' }] : undefined,
        });
        return { ok: true };
      } catch (err) {
        const result = classifyDiscordError(err);
        opts.log?.(result.permanent ? 'warn' : 'info', 'discord alert not delivered', { dest, error: result.error, retryAfterMs: result.retryAfterMs });
        return result;
      }
    },
  };
}

/** Renders the chart; a failed chart downgrades to a text-only message instead of losing the alert. */
export async function renderImage(reply: Reply, log?: DiscordSenderOptions['log']): Promise<Buffer | undefined> {
  try {
    return await reply.image!.render();
  } catch (err) {
    log?.('warn', 'chart render failed; sending without image', { error: String((err as Error)?.message ?? err) });
    return undefined;
  }
}
