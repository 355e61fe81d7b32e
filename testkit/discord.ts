/**
 * A local fake of the Discord API for offline tests and demos: an HTTP REST base
 * (`apiUrl`, discord.js appends `/v10`) and a gateway WebSocket on the same loopback port.
 * It speaks just enough of both for discord.js 14 to log in, receive interactions and answer
 * them, and records every REST call. Imports nothing from vitest.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** Permission bits used by the fake (subset of Discord's). */
export const DiscordPermission = {
  ManageChannels: 1n << 4n,
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  UseApplicationCommands: 1n << 31n,
} as const;

export const MEMBER_PERMISSIONS =
  DiscordPermission.AddReactions | DiscordPermission.ViewChannel | DiscordPermission.SendMessages | DiscordPermission.EmbedLinks | DiscordPermission.AttachFiles | DiscordPermission.UseApplicationCommands;
export const MANAGER_PERMISSIONS = MEMBER_PERMISSIONS | DiscordPermission.ManageChannels;

export interface RecordedFile {
  field: string;
  name: string;
  contentType: string;
  data: Buffer;
}

export interface RecordedRestCall {
  method: string;
  /** Path after `/api/v10`, URL-decoded (e.g. `/webhooks/1/tok/messages/@original`). */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (for multipart: the parsed `payload_json`). */
  body: unknown;
  files: RecordedFile[];
  /** Status the fake answered with. */
  status: number;
  at: number;
}

export interface FakeDiscordUser {
  id: string;
  username: string;
}

export interface FakeDiscordGuild {
  id: string;
  name: string;
  channels: { id: string; name: string }[];
}

export interface FakeDiscordOptions {
  /** Fixed port (demo); default 0 = any free loopback port. */
  port?: number;
  /** Heartbeat interval announced in HELLO, ms (default 1000: short so tests see ACKs). */
  heartbeatIntervalMs?: number;
  appId?: string;
  botUser?: FakeDiscordUser;
  guilds?: FakeDiscordGuild[];
}

/** Where an injected interaction happens and who triggers it. */
export interface InteractionOrigin {
  user: FakeDiscordUser;
  /** Guild id; omit for a DM with the bot. */
  guildId?: string;
  /** Channel id in the guild (default: the guild's first channel). */
  channelId?: string;
  /** The member's permissions in that channel (default MEMBER_PERMISSIONS). */
  permissions?: bigint;
}

export interface InjectedInteraction {
  id: string;
  token: string;
  /** Calls whose path belongs to this interaction (callback and webhook edits/follow-ups). */
  calls(): RecordedRestCall[];
}

interface Override {
  method: string;
  path: string | RegExp;
  remaining: number;
  respond: (call: RecordedRestCall) => { status: number; body?: unknown; headers?: Record<string, string> };
}

const OPTION_TYPE = { subcommand: 1, string: 3, integer: 4, number: 10 } as const;

export class FakeDiscord {
  readonly calls: RecordedRestCall[] = [];
  /** Gateway payloads received from the bot (IDENTIFY, HEARTBEAT, …). */
  readonly gatewayReceived: { op: number; d: unknown }[] = [];
  readonly appId: string;
  readonly botUser: FakeDiscordUser;
  readonly guilds: FakeDiscordGuild[];
  /** Commands last registered with PUT, by scope (`global` or a guild id). */
  readonly registeredCommands = new Map<string, { name: string; options?: { name: string; type: number; options?: { name: string; type: number }[] }[] }[]>();
  /** Users whose DMs fail with 50007 (Cannot send messages to this user). */
  readonly dmBlockedUsers = new Set<string>();

  private readonly events = new EventEmitter();
  private readonly overrides: Override[] = [];
  private readonly sockets = new Set<WebSocket>();
  private readonly identified = new Set<WebSocket>();
  private readonly seqBySocket = new Map<WebSocket, number>();
  private readonly dmChannels = new Map<string, string>();
  private readonly queued: { t: string; d: unknown }[] = [];
  private nextSnowflake = 1_300_000_000_000_000_000n;
  private server!: Server;
  private wss!: WebSocketServer;
  private port = 0;

  private constructor(private readonly opts: FakeDiscordOptions) {
    this.appId = opts.appId ?? '1290000000000000001';
    this.botUser = opts.botUser ?? { id: '1290000000000000001', username: 'liqzone' };
    this.guilds = opts.guilds ?? [
      { id: '1290000000000000100', name: 'Perp Traders', channels: [{ id: '1290000000000000200', name: 'general' }] },
    ];
    this.events.setMaxListeners(100);
  }

