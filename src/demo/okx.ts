/**
 * A fake OKX v5 venue on loopback: public WS at `/ws/v5/public` with one ack per subscribed channel
 * (echoing the request id), error events 60012 (bad request) and 60018 (no such channel), the text
 * `ping` → `pong`, a 4004 close "No data received in 30s." when nothing was sent to a socket for
 * the idle bound, the 480 subscribe-requests-per-hour budget per connection, and the REST
 * endpoints liqzone uses with their per-endpoint limits (429 / code 50011 beyond them).
 * No vitest imports (used by `liqzone demo`).
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { VenueInstrument } from '../market/symbols.ts';
import type { MarketEvent } from '../market/types.ts';
import { encodeOkxEvent, okxCandlesBody, okxFakeInstruments, okxInstrumentsBody, okxOpenInterestHistoryBody, okxPositionTiersBody } from './okx-encode.ts';
import { DEFAULT_SYMBOLS } from '../market/symbols.ts';
import { socketFaults, FakeWsServer, PushedHistory, RateWindow, RestFaults, type FakeMarketData, type FakeRestRequest, type FakeRestResponse } from './ws-server.ts';

export const OKX_WS_PATH = '/ws/v5/public';

export interface FakeOkxOptions {
  /** Listed instruments; default: the 21 default symbols as `X-USDT-SWAP` with the fake's ctVal table. */
  instruments?: VenueInstrument[];
  /** Close (4004) a socket that was sent nothing for this long; OKX: 30 s. */
  idleCloseMs?: number;
  /** Subscribe requests allowed per connection per hour; OKX: 480. */
  subscribeRequestsPerHour?: number;
  /** REST history source; falls back to what was pushed. */
  data?: FakeMarketData;
  /** Current mark per symbol, for the tier ladder (falls back to the last pushed mark). */
  markPrice?(symbol: string): number | undefined;
}

export interface FakeOkxCounters {
  connections: number;
  open: number;
  subscribeRequests: number;
  subscribedChannels: number;
  pings: number;
  idleCloses: number;
  /** Subscribe requests refused for the per-connection hourly budget. */
  subscribeBudgetRefusals: number;
  requests: number;
  rateLimited: number;
  framesSent: number;
}

interface Conn {
  id: string;
  ws: WebSocket;
  channels: Set<string>;
  stalled: boolean;
  lastSentAt: number;
  subscribeStamps: number[];
  idleTimer?: NodeJS.Timeout;
}

const CHANNELS = new Set(['trades', 'mark-price', 'funding-rate', 'open-interest', 'books5', 'books', 'liquidation-orders', 'tickers', 'bbo-tbt']);

/** Per-endpoint REST limits (requests per 2 s), as OKX documents them. */
const REST_LIMITS: Record<string, number> = {
  '/api/v5/public/instruments': 20,
  '/api/v5/market/candles': 40,
  '/api/v5/rubik/stat/contracts/open-interest-history': 5,
  '/api/v5/public/position-tiers': 10,
};

export class FakeOkx {
  private readonly server: FakeWsServer;
  private readonly opts: FakeOkxOptions;
  private readonly instruments: VenueInstrument[];
  private readonly conns = new Set<Conn>();
  private readonly history = new PushedHistory();
  private readonly faults = new RestFaults();
  private readonly windows = new Map<string, RateWindow>();
  private readonly lastMark = new Map<string, number>();
  readonly counters: FakeOkxCounters = {
    connections: 0, open: 0, subscribeRequests: 0, subscribedChannels: 0, pings: 0, idleCloses: 0, subscribeBudgetRefusals: 0, requests: 0, rateLimited: 0, framesSent: 0,
  };
  /** Arrival times (performance.now()) of text pings, per connection id. */
  readonly pingLog = new Map<string, number[]>();
  readonly requestLog: { at: number; path: string; query: string; status: number }[] = [];

  constructor(opts: FakeOkxOptions = {}) {
    this.opts = opts;
    this.instruments = (opts.instruments ?? okxFakeInstruments(DEFAULT_SYMBOLS)).map((i) => ({ ...i, venue: 'okx' as const }));
    this.server = new FakeWsServer({
      acceptsPath: (p) => p === OKX_WS_PATH,
      onConnection: (ws) => this.accept(ws),
      onRest: (req) => this.rest(req),
    });
  }

  async start(): Promise<{ wsUrl: string; restUrl: string }> {
    const { host, port } = await this.server.start();
    return { wsUrl: `ws://${host}:${port}${OKX_WS_PATH}`, restUrl: `http://${host}:${port}` };
  }

