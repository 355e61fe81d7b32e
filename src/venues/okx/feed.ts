/**
 * OKX v5 public live feed: one socket with trades, mark-price, funding-rate, open-interest and books5
 * per instrument plus one liquidation-orders subscription for every SWAP; the text `ping` heartbeat
 * (OKX closes a socket that received nothing for 30 s) with `pong` handled before any JSON parse;
 * subscribe requests kept within OKX's 480 per connection per hour; a history bootstrap
 * (open-interest history 5m, candles 1m) paced under OKX's per-endpoint limits.
 */
import type { VenueStatus } from '../status.ts';
import type { ConnectionTiming, InboundFrame, VenueProtocol } from '../connection.ts';
import { FeedCore, type FeedOptions, type HistoryRequest, type VenueFeed } from '../feed.ts';
import { REST_PATHS } from '../records.ts';

/** OKX: at most this many subscribe/unsubscribe/login requests per connection per hour. */
export const OKX_SUBSCRIBE_REQUESTS_PER_HOUR = 480;
/** Channels per subscribe request (the request's `args` must stay under 64 KB; 50 is far below). */
export const OKX_SUBSCRIBE_BATCH = 50;
/** liqzone leaves headroom: a connection never plans more than this many subscribe requests. */
const SUBSCRIBE_REQUEST_CAP = OKX_SUBSCRIBE_REQUESTS_PER_HOUR / 4;

/** The per-instrument channels liqzone subscribes. */
export const OKX_CHANNELS = ['trades', 'mark-price', 'funding-rate', 'open-interest', 'books5'] as const;
/** One subscription for liquidations of every SWAP (there is no per-instrument form). */
export const OKX_LIQUIDATION_STREAM = 'liquidation-orders:SWAP';

/** Stream names are `channel:instId` (or `liquidation-orders:SWAP`). */
export function okxStreamsOf(instId: string): string[] {
  return OKX_CHANNELS.map((c) => `${c}:${instId.toUpperCase()}`);
}

function argOf(stream: string): Record<string, string> {
  const i = stream.indexOf(':');
  const channel = stream.slice(0, i);
  const id = stream.slice(i + 1);
  return channel === 'liquidation-orders' ? { channel, instType: id } : { channel, instId: id };
}

/** `channel:instId` names, interned: the hot path looks them up instead of building a string per frame. */
const streamNames = new Map<string, Map<string, string>>();

function streamOf(arg: Record<string, unknown>): string | undefined {
  const channel = arg.channel;
  if (typeof channel !== 'string') return undefined;
  const id = typeof arg.instId === 'string' ? arg.instId : typeof arg.instType === 'string' ? arg.instType : undefined;
  if (id === undefined) return undefined;
  let byId = streamNames.get(channel);
  if (!byId) {
    if (streamNames.size > 64) return `${channel}:${id}`;
    streamNames.set(channel, (byId = new Map()));
  }
  let name = byId.get(id);
  if (name === undefined) {
    name = `${channel}:${id}`;
    if (byId.size < 10_000) byId.set(id, name);
  }
  return name;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * OKX's wire protocol. OKX answers a subscribe request with one ack per channel, each echoing the
 * request id; the Connection counts one ack per request, so only the ack of a request's last
 * channel is passed on (the others are ignored). An `error` event rejects its request.
 */
export function createOkxProtocol(): VenueProtocol {
  const lastOfRequest = new Set<string>();
  return {
    venue: 'okx',
    subscribeMessage(streams, id) {
      lastOfRequest.add(`${id}|${streams[streams.length - 1]}`);
      return JSON.stringify({ id, op: 'subscribe', args: streams.map(argOf) });
    },
    pingMessage: () => 'ping',
    parse(text): InboundFrame {
      // the heartbeat reply is the bare text `pong`, not JSON
      if (text === 'pong') return { type: 'pong' };
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        return { type: 'malformed', reason: 'not JSON' };
      }
      if (!isObject(msg)) return { type: 'malformed', reason: 'not an object' };
      if (isObject(msg.arg) && Array.isArray(msg.data)) {
        const stream = streamOf(msg.arg);
        return stream ? { type: 'data', stream, payload: msg } : { type: 'malformed', reason: 'data without channel' };
      }
      const id = typeof msg.id === 'string' && msg.id !== '' ? msg.id : undefined;
      if (msg.event === 'subscribe') {
        const stream = isObject(msg.arg) ? streamOf(msg.arg) : undefined;
        const key = `${id}|${stream}`;
        if (id === undefined || !lastOfRequest.has(key)) return { type: 'ignore' };
        lastOfRequest.delete(key);
        return { type: 'ack', id, ok: true };
      }
      if (msg.event === 'error') {
        return { type: 'ack', ...(id !== undefined ? { id } : {}), ok: false, error: `code ${String(msg.code)}: ${String(msg.msg ?? '')}` };
      }
      if (typeof msg.event === 'string') return { type: 'ignore' }; // unsubscribe, notice, channel-conn-count
      return { type: 'malformed', reason: 'unknown message shape' };
    },
    isWatchdogStream: (stream) => stream.startsWith('mark-price:'),
    firstFrameBoundMs(stream, timing: ConnectionTiming) {
      // mark-price pushes at least every 10 s, open-interest on change every 3 s, books5 on change
      if (stream.startsWith('mark-price:')) return Math.max(timing.firstFrameMs, 15_000);
      if (stream.startsWith('trades:') || stream.startsWith('books5:') || stream.startsWith('open-interest:')) return timing.quietFirstFrameMs;
      return undefined; // funding every 30–90 s, liquidations legitimately quiet
    },
  };
}

