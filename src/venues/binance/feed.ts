/**
 * Binance USD-M live feed: `/market/stream` (aggTrade, markPrice@1s, forceOrder) and
 * `/public/stream` (bookTicker) on one shared lifecycle each, open interest polled over REST
 * (Binance has no OI stream), and a history bootstrap (openInterestHist 5m, klines 1m).
 */
import type { VenueStatus } from '../status.ts';
import { delay } from '../backoff.ts';
import type { ConnectionTiming, InboundFrame, VenueProtocol } from '../connection.ts';
import { FeedCore, type FeedOptions, type HistoryRequest, type VenueFeed } from '../feed.ts';
import { REST_PATHS } from '../records.ts';

export type BinancePath = 'market' | 'public';

/** Where a stream is served since the 2026 split: book data on `/public`, the rest on `/market`. */
export function binanceRoute(stream: string): BinancePath {
  return /@(depth|bookTicker|rpiDepth)|@trade$|^!bookTicker$/.test(stream) ? 'public' : 'market';
}

/** The streams liqzone subscribes per instrument. */
export function binanceStreamsOf(venueSymbol: string): string[] {
  const s = venueSymbol.toLowerCase();
  return [`${s}@aggTrade`, `${s}@markPrice@1s`, `${s}@forceOrder`, `${s}@bookTicker`];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export const binanceProtocol: VenueProtocol = {
  venue: 'binance',
  subscribeMessage: (streams, id) => JSON.stringify({ method: 'SUBSCRIBE', params: streams, id: Number(id) }),
  parse(text): InboundFrame {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return { type: 'malformed', reason: 'not JSON' };
    }
    if (!isObject(msg)) return { type: 'malformed', reason: 'not an object' };
    if (typeof msg.stream === 'string' && isObject(msg.data)) return { type: 'data', stream: msg.stream, payload: msg };
    const id = typeof msg.id === 'number' || typeof msg.id === 'string' ? String(msg.id) : undefined;
    if ('result' in msg && id !== undefined) return { type: 'ack', id, ok: true };
    if ('code' in msg && 'msg' in msg) return { type: 'ack', ...(id !== undefined ? { id } : {}), ok: false, error: `code ${String(msg.code)}: ${String(msg.msg)}` };
    return { type: 'malformed', reason: 'unknown message shape' };
  },
  dedupeKey(_stream, payload) {
    const data = isObject(payload) && isObject(payload.data) ? payload.data : undefined;
    if (!data) return undefined;
    const key = data.e === 'aggTrade' ? data.a : data.e === 'bookTicker' || data.e === 'depthUpdate' ? data.u : data.E;
    return typeof key === 'number' ? key : undefined;
  },
  isWatchdogStream: (stream) => stream.endsWith('@markPrice@1s') || stream.endsWith('@bookTicker'),
  firstFrameBoundMs(stream, timing: ConnectionTiming) {
    if (stream.endsWith('@markPrice@1s') || stream.endsWith('@bookTicker')) return timing.firstFrameMs;
    if (stream.endsWith('@aggTrade')) return timing.quietFirstFrameMs;
    return undefined; // liquidations are legitimately quiet for hours
  },
};

export interface BinanceFeedOptions extends FeedOptions {
  /** Routing override, for tests of a misrouted stream. */
  route?: (stream: string) => BinancePath;
  /** Rows per history request: klines (1m) and openInterestHist (5m). */
  klineLimit?: number;
  oiHistLimit?: number;
}

export class BinanceFeed implements VenueFeed {
  readonly venue = 'binance' as const;
  private readonly core: FeedCore;
  private readonly opts: BinanceFeedOptions;
  private readonly streamSymbol = new Map<string, string>();
  private oiLoop?: Promise<void>;
  private started = false;

  constructor(opts: BinanceFeedOptions) {
    this.opts = opts;
    this.core = new FeedCore('binance', opts);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const core = this.core;
    const route = this.opts.route ?? binanceRoute;
    const byPath: Record<BinancePath, string[]> = { market: [], public: [] };
    for (const inst of core.instruments()) {
      for (const s of binanceStreamsOf(inst.venueSymbol)) {
        byPath[route(s)].push(s);
        this.streamSymbol.set(s, inst.symbol);
      }
    }
    const base = this.opts.wsUrl.replace(/\/+$/, '');
    for (const path of ['market', 'public'] as const) {
      if (byPath[path].length === 0) continue;
      const overrides: Partial<ConnectionTiming> = { maxAgeMs: core.timing.maxAgeMs ?? core.timing.binanceMaxAgeMs };
      if (path === 'public') overrides.watchdogSilenceMs = core.timing.publicWatchdogSilenceMs;
      core.openConnection({ name: path, url: `${base}/${path}/stream`, protocol: binanceProtocol, streams: byPath[path], timing: core.connectionTiming(overrides) });
    }
    this.oiLoop = this.pollOpenInterest();
    await core.bootstrap(this.historyRequests());
  }

  async stop(): Promise<void> {
    await this.core.stop();
    await this.oiLoop;
  }

  status(): VenueStatus {
    return this.core.status((stream) => this.streamSymbol.get(stream));
  }

  private historyRequests(): HistoryRequest[] {
    const klineLimit = this.opts.klineLimit ?? 1000;
    const oiLimit = this.opts.oiHistLimit ?? 288;
    const klineWeight = klineLimit < 100 ? 1 : klineLimit < 500 ? 2 : klineLimit <= 1000 ? 5 : 10;
    return this.core.instruments().flatMap((inst): HistoryRequest[] => [
      { label: `${inst.symbol} openInterestHist`, path: REST_PATHS.binanceOpenInterestHist, query: { symbol: inst.venueSymbol, period: '5m', limit: oiLimit }, weight: 0 },
      { label: `${inst.symbol} klines`, path: REST_PATHS.binanceKlines, query: { symbol: inst.venueSymbol, interval: '1m', limit: klineLimit }, weight: klineWeight },
    ]);
  }

  /** Round-robin, one request every interval/n, skipped while paused or when the budget is tight. */
  private async pollOpenInterest(): Promise<void> {
    const core = this.core;
    const list = core.instruments();
    if (list.length === 0) return;
    const gap = Math.max(1, core.timing.oiPollIntervalMs / list.length);
    const reserve = Math.floor(core.rest.status().weightLimit * 0.2);
    for (let i = 0; !core.abort.signal.aborted; i = (i + 1) % list.length) {
      const inst = list[i]!;
      if (core.rest.canSend(1, reserve)) {
        const res = await core.rest.get(REST_PATHS.binanceOpenInterest, { symbol: inst.venueSymbol }, { weight: 1, signal: core.abort.signal });
        if (res.ok) core.ingest(res.record);
      }
      if (!(await delay(gap, core.abort.signal))) break;
    }
  }
}
