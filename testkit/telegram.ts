/**
 * A local fake of the Telegram Bot API for offline tests and demos. grammY points at it with
 * `client: { apiRoot }`; requests arrive as `/bot<token>/<method>`. It long-polls `getUpdates`
 * properly, parses JSON, urlencoded and multipart bodies (grammY's multipart headers are not what
 * Node's own FormData parser accepts, so this parses by hand), records every call, and can be told
 * to answer with 429/403/400. Imports nothing from vitest.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TgUser {
  id: number;
  first_name: string;
  username?: string;
  is_bot?: boolean;
}

export interface TgChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  first_name?: string;
}

export interface RecordedFilePart {
  name: string;
  contentType: string;
  data: Buffer;
}

export interface RecordedBotCall {
  method: string;
  token: string;
  /** Parameters, with JSON-looking multipart fields parsed (reply_markup, …). */
  params: Record<string, unknown>;
  /** Uploaded files by parameter name (`attach://` references resolved, e.g. `photo`). */
  files: Record<string, RecordedFilePart>;
  /** What the fake answered. */
  status: number;
  response: { ok: boolean; result?: unknown; error_code?: number; description?: string; parameters?: { retry_after?: number } };
  at: number;
}

export interface FakeTelegramOptions {
  /** Fixed port (demo); default 0 = any free loopback port. */
  port?: number;
  bot?: TgUser;
  /** Longest a getUpdates long poll is held, seconds (default 1: keeps shutdown quick). */
  maxPollTimeoutSec?: number;
}

type Responder = (call: RecordedBotCall) => { status: number; body: RecordedBotCall['response'] } | undefined;

interface Override {
  method: string;
  remaining: number;
  respond: Responder;
}

export class FakeTelegram {
  readonly calls: RecordedBotCall[] = [];
  readonly bot: TgUser;
  /** Chats whose messages fail with 403 "bot was blocked by the user". */
  readonly blockedChats = new Set<number>();
  /** Chats that answer 400 "chat not found". */
  readonly missingChats = new Set<number>();

  private readonly events = new EventEmitter();
  private readonly overrides: Override[] = [];
  private readonly updates: { update_id: number; [k: string]: unknown }[] = [];
  private readonly pollers = new Set<() => void>();
  private readonly admins = new Map<number, Map<number, 'administrator' | 'creator'>>();
  private nextUpdateId = 1;
  private nextMessageId = 1000;
  private nextCallbackId = 1;
  private server!: Server;
  private port = 0;
  private stopped = false;

  private constructor(private readonly opts: FakeTelegramOptions) {
    this.bot = opts.bot ?? { id: 7000000001, first_name: 'liqzone', username: 'liqzone_bot', is_bot: true };
    this.events.setMaxListeners(100);
  }

  static async start(opts: FakeTelegramOptions = {}): Promise<FakeTelegram> {
    const fake = new FakeTelegram(opts);
    await fake.listen(opts.port ?? 0);
    return fake;
  }

  /** For grammY: `new Bot(token, { client: { apiRoot } })` (no trailing slash). */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  // ---------------------------------------------------------------- chats and users

  static privateChat(user: TgUser): TgChat {
    return { id: user.id, type: 'private', first_name: user.first_name };
  }

  static group(id: number, title = 'Perp Traders'): TgChat {
    return { id, type: 'supergroup', title };
  }

  /** Makes `userId` an administrator (or the creator) of `chatId` for getChatMember. */
  setAdmin(chatId: number, userId: number, status: 'administrator' | 'creator' = 'administrator'): void {
    let m = this.admins.get(chatId);
    if (!m) this.admins.set(chatId, (m = new Map()));
    m.set(userId, status);
  }

  // ---------------------------------------------------------------- updates

  /** A text message from `from` in `chat`; a leading `/command` gets its bot_command entity. */
  injectMessage(text: string, from: TgUser, chat: TgChat = FakeTelegram.privateChat(from)): { update_id: number; message_id: number } {
    const message_id = this.nextMessageId++;
    const command = text.match(/^\/[^\s]+/);
    const message = {
      message_id,
      date: Math.floor(Date.now() / 1000),
      chat,
      from: { is_bot: false, ...from },
      text,
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
    };
    return { update_id: this.pushUpdate({ message }), message_id };
  }

  /** A press on an inline button with `data`, on a bot message in `chat`. */
  injectCallback(data: string, from: TgUser, chat: TgChat = FakeTelegram.privateChat(from), messageId?: number): { update_id: number; callback_query_id: string } {
    const id = `cbq${this.nextCallbackId++}`;
    const message = { message_id: messageId ?? this.nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from: this.bot, text: '…' };
    const callback_query = { id, from: { is_bot: false, ...from }, chat_instance: `ci${chat.id}`, data, message };
    return { update_id: this.pushUpdate({ callback_query }), callback_query_id: id };
  }

