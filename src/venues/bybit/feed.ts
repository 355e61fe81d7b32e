/**
 * Bybit linear live feed: one socket with publicTrade, tickers, allLiquidation and orderbook.1 per
 * symbol, JSON ping every 20 s, and a history bootstrap (open-interest 5min, kline 1).
 * Open interest arrives live in tickers, so nothing is polled.
 */
import type { VenueStatus } from '../status.ts';
import type { ConnectionTiming, InboundFrame, VenueProtocol } from '../connection.ts';
import { FeedCore, type FeedOptions, type HistoryRequest, type VenueFeed } from '../feed.ts';
import { REST_PATHS } from '../records.ts';

/** The topics liqzone subscribes per instrument. */
export function bybitTopicsOf(venueSymbol: string): string[] {
  const s = venueSymbol.toUpperCase();
  return [`publicTrade.${s}`, `tickers.${s}`, `allLiquidation.${s}`, `orderbook.1.${s}`];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export const bybitProtocol: VenueProtocol = {
  venue: 'bybit',
  subscribeMessage: (topics, id) => JSON.stringify({ req_id: id, op: 'subscribe', args: topics }),
  pingMessage: (id) => JSON.stringify({ req_id: id, op: 'ping' }),
  parse(text): InboundFrame {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return { type: 'malformed', reason: 'not JSON' };
    }
    if (!isObject(msg)) return { type: 'malformed', reason: 'not an object' };
    if (typeof msg.topic === 'string') return { type: 'data', stream: msg.topic, payload: msg };
    if (msg.op === 'ping' || msg.op === 'pong' || msg.ret_msg === 'pong') return { type: 'pong' };
    if (msg.op === 'subscribe') {
      const id = typeof msg.req_id === 'string' && msg.req_id !== '' ? msg.req_id : undefined;
      const ok = msg.success === true;
      return { type: 'ack', ...(id !== undefined ? { id } : {}), ok, ...(ok ? {} : { error: String(msg.ret_msg ?? 'subscribe failed') }) };
    }
    if (typeof msg.op === 'string') return { type: 'ignore' };
    return { type: 'malformed', reason: 'unknown message shape' };
  },
  dedupeKey(_topic, payload) {
    // Bybit has no forced rollover; keys are only used if one is configured.
    if (!isObject(payload)) return undefined;
    const key = typeof payload.cs === 'number' ? payload.cs : payload.ts;
    return typeof key === 'number' ? key : undefined;
  },
  isWatchdogStream: (topic) => topic.startsWith('tickers.') || topic.startsWith('orderbook.'),
  firstFrameBoundMs(topic, timing: ConnectionTiming) {
    if (topic.startsWith('tickers.') || topic.startsWith('orderbook.')) return timing.firstFrameMs;
    if (topic.startsWith('publicTrade.')) return timing.quietFirstFrameMs;
    return undefined;
  },
};

export interface BybitFeedOptions extends FeedOptions {
  klineLimit?: number;
  oiLimit?: number;
}

export class BybitFeed implements VenueFeed {
  readonly venue = 'bybit' as const;
  private readonly core: FeedCore;
  private readonly opts: BybitFeedOptions;
  private topicSymbol = new Map<string, string>();
  private started = false;

  constructor(opts: BybitFeedOptions) {
    this.opts = opts;
    this.core = new FeedCore('bybit', opts);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const core = this.core;
    const { streams: topics, symbolOf } = core.streamsByInstrument(bybitTopicsOf);
    this.topicSymbol = symbolOf;
    if (topics.length > 0) {
      core.openConnection({
        name: 'linear',
        url: this.opts.wsUrl,
        protocol: bybitProtocol,
        streams: topics,
        // Bybit has no connection age limit: no rollover.
        timing: core.connectionTiming({ watchdogSilenceMs: core.timing.bybitWatchdogSilenceMs, maxAgeMs: undefined }),
      });
    }
    await core.bootstrap(this.historyRequests());
  }

  async stop(): Promise<void> {
    await this.core.stop();
  }

  status(): VenueStatus {
    return this.core.status((topic) => this.topicSymbol.get(topic));
  }

  private historyRequests(): HistoryRequest[] {
    const klineLimit = this.opts.klineLimit ?? 1000;
    const oiLimit = this.opts.oiLimit ?? 200;
    return this.core.instruments().flatMap((inst): HistoryRequest[] => [
      { label: `${inst.symbol} open-interest`, path: REST_PATHS.bybitOpenInterest, query: { category: 'linear', symbol: inst.venueSymbol, intervalTime: '5min', limit: oiLimit }, weight: 1 },
      { label: `${inst.symbol} kline`, path: REST_PATHS.bybitKlines, query: { category: 'linear', symbol: inst.venueSymbol, interval: '1', limit: klineLimit }, weight: 1 },
    ]);
  }
}