export interface OkxFeedOptions extends FeedOptions {
  /** Rows per history request: candles (1m, OKX max 300) and open-interest history (5m, max 100). */
  candleLimit?: number;
  oiHistoryLimit?: number;
}

export class OkxFeed implements VenueFeed {
  readonly venue = 'okx' as const;
  private readonly core: FeedCore;
  private readonly opts: OkxFeedOptions;
  private streamSymbol = new Map<string, string>();
  private started = false;

  constructor(opts: OkxFeedOptions) {
    this.opts = opts;
    this.core = new FeedCore('okx', opts);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const core = this.core;
    const { streams, symbolOf } = core.streamsByInstrument(okxStreamsOf);
    this.streamSymbol = symbolOf;
    if (streams.length > 0) streams.push(OKX_LIQUIDATION_STREAM);
    // Each connection subscribes once per socket; split so no socket plans more requests than the cap.
    const perConnection = OKX_SUBSCRIBE_BATCH * SUBSCRIBE_REQUEST_CAP;
    for (let i = 0, n = 0; i < streams.length; i += perConnection, n++) {
      core.openConnection({
        name: n === 0 ? 'public' : `public-${n + 1}`,
        url: this.opts.wsUrl,
        protocol: createOkxProtocol(),
        streams: streams.slice(i, i + perConnection),
        timing: core.connectionTiming({
          watchdogSilenceMs: core.timing.okxWatchdogSilenceMs,
          heartbeatIntervalMs: core.timing.okxHeartbeatIntervalMs,
          subscribeBatchSize: OKX_SUBSCRIBE_BATCH,
          maxAgeMs: undefined,
        }),
      });
    }
    await core.bootstrap(this.historyRequests());
  }

  async stop(): Promise<void> {
    await this.core.stop();
  }

  status(): VenueStatus {
    return this.core.status((stream) => this.streamSymbol.get(stream));
  }

  /**
   * Candles: 40 requests / 2 s (weight 1 of the 20-per-2-s local budget); open-interest history:
   * 5 requests / 2 s (weight 8: at most 2 per local window, so at most 4 in any 2 s the venue
   * measures). Requests wait for the budget instead of failing.
   */
  private historyRequests(): HistoryRequest[] {
    const candleLimit = Math.min(300, this.opts.candleLimit ?? 300);
    const oiLimit = Math.min(100, this.opts.oiHistoryLimit ?? 100);
    return this.core.instruments().flatMap((inst): HistoryRequest[] => [
      { label: `${inst.symbol} open-interest-history`, path: REST_PATHS.okxOpenInterestHistory, query: { instId: inst.venueSymbol, period: '5m', limit: oiLimit }, weight: 8, waitForBudget: true },
      { label: `${inst.symbol} candles`, path: REST_PATHS.okxCandles, query: { instId: inst.venueSymbol, bar: '1m', limit: candleLimit }, weight: 1, waitForBudget: true },
    ]);
  }
}
