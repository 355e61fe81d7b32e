/**
 * The Telegram adapter: long-polls with grammY, turns `/command args` messages and inline-button
 * presses into core dispatches, and sends the Replies as HTML (escaped) with charts as photos.
 */
import { autoRetry } from '@grammyjs/auto-retry';
import { Api, Bot, type Context } from 'grammy';
import type { Chat, User } from 'grammy/types';
import type { Caller } from '../../bot/command.ts';
import type { CommandRegistry, ParseResult } from '../../bot/registry.ts';
import { errorReply, type Reply } from '../../bot/reply.ts';
import { PerUserSerial, rateLimitedText, UserRateLimiter, type RateLimitOptions } from '../../bot/fairness.ts';
import type { Services } from '../../bot/services.ts';
import type { AlertSender } from '../../notify/types.ts';
import type { LogFn } from '../../ops/log.ts';
import { classifyTelegramError, createTelegramSender, sendReply } from './sender.ts';

export interface StartTelegramOptions {
  token: string;
  /** Bot API root (`TELEGRAM_API_ROOT`), no trailing slash; default api.telegram.org. */
  apiRoot?: string;
  registry: CommandRegistry;
  services: Services;
  log?: LogFn;
  /** getUpdates long-poll timeout, seconds (default 30). */
  pollingTimeoutSec?: number;
  /** How long a getChatMember answer is trusted, ms (default 60 s). */
  adminCacheMs?: number;
  /** Alerts rate limited for longer than this are handed back as retryAfterMs (default 2 s). */
  alertMaxRetryWaitSec?: number;
  /** Gives up when aborted (shutdown during start-up). */
  signal?: AbortSignal;
  /** Per-user token bucket (default a burst of 5, then 1 per second). */
  rateLimit?: RateLimitOptions;
  /** The first call (getMe) fails after this long (default 10 s) so an unreachable API is reported. */
  connectTimeoutMs?: number;
}

export interface TelegramHandle {
  bot: Bot;
  sender: AlertSender;
  stop(): Promise<void>;
  /** Settles with the reason when long polling ends without stop() (409, 401, …). */
  lost: Promise<unknown>;
}

/** grammY types its signals with the abort-controller shim; a native AbortSignal works at runtime. */
type GrammySignal = Parameters<Api['getMe']>[0];

/** Telegram's stand-in user for anonymous group administrators. */
const GROUP_ANONYMOUS_BOT = 1087968824;

export async function startTelegram(opts: StartTelegramOptions): Promise<TelegramHandle> {
  const log: LogFn = opts.log ?? (() => {});
  const client = opts.apiRoot ? { apiRoot: opts.apiRoot.replace(/\/+$/, '') } : undefined;
  const bot = new Bot(opts.token, client ? { client } : undefined);
  // Command answers wait out rate limits (within reason); alerts use their own Api below.
  bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 60 }));

  const alertApi = new Api(opts.token, client);
  alertApi.config.use(autoRetry({ maxRetryAttempts: 1, maxDelaySeconds: opts.alertMaxRetryWaitSec ?? 2, rethrowHttpErrors: true }));

  // First contact without auto-retry and with a deadline: an unreachable API rejects here (the
  // caller retries with backoff and says so) instead of retrying silently forever inside grammY.
  const timeout = AbortSignal.timeout(opts.connectTimeoutMs ?? 10_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  bot.botInfo = await new Api(opts.token, client).getMe(signal as GrammySignal);
  const commands = opts.registry.list().map((c) => ({ command: c.name, description: c.description.slice(0, 256) }));
  try {
    await bot.api.setMyCommands(commands, undefined, opts.signal as GrammySignal | undefined);
  } catch (err) {
    log('warn', 'telegram setMyCommands failed; commands still work when typed', { error: String((err as Error)?.message ?? err) });
  }

  const handler = new UpdateHandler(bot, opts.registry, opts.services, log, opts.adminCacheMs ?? 60_000, opts.rateLimit);
  bot.on('message:text', (ctx) => handler.track(handler.onText(ctx)));
  bot.on('callback_query:data', (ctx) => handler.track(handler.onCallback(ctx)));
  // One failing update must never stop polling.
  bot.catch((err) => log('error', 'telegram update failed', { update: err.ctx?.update?.update_id, error: String(err.error) }));

  let stopping = false;
  const stopBot = () => {
    stopping = true;
    return Promise.race([bot.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3_000).unref())]);
  };
  opts.signal?.addEventListener('abort', () => void stopBot(), { once: true });
  // Polling that ends after start (a 409 from a second poller, a revoked token's 401) is reported to
  // the supervisor, which reconnects or says the token is gone; it is never silent.
  let markLost!: (reason: unknown) => void;
  const lost = new Promise<unknown>((r) => (markLost = r));
  await new Promise<void>((resolve, reject) => {
    opts.signal?.addEventListener('abort', () => reject(new Error('telegram start aborted')), { once: true });
    bot
      .start({
        timeout: opts.pollingTimeoutSec ?? 30,
        allowed_updates: ['message', 'callback_query'],
        onStart: () => resolve(),
      })
      .then(
        () => {
          if (!stopping) markLost(new Error('telegram polling ended'));
        },
        (err) => {
          log('error', 'telegram polling stopped', { error: String((err as Error)?.message ?? err) });
          reject(err);
          markLost(err);
        },
      );
  });
  log('info', 'telegram ready', { username: bot.botInfo.username });

  return {
    bot,
    sender: createTelegramSender(alertApi, log),
    lost,
    async stop() {
      // The final getUpdates of bot.stop() can hang when the API is gone: do not wait for it long.
      await stopBot();
      await handler.drain(5_000);
    },
  };
}