  private pushUpdate(body: Record<string, unknown>): number {
    const update_id = this.nextUpdateId++;
    this.updates.push({ update_id, ...body });
    for (const wake of [...this.pollers]) wake();
    return update_id;
  }

  // ---------------------------------------------------------------- scripted failures

  /** Answers the next `times` calls of `method` with 429 and `retry_after` seconds. */
  rateLimit(method: string, times: number, retryAfterSec: number): void {
    this.respondWith(method, times, () => ({
      status: 429,
      body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfterSec}`, parameters: { retry_after: retryAfterSec } },
    }));
  }

  /** Custom answer for the next `times` calls of `method` (return undefined to fall through). */
  respondWith(method: string, times: number, respond: Responder): void {
    this.overrides.push({ method, remaining: times, respond });
  }

  // ---------------------------------------------------------------- waiting

  /** Resolves with the first truthy value of `predicate`, re-checked after every call; rejects after `timeoutMs`. */
  waitFor<T>(predicate: (fake: FakeTelegram) => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const v = predicate(this);
        if (v) {
          cleanup();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        const seen = this.calls.filter((c) => c.method !== 'getUpdates').map((c) => `${c.method} ${c.status}`);
        reject(new Error(`FakeTelegram.waitFor timed out after ${timeoutMs} ms; calls so far: ${seen.join(', ') || 'none'}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off('change', check);
      };
      this.events.on('change', check);
      check();
    });
  }

  /** Calls of `method` (optionally to `chatId`) recorded so far. */
  callsOf(method: string, chatId?: number): RecordedBotCall[] {
    return this.calls.filter((c) => c.method === method && (chatId === undefined || String(c.params.chat_id) === String(chatId)));
  }

  /** Waits for the first successful call of `method` to `chatId` recorded after call index `after`. */
  waitForCall(method: string | string[], opts: { chatId?: number; after?: number; timeoutMs?: number } = {}): Promise<RecordedBotCall> {
    const methods = Array.isArray(method) ? method : [method];
    return this.waitFor(
      () =>
        this.calls
          .slice(opts.after ?? 0)
          .find((c) => methods.includes(c.method) && c.status === 200 && (opts.chatId === undefined || String(c.params.chat_id) === String(opts.chatId))),
      opts.timeoutMs,
    );
  }

  // ---------------------------------------------------------------- server

  private async listen(port: number): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of [...this.pollers]) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.events.removeAllListeners();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = url.pathname.match(/^\/bot([^/]+)\/([A-Za-z]+)$/);
    const raw = await readBody(req);
    if (!m) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
      return;
    }
    const call: RecordedBotCall = { method: m[2]!, token: decodeURIComponent(m[1]!), params: Object.fromEntries(url.searchParams), files: {}, status: 0, response: { ok: false }, at: Date.now() };
    try {
      parseBody(req.headers['content-type'] ?? '', raw, call);
    } catch (err) {
      return this.finish(res, call, 400, { ok: false, error_code: 400, description: `Bad Request: ${(err as Error).message}` });
    }

    const override = this.overrides.find((o) => o.remaining > 0 && o.method === call.method);
    if (override) {
      const answer = override.respond(call);
      if (answer) {
        override.remaining--;
        return this.finish(res, call, answer.status, answer.body);
      }
    }
    if (call.method === 'getUpdates') return this.getUpdates(req, res, call);
    const [status, body] = this.route(call);
    this.finish(res, call, status, body);
  }

  private async getUpdates(req: IncomingMessage, res: ServerResponse, call: RecordedBotCall): Promise<void> {
    const offset = Number(call.params.offset ?? 0);
    const limit = Math.min(100, Number(call.params.limit ?? 100));
    const timeoutSec = Math.min(Number(call.params.timeout ?? 0), this.opts.maxPollTimeoutSec ?? 1);
    // Confirmed updates (id below offset) are forgotten, like the real API.
    while (this.updates.length && this.updates[0]!.update_id < offset) this.updates.shift();
    const pending = () => this.updates.filter((u) => u.update_id >= offset).slice(0, limit);
    if (pending().length === 0 && timeoutSec > 0 && !this.stopped) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.pollers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, timeoutSec * 1000);
        this.pollers.add(wake);
        res.once('close', wake);
      });
    }
    if (res.destroyed) return;
    this.finish(res, call, 200, { ok: true, result: pending() });
  }

  private route(call: RecordedBotCall): [number, RecordedBotCall['response']] {
    const p = call.params;
    const ok = (result: unknown): [number, RecordedBotCall['response']] => [200, { ok: true, result }];
    const chatId = Number(p.chat_id);
    const chatError = (): [number, RecordedBotCall['response']] | undefined => {
      if (this.blockedChats.has(chatId)) return [403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' }];
      if (this.missingChats.has(chatId)) return [400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' }];
      return undefined;
    };
    switch (call.method) {
      case 'getMe':
        return ok({ ...this.bot, is_bot: true, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
      case 'deleteWebhook':
      case 'setWebhook':
      case 'setMyCommands':
      case 'deleteMyCommands':
      case 'sendChatAction':
      case 'answerCallbackQuery':
      case 'deleteMessage':
        return ok(true);
      case 'getChatMember': {
        const userId = Number(p.user_id);
        const status = this.admins.get(chatId)?.get(userId) ?? 'member';
        return ok({ status, user: { id: userId, is_bot: false, first_name: `user${userId}` } });
      }
      case 'sendMessage': {
        const err = chatError();
        if (err) return err;
        if (typeof p.text !== 'string' || p.text.length === 0) return [400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' }];
        if (p.text.length > 4096) return [400, { ok: false, error_code: 400, description: 'Bad Request: message is too long' }];
        return ok(this.botMessage(chatId, { text: p.text }));
      }
      case 'sendPhoto': {
        const err = chatError();
        if (err) return err;
        if (!call.files.photo && typeof p.photo !== 'string') return [400, { ok: false, error_code: 400, description: 'Bad Request: there is no photo in the request' }];
        if (typeof p.caption === 'string' && p.caption.length > 1024) return [400, { ok: false, error_code: 400, description: 'Bad Request: message caption is too long' }];
        return ok(this.botMessage(chatId, { photo: [{ file_id: `photo${this.nextMessageId}`, file_unique_id: 'u', width: 960, height: 540 }], caption: p.caption }));
      }
      case 'editMessageText':
        return ok(this.botMessage(chatId, { text: p.text }));
      case 'editMessageReplyMarkup':
        return ok(this.botMessage(chatId, {}));
      default:
        return [404, { ok: false, error_code: 404, description: 'Not Found: method not found' }];
    }
  }

  private botMessage(chatId: number, extra: Record<string, unknown>): Record<string, unknown> {
    const chat: TgChat = chatId < 0 ? { id: chatId, type: 'supergroup', title: 'group' } : { id: chatId, type: 'private', first_name: 'user' };
    return { message_id: this.nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from: { ...this.bot, is_bot: true }, ...extra };
  }

  private finish(res: ServerResponse, call: RecordedBotCall, status: number, body: RecordedBotCall['response']): void {
    call.status = status;
    call.response = body;
    this.calls.push(call);
    if (!res.destroyed) {
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

function parseBody(contentType: string, raw: Buffer, call: RecordedBotCall): void {
  if (raw.length === 0) return;
  if (contentType.startsWith('application/json')) {
    Object.assign(call.params, JSON.parse(raw.toString('utf8')));
  } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
    Object.assign(call.params, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
  } else if (contentType.startsWith('multipart/form-data')) {
    const boundary = contentType.match(/boundary=(?:"([^"]+)"|([^;]+))/);
    if (!boundary) throw new Error('multipart without boundary');
    const parts = parseMultipart(raw, boundary[1] ?? boundary[2]!);
    const uploads = new Map<string, RecordedFilePart>();
    for (const part of parts) {
      if (part.filename !== undefined) {
        uploads.set(part.name, { name: part.filename, contentType: part.contentType ?? 'application/octet-stream', data: part.data });
      } else {
        const text = part.data.toString('utf8');
        // Multipart values are text; objects and booleans arrive JSON-encoded.
        call.params[part.name] = /^[[{]/.test(text) || text === 'true' || text === 'false' ? JSON.parse(text) : text;
      }
    }
    for (const [key, value] of Object.entries(call.params)) {
      const ref = typeof value === 'string' && value.startsWith('attach://') ? uploads.get(value.slice('attach://'.length)) : undefined;
      if (ref) call.files[key] = ref;
    }
    // A file sent directly under its parameter name (no attach:// indirection).
    for (const [name, file] of uploads) if (!(name in call.params)) call.files[name] = file;
  } else {
    throw new Error(`unsupported content-type ${contentType}`);
  }
}

interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/**
 * Minimal multipart/form-data parser. Tolerates grammY's header style
 * (`content-disposition:form-data;name="x";filename=a.png`: no spaces, unquoted filename).
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    let start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    // Part content ends with CRLF before the next delimiter.
    const end = body.subarray(next - 2, next).toString() === '\r\n' ? next - 2 : next;
    const part = body.subarray(start, end);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8').split('\r\n');
      const data = part.subarray(headerEnd + 4);
      let name = '';
      let filename: string | undefined;
      let contentType: string | undefined;
      for (const h of headers) {
        const [key, ...rest] = h.split(':');
        const value = rest.join(':').trim();
        if (key!.trim().toLowerCase() === 'content-disposition') {
          name = value.match(/(?:^|;)\s*name="?([^";]*)"?/i)?.[1] ?? '';
          filename = value.match(/(?:^|;)\s*filename="?([^";]*)"?/i)?.[1];
        } else if (key!.trim().toLowerCase() === 'content-type') {
          contentType = value;
        }
      }
      parts.push({ name, filename, contentType, data: Buffer.from(data) });
    }
    pos = next;
  }
  return parts;
}
