/**
 * A fake Hyperliquid on loopback: WS at `/ws` (subscriptionResponse acks, "Already subscribed"
 * errors, `{"method":"ping"}` → `{"channel":"pong"}`, a close when nothing was sent to a socket for
 * the idle bound (60 s on the venue), the ~30 recent trades replayed on every trades subscribe) and
 * `POST /info` (meta, metaAndAssetCtxs, candleSnapshot, clearinghouseState) within 1200 weight per
 * minute (429 beyond). Trades carry `users: [buyer, seller]` from a pool of simulated accounts whose
 * positions, entries, leverage and liquidation prices the info endpoint reports; a position whose
 * liquidation price the mark crosses is closed (liquidated), as on the venue.
 * No vitest imports (used by `liqzone demo`).
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { DEFAULT_SYMBOLS, type VenueInstrument } from '../market/symbols.ts';
import type { MarketEvent } from '../market/types.ts';
import { decimal } from './binance-encode.ts';
import { socketFaults, FakeWsServer, PushedHistory, RestFaults, type FakeMarketData, type FakeRestRequest, type FakeRestResponse } from './ws-server.ts';

export const HYPERLIQUID_WS_PATH = '/ws';
const MINUTE = 60_000;
/** Trades replayed to a new trades subscriber (measured on the venue: about 30). */
const BACKFILL = 30;
/** Maintenance margin used for the simulated accounts' liquidation prices (half of 1/50x). */
const MMR = 0.01;

export function hyperliquidFakeInstruments(symbols: readonly string[] = DEFAULT_SYMBOLS): VenueInstrument[] {
  const k = new Set(['PEPE', 'SHIB', 'BONK', 'FLOKI']);
  return symbols.map((symbol) => ({ venue: 'hyperliquid', symbol, venueSymbol: k.has(symbol) ? `k${symbol}` : symbol, multiplier: k.has(symbol) ? 1000 : 1, fundingIntervalHours: 1 }));
}

export interface FakeHyperliquidOptions {
  instruments?: VenueInstrument[];
  /** Close a socket that was sent nothing for this long; the venue: 60 s. */
  idleCloseMs?: number;
  /** Info weight per minute (the venue: 1200 per IP). */
  weightPerMinute?: number;
  /** Simulated accounts trading (addresses in trades). */
  accounts?: number;
  seed?: number;
  data?: FakeMarketData;
}

export interface FakeHyperliquidCounters {
  connections: number;
  open: number;
  subscriptions: number;
  duplicateSubscribes: number;
  pings: number;
  idleCloses: number;
  infoRequests: number;
  clearinghouseRequests: number;
  rateLimited: number;
  /** Simulated positions closed at their liquidation price. */
  liquidations: number;
  framesSent: number;
}

interface Conn {
  id: string;
  ws: WebSocket;
  subs: Set<string>;
  stalled: boolean;
  idleTimer?: NodeJS.Timeout;
}

interface Position {
  /** Signed size in venue units (+ long). */
  szi: number;
  entryPx: number;
}

interface Account {
  address: string;
  leverage: number;
  isolated: boolean;
  positions: Map<string, Position>;
}

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEVERAGES = [3, 5, 5, 10, 10, 10, 20, 20, 25, 40];

export class FakeHyperliquid {
  private readonly server: FakeWsServer;
  private readonly opts: FakeHyperliquidOptions;
  private readonly instruments: VenueInstrument[];
  private readonly conns = new Set<Conn>();
  private readonly history = new PushedHistory();
  private readonly faults = new RestFaults();
  private readonly recentTrades = new Map<string, unknown[]>();
  private readonly ctx = new Map<string, { mark?: number; index?: number; funding?: number; oiBase?: number }>();
  private readonly accounts: Account[];
  private readonly byAddress = new Map<string, Account>();
  private readonly rand: () => number;
  private weightStamps: Array<[number, number]> = [];
  private tid = 1;
  readonly counters: FakeHyperliquidCounters = {
    connections: 0, open: 0, subscriptions: 0, duplicateSubscribes: 0, pings: 0, idleCloses: 0, infoRequests: 0, clearinghouseRequests: 0, rateLimited: 0, liquidations: 0, framesSent: 0,
  };
  readonly pingLog = new Map<string, number[]>();
  readonly requestLog: { at: number; type: string; status: number }[] = [];

