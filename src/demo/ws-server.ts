/**
 * One loopback HTTP server that answers REST requests and accepts WebSocket upgrades, the
 * transport under the fake venues. No vitest imports: `liqzone demo` runs these fakes too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Bar, OiPoint } from '../market/state.ts';
import { DEFAULT_SYMBOLS, type VenueInstrument } from '../market/symbols.ts';
import type { BarEvent, MarketEvent, OpenInterestEvent, Venue } from '../market/types.ts';

export interface FakeRestRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The request body as text (POST); empty for GET. */
  body?: string;
}

export interface FakeRestResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body: unknown;
}

export interface FakeWsServerOptions {
  /** Answer one REST request. */
  onRest(req: FakeRestRequest): FakeRestResponse | Promise<FakeRestResponse>;
  /** Whether a WebSocket upgrade to this path is accepted (404 otherwise). */
  acceptsPath(path: string): boolean;
  onConnection(ws: WebSocket, path: string, query: URLSearchParams): void;
  host?: string;
}

export class FakeWsServer {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly opts: FakeWsServerOptions;
  private port = 0;

  constructor(opts: FakeWsServerOptions) {
    this.opts = opts;
    this.http = createServer((req, res) => void this.handleRest(req, res));
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (!this.opts.acceptsPath(url.pathname)) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.opts.onConnection(ws, url.pathname, url.searchParams));
    });
  }

  async start(): Promise<{ host: string; port: number }> {
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(0, host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    this.port = (this.http.address() as AddressInfo).port;
    return { host, port: this.port };
  }

  async stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private async handleRest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    let out: FakeRestResponse;
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      out = await this.opts.onRest({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body: Buffer.concat(chunks).toString('utf8') });
    } catch (err) {
      out = { status: 500, body: { error: String(err) } };
    }
    const body = typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
    res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
    res.end(body);
  }
}

/** Sliding-window counter of inbound messages, for venue rate-limit emulation. */
/** What the socket faults below need of a fake's connection. */
export interface FaultableConn {
  ws: WebSocket;
  stalled: boolean;
}

/** Socket fault injection shared by the fake venues. */
export const socketFaults = {
  /** Stop (or resume) sending data on these connections, keeping them open: a silent stall. */
  stall(conns: Iterable<FaultableConn>, stalled: boolean): void {
    for (const c of conns) c.stalled = stalled;
  },
  /** Close with a code, or abruptly (no close frame) when none is given. */
  closeAll(conns: Iterable<FaultableConn>, code?: number): void {
    for (const c of [...conns]) {
      if (code === undefined) c.ws.terminate();
      else c.ws.close(code, 'closed by fake');
    }
  },
  /** `n` frames that are not valid JSON: alternately a truncated frame and plain garbage. */
  sendGarbage(conns: Iterable<FaultableConn>, n: number, truncated: string): void {
    for (const c of conns) for (let i = 0; i < n; i++) c.ws.send(i % 2 ? truncated : `garbage ${i} \u0000`);
  },
};

export class RateWindow {
  private readonly stamps: number[] = [];
  constructor(private readonly limit: number, private readonly windowMs: number) {}

  /** Records one message; true when the limit is now exceeded. */
  hit(now = performance.now()): boolean {
    this.stamps.push(now);
    while (this.stamps.length > 0 && this.stamps[0]! <= now - this.windowMs) this.stamps.shift();
    return this.stamps.length > this.limit;
  }
}

/** Shared fault switches for REST endpoints of a fake venue. */
export class RestFaults {
  private fail429Left = 0;
  private retryAfterSec = 1;
  private banUntil = 0;
  private failStatus?: number;
  private failLeft = 0;
  private failBody: unknown;

  /** The next `times` requests get 429 with `Retry-After: retryAfterSec`. */
  fail429(retryAfterSec: number, times = 1): void {
    this.fail429Left = times;
    this.retryAfterSec = retryAfterSec;
  }

