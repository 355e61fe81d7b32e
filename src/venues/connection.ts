/**
 * One socket lifecycle for every venue: connect, subscribe in paced batches, heartbeat,
 * watchdog, first-frame check, backoff, resubscribe, make-before-break rollover, stop.
 * Venue differences (message shapes, ping style, dedupe keys) come in through `VenueProtocol`.
 */
import WebSocket from 'ws';
import type { Venue } from '../market/types.ts';
import type { StreamStatus } from './status.ts';
import type { FrameRecord } from './records.ts';
import { createBackoff, delay, type Backoff, type BackoffOptions } from './backoff.ts';

/** Lifecycle states, as /status shows them. */
export const ConnectionState = {
  Idle: 'idle',
  Connecting: 'connecting',
  Subscribing: 'subscribing',
  Open: 'open',
  Reconnecting: 'reconnecting',
  Stopped: 'stopped',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/**
 * What a venue protocol makes of one inbound text frame. For `data`, `payload` is the whole parsed
 * message (`JSON.parse(text)`): it flows unchanged to the venue mapper, so a frame is parsed once.
 */
export type InboundFrame =
  | { type: 'data'; stream: string; payload: unknown }
  | { type: 'ack'; id?: string; ok: boolean; error?: string }
  | { type: 'pong' }
  | { type: 'ignore' }
  | { type: 'malformed'; reason: string };

export interface VenueProtocol {
  venue: Venue;
  /** One subscribe request for a batch of streams. */
  subscribeMessage(streams: readonly string[], id: string): string;
  parse(text: string): InboundFrame;
  /** Application-level ping (Bybit `{"op":"ping"}`); absent when the server pings (Binance). */
  pingMessage?(id: string): string;
  /**
   * Per-stream key that only grows (trade id, update id, event time). Used to drop duplicates
   * while two sockets overlap during a rollover; undefined = deliver as is.
   */
  dedupeKey?(stream: string, payload: unknown): number | undefined;
  /** Streams with a known cadence: their silence means the socket is dead. */
  isWatchdogStream(stream: string): boolean;
  /** How long an acknowledged stream may stay quiet before it is reported silent; undefined = may be quiet. */
  firstFrameBoundMs(stream: string, timing: ConnectionTiming): number | undefined;
}

export interface ConnectionTiming {
  connectTimeoutMs: number;
  /** Application ping period (only when the protocol has a ping). */
  heartbeatIntervalMs: number;
  /** Silence on every watchdog stream of a socket for this long → reconnect (3–5× cadence). */
  watchdogSilenceMs: number;
  /** Bound for a stream with a steady cadence to deliver its first frame after the ack. */
  firstFrameMs: number;
  /** Same bound for streams that are busy but not clocked (trades). */
  quietFirstFrameMs: number;
  /** Streams per subscribe request. */
  subscribeBatchSize: number;
  /** Minimum gap between two outbound messages on one socket (Binance allows 10/s inbound). */
  sendIntervalMs: number;
  /** Proactive make-before-break rollover after this socket age; undefined = never. */
  maxAgeMs?: number;
  /** How long a rollover successor may take to deliver its first data before it is abandoned. */
  rolloverReadyTimeoutMs: number;
  /** After the successor delivered, keep the old socket this long so frames in flight still land. */
  rolloverDrainMs: number;
  /** How long stop() waits for a clean close before terminating. */
  closeTimeoutMs: number;
  backoff: Partial<BackoffOptions>;
}

export const DEFAULT_TIMING: ConnectionTiming = {
  connectTimeoutMs: 10_000,
  heartbeatIntervalMs: 20_000,
  watchdogSilenceMs: 4_000,
  firstFrameMs: 10_000,
  quietFirstFrameMs: 120_000,
  subscribeBatchSize: 50,
  sendIntervalMs: 250,
  maxAgeMs: undefined,
  rolloverReadyTimeoutMs: 30_000,
  rolloverDrainMs: 1_000,
  closeTimeoutMs: 2_000,
  backoff: {},
};

export type { LogFn } from '../ops/log.ts';
import type { LogFn } from '../ops/log.ts';

export interface ConnectionOptions {
  /** Shown in status, e.g. `market`. */
  name: string;
  url: string;
  protocol: VenueProtocol;
  streams: readonly string[];
  timing?: Partial<ConnectionTiming>;
  now?: () => number;
  log?: LogFn;
  /**
   * A data frame that survived dedupe; `payload` is what `protocol.parse` made of it (pass it on
   * to the mapper: a frame is parsed once), `raw` is the frame exactly as received (the recorder's).
   */
  onData(stream: string, payload: unknown, recvTime: number, raw: string): void;
  onRecord?(rec: FrameRecord): void;
}

export interface ConnectionStatus {
  name: string;
  state: ConnectionState;
  reconnects: number;
  rollovers: number;
  lastError?: string;
  malformedFrames: number;
  streams: StreamStatus[];
}

interface StreamTrack {
  /** `protocol.isWatchdogStream`, asked once: the data path reads it per frame. */
  watchdog: boolean;
  ackedAt?: number;
  lastMessageAt?: number;
  silent: boolean;
  rejected?: string;
}

type SessionRole = 'primary' | 'successor';

/** One WebSocket and what it has subscribed. Owned by a Connection. */
class Session {
  readonly ws: WebSocket;
  role: SessionRole;
  openedAt?: number;
  firstDataAt?: number;
  /** Latest data on a watchdog stream, or the open time until there is some. */
  lastBeatAt?: number;
  lastAckAt?: number;
  dataAfterAllAcked = false;
  readonly pending = new Map<string, string[]>();
  batchesLeft = 0;
  private readonly queue: string[] = [];
  private lastSendAt = -Infinity;
  private sendTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  closedByUs?: string;
  /** First socket error (e.g. ECONNREFUSED), the reason a connect failed. */
  error?: string;
  readonly done: Promise<{ code: number; reason: string }>;

  constructor(url: string, role: SessionRole, private readonly timing: ConnectionTiming) {
    this.role = role;
    this.ws = new WebSocket(url, { handshakeTimeout: timing.connectTimeoutMs });
    this.done = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.clearTimers();
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  get allAcked(): boolean {
    return this.batchesLeft === 0 && this.pending.size === 0;
  }

  /** Queues a message; the queue drains no faster than one per `sendIntervalMs`. */
  send(text: string): void {
    this.queue.push(text);
    this.drain();
  }

  private drain(): void {
    if (this.sendTimer || this.queue.length === 0) return;
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const wait = this.lastSendAt + this.timing.sendIntervalMs - performance.now();
    if (wait > 0) {
      this.sendTimer = setTimeout(() => {
        this.sendTimer = undefined;
        this.drain();
      }, wait);
      return;
    }
    const text = this.queue.shift()!;
    this.lastSendAt = performance.now();
    this.ws.send(text);
    if (this.queue.length > 0) this.drain();
  }

  startHeartbeat(message: () => string): void {
    this.heartbeatTimer = setInterval(() => this.send(message()), this.timing.heartbeatIntervalMs);
  }

  close(reason: string): void {
    this.closedByUs ??= reason;
    this.clearTimers();
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, reason.slice(0, 100));
  }

  terminate(reason: string): void {
    this.closedByUs ??= reason;
    this.clearTimers();
    this.ws.terminate();
  }

  private clearTimers(): void {
    clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.queue.length = 0;
  }
}

/** Duplicate filter for the overlap of an old socket and its rollover successor. */
interface Overlap {
  successor: Session;
  oldMax: Map<string, number>;
  newFirst: Map<string, number>;
  newMax: Map<string, number>;
}

export class Connection {
  readonly name: string;
  private readonly opts: ConnectionOptions;
  private readonly timing: ConnectionTiming;
  private readonly now: () => number;
  private readonly log: LogFn;
  private readonly backoff: Backoff;
  private readonly streams = new Map<string, StreamTrack>();
  private readonly abort = new AbortController();
  private current: ConnectionState = ConnectionState.Idle;
  private reconnects = 0;
  private rollovers = 0;
  private malformed = 0;
  private lastError?: string;
  private primary?: Session;
  private successor?: Session;
  private overlap?: Overlap;
  private reqSeq = 0;
  private tickTimer?: NodeJS.Timeout;
  private rolloverTimer?: NodeJS.Timeout;
  private loop?: Promise<void>;

  constructor(opts: ConnectionOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.backoff = createBackoff(this.timing.backoff);
    for (const s of opts.streams) this.streams.set(s, { silent: false, watchdog: opts.protocol.isWatchdogStream(s) });
  }

  state(): ConnectionState {
    return this.current;
  }

  /** Starts the connect loop in the background; never throws, never waits for the venue. */
  start(): void {
    if (this.loop) return;
    const tickMs = Math.max(5, Math.min(this.timing.watchdogSilenceMs, this.timing.firstFrameMs) / 4);
    this.tickTimer = setInterval(() => this.tick(), tickMs);
    this.loop = this.run().catch((err: unknown) => {
      this.lastError = `connection loop failed: ${String(err)}`;
      this.log('error', `${this.label()}: ${this.lastError}`);
    });
  }

  async stop(): Promise<void> {
    if (this.current === ConnectionState.Stopped) return;
    this.current = ConnectionState.Stopped;
    this.abort.abort();
    clearInterval(this.tickTimer);
    clearTimeout(this.rolloverTimer);
    clearTimeout(this.successorGiveUp);
    const sessions = [this.primary, this.successor].filter((s): s is Session => !!s);
    for (const s of sessions) s.close('stopping');
    await Promise.all(
      sessions.map(async (s) => {
        const closed = await Promise.race([s.done.then(() => true), delay(this.timing.closeTimeoutMs).then(() => false)]);
        if (!closed) s.terminate('stop timeout');
      }),
    );
    await this.loop;
  }

  status(): ConnectionStatus {
    const now = this.now();
    return {
      name: this.name,
      state: this.current,
      reconnects: this.reconnects,
      rollovers: this.rollovers,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      malformedFrames: this.malformed,
      streams: [...this.streams].map(([name, t]) => ({
        name,
        lastMessageAgeMs: t.lastMessageAt === undefined ? null : Math.max(0, now - t.lastMessageAt),
        silent: t.silent,
      })),
    };
  }

  private label(): string {
    return `${this.opts.protocol.venue}/${this.name}`;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let first = true;
    while (!signal.aborted) {
      if (!first) {
        this.current = ConnectionState.Reconnecting;
        const wait = this.backoff.next();
        this.log('info', `${this.label()}: reconnecting in ${wait} ms`, { attempt: this.backoff.attempts() });
        if (!(await delay(wait, signal))) break;
        this.reconnects++;
        this.overlap = undefined;
      }
      first = false;
      this.current = this.reconnects === 0 ? ConnectionState.Connecting : ConnectionState.Reconnecting;
      this.primary = this.openSession('primary');
      // Wait on whichever session is primary; a rollover swaps it without a reconnect.
      for (;;) {
        const session: Session = this.primary;
        const { code, reason } = await session.done;
        if (this.primary !== session) continue;
        if (this.successor && this.successor.ws.readyState === WebSocket.OPEN && !signal.aborted) {
          // The old socket died mid-rollover: the successor takes over at once.
          this.log('info', `${this.label()}: socket closed during rollover, successor takes over`);
          this.promoteSuccessor();
          continue;
        }
        this.backoff.connectionEnded(session.firstDataAt, this.now());
        if (!signal.aborted) {
          this.lastError = session.closedByUs ?? session.error ?? `closed by server (${code}${reason ? ` ${reason}` : ''})`;
          this.log('warn', `${this.label()}: socket ended: ${this.lastError}`);
        }
        break;
      }
      if (this.successor) {
        this.successor.terminate('primary lost');
        this.successor = undefined;
      }
      clearTimeout(this.rolloverTimer);
    }
    this.current = ConnectionState.Stopped;
  }

  private openSession(role: SessionRole): Session {
    const session = new Session(this.opts.url, role, this.timing);
    const ws = session.ws;
    ws.on('error', (err) => {
      const msg = err instanceof Error ? err.message : String(err);
      session.error ??= msg;
      if (session.role !== 'primary') this.log('warn', `${this.label()}: rollover socket error: ${msg}`);
    });
    ws.on('open', () => this.onOpen(session));
    ws.on('message', (data: WebSocket.RawData) => {
      // A Buffer (the default binaryType) decodes in place: Buffer.from(buffer) would copy every frame.
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
      this.onMessage(session, text);
    });
    return session;
  }

  private onOpen(session: Session): void {
    const now = this.now();
    session.openedAt = now;
    session.lastBeatAt = now;
    if (session.role === 'primary') {
      // lastError stays: it tells /status why the previous socket ended
      this.current = ConnectionState.Subscribing;
      this.scheduleRollover(session);
    }
    this.subscribeAll(session);
    const proto = this.opts.protocol;
    if (proto.pingMessage) session.startHeartbeat(() => proto.pingMessage!(String(++this.reqSeq)));
  }

  private subscribeAll(session: Session): void {
    const names = [...this.streams.keys()];
    const size = Math.max(1, this.timing.subscribeBatchSize);
    if (session.role === 'primary') for (const t of this.streams.values()) t.ackedAt = undefined;
    for (let i = 0; i < names.length; i += size) {
      const batch = names.slice(i, i + size);
      const id = String(++this.reqSeq);
      session.pending.set(id, batch);
      session.send(this.opts.protocol.subscribeMessage(batch, id));
    }
    if (names.length === 0 && session.role === 'primary') this.current = ConnectionState.Open;
  }

  private onMessage(session: Session, text: string): void {
    const recvTime = this.now();
    const frame = this.opts.protocol.parse(text);
    switch (frame.type) {
      case 'data':
        return this.onDataFrame(session, frame.stream, frame.payload, text, recvTime);
      case 'ack':
        return this.onAck(session, frame, recvTime);
      case 'pong':
      case 'ignore':
        return;
      case 'malformed':
        this.malformed++;
        this.opts.onRecord?.({ t: recvTime, v: this.opts.protocol.venue, c: this.name, raw: text });
        if (this.malformed <= 5 || this.malformed % 1000 === 0) {
          this.log('warn', `${this.label()}: malformed frame skipped (${frame.reason})`, { count: this.malformed });
        }
    }
  }

  private onAck(session: Session, frame: { id?: string; ok: boolean; error?: string }, now: number): void {
    let id = frame.id !== undefined && session.pending.has(frame.id) ? frame.id : undefined;
    // Some servers echo no id: the oldest outstanding request is the one answered.
    id ??= session.pending.keys().next().value;
    if (id === undefined) return;
    const batch = session.pending.get(id)!;
    session.pending.delete(id);
    session.lastAckAt = now;
    session.dataAfterAllAcked = false;
    if (session.role !== 'primary') return;
    for (const name of batch) {
      const t = this.streams.get(name);
      if (!t) continue;
      if (frame.ok) {
        t.ackedAt = now;
        t.rejected = undefined;
      } else {
        t.rejected = frame.error ?? 'rejected';
        t.silent = true;
      }
    }
    if (!frame.ok) {
      this.lastError = `subscribe rejected: ${frame.error ?? 'no reason given'}`;
      this.log('error', `${this.label()}: ${this.lastError}`, { streams: batch });
    }
    if (session.pending.size === 0) this.current = ConnectionState.Open;
  }

  private onDataFrame(session: Session, stream: string, payload: unknown, raw: string, recvTime: number): void {
    const proto = this.opts.protocol;
    session.firstDataAt ??= recvTime;
    const t = this.streams.get(stream);
    if (t ? t.watchdog : proto.isWatchdogStream(stream)) session.lastBeatAt = recvTime;
    if (session.pending.size === 0 && session.openedAt !== undefined) {
      if (!session.dataAfterAllAcked) {
        session.dataAfterAllAcked = true;
        if (session === this.successor) this.onSuccessorReady(session);
      }
    }
    if (!this.acceptAfterDedupe(session, stream, payload)) return;
    if (t) {
      t.lastMessageAt = recvTime;
      if (t.silent && !t.rejected) {
        t.silent = false;
        this.log('info', `${this.label()}: ${stream} delivering again`);
      }
    }
    this.opts.onRecord?.({ t: recvTime, v: proto.venue, c: stream, raw });
    try {
      this.opts.onData(stream, payload, recvTime, raw);
    } catch (err) {
      // A consumer bug must not take the socket down; count it with the malformed frames.
      this.malformed++;
      this.log('error', `${this.label()}: consumer failed on ${stream}: ${String(err)}`);
    }
  }

  /** Exactly-once delivery across a rollover, given per-stream keys that only grow. */
  private acceptAfterDedupe(session: Session, stream: string, payload: unknown): boolean {
    const o = this.overlap;
    if (!o) return true;
    const key = this.opts.protocol.dedupeKey?.(stream, payload);
    if (key === undefined) return true;
    if (session === o.successor) {
      const oldMax = o.oldMax.get(stream);
      if (oldMax !== undefined && key <= oldMax) return false;
      if (!o.newFirst.has(stream)) o.newFirst.set(stream, key);
      o.newMax.set(stream, Math.max(key, o.newMax.get(stream) ?? key));
      return true;
    }
    const first = o.newFirst.get(stream);
    if (first !== undefined && key >= first && key <= o.newMax.get(stream)!) return false;
    o.oldMax.set(stream, Math.max(key, o.oldMax.get(stream) ?? key));
    return true;
  }

  private scheduleRollover(session: Session, afterMs = this.timing.maxAgeMs): void {
    clearTimeout(this.rolloverTimer);
    if (afterMs === undefined) return;
    this.rolloverTimer = setTimeout(() => {
      if (this.primary === session && !this.abort.signal.aborted) this.beginRollover(session);
    }, afterMs);
  }

  private beginRollover(old: Session): void {
    if (this.successor) return;
    this.log('info', `${this.label()}: rolling over (make-before-break)`);
    const successor = this.openSession('successor');
    this.successor = successor;
    this.overlap = { successor, oldMax: new Map(), newFirst: new Map(), newMax: new Map() };
    const retryLater = (why: string) => {
      if (this.successor !== successor) return;
      this.successor = undefined;
      this.log('warn', `${this.label()}: rollover abandoned (${why}); keeping the old socket`);
      // Try again later; if the server closes the old socket first, the normal reconnect path runs.
      if (this.primary === old) this.scheduleRollover(old, Math.max(1, this.timing.rolloverReadyTimeoutMs));
    };
    const giveUp = setTimeout(() => {
      retryLater('no data in time');
      successor.terminate('rollover timeout');
    }, this.timing.rolloverReadyTimeoutMs);
    this.successorGiveUp = giveUp;
    void successor.done.then(() => {
      if (this.successor !== successor) return;
      clearTimeout(giveUp);
      retryLater('successor closed');
    });
  }

  private successorGiveUp?: NodeJS.Timeout;

  private onSuccessorReady(successor: Session): void {
    clearTimeout(this.successorGiveUp);
    const old = this.primary;
    void delay(this.timing.rolloverDrainMs, this.abort.signal).then((waited) => {
      if (!waited || this.successor !== successor) return;
      this.promoteSuccessor();
      old?.close('rollover complete');
    });
  }

  private promoteSuccessor(): void {
    const s = this.successor;
    if (!s) return;
    this.successor = undefined;
    s.role = 'primary';
    this.primary = s;
    this.rollovers++;
    this.current = s.pending.size === 0 ? ConnectionState.Open : ConnectionState.Subscribing;
    // Stream acks and silence are judged on the socket that now carries the data.
    const now = this.now();
    for (const t of this.streams.values()) if (!t.rejected) t.ackedAt ??= now;
    this.scheduleRollover(s, this.timing.maxAgeMs === undefined ? undefined : Math.max(0, this.timing.maxAgeMs - (now - (s.openedAt ?? now))));
    this.log('info', `${this.label()}: rollover complete`);
  }

  /** Periodic checks: watchdog on cadence streams, first-frame bound per stream. */
  private tick(): void {
    const now = this.now();
    const s = this.primary;
    if (!s || this.abort.signal.aborted) return;
    const hasWatchdog = [...this.streams.keys()].some((n) => this.opts.protocol.isWatchdogStream(n));
    const started = s.openedAt !== undefined ? s.lastBeatAt : undefined;
    if (hasWatchdog && started !== undefined && now - started > this.timing.watchdogSilenceMs && s.closedByUs === undefined) {
      this.lastError = `watchdog: no data for ${now - started} ms, reconnecting`;
      this.log('warn', `${this.label()}: ${this.lastError}`);
      s.terminate(this.lastError);
      return;
    }
    for (const [name, t] of this.streams) {
      if (t.silent || t.ackedAt === undefined) continue;
      const bound = this.opts.protocol.firstFrameBoundMs(name, this.timing);
      if (bound === undefined) continue;
      if ((t.lastMessageAt === undefined || t.lastMessageAt < t.ackedAt) && now - t.ackedAt > bound) {
        t.silent = true;
        this.log('warn', `${this.label()}: ${name} acknowledged but silent for ${now - t.ackedAt} ms (wrong path?)`);
      }
    }
  }
}