/**
 * Handles updates. Each update is answered without blocking the polling loop (a chart render
 * must not delay everyone else's commands); in-flight work is tracked so stop() can drain it.
 */
export class UpdateHandler {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly adminCache = new Map<string, { isAdmin: boolean; until: number }>();
  private readonly limiter: UserRateLimiter;
  /** One user's commands are answered one after another, in the order sent. */
  private readonly serial = new PerUserSerial();

  constructor(
    private readonly bot: Bot,
    private readonly registry: CommandRegistry,
    private readonly services: Services,
    private readonly log: LogFn,
    private readonly adminCacheMs: number,
    rateLimit?: RateLimitOptions,
  ) {
    this.limiter = new UserRateLimiter(rateLimit);
  }

  /**
   * Admits a command of `from` through the per-user bucket and runs it after that user's earlier
   * ones. Called synchronously as the update arrives, so arrival order is kept. Over the limit:
   * one friendly answer, then the extra commands are skipped without a word.
   */
  private fair(from: User, chatId: number, threadId: number | undefined, task: () => Promise<void>): Promise<void> {
    const key = `telegram:${from.id}`;
    const admission = this.limiter.admit(key);
    if (admission.ok) return this.serial.run(key, task);
    if (!admission.notify) return Promise.resolve();
    this.log('info', 'rate limited a user', { user: from.id });
    return this.serial.run(key, async () => void (await sendReply(this.bot.api, chatId, errorReply(rateLimitedText(admission.retryAfterMs)), { threadId, log: this.log })));
  }

