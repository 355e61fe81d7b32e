/**
 * A fake Bybit v5 linear venue on loopback: subscribe acks (and rejections for topics Bybit does not
 * serve), `op:ping` → pong, a close when the client stops pinging, tickers as a snapshot then
 * partial deltas per connection, the REST endpoints liqzone uses, and fault switches.
 * No vitest imports (used by `liqzone demo`).
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { VenueInstrument } from '../market/symbols.ts';
import type { MarketEvent, MarkEvent, OpenInterestEvent } from '../market/types.ts';
import { BybitTickerEncoder, bybitInstrumentsBody, bybitRiskLimitBody, bybitKlinesBody, bybitOpenInterestBody, encodeBybitEvent } from './bybit-encode.ts';
import {
  socketFaults,
  FakeWsServer,
  PushedHistory,
  RestFaults,
  defaultFakeInstruments,
  type FakeMarketData,
  type FakeRestRequest,
  type FakeRestResponse,
} from './ws-server.ts';

export const BYBIT_WS_PATH = '/v5/public/linear';

export interface FakeBybitOptions {
  /** Listed instruments (instruments-info); default: the 21 default symbols. */
  instruments?: VenueInstrument[];
  /** Close a connection when no `op:ping` arrived for this long (Bybit: ~10 min); default never. */
  pingTimeoutMs?: number;
  /** REST history source; falls back to what was pushed. */
  data?: FakeMarketData;
}

export interface FakeBybitCounters {
  connections: number;
  open: number;
  /** `op:subscribe` messages received. */
  subscribeMessages: number;
  subscribedTopics: number;
  pings: number;
  /** Closes for a missing ping. */
  pingTimeoutCloses: number;
  requests: number;
  framesSent: number;
}

interface Conn {
  id: string;
  ws: WebSocket;
  topics: Set<string>;
  stalled: boolean;
  tickers: BybitTickerEncoder;
  pingTimer?: NodeJS.Timeout;
}

const TOPIC = /^(publicTrade|tickers|allLiquidation|orderbook\.(1|50|200|1000)|kline\.(1|3|5|15|30|60|120|240|360|720|D|W|M))\.([A-Z0-9]+)$/;

export class FakeBybit {
  private readonly server: FakeWsServer;
  private readonly opts: FakeBybitOptions;
  private readonly instruments: VenueInstrument[];
  private readonly conns = new Set<Conn>();
  private readonly history = new PushedHistory();
  private readonly faults = new RestFaults();
  private readonly lastTicker = new Map<string, { mark?: MarkEvent; oi?: OpenInterestEvent }>();
  readonly counters: FakeBybitCounters = {
    connections: 0,
    open: 0,
    subscribeMessages: 0,
    subscribedTopics: 0,
    pings: 0,
    pingTimeoutCloses: 0,
    requests: 0,
    framesSent: 0,
  };
  /** Arrival times (performance.now()) of pings, per connection id, for assertions. */
  readonly pingLog = new Map<string, number[]>();
  readonly requestLog: { at: number; path: string; query: string; status: number }[] = [];

  constructor(opts: FakeBybitOptions = {}) {
    this.opts = opts;
    this.instruments = (opts.instruments ?? defaultFakeInstruments('bybit')).map((i) => ({ ...i, venue: 'bybit' as const }));
    this.server = new FakeWsServer({
      acceptsPath: (p) => p === BYBIT_WS_PATH,
      onConnection: (ws) => this.accept(ws),
      onRest: (req) => this.rest(req),
    });
  }

  async start(): Promise<{ wsUrl: string; restUrl: string }> {
    const { host, port } = await this.server.start();
    return { wsUrl: `ws://${host}:${port}${BYBIT_WS_PATH}`, restUrl: `http://${host}:${port}` };
  }

  async stop(): Promise<void> {
    for (const c of this.conns) this.drop(c);
    await this.server.stop();
  }

  /** Encodes the event as Bybit would and sends it to every connection subscribed to its topic. */
  push(ev: MarketEvent): void {
    this.history.note(ev);
    const inst = this.instruments.find((i) => i.symbol === ev.symbol);
    if (!inst) return;
    if (ev.kind === 'mark' || ev.kind === 'oi') {
      const last = this.lastTicker.get(ev.symbol) ?? {};
      if (ev.kind === 'mark') last.mark = ev;
      else last.oi = ev;
      this.lastTicker.set(ev.symbol, last);
      const topic = `tickers.${inst.venueSymbol.toUpperCase()}`;
      // Each connection has its own snapshot/delta history, as on the venue.
      for (const c of this.conns) if (this.deliverable(c, topic)) this.send(c, c.tickers.encode(ev, inst).message);
      return;
    }
    const enc = encodeBybitEvent(ev, inst);
    if (!enc) return;
    let frame: string | undefined;
    for (const c of this.conns) {
      if (!this.deliverable(c, enc.topic)) continue;
      frame ??= JSON.stringify(enc.message);
      c.ws.send(frame);
      this.counters.framesSent++;
    }
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
    socketFaults.sendGarbage(this.conns, n, '{"topic":');
  }

  fail429(retryAfterSec: number, times = 1): void {
    this.faults.fail429(retryAfterSec, times);
  }

  fail418(seconds: number): void {
    this.faults.fail418(seconds);
  }