  /** Every request gets 418 for `seconds`. */
  fail418(seconds: number): void {
    this.banUntil = Date.now() + seconds * 1000;
  }

  /** The next `times` requests (default: until cleared) get `status`. */
  failRest(status: number, times = Infinity, body: unknown = { code: status, msg: `fake failure ${status}` }): void {
    this.failStatus = status;
    this.failLeft = times;
    this.failBody = body;
  }

  clear(): void {
    this.fail429Left = 0;
    this.banUntil = 0;
    this.failStatus = undefined;
    this.failLeft = 0;
  }

  /** A failure response for this request, or undefined to serve it normally. */
  take(): FakeRestResponse | undefined {
    const now = Date.now();
    if (now < this.banUntil) {
      return { status: 418, headers: { 'retry-after': String(Math.ceil((this.banUntil - now) / 1000)) }, body: { code: -1003, msg: 'Way too many requests; IP banned.' } };
    }
    if (this.fail429Left > 0) {
      this.fail429Left--;
      return { status: 429, headers: { 'retry-after': String(this.retryAfterSec) }, body: { code: -1003, msg: 'Too many requests; current limit is 2400 requests per minute.' } };
    }
    if (this.failStatus !== undefined && this.failLeft > 0) {
      this.failLeft--;
      return { status: this.failStatus, body: this.failBody };
    }
    return undefined;
  }
}

/**
 * Where a fake venue's REST history comes from: a provider (the simulator, a test) or, when a
 * callback is absent or returns nothing, what was pushed to the fake so far.
 */
export interface FakeMarketData {
  /** 1-minute bars, any order. */
  bars?(symbol: string, limit: number): (BarEvent | Bar)[] | undefined;
  /** Open-interest history points (5-minute spacing expected), any order. */
  oiHistory?(symbol: string, limit: number): (OpenInterestEvent | OiPoint)[] | undefined;
  /** Current open interest. */
  openInterest?(symbol: string): OpenInterestEvent | OiPoint | undefined;
}

/** Bounded memory of pushed bars and open interest per symbol, the fallback for FakeMarketData. */
export class PushedHistory {
  private readonly bars = new Map<string, BarEvent[]>();
  private readonly oi = new Map<string, OpenInterestEvent[]>();
  constructor(private readonly max = 2_000) {}

  note(ev: MarketEvent): void {
    if (ev.kind === 'bar') push(this.bars, ev.symbol, ev, this.max);
    else if (ev.kind === 'oi') push(this.oi, ev.symbol, ev, this.max);
  }

  barsOf(symbol: string, limit: number, provider?: FakeMarketData): (BarEvent | Bar)[] {
    return (provider?.bars?.(symbol, limit) ?? this.bars.get(symbol) ?? []).slice(-limit);
  }

  oiHistoryOf(symbol: string, limit: number, provider?: FakeMarketData): (OpenInterestEvent | OiPoint)[] {
    return (provider?.oiHistory?.(symbol, limit) ?? this.oi.get(symbol) ?? []).slice(-limit);
  }

  openInterestOf(symbol: string, provider?: FakeMarketData): OpenInterestEvent | OiPoint | undefined {
    return provider?.openInterest?.(symbol) ?? this.oi.get(symbol)?.at(-1);
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T, max: number): void {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  list.push(value);
  if (list.length > max) list.splice(0, list.length - max);
}

/** The instruments a fake venue lists when the test does not say: the default symbols under their usual names. */
export function defaultFakeInstruments(venue: Venue, symbols: readonly string[] = DEFAULT_SYMBOLS): VenueInstrument[] {
  return symbols.map((symbol) => {
    const venueSymbol = symbol === 'PEPE' ? '1000PEPEUSDT' : `${symbol}USDT`;
    return { venue, symbol, venueSymbol, multiplier: symbol === 'PEPE' ? 1000 : 1 };
  });
}

/** Polls `cond` every few ms until it holds; rejects with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what = 'condition', timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A port on loopback that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
