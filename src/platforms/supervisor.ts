/**
 * Starts a chat platform in the background and keeps trying: a platform whose API cannot be
 * reached never blocks start-up, the other platform, the notifier or signal handling. The first
 * failure is logged at once ("telegram: api.telegram.org unreachable, retrying in 2 s"), then
 * retried with exponential backoff until it connects or the app stops.
 */
import type { LogFn } from '../ops/log.ts';
import type { Reply } from '../bot/reply.ts';
import type { AlertSender, SendResult } from '../notify/types.ts';
import type { Destination } from '../store/types.ts';

export type PlatformLog = LogFn;

export interface PlatformHandle {
  sender: AlertSender;
  stop(): Promise<void>;
  /**
   * Settles (with the reason) if the platform stops working after it was ready — Telegram's
   * long-polling loop ending on a 401 or 409, say. The supervisor then reconnects, or stops trying
   * when the token was rejected.
   */
  lost?: Promise<unknown>;
}

export interface SuperviseOptions<H extends PlatformHandle> {
  name: 'telegram' | 'discord';
  /** Host named in the log line (no credentials). */
  host: string;
  /** One attempt; rejects when the platform cannot be reached. Should give up when `signal` aborts. */
  start(signal: AbortSignal): Promise<H>;
  log: PlatformLog;
  /** First retry delay (default 2 s), doubling up to `maxDelayMs` (default 60 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Called once when connected. */
  onReady?(handle: H): void;
  /** How long stop() waits for an attempt in flight (default 3 s). */
  stopWaitMs?: number;
}

/** `failed`: the platform rejected the token; not retried (a new token needs a restart). */
export type PlatformState = 'starting' | 'retrying' | 'ready' | 'failed' | 'stopped';

export interface SupervisedPlatform<H extends PlatformHandle> {
  readonly name: string;
  /** Delivers through the platform once connected; before that, asks the queue to retry later. */
  readonly sender: AlertSender;
  state(): PlatformState;
  /** The last reason it could not connect. */
  lastError(): string | undefined;
  /** Resolves with the handle once connected (never rejects; stays pending if it never connects). */
  readonly ready: Promise<H>;
  stop(): Promise<void>;
}

/** Why an attempt failed, in words an operator acts on. */
export function describeStartError(err: unknown): { unreachable: boolean; text: string; tokenRejected?: boolean } {
  const e = err as { error_code?: number; description?: string; message?: string; code?: string; cause?: { code?: string; message?: string }; status?: number };
  const code = e?.cause?.code ?? e?.code;
  const message = e?.description ?? e?.message ?? String(err);
  if (e?.error_code === 401 || e?.status === 401 || /401|unauthori[sz]ed|invalid token|TokenInvalid/i.test(message)) return { unreachable: false, text: 'token rejected (check the token)', tokenRejected: true };
  if (e?.error_code === 409 || /409|Conflict: terminated by other getUpdates/i.test(message)) return { unreachable: false, text: 'another process is polling with this bot token (409 Conflict): run one Telegram poller per token' };
  const network = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|UND_ERR|fetch failed|Network request|timed? ?out|aborted|socket hang up|not ready within/i;
  if ((code && network.test(code)) || network.test(message)) return { unreachable: true, text: `${code ?? message}`.slice(0, 200) };
  return { unreachable: false, text: message.slice(0, 200) };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export function supervisePlatform<H extends PlatformHandle>(opts: SuperviseOptions<H>): SupervisedPlatform<H> {
  const abort = new AbortController();
  let state: PlatformState = 'starting';
  let handle: H | undefined;
  let lastError: string | undefined;
  let attempt: Promise<H> | undefined;
  let resolveReady!: (h: H) => void;
  const ready = new Promise<H>((r) => (resolveReady = r));

  const loop = (async () => {
    let delay = opts.initialDelayMs ?? 2_000;
    const maxDelay = opts.maxDelayMs ?? 60_000;
    let everReady = false;
    for (let n = 1; !abort.signal.aborted; n++) {
      let h: H;
      try {
        attempt = opts.start(abort.signal);
        h = await attempt;
      } catch (err) {
        if (abort.signal.aborted) return;
        const why = describeStartError(err);
        lastError = why.text;
        if (why.tokenRejected && everReady) {
          // it worked before and the platform now refuses the token: revoked; retrying cannot help
          state = 'failed';
          opts.log('error', `${opts.name}: ${why.text} on ${opts.host}; not retrying — set a valid token and restart`);
          return;
        }
        state = 'retrying';
        const seconds = Math.round(delay / 100) / 10;
        opts.log(n === 1 ? 'warn' : 'info', `${opts.name}: ${why.unreachable ? `${opts.host} unreachable,` : `cannot start on ${opts.host}: ${why.text};`} retrying in ${seconds} s${why.unreachable ? ` (${why.text})` : ''}`, { attempt: n });
        await sleep(delay, abort.signal);
        delay = Math.min(delay * 2, maxDelay);
        continue;
      } finally {
        attempt = undefined;
      }
      if (abort.signal.aborted) {
        await h.stop().catch(() => {});
        return;
      }
      handle = h;
      state = 'ready';
      lastError = undefined;
      if (n > 1) opts.log('info', `${opts.name}: connected to ${opts.host} after ${n} attempts`);
      if (!everReady) {
        everReady = true;
        opts.onReady?.(h);
        resolveReady(h);
      }
      if (!h.lost) return;
      // Ready: watch for the platform dropping out later (the loop resumes only then, or at stop).
      const reason = await Promise.race([h.lost.then((r) => ({ r }), (r: unknown) => ({ r })), new Promise<undefined>((r) => abort.signal.addEventListener('abort', () => r(undefined), { once: true }))]);
      if (!reason || abort.signal.aborted) return;
      handle = undefined;
      await h.stop().catch(() => {});
      const why = describeStartError(reason.r);
      lastError = why.text;
      if (why.tokenRejected) {
        state = 'failed';
        opts.log('error', `${opts.name}: stopped working: ${why.text}; not retrying — set a valid token and restart`);
        return;
      }
      state = 'retrying';
      delay = opts.initialDelayMs ?? 2_000;
      opts.log('error', `${opts.name}: stopped working: ${why.text}; reconnecting in ${Math.round(delay / 100) / 10} s`);
      await sleep(delay, abort.signal);
      n = 0;
    }
  })();

  const notReady = (): SendResult => ({ ok: false, retryAfterMs: 5_000, error: `${opts.name} not connected yet${lastError ? ` (${lastError})` : ''}` });
  const sender: AlertSender = {
    platform: opts.name,
    send(dest: Destination, reply: Reply, o: { silent: boolean; idempotencyKey?: string }): Promise<SendResult> {
      return handle ? handle.sender.send(dest, reply, o) : Promise.resolve(notReady());
    },
  };

  return {
    name: opts.name,
    sender,
    ready,
    state: () => state,
    lastError: () => lastError,
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      abort.abort();
      // An attempt in flight gets a moment to notice the abort; it stops itself if it connects later.
      const inFlight = attempt;
      if (inFlight) await Promise.race([inFlight.catch(() => undefined), sleep(opts.stopWaitMs ?? 3_000, new AbortController().signal)]);
      await Promise.race([loop, sleep(opts.stopWaitMs ?? 3_000, new AbortController().signal)]);
      const h = handle;
      handle = undefined;
      await h?.stop();
    },
  };
}
