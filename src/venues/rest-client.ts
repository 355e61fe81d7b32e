/**
 * A venue's REST client: fetch with a timeout, a local weight budget, and the venue's stop
 * signals obeyed (429 Retry-After, 418 ban, 403/451 blocks). Failures are values, never throws.
 */
import type { Venue } from '../market/types.ts';
import type { LogFn } from './connection.ts';
import { restChannel, type FrameRecord } from './records.ts';

export type RestErrorKind =
  | 'paused' // a previous answer told us to wait; no request was sent
  | 'budget' // the local weight budget is spent for this window; no request was sent
  | 'rate-limited' // 429 / Bybit 403 "access too frequent" / retCode 10006
  | 'banned' // 418
  | 'blocked' // 403 WAF / 451 geo
  | 'http'
  | 'network'
  | 'timeout'
  | 'bad-body'
  | 'api';

export interface RestError {
  kind: RestErrorKind;
  message: string;
  status?: number;
  /** No request to this venue before this time (ms). */
  until?: number;
}

export type RestResult =
  | { ok: true; status: number; body: unknown; text: string; recvTime: number; record: FrameRecord }
  | { ok: false; error: RestError };

export interface RequestOptions {
  weight?: number;
  signal?: AbortSignal;
  /** When the local budget is spent, wait for the next window instead of failing with `budget`. */
  waitForBudget?: boolean;
}

/** The recorded query of a POST: the body's scalar fields, then those of a nested `req` (Hyperliquid candleSnapshot). */
export function postChannelQuery(body: Record<string, unknown>): string {
  const pairs: Array<[string, string]> = [];
  const add = (o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') pairs.push([k, String(v)]);
  };
  add(body);
  if (typeof body.req === 'object' && body.req !== null && !Array.isArray(body.req)) add(body.req as Record<string, unknown>);
  return new URLSearchParams(pairs).toString();
}

export interface RestStatus {
  weightUsed: number;
  weightLimit: number;
  windowMs: number;
  bannedUntil?: number;
  note?: string;
}

export interface RestClientOptions {
  venue: Venue;
  baseUrl: string;
  fetch?: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
  /** Local budget per window: Binance 2400 weight/min, Bybit 600 requests/5 s. */
  weightLimit?: number;
  weightWindowMs?: number;
  /** Pause after a Bybit 403 (its docs: stop for at least 10 minutes). */
  tooFrequentPauseMs?: number;
  /** Pause after a geo/WAF block before trying again. */
  blockedPauseMs?: number;
  /** Retry-After when a 429/418 carries none. */
  defaultRetryAfterMs?: number;
  onRecord?(rec: FrameRecord): void;
  log?: LogFn;
}

const VENUE_DEFAULTS: Record<Venue, { weightLimit: number; weightWindowMs: number; weightHeader?: string; retryAfterMs?: number }> = {
  binance: { weightLimit: 2400, weightWindowMs: 60_000, weightHeader: 'x-mbx-used-weight-1m' },
  bybit: { weightLimit: 600, weightWindowMs: 5_000 },
  // OKX limits each endpoint (instruments 20/2 s, candles 40/2 s, OI history 5/2 s): one local
  // budget of 20 per 2 s, with the stricter endpoints charged more weight by their callers.
  okx: { weightLimit: 20, weightWindowMs: 2_000, retryAfterMs: 2_000 },
  // Hyperliquid: 1200 weight per minute per IP for everything on /info.
  hyperliquid: { weightLimit: 1200, weightWindowMs: 60_000 },
};

export class RestClient {
  readonly venue: Venue;
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly weightLimit: number;
  private readonly weightWindowMs: number;
  private readonly weightHeader?: string;
  private readonly tooFrequentPauseMs: number;
  private readonly blockedPauseMs: number;
  private readonly defaultRetryAfterMs: number;
  private readonly onRecord?: (rec: FrameRecord) => void;
  private readonly log: LogFn;
  private window = -1;
  private used = 0;
  private pausedUntil = 0;
  private banned = false;
  private note?: string;

  constructor(opts: RestClientOptions) {
    const d = VENUE_DEFAULTS[opts.venue];
    this.venue = opts.venue;
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? fetch;
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.weightLimit = opts.weightLimit ?? d.weightLimit;
    this.weightWindowMs = opts.weightWindowMs ?? d.weightWindowMs;
    this.weightHeader = d.weightHeader;
    this.tooFrequentPauseMs = opts.tooFrequentPauseMs ?? 10 * 60_000;
    this.blockedPauseMs = opts.blockedPauseMs ?? 10 * 60_000;
    this.defaultRetryAfterMs = opts.defaultRetryAfterMs ?? d.retryAfterMs ?? 60_000;
    this.onRecord = opts.onRecord;
    this.log = opts.log ?? (() => {});
  }