  async stop(): Promise<void> {
    for (const c of this.conns) this.drop(c);
    await this.server.stop();
  }

  /** Encodes the event as OKX would and sends it to every connection subscribed to its channel. */
  push(ev: MarketEvent): void {
    this.history.note(ev);
    if (ev.kind === 'mark') this.lastMark.set(ev.symbol, ev.mark);
    const inst = this.instruments.find((i) => i.symbol === ev.symbol);
    if (!inst) return;
    for (const enc of encodeOkxEvent(ev, inst)) this.broadcast(enc.stream, enc.message);
  }

  /** Sends a raw frame (any shape) to every connection subscribed to `stream`. */
  pushRaw(stream: string, message: unknown): void {
    this.broadcast(stream, message);
  }

  stall(): void {
    socketFaults.stall(this.conns, true);
  }

  resume(): void {
    socketFaults.stall(this.conns, false);
  }

  closeAll(code?: number): void {
    socketFaults.closeAll(this.conns, code);
  }

  sendGarbage(n: number): void {
    socketFaults.sendGarbage(this.conns, n, '{"arg":');
  }

  fail429(retryAfterSec: number, times = 1): void {
    this.faults.fail429(retryAfterSec, times);
  }

  failRest(status: number, times?: number): void {
    this.faults.failRest(status, times, { code: '50001', msg: `fake failure ${status}`, data: [] });
  }

  clearRestFaults(): void {
    this.faults.clear();
  }

  subscriptions(): { id: string; channels: string[] }[] {
    return [...this.conns].map((c) => ({ id: c.id, channels: [...c.channels] }));
  }

  private broadcast(stream: string, message: unknown): void {
    let frame: string | undefined;
    for (const c of this.conns) {
      if (c.stalled || !c.channels.has(stream)) continue;
      frame ??= JSON.stringify(message);
      this.sendText(c, frame);
      this.counters.framesSent++;
    }
  }

  private sendText(c: Conn, text: string): void {
    c.ws.send(text);
    c.lastSentAt = performance.now();
    this.armIdle(c);
  }

  private send(c: Conn, message: unknown): void {
    this.sendText(c, JSON.stringify(message));
  }

  private accept(ws: WebSocket): void {
    const conn: Conn = { id: randomUUID().slice(0, 8), ws, channels: new Set(), stalled: false, lastSentAt: performance.now(), subscribeStamps: [] };
    this.conns.add(conn);
    this.counters.connections++;
    this.counters.open++;
    this.armIdle(conn);
    ws.on('message', (data) => this.onMessage(conn, String(data)));
    ws.on('close', () => this.drop(conn));
    ws.on('error', () => this.drop(conn));
  }

  /** OKX closes a connection that nothing was pushed to for 30 s (a pong counts). */
  private armIdle(conn: Conn): void {
    const bound = this.opts.idleCloseMs ?? 30_000;
    clearTimeout(conn.idleTimer);
    conn.idleTimer = setTimeout(() => {
      if (!this.conns.has(conn)) return;
      this.counters.idleCloses++;
      conn.ws.close(4004, 'No data received in 30s.');
    }, bound);
  }

  private drop(conn: Conn): void {
    if (!this.conns.delete(conn)) return;
    this.counters.open--;
    clearTimeout(conn.idleTimer);
  }