  constructor(opts: FakeHyperliquidOptions = {}) {
    this.opts = opts;
    this.instruments = (opts.instruments ?? hyperliquidFakeInstruments()).map((i) => ({ ...i, venue: 'hyperliquid' as const }));
    this.rand = prng(opts.seed ?? 11);
    this.accounts = Array.from({ length: opts.accounts ?? 300 }, (_, i) => {
      const hex = Array.from({ length: 40 }, () => Math.floor(this.rand() * 16).toString(16)).join('');
      const a: Account = { address: `0x${hex}`, leverage: LEVERAGES[i % LEVERAGES.length]!, isolated: i % 3 === 0, positions: new Map() };
      this.byAddress.set(a.address, a);
      return a;
    });
    this.server = new FakeWsServer({
      acceptsPath: (p) => p === HYPERLIQUID_WS_PATH,
      onConnection: (ws) => this.accept(ws),
      onRest: (req) => this.rest(req),
    });
  }

  async start(): Promise<{ wsUrl: string; restUrl: string }> {
    const { host, port } = await this.server.start();
    return { wsUrl: `ws://${host}:${port}${HYPERLIQUID_WS_PATH}`, restUrl: `http://${host}:${port}` };
  }

  async stop(): Promise<void> {
    for (const c of this.conns) this.drop(c);
    await this.server.stop();
  }

  /** The simulated accounts' addresses (tests). */
  addresses(): string[] {
    return this.accounts.map((a) => a.address);
  }

  /** Open simulated positions per coin: count and USD value at the last mark. */
  openPositions(coin: string): { count: number; usd: number } {
    const mark = this.ctx.get(coin)?.mark ?? 0;
    let count = 0;
    let usd = 0;
    for (const a of this.accounts) {
      const p = a.positions.get(coin);
      if (p) {
        count++;
        usd += Math.abs(p.szi) * mark;
      }
    }
    return { count, usd };
  }