  /** Weight used in the current window (from the venue's header when it sends one). */
  weightUsed(): number {
    this.rollWindow();
    return this.used;
  }

  /** Whether a request of this weight may go now, keeping `reserve` of the budget free. */
  canSend(weight = 1, reserve = 0): boolean {
    this.rollWindow();
    return this.now() >= this.pausedUntil && this.used + weight <= this.weightLimit - reserve;
  }

  /** Time before which nothing is sent (a 429/418/403 pause), if one is in force. */
  blockedUntil(): number | undefined {
    return this.now() < this.pausedUntil ? this.pausedUntil : undefined;
  }

  status(): RestStatus {
    const until = this.blockedUntil();
    const out: RestStatus = { weightUsed: this.weightUsed(), weightLimit: this.weightLimit, windowMs: this.weightWindowMs };
    if (until !== undefined) out.bannedUntil = until;
    if (this.note !== undefined) out.note = this.note;
    return out;
  }

  async get(path: string, query: Record<string, string | number> = {}, opts: RequestOptions = {}): Promise<RestResult> {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
    return this.request(path, qs, undefined, opts);
  }

  /**
   * `POST path` with a JSON body (Hyperliquid `/info`). Recorded as `rest:<path>?<the body's scalar
   * fields and those of its `req` object>`, so replay finds it by request type and coin.
   */
  async post(path: string, body: Record<string, unknown>, opts: RequestOptions = {}): Promise<RestResult> {
    return this.request(path, postChannelQuery(body), JSON.stringify(body), opts);
  }

  /** Waits (abortably) until a request of this weight fits the local budget; false when aborted or paused past `maxWaitMs`. */
  async waitForBudget(weight: number, signal?: AbortSignal, maxWaitMs = 5 * 60_000): Promise<boolean> {
    const started = this.now();
    for (;;) {
      if (signal?.aborted) return false;
      if (this.canSend(weight)) return true;
      this.rollWindow();
      const nextWindow = (this.window + 1) * this.weightWindowMs;
      const until = Math.max(this.pausedUntil, nextWindow);
      if (until - started > maxWaitMs) return false;
      const wait = Math.max(5, until - this.now());
      const waited = await new Promise<boolean>((resolve) => {
        const onAbort = () => {
          clearTimeout(t);
          resolve(false);
        };
        const t = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve(true);
        }, wait);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (!waited) return false;
    }
  }

