/**
 * The Discord adapter: logs in with discord.js, turns interactions into core dispatches and
 * renders the Replies. Nothing here decides what a trader sees.
 */
import {
  AttachmentBuilder,
  Client,
  Events,
  GatewayIntentBits,
  InteractionContextType,
  MessageFlags,
  Options,
  PermissionFlagsBits,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type CommandInteractionOption,
  type Interaction,
  type RateLimitData,
} from 'discord.js';
import type { Caller } from '../../bot/command.ts';
import { CommandRegistry, type ParseResult } from '../../bot/registry.ts';
import { errorReply, type Reply } from '../../bot/reply.ts';
import type { Services } from '../../bot/services.ts';
import { PerUserSerial, rateLimitedText, UserRateLimiter, type RateLimitOptions } from '../../bot/fairness.ts';
import type { AlertSender } from '../../notify/types.ts';
import { renderDiscordMessage } from './render.ts';
import { createDiscordSender, renderImage } from './sender.ts';
import type { LogFn } from '../../ops/log.ts';


export interface StartDiscordOptions {
  token: string;
  appId?: string;
  /** REST base (`DISCORD_API_URL`); the gateway URL comes from its `/gateway/bot`. */
  apiUrl?: string;
  registry: CommandRegistry;
  services: Services;
  log?: LogFn;
  /** A non-slow command still running after this long gets a deferred reply (default 1500 ms; Discord allows 3 s). */
  deferAfterMs?: number;
  /**
   * Alert sends (DMs, channel posts) rate limited for longer than this are returned to the caller
   * as `retryAfterMs` instead of waited out inside discord.js (default 2000 ms).
   */
  maxAlertRateLimitWaitMs?: number;
  /** Give up if the gateway is not ready within this long (default 30 s). */
  readyTimeoutMs?: number;
  /** Gives up when aborted (shutdown during start-up). */
  signal?: AbortSignal;
  /** Per-user token bucket (default a burst of 5, then 1 per second). */
  rateLimit?: RateLimitOptions;
}

export interface DiscordHandle {
  client: Client;
  sender: AlertSender;
  stop(): Promise<void>;
}

/** Commands whose replies are about the caller's own settings: their deferred replies are ephemeral. */
const PERSONAL_COMMANDS = new Set(['subscribe', 'unsubscribe', 'subscriptions', 'alerts', 'position', 'forgetme']);

/** Routes used for alerts (not interaction replies): long rate limits are handed back to the notifier. */
const ALERT_ROUTES = /^\/(channels|users)\//;