  /** E.g. `failRest(403)` for Bybit's "access too frequent". */
  failRest(status: number, times?: number): void {
    this.faults.failRest(status, times, status === 403 ? 'access too frequent' : { retCode: 10000, retMsg: `fake failure ${status}` });
  }

  clearRestFaults(): void {
    this.faults.clear();
  }

  subscriptions(): { id: string; topics: string[] }[] {
    return [...this.conns].map((c) => ({ id: c.id, topics: [...c.topics] }));
  }

  private deliverable(c: Conn, topic: string): boolean {
    return !c.stalled && c.topics.has(topic);
  }

  private send(c: Conn, message: unknown): void {
    c.ws.send(JSON.stringify(message));
    this.counters.framesSent++;
  }

  private accept(ws: WebSocket): void {
    const conn: Conn = { id: randomUUID(), ws, topics: new Set(), stalled: false, tickers: new BybitTickerEncoder() };
    this.conns.add(conn);
    this.counters.connections++;
    this.counters.open++;
    this.armPingTimeout(conn);
    ws.on('message', (data) => this.onMessage(conn, String(data)));
    ws.on('close', () => this.drop(conn));
    ws.on('error', () => this.drop(conn));
  }

  private armPingTimeout(conn: Conn): void {
    if (this.opts.pingTimeoutMs === undefined) return;
    clearTimeout(conn.pingTimer);
    conn.pingTimer = setTimeout(() => {
      this.counters.pingTimeoutCloses++;
      conn.ws.close(1000, 'no ping');
    }, this.opts.pingTimeoutMs);
  }

  private drop(conn: Conn): void {
    if (!this.conns.delete(conn)) return;
    this.counters.open--;
    clearTimeout(conn.pingTimer);
  }

  private onMessage(conn: Conn, text: string): void {
    let msg: { op?: unknown; args?: unknown; req_id?: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      this.send(conn, { success: false, ret_msg: 'error:request not json', conn_id: conn.id, op: '' });
      return;
    }
    const reqId = typeof msg.req_id === 'string' ? msg.req_id : '';
    const args = Array.isArray(msg.args) ? msg.args.filter((a): a is string => typeof a === 'string') : [];
    switch (msg.op) {
      case 'ping': {
        this.counters.pings++;
        const log = this.pingLog.get(conn.id) ?? [];
        log.push(performance.now());
        this.pingLog.set(conn.id, log);
        this.armPingTimeout(conn);
        this.send(conn, { success: true, ret_msg: 'pong', conn_id: conn.id, req_id: reqId, op: 'ping' });
        return;
      }
      case 'subscribe': {
        this.counters.subscribeMessages++;
        this.counters.subscribedTopics += args.length;
        const bad = args.find((a) => !TOPIC.test(a));
        if (bad !== undefined) {
          this.send(conn, { success: false, ret_msg: `error:handler not found,topic:${bad}`, conn_id: conn.id, req_id: reqId, op: 'subscribe' });
          return;
        }
        for (const a of args) conn.topics.add(a);
        this.send(conn, { success: true, ret_msg: '', conn_id: conn.id, req_id: reqId, op: 'subscribe' });
        for (const a of args) if (a.startsWith('tickers.')) this.sendTickerSnapshot(conn, a);
        return;
      }
      case 'unsubscribe':
        for (const a of args) conn.topics.delete(a);
        this.send(conn, { success: true, ret_msg: '', conn_id: conn.id, req_id: reqId, op: 'unsubscribe' });
        return;
      default:
        this.send(conn, { success: false, ret_msg: `error:unknown op ${String(msg.op)}`, conn_id: conn.id, req_id: reqId, op: String(msg.op ?? '') });
    }
  }

  /** On subscribe Bybit sends the current ticker as a snapshot; later pushes are deltas. */
  private sendTickerSnapshot(conn: Conn, topic: string): void {
    const inst = this.instruments.find((i) => `tickers.${i.venueSymbol.toUpperCase()}` === topic);
    const last = inst && this.lastTicker.get(inst.symbol);
    if (!inst || !last || conn.stalled) return;
    for (const ev of [last.mark, last.oi]) if (ev) this.send(conn, conn.tickers.encode(ev, inst).message);
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
    const notFound = { status: 200, body: { retCode: 10001, retMsg: 'params error: symbol invalid', result: {}, retExtInfo: {}, time: Date.now() } };
    switch (req.path) {
      case '/v5/market/instruments-info':
        return { status: 200, body: bybitInstrumentsBody(this.instruments, Date.now()) };
      case '/v5/market/open-interest':
        if (!inst) return notFound;
        return { status: 200, body: bybitOpenInterestBody(this.history.oiHistoryOf(inst.symbol, limit(50, 200), this.opts.data), inst, Date.now()) };
      case '/v5/market/kline':
        if (!inst) return notFound;
        return { status: 200, body: bybitKlinesBody(this.history.barsOf(inst.symbol, limit(200, 1000), this.opts.data), inst, Date.now()) };
      case '/v5/market/risk-limit':
        if (!inst) return notFound;
        return { status: 200, body: bybitRiskLimitBody(inst, Date.now()) };
      default:
        return { status: 404, body: { retCode: 10000, retMsg: `no such endpoint ${req.path}` } };
    }
  }
}