  private async request(path: string, qs: string, postBody: string | undefined, opts: RequestOptions): Promise<RestResult> {
    const weight = opts.weight ?? 1;
    if (opts.waitForBudget && !this.canSend(weight)) await this.waitForBudget(weight, opts.signal);
    const now = this.now();
    if (now < this.pausedUntil) {
      const kind = this.banned ? 'banned' : 'paused';
      return { ok: false, error: { kind, message: `${this.venue} REST ${kind} until ${new Date(this.pausedUntil).toISOString()}: ${this.note ?? ''}`.trim(), until: this.pausedUntil } };
    }
    this.banned = false;
    this.rollWindow();
    if (this.used + weight > this.weightLimit) {
      const until = (this.window + 1) * this.weightWindowMs;
      return { ok: false, error: { kind: 'budget', message: `${this.venue} REST weight budget spent (${this.used}/${this.weightLimit}); next window at ${new Date(until).toISOString()}`, until } };
    }
    this.used += weight;

    const url = `${this.base}${path}${postBody === undefined && qs ? `?${qs}` : ''}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(
        url,
        postBody === undefined
          ? { signal, headers: { accept: 'application/json' } }
          : { method: 'POST', body: postBody, signal, headers: { accept: 'application/json', 'content-type': 'application/json' } },
      );
      text = await res.text();
    } catch (err) {
      if (timeout.aborted) return { ok: false, error: { kind: 'timeout', message: `${this.venue} REST ${path}: no answer in ${this.timeoutMs} ms` } };
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      return { ok: false, error: { kind: 'network', message: `${this.venue} REST ${path}: cannot reach ${this.base} (${err instanceof Error ? err.message : String(err)}${cause})` } };
    }
    const recvTime = this.now();
    this.noteWeightHeader(res.headers);

    if (!res.ok) return { ok: false, error: this.onHttpError(path, res, text, recvTime) };

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, error: { kind: 'bad-body', status: res.status, message: `${this.venue} REST ${path}: response is not JSON` } };
    }
    const apiError = this.apiError(path, body, res.headers, recvTime);
    if (apiError) return { ok: false, error: apiError };
    this.note = undefined;
    const record: FrameRecord = { t: recvTime, v: this.venue, c: restChannel(path, qs), raw: text };
    this.onRecord?.(record);
    return { ok: true, status: res.status, body, text, recvTime, record };
  }

  private rollWindow(): void {
    const w = Math.floor(this.now() / this.weightWindowMs);
    if (w !== this.window) {
      this.window = w;
      this.used = 0;
    }
  }

  private noteWeightHeader(headers: Headers): void {
    if (!this.weightHeader) return;
    const v = Number(headers.get(this.weightHeader));
    if (headers.has(this.weightHeader) && Number.isFinite(v) && v >= 0) {
      this.rollWindow();
      this.used = v;
    }
  }

  private retryAfterMs(headers: Headers, fallback: number): number {
    const h = headers.get('retry-after');
    if (h === null) return fallback;
    const secs = Number(h);
    if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
    const at = Date.parse(h);
    return Number.isFinite(at) ? Math.max(0, at - Date.now()) : fallback;
  }

  private pause(until: number, note: string, banned = false): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
    this.banned = banned;
    this.note = note;
  }

  private onHttpError(path: string, res: Response, text: string, now: number): RestError {
    const status = res.status;
    const at = (t: number) => new Date(t).toISOString();
    if (status === 429) {
      const until = now + this.retryAfterMs(res.headers, this.defaultRetryAfterMs);
      this.pause(until, `${this.venue} answered 429 (too many requests); no REST request before ${at(until)}`);
      this.log('warn', this.note!);
      return { kind: 'rate-limited', status, until, message: this.note! };
    }
    if (status === 418) {
      // Binance bans escalate from 2 minutes; without a Retry-After assume the shortest.
      const until = now + this.retryAfterMs(res.headers, 120_000);
      this.pause(until, `${this.venue} banned this IP (418); all REST stopped until ${at(until)}`, true);
      this.log('error', this.note!);
      return { kind: 'banned', status, until, message: this.note! };
    }
    if (this.venue === 'bybit' && status === 403) {
      const geo = /countr|region|cloudfront/i.test(text);
      const until = now + (geo ? this.blockedPauseMs : this.tooFrequentPauseMs);
      const note = geo
        ? `bybit refused REST from this location (403 geo-block); retrying after ${at(until)}`
        : `bybit answered 403 "access too frequent"; REST paused until ${at(until)} (Bybit asks for at least 10 minutes)`;
      this.pause(until, note);
      this.log('error', note);
      return { kind: geo ? 'blocked' : 'rate-limited', status, until, message: note };
    }
    if (status === 451 || status === 403) {
      const until = now + this.blockedPauseMs;
      const note =
        status === 451
          ? `${this.venue} refuses service from this location (HTTP 451 geo-block); set ${this.venue.toUpperCase()}_REST_URL/_WS_URL for your region or run elsewhere`
          : `${this.venue} firewall rejected the request (HTTP 403 WAF block)`;
      this.pause(until, `${note}; retrying after ${at(until)}`);
      this.log('error', this.note!);
      return { kind: 'blocked', status, until, message: this.note! };
    }
    return { kind: 'http', status, message: `${this.venue} REST ${path}: HTTP ${status} ${text.slice(0, 200)}` };
  }

  /** Bybit wraps errors in a 200 with retCode ≠ 0, OKX with code ≠ "0". */
  private apiError(path: string, body: unknown, headers: Headers, now: number): RestError | undefined {
    if (this.venue === 'okx') return this.okxApiError(path, body, now);
    if (this.venue !== 'bybit' || typeof body !== 'object' || body === null || !('retCode' in body)) return undefined;
    const { retCode, retMsg } = body as { retCode: unknown; retMsg?: unknown };
    if (retCode === 0) return undefined;
    if (retCode === 10006) {
      const reset = Number(headers.get('x-bapi-limit-reset-timestamp'));
      const until = Number.isFinite(reset) && reset > now ? reset : now + 1_000;
      this.pause(until, `bybit rate limit (retCode 10006 ${String(retMsg ?? '')}); REST paused until ${new Date(until).toISOString()}`);
      return { kind: 'rate-limited', until, message: this.note! };
    }
    return { kind: 'api', message: `bybit REST ${path}: retCode ${String(retCode)} ${String(retMsg ?? '')}` };
  }

  /** OKX: `{code:"0"}` is success; 50011 is its rate limit ("Too Many Requests"). */
  private okxApiError(path: string, body: unknown, now: number): RestError | undefined {
    if (typeof body !== 'object' || body === null || !('code' in body)) return undefined;
    const { code, msg } = body as { code: unknown; msg?: unknown };
    if (code === '0' || code === 0) return undefined;
    if (code === '50011' || code === 50011) {
      const until = now + 2_000;
      this.pause(until, `okx rate limit (code 50011 ${String(msg ?? '')}); REST paused until ${new Date(until).toISOString()}`);
      return { kind: 'rate-limited', until, message: this.note! };
    }
    return { kind: 'api', message: `okx REST ${path}: code ${String(code)} ${String(msg ?? '')}`.trim() };
  }
}