export async function startDiscord(opts: StartDiscordOptions): Promise<DiscordHandle> {
  const log: LogFn = opts.log ?? (() => {});
  const maxWait = opts.maxAlertRateLimitWaitMs ?? 2000;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    // liqzone reads nothing from discord.js's caches (interactions carry what a command needs; alerts
    // go by channel/user id over REST): keep the caches that grow with every guild and message empty,
    // so a bot in thousands of servers does not hold their messages, members, emojis and threads.
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      PresenceManager: 0,
      ReactionManager: 0,
      ReactionUserManager: 0,
      GuildEmojiManager: 0,
      BaseGuildEmojiManager: 0,
      GuildStickerManager: 0,
      GuildScheduledEventManager: 0,
      GuildInviteManager: 0,
      GuildBanManager: 0,
      AutoModerationRuleManager: 0,
      StageInstanceManager: 0,
      VoiceStateManager: 0,
      ThreadMemberManager: 0,
      GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === member.client.user.id },
      UserManager: { maxSize: 0, keepOverLimit: (user) => user.id === user.client.user.id },
    }),
    rest: {
      ...(opts.apiUrl ? { api: opts.apiUrl.replace(/\/+$/, '') } : {}),
      rejectOnRateLimit: (d: RateLimitData) => ALERT_ROUTES.test(d.route) && Math.max(d.retryAfter, d.timeToReset) > maxWait,
    },
  });
  client.on(Events.Error, (err) => log('error', 'discord client error', { error: err.message }));
  client.on(Events.Warn, (msg) => log('warn', msg));
  client.rest.on('rateLimited', (d) => log('info', 'discord rate limited', { route: d.route, retryAfterMs: d.retryAfter, scope: d.scope }));

  const handler = new InteractionHandler(opts.registry, opts.services, log, opts.deferAfterMs ?? 1500, new UserRateLimiter(opts.rateLimit));
  client.on(Events.InteractionCreate, (interaction) => {
    handler.handle(interaction).catch((err) => log('error', 'interaction failed', { error: String((err as Error)?.stack ?? err) }));
  });

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Discord gateway not ready within ${opts.readyTimeoutMs ?? 30_000} ms`)), opts.readyTimeoutMs ?? 30_000);
    client.once(Events.ClientReady, () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const aborted = new Promise<never>((_, reject) => {
    opts.signal?.addEventListener('abort', () => reject(new Error('discord start aborted')), { once: true });
  });
  aborted.catch(() => {});
  try {
    await Promise.race([client.login(opts.token), aborted]);
    await Promise.race([ready, aborted]);
  } catch (err) {
    await client.destroy();
    throw err;
  }
  log('info', 'discord ready', { user: client.user?.tag, guilds: client.guilds.cache.size });
  if (opts.appId && client.application?.id && client.application.id !== opts.appId) {
    // Commands deployed for another application would never reach this bot.
    log('warn', 'DISCORD_APP_ID does not match the logged-in application', { configured: opts.appId, actual: client.application.id });
  }

  return {
    client,
    sender: createDiscordSender({ rest: client.rest, log }),
    async stop() {
      await client.destroy();
    },
  };
}

type RepliableInteraction = ChatInputCommandInteraction | ButtonInteraction;

/** Answers interactions; stateless, so interactions run concurrently and independently. */
export class InteractionHandler {
  constructor(
    private readonly registry: CommandRegistry,
    private readonly services: Services,
    private readonly log: LogFn,
    private readonly deferAfterMs: number,
    private readonly limiter = new UserRateLimiter(),
  ) {}

  private readonly serial = new PerUserSerial();

  async handle(i: Interaction): Promise<void> {
    if (i.isChatInputCommand()) {
      const sub = i.options.getSubcommand(false) ?? undefined;
      const parsed = this.registry.parseStructured(i.commandName, sub, optionValues(i.options.data));
      return this.answer(i, parsed);
    }
    if (i.isAutocomplete()) return this.autocomplete(i);
    if (i.isButton()) {
      // The custom id is the button's command line, e.g. `/subscribe ETH`; it runs for the presser.
      return this.answer(i, this.registry.parseLine(i.customId));
    }
  }

  private async answer(i: RepliableInteraction, parsed: ParseResult): Promise<void> {
    // Discord expects an answer to every interaction: over the limit, a short one only the user sees.
    const admission = this.limiter.admit(`discord:${i.user.id}`);
    if (!admission.ok) return this.deliver(i, { reply: { ...errorReply(rateLimitedText(admission.retryAfterMs)), ephemeral: true } }, false);
    if (!parsed.ok) return this.deliver(i, { reply: parsed.reply }, false);
    const caller = callerOf(i);
    const started = Date.now();
    // One user's commands run one after another (a slow one is deferred below, so Discord's
    // 3-second answer deadline holds while it waits its turn).
    const work = this.serial.run(`discord:${i.user.id}`, () => this.registry.run(parsed, caller, this.services)).then(async (reply) => ({
      reply,
      png: reply.image ? await renderImage(reply, this.log) : undefined,
    }));
    const deferEphemeral = PERSONAL_COMMANDS.has(parsed.command.name);
    let deferred = false;
    if (parsed.command.slow) {
      await i.deferReply(deferEphemeral ? { flags: MessageFlags.Ephemeral } : {});
      deferred = true;
    } else {
      if ((await finishesWithin(work, this.deferAfterMs)) === false) {
        await i.deferReply(deferEphemeral ? { flags: MessageFlags.Ephemeral } : {});
        deferred = true;
      }
    }
    let result: { reply: Reply; png?: Buffer };
    try {
      result = await work;
    } catch (err) {
      // registry.run never throws; this is the image or something unexpected.
      this.log('error', 'command failed', { command: parsed.command.name, error: String(err) });
      result = { reply: errorReply(`Something went wrong running /${parsed.command.name}. Please try again.`) };
    }
    await this.deliver(i, result, deferred && deferEphemeral);
    this.log('debug', 'command answered', { command: parsed.command.name, ms: Date.now() - started, ok: result.reply.ok });
  }

  /** Sends the reply: a direct reply, or an edit of the deferred one. */
  private async deliver(i: RepliableInteraction, result: { reply: Reply; png?: Buffer }, deferredEphemeral: boolean): Promise<void> {
    const { reply, png } = result;
    const parts = renderDiscordMessage(reply, png ? reply.image!.name : undefined);
    if (parts.droppedButtons.length) this.log('warn', 'buttons dropped (custom id too long)', { actions: parts.droppedButtons });
    const payload = {
      embeds: parts.embeds,
      components: parts.components,
      files: png ? [new AttachmentBuilder(png, { name: reply.image!.name, description: reply.image!.alt.slice(0, 1024) })] : [],
      allowedMentions: { parse: [] },
    };
    if (!i.deferred && !i.replied) {
      await i.reply({ ...payload, flags: reply.ephemeral ? MessageFlags.Ephemeral : undefined });
      return;
    }
    if (reply.ephemeral && !deferredEphemeral) {
      // The deferred placeholder is public but this answer is for the caller only (e.g. an error):
      // remove the placeholder and answer privately.
      await i.deleteReply();
      await i.followUp({ ...payload, flags: MessageFlags.Ephemeral });
      return;
    }
    await i.editReply(payload);
  }

  private async autocomplete(i: AutocompleteInteraction): Promise<void> {
    const focused = i.options.getFocused(true);
    const command = this.registry.get(i.commandName);
    const sub = i.options.getSubcommand(false);
    const defs = sub ? command?.subcommands?.find((s) => s.name === sub)?.options : command?.options;
    const def = defs?.find((o) => o.name === focused.name);
    const typed = String(focused.value ?? '');
    let values: string[] = [];
    if (def?.autocomplete === 'symbol') {
      // Completion ignores quote/pair suffixes the way the parser does (ethusdt → ETH).
      values = CommandRegistry.completeSymbol(this.services, typed.replace(/(USDT|USDC|USD|-PERP|PERP)$/i, ''));
    } else if (def?.choices) {
      values = def.choices.filter((c) => c.toLowerCase().startsWith(typed.toLowerCase()));
    }
    await i.respond(values.slice(0, 25).map((v) => ({ name: v, value: v })));
  }
}

/** Option values by name, from the (sub)command's options. */
export function optionValues(data: readonly CommandInteractionOption[]): Record<string, string | number | undefined> {
  const leaf = data.length === 1 && data[0]!.options && data[0]!.value === undefined ? data[0]!.options : data;
  const values: Record<string, string | number | undefined> = {};
  for (const o of leaf) {
    if (typeof o.value === 'string' || typeof o.value === 'number') values[o.name] = o.value;
    else if (typeof o.value === 'boolean') values[o.name] = String(o.value);
  }
  return values;
}

export function callerOf(i: Interaction): Caller {
  const inGuild = i.inGuild();
  // A group DM (user-installed app) is neither a guild nor a private chat with the bot.
  const isPrivate = !inGuild && i.context !== InteractionContextType.PrivateChannel;
  return {
    platform: 'discord',
    userId: i.user.id,
    chatId: i.channelId ?? i.user.id,
    isPrivate,
    // Interaction member permissions are already resolved for this channel (overwrites included).
    canManage: isPrivate || (inGuild && (i.memberPermissions?.has(PermissionFlagsBits.ManageChannels) ?? false)),
    guildId: i.guildId ?? undefined,
    displayName: i.user.globalName ?? i.user.username,
  };
}

/** True if `p` settles within `ms`; never rejects. */
function finishesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    p.then(done, done);
  });
}