  track(p: Promise<void>): void {
    const tracked = p.catch((err) => this.log('error', 'telegram handler failed', { error: String((err as Error)?.stack ?? err) }));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  async drain(timeoutMs: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  async onText(ctx: Context): Promise<void> {
    const msg = ctx.message!;
    const text = msg.text!.trim();
    if (!text.startsWith('/')) return; // plain chat is not for the bot
    const head = text.split(/\s+/, 1)[0]!;
    const [name, addressee] = head.slice(1).split('@');
    const explicit = addressee !== undefined;
    if (explicit && addressee!.toLowerCase() !== this.bot.botInfo.username.toLowerCase()) return; // another bot's command
    const isGroup = msg.chat.type !== 'private';
    // Telegram opens every private chat with /start: show the help.
    const line = name!.toLowerCase() === 'start' ? '/help' : text;
    // In groups, unknown commands may belong to other bots: answer only when addressed to us.
    if (isGroup && !explicit && !this.registry.get(line.split(/\s+/, 1)[0]!.slice(1).replace(/@.*$/, ''))) return;
    await this.fair(msg.from!, msg.chat.id, msg.message_thread_id, () => this.dispatch(this.registry.parseLine(line), msg.chat, msg.from!, msg.sender_chat?.id, isGroup ? msg.message_id : undefined, msg.message_thread_id));
  }

  async onCallback(ctx: Context): Promise<void> {
    const q = ctx.callbackQuery!;
    const chat: Pick<Chat, 'id' | 'type'> = q.message?.chat ?? { id: q.from.id, type: 'private' };
    const run = this.fair(q.from, chat.id, undefined, () => this.dispatch(this.registry.parseLine(q.data!), chat, q.from, undefined, undefined, undefined));
    // Answer first so the button stops spinning; the result arrives as a message.
    await ctx.answerCallbackQuery().catch((err) => this.log('info', 'answerCallbackQuery failed', { error: String(err) }));
    await run;
  }

  private async dispatch(parsed: ParseResult, chat: Pick<Chat, 'id' | 'type'>, from: User, senderChatId: number | undefined, replyTo: number | undefined, threadId: number | undefined): Promise<void> {
    const started = Date.now();
    let reply: Reply;
    if (!parsed.ok) {
      reply = parsed.reply;
    } else {
      if (parsed.command.slow) {
        void this.bot.api.sendChatAction(chat.id, 'upload_photo', threadId ? { message_thread_id: threadId } : {}).catch(() => {});
      }
      const caller = await this.callerOf(chat, from, senderChatId);
      reply = await this.registry.run(parsed, caller, this.services);
    }
    await this.answer(chat, from, reply, replyTo, threadId);
    this.log('debug', 'command answered', { command: parsed.ok ? parsed.command.name : undefined, ms: Date.now() - started, ok: reply.ok });
  }

  /** Personal answers in a group go to the private chat when the user has one with the bot. */
  private async answer(chat: Pick<Chat, 'id' | 'type'>, from: User, reply: Reply, replyTo: number | undefined, threadId: number | undefined): Promise<void> {
    if (chat.type !== 'private' && reply.ephemeral && reply.ok) {
      try {
        await sendReply(this.bot.api, from.id, reply, { log: this.log });
        return;
      } catch (err) {
        const result = classifyTelegramError(err);
        if (!result.permanent) throw err;
        // The user never opened a private chat with the bot: answer where they asked.
      }
    }
    await sendReply(this.bot.api, chat.id, reply, { replyTo, threadId, log: this.log });
  }

  async callerOf(chat: Pick<Chat, 'id' | 'type'>, from: User, senderChatId?: number): Promise<Caller> {
    const isPrivate = chat.type === 'private';
    return {
      platform: 'telegram',
      userId: String(from.id),
      chatId: String(chat.id),
      isPrivate,
      canManage: isPrivate || chat.type === 'channel' || (await this.isAdmin(chat.id, from.id, senderChatId)),
      displayName: from.username ? `@${from.username}` : from.first_name,
    };
  }

  private async isAdmin(chatId: number, userId: number, senderChatId?: number): Promise<boolean> {
    // Anonymous administrators post as the group itself.
    if (userId === GROUP_ANONYMOUS_BOT && senderChatId === chatId) return true;
    const key = `${chatId}:${userId}`;
    const now = Date.now();
    const cached = this.adminCache.get(key);
    if (cached && cached.until > now) return cached.isAdmin;
    try {
      const member = await this.bot.api.getChatMember(chatId, userId);
      const isAdmin = member.status === 'administrator' || member.status === 'creator';
      this.adminCache.set(key, { isAdmin, until: now + this.adminCacheMs });
      if (this.adminCache.size > 10_000) this.adminCache.delete(this.adminCache.keys().next().value!);
      return isAdmin;
    } catch (err) {
      this.log('warn', 'getChatMember failed; treating as non-admin', { chatId, userId, error: String(err) });
      return false;
    }
  }
}
