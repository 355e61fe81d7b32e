/**
 * Hyperliquid perps live feed: one socket with trades, activeAssetCtx and l2Book per coin (one
 * subscription per message, as the venue takes them), the JSON `{"method":"ping"}` heartbeat (the
 * server closes a socket it has sent nothing to for 60 s), and a history bootstrap of 1-minute
 * candles over `POST /info`. Trade participants go to an optional listener (the observed-position
 * poller); the ~30 trades replayed on every (re)subscribe are dropped by the mapper.
 */
import type { VenueStatus } from '../status.ts';
import type { ConnectionTiming, InboundFrame, VenueProtocol } from '../connection.ts';
import { FeedCore, type FeedOptions, type HistoryRequest, type VenueFeed } from '../feed.ts';
import { REST_PATHS } from '../records.ts';

export const HYPERLIQUID_CHANNELS = ['trades', 'activeAssetCtx', 'l2Book'] as const;

/** Stream names are `type:coin`, e.g. `trades:kPEPE`. */
export function hyperliquidStreamsOf(coin: string): string[] {
  return HYPERLIQUID_CHANNELS.map((c) => `${c}:${coin}`);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The coin a data frame is about: `data.coin`, or the first trade's coin. */
function coinOf(channel: string, data: unknown): string | undefined {
  if (channel === 'trades') return Array.isArray(data) && isObject(data[0]) && typeof data[0].coin === 'string' ? data[0].coin : undefined;
  return isObject(data) && typeof data.coin === 'string' ? data.coin : undefined;
}

/** `type:coin` names, interned: no string built per frame on the hot path. */
const streamNames = new Map<string, Map<string, string>>();

function streamName(channel: string, coin: string): string {
  let byCoin = streamNames.get(channel);
  if (!byCoin) streamNames.set(channel, (byCoin = new Map()));
  let name = byCoin.get(coin);
  if (name === undefined) {
    name = `${channel}:${coin}`;
    if (byCoin.size < 10_000) byCoin.set(coin, name);
  }
  return name;
}

export const hyperliquidProtocol: VenueProtocol = {
  venue: 'hyperliquid',
  subscribeMessage(streams) {
    // one subscription per message (batch size 1); the venue echoes no id, acks come in order
    const s = streams[0]!;
    const i = s.indexOf(':');
    return JSON.stringify({ method: 'subscribe', subscription: { type: s.slice(0, i), coin: s.slice(i + 1) } });
  },
  pingMessage: () => JSON.stringify({ method: 'ping' }),
  parse(text): InboundFrame {
    // an old greeting some servers sent before any JSON (the Python SDK still guards against it)
    if (text === 'Websocket connection established.') return { type: 'ignore' };
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return { type: 'malformed', reason: 'not JSON' };
    }
    if (!isObject(msg) || typeof msg.channel !== 'string') return { type: 'malformed', reason: 'not a channel message' };
    switch (msg.channel) {
      case 'pong':
        return { type: 'pong' };
      case 'subscriptionResponse':
        return { type: 'ack', ok: true };
      case 'error': {
        const text = String(msg.data ?? 'error');
        // a duplicate subscribe means the subscription is in place
        return text.startsWith('Already subscribed') ? { type: 'ack', ok: true } : { type: 'ack', ok: false, error: text.slice(0, 200) };
      }
      case 'trades':
      case 'activeAssetCtx':
      case 'l2Book': {
        const coin = coinOf(msg.channel, msg.data);
        if (coin === undefined) return msg.channel === 'trades' && Array.isArray(msg.data) && msg.data.length === 0 ? { type: 'ignore' } : { type: 'malformed', reason: `${msg.channel} without coin` };
        return { type: 'data', stream: streamName(msg.channel, coin), payload: msg };
      }
      default:
        return { type: 'ignore' };
    }
  },
  isWatchdogStream: (stream) => stream.startsWith('activeAssetCtx:'),
  firstFrameBoundMs(stream, timing: ConnectionTiming) {
    if (stream.startsWith('activeAssetCtx:') || stream.startsWith('l2Book:')) return timing.firstFrameMs;
    if (stream.startsWith('trades:')) return timing.quietFirstFrameMs;
    return undefined;
  },
};

export interface HyperliquidFeedOptions extends FeedOptions {
  /** 1-minute candles fetched per coin at start (weight 20 + 1 per 60 rows). */
  candleMinutes?: number;
  /** Each delivered trades frame (parsed), for the observed-position poller's address discovery. */
  onTrades?(payload: unknown): void;
}

export class HyperliquidFeed implements VenueFeed {
  readonly venue = 'hyperliquid' as const;
  private readonly core: FeedCore;
  private readonly opts: HyperliquidFeedOptions;
  private streamSymbol = new Map<string, string>();
  private started = false;

  constructor(opts: HyperliquidFeedOptions) {
    this.opts = opts;
    this.core = new FeedCore('hyperliquid', opts);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const core = this.core;
    const { streams, symbolOf } = core.streamsByInstrument(hyperliquidStreamsOf);
    this.streamSymbol = symbolOf;
    if (streams.length > 0) {
      core.openConnection({
        name: 'ws',
        url: this.opts.wsUrl,
        protocol: hyperliquidProtocol,
        streams,
        timing: core.connectionTiming({
          watchdogSilenceMs: core.timing.hyperliquidWatchdogSilenceMs,
          heartbeatIntervalMs: core.timing.hyperliquidHeartbeatIntervalMs,
          subscribeBatchSize: 1,
          // 2000 messages per minute per IP: 63 subscriptions at 20/s stay far below
          sendIntervalMs: Math.min(core.timing.sendIntervalMs, 50),
          maxAgeMs: undefined,
        }),
        onData: (stream, payload, recvTime, raw) => {
          core.ingest({ t: recvTime, v: 'hyperliquid', c: stream, raw }, payload);
          if (this.opts.onTrades && stream.startsWith('trades:')) this.opts.onTrades(payload);
        },
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

  private historyRequests(): HistoryRequest[] {
    const minutes = this.opts.candleMinutes ?? 1000;
    const end = Math.floor(this.core.now() / 60_000) * 60_000;
    const weight = 20 + Math.ceil(minutes / 60);
    return this.core.instruments().map((inst): HistoryRequest => {
      const body = { type: 'candleSnapshot', req: { coin: inst.venueSymbol, interval: '1m', startTime: end - minutes * 60_000, endTime: end } };
      return { label: `${inst.symbol} candleSnapshot`, path: REST_PATHS.hyperliquidInfo, query: {}, body, weight, waitForBudget: true };
    });
  }
}