  push(ev: MarketEvent): void {
    this.history.note(ev);
    const inst = this.instruments.find((i) => i.symbol === ev.symbol);
    if (!inst) return;
    const coin = inst.venueSymbol;
    const m = inst.multiplier;
    switch (ev.kind) {
      case 'trade': {
        const px = ev.price * m;
        const sz = ev.qty / m;
        // a few accounts trade most: index skewed toward the start of the pool
        const pick = () => this.accounts[Math.floor(this.accounts.length * this.rand() ** 2)]!;
        const buyer = pick();
        let seller = pick();
        if (seller === buyer) seller = this.accounts[(this.accounts.indexOf(buyer) + 1) % this.accounts.length]!;
        this.fill(buyer, coin, sz, px);
        this.fill(seller, coin, -sz, px);
        const trade = { coin, side: ev.side === 'buy' ? 'B' : 'A', px: decimal(px), sz: decimal(sz), time: ev.exchTime, hash: `0x${'0'.repeat(64)}`, tid: this.tid++, users: [buyer.address, seller.address] };
        const recent = this.recentTrades.get(coin) ?? [];
        recent.push(trade);
        if (recent.length > BACKFILL) recent.shift();
        this.recentTrades.set(coin, recent);
        this.broadcast(`trades:${coin}`, { channel: 'trades', data: [trade] });
        return;
      }
      case 'mark':
      case 'oi': {
        const c = this.ctx.get(coin) ?? {};
        if (ev.kind === 'mark') {
          c.mark = ev.mark * m;
          if (ev.index !== undefined) c.index = ev.index * m;
          if (ev.fundingRateHourly !== undefined) c.funding = ev.fundingRateHourly;
          this.liquidateCrossed(coin, c.mark);
        } else c.oiBase = ev.oiBase / m;
        this.ctx.set(coin, c);
        if (c.mark === undefined) return;
        this.broadcast(`activeAssetCtx:${coin}`, { channel: 'activeAssetCtx', data: { coin, ctx: this.ctxBody(c) } });
        return;
      }
      case 'book':
        this.broadcast(`l2Book:${coin}`, {
          channel: 'l2Book',
          data: { coin, time: ev.exchTime, levels: [[{ px: decimal(ev.bid * m), sz: decimal(ev.bidSize / m), n: 3 }], [{ px: decimal(ev.ask * m), sz: decimal(ev.askSize / m), n: 4 }]] },
        });
        return;
      default:
        return; // no public liquidation stream; candles are served over /info
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
    socketFaults.sendGarbage(this.conns, n, '{"channel":');
  }

  fail429(retryAfterSec: number, times = 1): void {
    this.faults.fail429(retryAfterSec, times);
  }

  subscriptions(): { id: string; subs: string[] }[] {
    return [...this.conns].map((c) => ({ id: c.id, subs: [...c.subs] }));
  }

  private ctxBody(c: { mark?: number; index?: number; funding?: number; oiBase?: number }): Record<string, unknown> {
    const mark = c.mark ?? 0;
    return {
      funding: decimal(c.funding ?? 0.0000125),
      // two-sided, as the venue counts it
      openInterest: decimal((c.oiBase ?? 0) * 2),
      prevDayPx: decimal(mark),
      dayNtlVlm: '0',
      premium: '0',
      oraclePx: decimal(c.index ?? mark),
      markPx: decimal(mark),
      midPx: decimal(mark),
      impactPxs: [decimal(mark), decimal(mark)],
      dayBaseVlm: '0',
    };
  }

  /** Adds a fill to an account's position: same direction averages the entry, the other way reduces or flips. */
  private fill(a: Account, coin: string, signed: number, px: number): void {
    const p = a.positions.get(coin);
    if (!p) {
      a.positions.set(coin, { szi: signed, entryPx: px });
      return;
    }
    const next = p.szi + signed;
    if (Math.sign(signed) === Math.sign(p.szi)) p.entryPx = (p.entryPx * Math.abs(p.szi) + px * Math.abs(signed)) / Math.abs(next);
    else if (Math.abs(next) < 1e-12) {
      a.positions.delete(coin);
      return;
    } else if (Math.sign(next) !== Math.sign(p.szi)) p.entryPx = px;
    p.szi = next;
  }

  private liqPx(a: Account, p: Position): number {
    const lev = a.leverage;
    return p.szi > 0 ? (p.entryPx * (1 - 1 / lev)) / (1 - MMR) : (p.entryPx * (1 + 1 / lev)) / (1 + MMR);
  }

  private liquidateCrossed(coin: string, mark: number): void {
    for (const a of this.accounts) {
      const p = a.positions.get(coin);
      if (!p) continue;
      const liq = this.liqPx(a, p);
      if ((p.szi > 0 && mark <= liq) || (p.szi < 0 && mark >= liq)) {
        a.positions.delete(coin);
        this.counters.liquidations++;
      }
    }
  }

  private broadcast(sub: string, message: unknown): void {
    let frame: string | undefined;
    for (const c of this.conns) {
      if (c.stalled || !c.subs.has(sub)) continue;
      frame ??= JSON.stringify(message);
      this.sendText(c, frame);
      this.counters.framesSent++;
    }
  }

  private sendText(c: Conn, text: string): void {
    c.ws.send(text);
    this.armIdle(c);
  }

  private accept(ws: WebSocket): void {
    const conn: Conn = { id: randomUUID().slice(0, 8), ws, subs: new Set(), stalled: false };
    this.conns.add(conn);
    this.counters.connections++;
    this.counters.open++;
    this.armIdle(conn);
    ws.on('message', (data) => this.onMessage(conn, String(data)));
    ws.on('close', () => this.drop(conn));
    ws.on('error', () => this.drop(conn));
  }

  private armIdle(conn: Conn): void {
    clearTimeout(conn.idleTimer);
    conn.idleTimer = setTimeout(() => {
      if (!this.conns.has(conn)) return;
      this.counters.idleCloses++;
      conn.ws.close(1000, 'idle');
    }, this.opts.idleCloseMs ?? 60_000);
  }

  private drop(conn: Conn): void {
    if (!this.conns.delete(conn)) return;
    this.counters.open--;
    clearTimeout(conn.idleTimer);
  }

  private onMessage(conn: Conn, text: string): void {
    let msg: { method?: unknown; subscription?: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      this.sendText(conn, JSON.stringify({ channel: 'error', data: `Error parsing JSON into valid websocket request: ${text.slice(0, 80)}` }));
      return;
    }
    if (msg.method === 'ping') {
      this.counters.pings++;
      const log = this.pingLog.get(conn.id) ?? [];
      log.push(performance.now());
      this.pingLog.set(conn.id, log);
      this.sendText(conn, JSON.stringify({ channel: 'pong' }));
      return;
    }
    const s = (typeof msg.subscription === 'object' && msg.subscription !== null ? msg.subscription : {}) as Record<string, unknown>;
    const type = typeof s.type === 'string' ? s.type : '';
    const coin = typeof s.coin === 'string' ? s.coin : '';
    const known = ['trades', 'activeAssetCtx', 'l2Book'].includes(type) && this.instruments.some((i) => i.venueSymbol === coin);
    if ((msg.method !== 'subscribe' && msg.method !== 'unsubscribe') || !known) {
      this.sendText(conn, JSON.stringify({ channel: 'error', data: `Invalid subscription ${JSON.stringify(s)}` }));
      return;
    }
    const key = `${type}:${coin}`;
    if (msg.method === 'unsubscribe') {
      conn.subs.delete(key);
      this.sendText(conn, JSON.stringify({ channel: 'subscriptionResponse', data: { method: 'unsubscribe', subscription: s } }));
      return;
    }
    if (conn.subs.has(key)) {
      this.counters.duplicateSubscribes++;
      this.sendText(conn, JSON.stringify({ channel: 'error', data: `Already subscribed: ${JSON.stringify(s)}` }));
      return;
    }
    conn.subs.add(key);
    this.counters.subscriptions++;
    this.sendText(conn, JSON.stringify({ channel: 'subscriptionResponse', data: { method: 'subscribe', subscription: s } }));
    // the venue replays recent trades to every new trades subscriber
    const recent = type === 'trades' ? this.recentTrades.get(coin) : undefined;
    if (recent && recent.length > 0 && !conn.stalled) this.sendText(conn, JSON.stringify({ channel: 'trades', data: recent }));
  }

  /** Sliding-minute weight; true when this request fits. */
  private spend(weight: number): boolean {
    const now = performance.now();
    this.weightStamps = this.weightStamps.filter(([t]) => t > now - MINUTE);
    const used = this.weightStamps.reduce((a, [, w]) => a + w, 0);
    if (used + weight > (this.opts.weightPerMinute ?? 1200)) return false;
    this.weightStamps.push([now, weight]);
    return true;
  }

  private rest(req: FakeRestRequest): FakeRestResponse {
    this.counters.infoRequests++;
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(req.body || '{}') as Record<string, unknown>;
    } catch {
      /* answered below */
    }
    const type = typeof body.type === 'string' ? body.type : '';
    const res = this.answer(req, type, body);
    this.requestLog.push({ at: Date.now(), type, status: res.status });
    return res;
  }

