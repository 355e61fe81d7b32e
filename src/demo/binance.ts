/**
 * A fake Binance USD-M futures venue on loopback: `/market/stream` and `/public/stream` with the
 * 2026 routing enforced (a stream on the wrong path is acknowledged and then never served), server
 * ping frames, the 10 inbound messages/s limit, a forced close at a configurable connection age,
 * the REST endpoints liqzone uses, and fault switches. No vitest imports (used by `liqzone demo`).
 */
import type { WebSocket } from 'ws';
import type { VenueInstrument } from '../market/symbols.ts';
import type { MarketEvent } from '../market/types.ts';
import {
  binanceExchangeInfoBody,
  binanceFundingInfoBody,
  binanceKlinesBody,
  binanceOpenInterestBody,
  binanceOpenInterestHistBody,
  encodeBinanceEvent,
} from './binance-encode.ts';
import {
  socketFaults,
  FakeWsServer,
  PushedHistory,
  RateWindow,
  RestFaults,
  defaultFakeInstruments,
  type FakeMarketData,
  type FakeRestRequest,
  type FakeRestResponse,
} from './ws-server.ts';

export type BinancePath = 'market' | 'public';

export interface FakeBinanceOptions {
  /** Listed instruments (exchangeInfo); default: the 21 default symbols. */
  instruments?: VenueInstrument[];
  /** Server ping frame period; default 180 s like the venue. */
  pingIntervalMs?: number;
  /** Close every connection this long after it opened (the venue's 24 h); default never. */
  maxConnectionAgeMs?: number;
  /** Inbound messages allowed per window before the server disconnects; default 10 per 1000 ms. */
  inboundLimit?: number;
  inboundWindowMs?: number;
  /** REST history source; falls back to what was pushed. */
  data?: FakeMarketData;
  /**
   * `<s>@forceOrder` sends only the latest liquidation per symbol per window (the venue's 1000 ms
   * snapshot); 0 sends every one.
   */
  forceOrderWindowMs?: number;
}

export interface FakeBinanceCounters {
  /** WebSocket connections accepted, ever. */
  connections: number;
  /** Currently open. */
  open: number;
  /** SUBSCRIBE messages received. */
  subscribeMessages: number;
  /** Streams named in those messages. */
  subscribedStreams: number;
  /** REST requests received (all paths). */
  requests: number;
  /** Disconnects for exceeding the inbound message rate. */
  rateLimitDisconnects: number;
  /** Closes at `maxConnectionAgeMs`. */
  ageCloses: number;
  pingsSent: number;
  pongsReceived: number;
  /** Data frames sent. */
  framesSent: number;
}

interface Conn {
  id: number;
  ws: WebSocket;
  path: BinancePath;
  streams: Set<string>;
  stalled: boolean;
  rate: RateWindow;
  timers: NodeJS.Timeout[];
}

const PATHS: Record<string, BinancePath> = { '/market/stream': 'market', '/public/stream': 'public' };

/** The path a stream is served on since the 2026 split. */
export function binanceStreamPath(stream: string): BinancePath {
  return /@(depth|bookTicker|trade$|rpiDepth)/.test(stream) || stream === '!bookTicker' ? 'public' : 'market';
}

export class FakeBinance {
  private readonly server: FakeWsServer;
  private readonly opts: FakeBinanceOptions;
  private readonly instruments: VenueInstrument[];
  private readonly conns = new Set<Conn>();
  private readonly history = new PushedHistory();
  private readonly faults = new RestFaults();
  private nextConnId = 1;
  /** Per forceOrder stream: when the current window ends and the latest payload held back in it. */
  private readonly forceOrderWindows = new Map<string, { timer: NodeJS.Timeout; latest?: { path: BinancePath; data: unknown } }>();
  private usedWeight = 0;
  private weightMinute = 0;
  readonly counters: FakeBinanceCounters = {
    connections: 0,
    open: 0,
    subscribeMessages: 0,
    subscribedStreams: 0,
    requests: 0,
    rateLimitDisconnects: 0,
    ageCloses: 0,
    pingsSent: 0,
    pongsReceived: 0,
    framesSent: 0,
  };
  /** Every REST request received, in order (path + query), for assertions. */
  readonly requestLog: { at: number; path: string; query: string; status: number }[] = [];

  constructor(opts: FakeBinanceOptions = {}) {
    this.opts = opts;
    this.instruments = (opts.instruments ?? defaultFakeInstruments('binance')).map((i) => ({ ...i, venue: 'binance' as const }));
    this.server = new FakeWsServer({
      acceptsPath: (p) => p in PATHS,
      onConnection: (ws, p, q) => this.accept(ws, PATHS[p]!, q),
      onRest: (req) => this.rest(req),
    });
  }