  static async start(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(opts);
    await fake.listen(opts.port ?? 0);
    return fake;
  }

  /** REST base for discord.js (`rest: { api }`), e.g. `http://127.0.0.1:PORT/api`. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  /** Number of bot connections that completed IDENTIFY and got READY. */
  get readyConnections(): number {
    return this.identified.size;
  }

  snowflake(): string {
    this.nextSnowflake += 1n;
    return this.nextSnowflake.toString();
  }

  // ---------------------------------------------------------------- waiting

  /**
   * Resolves with the first truthy value of `predicate`, re-checked after every recorded REST call
   * and gateway message; rejects after `timeoutMs`.
   */
  waitFor<T>(predicate: (fake: FakeDiscord) => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const v = predicate(this);
        if (v) {
          cleanup();
          resolve(v);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`FakeDiscord.waitFor timed out after ${timeoutMs} ms; calls so far: ${this.calls.map((c) => `${c.method} ${c.path} ${c.status}`).join(', ') || 'none'}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off('change', check);
      };
      this.events.on('change', check);
      check();
    });
  }

  /** Waits for a REST call matching `match` (method + path regex or predicate). */
  waitForCall(match: ((c: RecordedRestCall) => boolean) | { method: string; path: RegExp }, timeoutMs = 10_000): Promise<RecordedRestCall> {
    const fn = typeof match === 'function' ? match : (c: RecordedRestCall) => c.method === match.method && match.path.test(c.path);
    return this.waitFor(() => this.calls.find(fn), timeoutMs);
  }

  // ---------------------------------------------------------------- scripted failures

  /** Answers the next `times` requests on a route with 429 and `retry_after` (seconds). */
  rateLimit(method: string, path: string | RegExp, times: number, retryAfterSec: number): void {
    this.overrides.push({
      method: method.toUpperCase(),
      path,
      remaining: times,
      respond: () => ({
        status: 429,
        body: { message: 'You are being rate limited.', retry_after: retryAfterSec, global: false },
        headers: {
          'Retry-After': String(retryAfterSec),
          'X-RateLimit-Limit': '5',
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset-After': String(retryAfterSec),
          'X-RateLimit-Bucket': `fake-${typeof path === 'string' ? path : path.source}`,
          'X-RateLimit-Scope': 'user',
        },
      }),
    });
  }

  /** Answers the next `times` requests on a route with a Discord JSON error. */
  failRoute(method: string, path: string | RegExp, times: number, status: number, code: number, message: string): void {
    this.overrides.push({ method: method.toUpperCase(), path, remaining: times, respond: () => ({ status, body: { message, code } }) });
  }

  // ---------------------------------------------------------------- interactions

  /** A slash command typed by `origin.user`. `options` are the values of the (sub)command's options. */
  injectCommand(name: string, options: Record<string, string | number> = {}, origin: InteractionOrigin, subcommand?: string): InjectedInteraction {
    return this.inject(2, origin, { id: this.commandId(name), name, type: 1, options: this.commandOptions(name, options, subcommand), ...this.guildScope(origin) });
  }

  /** An autocomplete request while `focused` is being typed with the partial value `options[focused]`. */
  injectAutocomplete(name: string, options: Record<string, string | number>, focused: string, origin: InteractionOrigin, subcommand?: string): InjectedInteraction {
    const opts = this.commandOptions(name, options, subcommand, focused);
    return this.inject(4, origin, { id: this.commandId(name), name, type: 1, options: opts, ...this.guildScope(origin) });
  }

  /** A press on a button with `customId`, on a message the bot sent earlier. */
  injectButton(customId: string, origin: InteractionOrigin, messageId?: string): InjectedInteraction {
    const channelId = this.channelFor(origin);
    const message = this.messageObject(messageId ?? this.snowflake(), channelId, { content: '', components: [] }, []);
    return this.inject(3, origin, { custom_id: customId, component_type: 2 }, { message });
  }

  /**
   * Sends a raw gateway dispatch to every identified connection. While no bot is connected
   * (not logged in yet, or reconnecting after a missed heartbeat on a loaded machine) events are
   * queued and delivered after the next READY or RESUMED.
   */
  dispatch(t: string, d: unknown): void {
    if (this.identified.size === 0) {
      this.queued.push({ t, d });
      return;
    }
    for (const ws of this.identified) this.send(ws, { op: 0, t, d, s: this.nextSeq(ws) });
  }

  private flushQueued(ws: WebSocket): void {
    for (const { t, d } of this.queued.splice(0)) this.send(ws, { op: 0, t, d, s: this.nextSeq(ws) });
  }

  private inject(type: number, origin: InteractionOrigin, data: unknown, extra: Record<string, unknown> = {}): InjectedInteraction {
    const id = this.snowflake();
    const token = `itoken_${id}`;
    const user = this.userObject(origin.user);
    const channelId = this.channelFor(origin);
    const guildId = origin.guildId;
    const payload: Record<string, unknown> = {
      id,
      application_id: this.appId,
      type,
      token,
      version: 1,
      data,
      channel_id: channelId,
      locale: 'en-US',
      app_permissions: MANAGER_PERMISSIONS.toString(),
      entitlements: [],
      attachment_size_limit: 10 * 1024 * 1024,
      // discord.js 14.28 crashes on interactions without these two.
      authorizing_integration_owners: guildId ? { '0': guildId } : { '1': origin.user.id },
      context: guildId ? 0 : 1,
      ...extra,
    };
    if (guildId) {
      const guild = this.guilds.find((g) => g.id === guildId);
      payload.guild_id = guildId;
      payload.guild_locale = 'en-US';
      payload.guild = { id: guildId, locale: 'en-US', features: [] };
      payload.channel = { id: channelId, type: 0, guild_id: guildId, name: guild?.channels.find((c) => c.id === channelId)?.name ?? 'channel', permissions: (origin.permissions ?? MEMBER_PERMISSIONS).toString() };
      payload.member = {
        user,
        roles: [],
        permissions: (origin.permissions ?? MEMBER_PERMISSIONS).toString(),
        joined_at: new Date(0).toISOString(),
        deaf: false,
        mute: false,
        flags: 0,
        pending: false,
        nick: null,
        avatar: null,
        premium_since: null,
        communication_disabled_until: null,
      };
    } else {
      payload.user = user;
      payload.channel = { id: channelId, type: 1, recipients: [user] };
    }
    this.dispatch('INTERACTION_CREATE', payload);
    return { id, token, calls: () => this.calls.filter((c) => c.path.includes(`/${id}/`) || c.path.includes(`/${token}`)) };
  }

  private guildScope(origin: InteractionOrigin): Record<string, string> {
    return origin.guildId ? { guild_id: origin.guildId } : {};
  }

  private commandId(name: string): string {
    return `12900000000000${String(Math.abs(hash(name)) % 100000).padStart(5, '0')}`;
  }

  /** Builds option payloads, typed from the registered command when the bot deployed one. */
  private commandOptions(name: string, values: Record<string, string | number>, subcommand?: string, focused?: string): unknown[] {
    const registered = [...this.registeredCommands.values()].flat().find((c) => c.name === name);
    const defs = subcommand ? registered?.options?.find((o) => o.name === subcommand)?.options : registered?.options;
    const leaf = Object.entries(values).map(([k, v]) => ({
      name: k,
      type: defs?.find((d) => d.name === k)?.type ?? (typeof v === 'number' ? OPTION_TYPE.number : OPTION_TYPE.string),
      value: v,
      ...(focused === k ? { focused: true } : {}),
    }));
    return subcommand ? [{ name: subcommand, type: OPTION_TYPE.subcommand, options: leaf }] : leaf;
  }

  private channelFor(origin: InteractionOrigin): string {
    if (!origin.guildId) return this.dmChannelOf(origin.user.id);
    if (origin.channelId) return origin.channelId;
    const guild = this.guilds.find((g) => g.id === origin.guildId);
    if (!guild?.channels[0]) throw new Error(`FakeDiscord: unknown guild ${origin.guildId}`);
    return guild.channels[0].id;
  }

  private dmChannelOf(userId: string): string {
    let id = this.dmChannels.get(userId);
    if (!id) {
      id = this.snowflake();
      this.dmChannels.set(userId, id);
    }
    return id;
  }

  private userObject(u: FakeDiscordUser, bot = false): Record<string, unknown> {
    return { id: u.id, username: u.username, global_name: u.username, discriminator: '0', avatar: null, bot, flags: 0, public_flags: 0 };
  }

  private messageObject(id: string, channelId: string, body: Record<string, unknown>, files: RecordedFile[]): Record<string, unknown> {
    return {
      id,
      channel_id: channelId,
      author: this.userObject(this.botUser, true),
      content: body.content ?? '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: files.map((f, i) => ({ id: String(i), filename: f.name, size: f.data.length, url: `${this.apiUrl}/attachments/${f.name}`, proxy_url: '', content_type: f.contentType })),
      embeds: body.embeds ?? [],
      components: body.components ?? [],
      pinned: false,
      type: 0,
      flags: body.flags ?? 0,
      webhook_id: undefined,
      application_id: this.appId,
    };
  }

  // ---------------------------------------------------------------- server

  private async listen(port: number): Promise<void> {
    this.server = createServer((req, res) => void this.handleHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onGateway(ws));
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.identified.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.events.removeAllListeners();
  }

  private onGateway(ws: WebSocket): void {
    this.sockets.add(ws);
    this.seqBySocket.set(ws, 0);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.identified.delete(ws);
      this.events.emit('change');
    });
    ws.on('message', (raw) => {
      let msg: { op: number; d: unknown };
      try {
        msg = JSON.parse(String(raw));
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      this.gatewayReceived.push({ op: msg.op, d: msg.d });
      this.onGatewayMessage(ws, msg);
      this.events.emit('change');
    });
    this.send(ws, { op: 10, d: { heartbeat_interval: this.opts.heartbeatIntervalMs ?? 1000 }, s: null, t: null });
  }

  private onGatewayMessage(ws: WebSocket, msg: { op: number; d: unknown }): void {
    switch (msg.op) {
      case 1: // HEARTBEAT
        this.send(ws, { op: 11, d: null, s: null, t: null });
        break;
      case 2: // IDENTIFY
        this.identified.add(ws);
        this.send(ws, { op: 0, t: 'READY', s: this.nextSeq(ws), d: this.readyPayload() });
        for (const g of this.guilds) this.send(ws, { op: 0, t: 'GUILD_CREATE', s: this.nextSeq(ws), d: this.guildPayload(g) });
        this.flushQueued(ws);
        break;
      case 6: // RESUME
        this.identified.add(ws);
        this.send(ws, { op: 0, t: 'RESUMED', s: this.nextSeq(ws), d: {} });
        this.flushQueued(ws);
        break;
      default:
        break; // presence updates, member requests: not modelled
    }
  }

  private send(ws: WebSocket, payload: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload));
  }

  private nextSeq(ws: WebSocket): number {
    const s = (this.seqBySocket.get(ws) ?? 0) + 1;
    this.seqBySocket.set(ws, s);
    return s;
  }

  private readyPayload(): unknown {
    return {
      v: 10,
      user: { ...this.userObject(this.botUser, true), verified: true, mfa_enabled: false },
      guilds: this.guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: `session_${this.snowflake()}`,
      resume_gateway_url: this.gatewayUrl,
      shard: [0, 1],
      application: { id: this.appId, flags: 0 },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      user_settings: {},
    };
  }

  private guildPayload(g: FakeDiscordGuild): unknown {
    return {
      id: g.id,
      name: g.name,
      icon: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: '1290000000000000999',
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      premium_tier: 0,
      premium_progress_bar_enabled: false,
      preferred_locale: 'en-US',
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      vanity_url_code: null,
      application_id: null,
      widget_enabled: false,
      max_video_channel_users: 25,
      features: [],
      emojis: [],
      stickers: [],
      roles: [{ id: g.id, name: '@everyone', color: 0, hoist: false, position: 0, permissions: MEMBER_PERMISSIONS.toString(), managed: false, mentionable: false, flags: 0 }],
      joined_at: new Date(0).toISOString(),
      large: false,
      unavailable: false,
      member_count: 2,
      voice_states: [],
      members: [{ user: this.userObject(this.botUser, true), roles: [], joined_at: new Date(0).toISOString(), deaf: false, mute: false, flags: 0 }],
      channels: g.channels.map((c, i) => ({ id: c.id, type: 0, name: c.name, position: i, permission_overwrites: [], parent_id: null, topic: null, nsfw: false, rate_limit_per_user: 0, last_message_id: null })),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    const path = decodeURIComponent(url.pathname.replace(/^\/api(\/v\d+)?/, ''));
    const call: RecordedRestCall = { method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), body: undefined, files: [], status: 0, at: Date.now() };
    try {
      await parseRequestBody(req.headers['content-type'], raw, call);
    } catch (err) {
      return this.finish(res, call, 400, { message: `fake: bad body: ${(err as Error).message}`, code: 50109 });
    }

    const override = this.overrides.find((o) => o.remaining > 0 && o.method === call.method && (typeof o.path === 'string' ? o.path === path : o.path.test(path)));
    if (override) {
      override.remaining--;
      const r = override.respond(call);
      return this.finish(res, call, r.status, r.body, r.headers);
    }
    const [status, body] = this.route(call);
    this.finish(res, call, status, body);
  }

  private route(call: RecordedRestCall): [number, unknown] {
    const { method, path } = call;
    const body = (call.body ?? {}) as Record<string, unknown>;
    let m: RegExpMatchArray | null;
    if (method === 'GET' && (path === '/gateway/bot' || path === '/gateway')) {
      return [200, { url: this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 } }];
    }
    if (method === 'POST' && /^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) {
      if (call.query.with_response === 'true') {
        return [200, { interaction: { id: path.split('/')[2], type: 2 }, resource: { type: body.type } }];
      }
      return [204, undefined];
    }
    if ((m = path.match(/^\/webhooks\/(\d+)\/([^/]+)\/messages\/([^/]+)$/))) {
      if (method === 'DELETE') return [204, undefined];
      return [200, this.messageObject(m[3] === '@original' ? this.snowflake() : m[3]!, '0', body, call.files)];
    }
    if (method === 'POST' && (m = path.match(/^\/webhooks\/(\d+)\/([^/]+)$/))) {
      return [200, this.messageObject(this.snowflake(), '0', body, call.files)];
    }
    if (method === 'POST' && path === '/users/@me/channels') {
      const recipient = String(body.recipient_id ?? '');
      if (!/^\d{17,20}$/.test(recipient)) return [400, { message: 'Invalid Form Body', code: 50035 }];
      return [200, { id: this.dmChannelOf(recipient), type: 1, recipients: [this.userObject({ id: recipient, username: `user${recipient.slice(-4)}` })], last_message_id: null }];
    }
    if (method === 'POST' && (m = path.match(/^\/channels\/(\d+)\/messages$/))) {
      const channelId = m[1]!;
      const dmOwner = [...this.dmChannels.entries()].find(([, ch]) => ch === channelId)?.[0];
      const inGuild = this.guilds.some((g) => g.channels.some((c) => c.id === channelId));
      if (!dmOwner && !inGuild) return [404, { message: 'Unknown Channel', code: 10003 }];
      if (dmOwner && this.dmBlockedUsers.has(dmOwner)) return [403, { message: 'Cannot send messages to this user', code: 50007 }];
      return [200, this.messageObject(this.snowflake(), channelId, body, call.files)];
    }
    if (method === 'PUT' && (m = path.match(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/))) {
      const list = (Array.isArray(call.body) ? call.body : []) as { name: string }[];
      const withIds = list.map((c) => ({ ...c, id: this.commandId(c.name), application_id: m![1], version: this.snowflake(), ...(m![2] ? { guild_id: m![2] } : {}) }));
      this.registeredCommands.set(m[2] ?? 'global', withIds as never);
      return [200, withIds];
    }
    return [404, { message: '404: Not Found', code: 0 }];
  }

  private finish(res: ServerResponse, call: RecordedRestCall, status: number, body: unknown, headers: Record<string, string> = {}): void {
    call.status = status;
    this.calls.push(call);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (body === undefined) {
      // No content-type on empty bodies: @discordjs/rest would try to JSON.parse them.
      res.writeHead(status);
      res.end();
    } else {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    }
    this.events.emit('change');
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function parseRequestBody(contentType: string | undefined, raw: Buffer, call: RecordedRestCall): Promise<void> {
  if (raw.length === 0) return;
  if (contentType?.startsWith('multipart/form-data')) {
    // discord.js writes standard multipart, which Node's own parser accepts.
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') call.body = JSON.parse(value);
      } else {
        call.files.push({ field, name: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
      }
    }
    return;
  }
  call.body = JSON.parse(raw.toString('utf8'));
}

function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return h;
}