  private answer(req: FakeRestRequest, type: string, body: Record<string, unknown>): FakeRestResponse {
    if (req.path !== '/info' || req.method !== 'POST') return { status: 404, body: 'Not Found' };
    const fault = this.faults.take();
    if (fault) return { status: 429, body: null };
    const r = (typeof body.req === 'object' && body.req !== null ? body.req : {}) as Record<string, unknown>;
    const weight = type === 'clearinghouseState' || type === 'l2Book' || type === 'allMids' ? 2 : type === 'candleSnapshot' ? 20 + Math.ceil(((Number(r.endTime) - Number(r.startTime)) / MINUTE || 0) / 60) : 20;
    if (!this.spend(weight)) {
      this.counters.rateLimited++;
      return { status: 429, body: null };
    }
    const meta = { universe: this.instruments.map((i) => ({ name: i.venueSymbol, szDecimals: 2, maxLeverage: 50 })), marginTables: [] };
    switch (type) {
      case 'meta':
        return { status: 200, body: meta };
      case 'metaAndAssetCtxs':
        return { status: 200, body: [meta, this.instruments.map((i) => this.ctxBody(this.ctx.get(i.venueSymbol) ?? {}))] };
      case 'candleSnapshot': {
        const inst = this.instruments.find((i) => i.venueSymbol === r.coin);
        if (!inst || r.interval !== '1m') return { status: 500, body: null };
        const limit = Math.min(5000, Math.max(1, Math.round((Number(r.endTime) - Number(r.startTime)) / MINUTE) || 1));
        const m = inst.multiplier;
        const rows = this.history.barsOf(inst.symbol, limit, this.opts.data).map((b) => {
          const t = 'openTime' in b ? b.openTime : b.t;
          return { t, T: t + MINUTE - 1, s: inst.venueSymbol, i: '1m', o: decimal(b.open * m), c: decimal(b.close * m), h: decimal(b.high * m), l: decimal(b.low * m), v: decimal(b.volume / m), n: 10 };
        });
        return { status: 200, body: rows };
      }
      case 'clearinghouseState': {
        this.counters.clearinghouseRequests++;
        const user = typeof body.user === 'string' ? body.user.toLowerCase() : '';
        if (!/^0x[0-9a-f]{40}$/.test(user)) return { status: 422, body: 'Failed to deserialize the JSON body into the target type' };
        const a = this.byAddress.get(user);
        const assetPositions = a ? [...a.positions].map(([coin, p]) => this.positionBody(a, coin, p)) : [];
        return { status: 200, body: { assetPositions, crossMaintenanceMarginUsed: '0', marginSummary: { accountValue: '0', totalNtlPos: '0', totalRawUsd: '0', totalMarginUsed: '0' }, crossMarginSummary: { accountValue: '0', totalNtlPos: '0', totalRawUsd: '0', totalMarginUsed: '0' }, withdrawable: '0', time: Date.now() } };
      }
      default:
        return { status: 422, body: 'Failed to deserialize the JSON body into the target type' };
    }
  }

  private positionBody(a: Account, coin: string, p: Position): Record<string, unknown> {
    const mark = this.ctx.get(coin)?.mark ?? p.entryPx;
    const value = Math.abs(p.szi) * mark;
    return {
      type: 'oneWay',
      position: {
        coin, szi: decimal(p.szi), entryPx: decimal(p.entryPx), positionValue: decimal(value), liquidationPx: decimal(this.liqPx(a, p)),
        leverage: a.isolated ? { type: 'isolated', value: a.leverage, rawUsd: decimal(value / a.leverage) } : { type: 'cross', value: a.leverage },
        marginUsed: decimal(value / a.leverage), maxLeverage: 50, unrealizedPnl: decimal((mark - p.entryPx) * p.szi), returnOnEquity: '0',
        cumFunding: { allTime: '0', sinceOpen: '0', sinceChange: '0' },
      },
    };
  }
}