  async start(): Promise<{ wsUrl: string; restUrl: string }> {
    const { host, port } = await this.server.start();
    return { wsUrl: `ws://${host}:${port}`, restUrl: `http://${host}:${port}` };
  }

  async stop(): Promise<void> {
    for (const c of this.conns) this.drop(c);
    for (const w of this.forceOrderWindows.values()) clearTimeout(w.timer);
    this.forceOrderWindows.clear();
    await this.server.stop();
  }

  /** Encodes the event as Binance would and sends it to every connection subscribed to its stream on the right path. */
  push(ev: MarketEvent): void {
    this.history.note(ev);
    const inst = this.instruments.find((i) => i.symbol === ev.symbol);
    if (!inst) return;
    const enc = encodeBinanceEvent(ev, inst);
    if (!enc) return;
    if (ev.kind === 'liquidation') this.sendForceOrder(enc.path, enc.stream, enc.data);
    else this.sendStream(enc.path, enc.stream, enc.data);
  }

  /** The first liquidation of a window goes out at once; later ones in it collapse into the latest, sent when it ends. */
  private sendForceOrder(path: BinancePath, stream: string, data: unknown): void {
    const windowMs = this.opts.forceOrderWindowMs ?? 1000;
    if (windowMs <= 0) return this.sendStream(path, stream, data);
    const open = this.forceOrderWindows.get(stream);
    if (open) {
      open.latest = { path, data };
      return;
    }
    this.sendStream(path, stream, data);
    const startWindow = () => {
      const w: { timer: NodeJS.Timeout; latest?: { path: BinancePath; data: unknown } } = {
        timer: setTimeout(() => {
          this.forceOrderWindows.delete(stream);
          if (w.latest) {
            this.sendStream(w.latest.path, stream, w.latest.data);
            startWindow();
          }
        }, windowMs),
      };
      this.forceOrderWindows.set(stream, w);
    };
    startWindow();
  }

  /** Sends a ready payload on a stream (e.g. a COIN-M `st:2` frame on `!forceOrder@arr`). */
  pushRaw(stream: string, data: unknown): void {
    this.sendStream(binanceStreamPath(stream), stream, data);
  }

  /** Stop sending data on the connections open now, keeping them open (a silent stall). */
  stall(): void {
    socketFaults.stall(this.conns, true);
  }

  resume(): void {
    socketFaults.stall(this.conns, false);
  }

  /** Close every connection: with a close code, or abruptly (no close frame) when none is given. */
  closeAll(code?: number): void {
    socketFaults.closeAll(this.conns, code);
  }

  /** Send `n` frames that are not JSON to every connection. */
  sendGarbage(n: number): void {
    socketFaults.sendGarbage(this.conns, n, '{"stream":');
  }

  fail429(retryAfterSec: number, times = 1): void {
    this.faults.fail429(retryAfterSec, times);
  }

  fail418(seconds: number): void {
    this.faults.fail418(seconds);
  }

  failRest(status: number, times?: number): void {
    this.faults.failRest(status, times);
  }

  clearRestFaults(): void {
    this.faults.clear();
  }

  /** Streams subscribed per open connection, for assertions. */
  subscriptions(): { id: number; path: BinancePath; streams: string[] }[] {
    return [...this.conns].map((c) => ({ id: c.id, path: c.path, streams: [...c.streams] }));
  }

  listedInstruments(): VenueInstrument[] {
    return this.instruments.map((i) => ({ ...i }));
  }

  private sendStream(path: BinancePath, stream: string, data: unknown): void {
    let frame: string | undefined;
    for (const c of this.conns) {
      // Routing: a wrong-path subscription was acknowledged, but the data never comes.
      if (c.path !== path || c.stalled || !c.streams.has(stream)) continue;
      frame ??= JSON.stringify({ stream, data });
      c.ws.send(frame);
      this.counters.framesSent++;
    }
  }

  private accept(ws: WebSocket, path: BinancePath, query: URLSearchParams): void {
    const conn: Conn = {
      id: this.nextConnId++,
      ws,
      path,
      streams: new Set(query.get('streams')?.split('/').filter(Boolean) ?? []),
      stalled: false,
      rate: new RateWindow(this.opts.inboundLimit ?? 10, this.opts.inboundWindowMs ?? 1000),
      timers: [],
    };
    this.conns.add(conn);
    this.counters.connections++;
    this.counters.open++;
    const ping = this.opts.pingIntervalMs ?? 180_000;
    conn.timers.push(
      setInterval(() => {
        ws.ping();
        this.counters.pingsSent++;
      }, ping),
    );
    if (this.opts.maxConnectionAgeMs !== undefined) {
      conn.timers.push(
        setTimeout(() => {
          this.counters.ageCloses++;
          ws.close(1000, 'connection age limit');
        }, this.opts.maxConnectionAgeMs),
      );
    }
    ws.on('pong', () => this.counters.pongsReceived++);
    ws.on('message', (data) => this.onMessage(conn, String(data)));
    ws.on('close', () => this.drop(conn));
    ws.on('error', () => this.drop(conn));
  }

