/**
 * Sending a Reply to a Telegram chat (shared by command answers and alerts), and the Telegram
 * AlertSender with its error classification for the notifier's queue.
 */
import { InputFile, type Api } from 'grammy';
import type { Reply } from '../../bot/reply.ts';
import type { AlertSender, SendResult } from '../../notify/types.ts';
import type { Destination } from '../../store/types.ts';
import { renderTelegram } from './render.ts';
import type { LogFn } from '../../ops/log.ts';


/** Bad-request descriptions that mean the chat is gone or closed to the bot for good. */
const PERMANENT_400 = /chat not found|user not found|peer_id_invalid|have no rights to send|chat_write_forbidden|bot is not a member|group chat was upgraded|bot was kicked|chat is deactivated/i;

/** Pure: turns whatever grammY threw into a SendResult. */
export function classifyTelegramError(err: unknown): SendResult & { ok: false } {
  const e = err as { error_code?: number; description?: string; message?: string; parameters?: { retry_after?: number } };
  const description = e?.description ?? e?.message ?? String(err);
  if (e?.error_code === 429 || typeof e?.parameters?.retry_after === 'number') {
    return { ok: false, retryAfterMs: Math.ceil((e.parameters?.retry_after ?? 1) * 1000), error: description };
  }
  if (e?.error_code === 403) return { ok: false, permanent: true, error: description };
  if (e?.error_code === 400 && PERMANENT_400.test(description)) return { ok: false, permanent: true, error: description };
  return { ok: false, error: description };
}

export interface SendReplyOptions {
  silent?: boolean;
  /** Thread the answer under this message (group commands). */
  replyTo?: number;
  /** Message thread (forum topic) to post into. */
  threadId?: number;
  log?: LogFn;
}

/**
 * Sends a reply: the chart as a photo with an HTML caption (overflow text follows as messages),
 * otherwise HTML messages; the inline keyboard goes on the last message. Throws grammY errors.
 */
export async function sendReply(api: Api, chatId: number | string, reply: Reply, opts: SendReplyOptions = {}): Promise<number[]> {
  const ids: number[] = [];
  let png: Buffer | undefined;
  if (reply.image) {
    try {
      png = await reply.image.render();
    } catch (err) {
      opts.log?.('warn', 'chart render failed; sending without image', { error: String((err as Error)?.message ?? err) });
    }
  }
  const parts = renderTelegram(reply, png !== undefined);
  if (parts.droppedButtons.length) opts.log?.('warn', 'buttons dropped (callback data over 64 bytes)', { actions: parts.droppedButtons });
  const common = {
    parse_mode: 'HTML' as const,
    disable_notification: opts.silent ?? false,
    ...(opts.threadId ? { message_thread_id: opts.threadId } : {}),
  };
  let replyTo = opts.replyTo;
  const threading = () => (replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {});
  if (png) {
    const photo = await api.sendPhoto(chatId, new InputFile(png, reply.image!.name), {
      ...common,
      ...threading(),
      caption: parts.caption || undefined,
      ...(parts.messages.length === 0 && parts.keyboard ? { reply_markup: parts.keyboard } : {}),
    });
    ids.push(photo.message_id);
    replyTo = undefined;
  }
  for (const [i, html] of parts.messages.entries()) {
    const last = i === parts.messages.length - 1;
    const sent = await api.sendMessage(chatId, html, {
      ...common,
      ...threading(),
      link_preview_options: { is_disabled: true },
      ...(last && parts.keyboard ? { reply_markup: parts.keyboard } : {}),
    });
    ids.push(sent.message_id);
    replyTo = undefined;
  }
  return ids;
}

export function createTelegramSender(api: Api, log?: LogFn): AlertSender {
  return {
    platform: 'telegram',
    async send(dest: Destination, reply: Reply, opts: { silent: boolean }): Promise<SendResult> {
      if (dest.platform !== 'telegram') return { ok: false, permanent: true, error: `not a Telegram destination: ${dest.platform}` };
      try {
        // A user's private chat has the user's id, so both kinds send to `dest.id`.
        const ids = await sendReply(api, dest.id, reply, { silent: opts.silent, log });
        return { ok: true, platformMessageIds: ids.map(String) };
      } catch (err) {
        const result = classifyTelegramError(err);
        log?.(result.permanent ? 'warn' : 'info', 'telegram alert not delivered', { dest, error: result.error, retryAfterMs: result.retryAfterMs });
        return result;
      }
    },
  };
}