  private onMessage(conn: Conn, text: string): void {
    if (text === 'ping') {
      this.counters.pings++;
      const log = this.pingLog.get(conn.id) ?? [];
      log.push(performance.now());
      this.pingLog.set(conn.id, log);
      this.sendText(conn, 'pong');
      return;
    }
    let msg: { id?: unknown; op?: unknown; args?: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      this.send(conn, { event: 'error', code: '60012', msg: `Invalid request: ${text.slice(0, 100)}`, connId: conn.id });
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const idField = id !== undefined ? { id } : {};
    if (msg.op !== 'subscribe' && msg.op !== 'unsubscribe') {
      this.send(conn, { ...idField, event: 'error', code: '60012', msg: `Invalid request: ${text.slice(0, 100)}`, connId: conn.id });
      return;
    }
    // 480 subscribe/unsubscribe requests per connection per hour
    const now = performance.now();
    conn.subscribeStamps = conn.subscribeStamps.filter((t) => t > now - 3_600_000);
    if (conn.subscribeStamps.length >= (this.opts.subscribeRequestsPerHour ?? 480)) {
      this.counters.subscribeBudgetRefusals++;
      this.send(conn, { ...idField, event: 'error', code: '60014', msg: 'Requests too frequent.', connId: conn.id });
      return;
    }
    conn.subscribeStamps.push(now);
    this.counters.subscribeRequests++;
    const args = Array.isArray(msg.args) ? (msg.args as unknown[]) : [];
    if (args.length === 0) {
      this.send(conn, { ...idField, event: 'error', code: '60012', msg: `Invalid request: ${text.slice(0, 100)}`, connId: conn.id });
      return;
    }
    for (const a of args) {
      const arg = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
      const channel = typeof arg.channel === 'string' ? arg.channel : '';
      const key = typeof arg.instId === 'string' ? arg.instId : typeof arg.instType === 'string' ? arg.instType : '';
      const known = CHANNELS.has(channel) && (channel === 'liquidation-orders' ? key === 'SWAP' : this.instruments.some((i) => i.venueSymbol === key));
      if (!known) {
        this.send(conn, { ...idField, event: 'error', code: '60018', msg: `Wrong URL or channel:${channel},instId:${key} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`, connId: conn.id });
        continue;
      }
      const stream = `${channel}:${key}`;
      if (msg.op === 'subscribe') {
        conn.channels.add(stream);
        this.counters.subscribedChannels++;
      } else conn.channels.delete(stream);
      this.send(conn, { ...idField, event: msg.op, arg, connId: conn.id });
    }
  }

  private rest(req: FakeRestRequest): FakeRestResponse {
    this.counters.requests++;
    const res = this.answer(req);
    this.requestLog.push({ at: Date.now(), path: req.path, query: req.query.toString(), status: res.status });
    return res;
  }

  private answer(req: FakeRestRequest): FakeRestResponse {
    const fault = this.faults.take();
    if (fault) return { ...fault, body: { code: '50011', msg: 'Too Many Requests', data: [] } };
    const limit = REST_LIMITS[req.path];
    if (limit !== undefined) {
      let w = this.windows.get(req.path);
      if (!w) this.windows.set(req.path, (w = new RateWindow(limit, 2_000)));
      if (w.hit()) {
        this.counters.rateLimited++;
        return { status: 429, body: { code: '50011', msg: 'Too Many Requests', data: [] } };
      }
    }
    const q = req.query;
    const now = Date.now();
    const byInstId = (id: string | null) => (id ? this.instruments.find((i) => i.venueSymbol === id.toUpperCase()) : undefined);
    const lim = (def: number, max: number) => Math.min(max, Math.max(1, Number(q.get('limit') ?? def) || def));
    const bad = (msg: string) => ({ status: 200, body: { code: '51001', msg, data: [] } });
    switch (req.path) {
      case '/api/v5/public/instruments':
        return q.get('instType') === 'SWAP' ? { status: 200, body: okxInstrumentsBody(this.instruments) } : bad('Parameter instType error');
      case '/api/v5/market/candles': {
        const inst = byInstId(q.get('instId'));
        if (!inst) return bad("Instrument ID doesn't exist");
        if ((q.get('bar') ?? '1m') !== '1m') return { status: 200, body: { code: '0', msg: '', data: [] } };
        return { status: 200, body: okxCandlesBody(this.history.barsOf(inst.symbol, lim(100, 300), this.opts.data), inst, now) };
      }
      case '/api/v5/rubik/stat/contracts/open-interest-history': {
        const inst = byInstId(q.get('instId'));
        if (!inst) return bad("Instrument ID doesn't exist");
        return { status: 200, body: okxOpenInterestHistoryBody(this.history.oiHistoryOf(inst.symbol, lim(100, 100), this.opts.data), inst) };
      }
      case '/api/v5/public/position-tiers': {
        const family = q.get('instFamily') ?? q.get('uly');
        const inst = family ? byInstId(`${family}-SWAP`) : undefined;
        if (!inst || q.get('instType') !== 'SWAP' || !q.get('tdMode')) return bad('Parameter instFamily error');
        const mark = this.opts.markPrice?.(inst.symbol) ?? this.lastMark.get(inst.symbol);
        if (mark === undefined) return { status: 200, body: { code: '0', msg: '', data: [] } };
        return { status: 200, body: okxPositionTiersBody(inst, mark) };
      }
      default:
        return { status: 404, body: { code: '404', msg: `no such endpoint ${req.path}`, data: [] } };
    }
  }
}