  private drop(conn: Conn): void {
    if (!this.conns.delete(conn)) return;
    this.counters.open--;
    for (const t of conn.timers) clearTimeout(t);
  }

  private onMessage(conn: Conn, text: string): void {
    if (conn.rate.hit()) {
      this.counters.rateLimitDisconnects++;
      conn.ws.close(1008, 'Too many requests');
      this.drop(conn);
      return;
    }
    let msg: { method?: unknown; params?: unknown; id?: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      conn.ws.send(JSON.stringify({ code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' }));
      return;
    }
    const id = msg.id ?? null;
    const params = Array.isArray(msg.params) ? msg.params.filter((p): p is string => typeof p === 'string') : [];
    switch (msg.method) {
      case 'SUBSCRIBE':
        this.counters.subscribeMessages++;
        this.counters.subscribedStreams += params.length;
        for (const p of params) conn.streams.add(p);
        conn.ws.send(JSON.stringify({ result: null, id }));
        return;
      case 'UNSUBSCRIBE':
        for (const p of params) conn.streams.delete(p);
        conn.ws.send(JSON.stringify({ result: null, id }));
        return;
      case 'LIST_SUBSCRIPTIONS':
        conn.ws.send(JSON.stringify({ result: [...conn.streams], id }));
        return;
      default:
        conn.ws.send(JSON.stringify({ code: 2, msg: `Invalid request: unknown variant ${String(msg.method)}`, id }));
    }
  }

  private weightHeader(weight: number): Record<string, string> {
    const minute = Math.floor(Date.now() / 60_000);
    if (minute !== this.weightMinute) {
      this.weightMinute = minute;
      this.usedWeight = 0;
    }
    this.usedWeight += weight;
    return { 'x-mbx-used-weight-1m': String(this.usedWeight) };
  }

  private rest(req: FakeRestRequest): FakeRestResponse {
    this.counters.requests++;
    const res = this.answer(req);
    this.requestLog.push({ at: Date.now(), path: req.path, query: req.query.toString(), status: res.status });
    return res;
  }

  private answer(req: FakeRestRequest): FakeRestResponse {
    const fault = this.faults.take();
    if (fault) return fault;
    const q = req.query;
    const inst = q.has('symbol') ? this.instruments.find((i) => i.venueSymbol === q.get('symbol')!.toUpperCase()) : undefined;
    const limit = (def: number, max: number) => Math.min(max, Math.max(1, Number(q.get('limit') ?? def) || def));
    const bad = { status: 400, body: { code: -1121, msg: 'Invalid symbol.' } };
    switch (req.path) {
      case '/fapi/v1/exchangeInfo':
        return { status: 200, headers: this.weightHeader(1), body: binanceExchangeInfoBody(this.instruments, Date.now()) };
      case '/fapi/v1/fundingInfo':
        return { status: 200, headers: this.weightHeader(0), body: binanceFundingInfoBody(this.instruments) };
      case '/fapi/v1/openInterest': {
        if (!inst) return bad;
        const point = this.history.openInterestOf(inst.symbol, this.opts.data) ?? { t: Date.now(), oiBase: 0, oiUsd: 0 };
        return { status: 200, headers: this.weightHeader(1), body: binanceOpenInterestBody(point, inst) };
      }
      case '/futures/data/openInterestHist': {
        if (!inst) return bad;
        const points = this.history.oiHistoryOf(inst.symbol, limit(30, 500), this.opts.data);
        return { status: 200, headers: this.weightHeader(0), body: binanceOpenInterestHistBody(points, inst) };
      }
      case '/fapi/v1/klines': {
        if (!inst) return bad;
        const n = limit(500, 1500);
        const weight = n < 100 ? 1 : n < 500 ? 2 : n <= 1000 ? 5 : 10;
        return { status: 200, headers: this.weightHeader(weight), body: binanceKlinesBody(this.history.barsOf(inst.symbol, n, this.opts.data), inst) };
      }
      default:
        return { status: 404, body: { code: -1, msg: `no such endpoint ${req.path}` } };
    }
  }
}
