/**
 * Starts the configured venues: listings → symbol registry (built-in names when a listing is
 * unavailable, and said so), then per venue history bootstrap and live sockets. A venue that is
 * down never makes this throw; its feed keeps retrying and its status says what is wrong.
 */
import type { VenueStatus } from './status.ts';
import type { MarketEvent, Venue } from '../market/types.ts';
import { BinanceFeed } from './binance/feed.ts';
import { BybitFeed } from './bybit/feed.ts';
import { HyperliquidFeed } from './hyperliquid/feed.ts';
import { mapHyperliquidMarginTiers, type HyperliquidMarginTier } from './hyperliquid/rest-mappers.ts';
import { OkxFeed } from './okx/feed.ts';
import type { LogFn } from './connection.ts';
import { DEFAULT_FEED_TIMING, type FeedTiming, type VenueFeed } from './feed.ts';
import { createRecordMapper, REST_PATHS, type FrameRecord } from './records.ts';
import { buildRegistry, type BuiltRegistry } from './registry.ts';
import { RestClient } from './rest-client.ts';
import { loadBybitRiskTiers, type RiskTierLoad } from './bybit/risk-limits.ts';
import type { BybitRiskTier } from '../market/risk-tiers.ts';

export type { VenueFeed } from './feed.ts';

export interface VenueEndpoints {
  wsUrl: string;
  restUrl: string;
}

/** Where each venue lives: Binance and Bybit always, OKX and Hyperliquid when configured. */
export interface VenueEndpointMap {
  binance: VenueEndpoints;
  bybit: VenueEndpoints;
  okx?: VenueEndpoints;
  hyperliquid?: VenueEndpoints;
}

export interface StartVenuesOptions {
  venues: Venue[];
  symbols: string[];
  binance: VenueEndpoints;
  bybit: VenueEndpoints;
  okx?: VenueEndpoints;
  /** `restUrl` is the base of Hyperliquid's `POST /info` (HYPERLIQUID_INFO_URL without `/info`). */
  hyperliquid?: VenueEndpoints;
  onEvent(ev: MarketEvent): void;
  onRecord?(rec: FrameRecord): void;
  now?(): number;
  log?: LogFn;
  timing?: Partial<FeedTiming>;
  /** Injected fetch (tests); defaults to the global one. */
  fetch?: typeof fetch;
  /**
   * Bybit risk-limit tiers per symbol, fetched after start through Bybit's REST client (inside its
   * weight budget, recorded). Without it the tiers are not fetched.
   */
  onBybitRiskTiers?(symbol: string, tiers: BybitRiskTier[]): void;
  /** Hyperliquid margin tiers from its meta (the listing liqzone loads anyway), per tracked symbol. */
  onHyperliquidTiers?(symbol: string, tiers: HyperliquidMarginTier[]): void;
  /** Each Hyperliquid trades frame (parsed), for the observed-position poller. */
  onHyperliquidTrades?(payload: unknown): void;
  /**
   * The sockets are opening and the start-up history is being fetched: the registry is final and
   * status can be read (before this call resolves, which waits for the history).
   */
  onStarted?(early: { registry: BuiltRegistry; status(): VenueStatus[] }): void;
}

export interface RunningVenues {
  registry: BuiltRegistry;
  feeds: VenueFeed[];
  /** The venue's REST client (budget, pauses and recording shared with its feed). */
  rest(venue: Venue): RestClient | undefined;
  /** Resolves when the Bybit risk-tier fetch is over (undefined when it was not asked for). */
  tiersLoaded: Promise<RiskTierLoad | undefined>;
  status(): VenueStatus[];
  stop(): Promise<void>;
}

export async function startVenues(opts: StartVenuesOptions): Promise<RunningVenues> {
  const now = opts.now ?? Date.now;
  const log: LogFn = opts.log ?? (() => {});
  const timeoutMs = opts.timing?.restTimeoutMs ?? DEFAULT_FEED_TIMING.restTimeoutMs;
  const venues = [...new Set(opts.venues)].filter((v) => {
    if (opts[v]) return true;
    log('error', `${v}: no endpoints configured; skipped`);
    return false;
  });
  const clients = new Map<Venue, RestClient>();
  for (const venue of venues) {
    clients.set(
      venue,
      new RestClient({ venue, baseUrl: opts[venue]!.restUrl, now, log, timeoutMs, ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.onRecord ? { onRecord: opts.onRecord } : {}) }),
    );
  }

  const notes = new Map<Venue, string[]>(venues.map((v) => [v, []]));
  const listingRecords: FrameRecord[] = [];
  const listing = async (venue: Venue, path: string, query: Record<string, string | number>, post?: { body: Record<string, unknown>; weight: number }): Promise<unknown> => {
    const client = clients.get(venue)!;
    const res = post ? await client.post(path, post.body, { weight: post.weight }) : await client.get(path, query, { weight: 1 });
    if (res.ok) {
      listingRecords.push(res.record);
      return res.body;
    }
    notes.get(venue)!.push(`listing ${path} unavailable (${res.error.message}); using built-in symbol names`);
    log('warn', `${venue}: listing unavailable, using built-in symbol names`, { error: res.error.message });
    return undefined;
  };
  const [binanceExchangeInfo, binanceFundingInfo, bybitInstruments, okxInstruments, hyperliquidMeta] = await Promise.all([
    venues.includes('binance') ? listing('binance', REST_PATHS.binanceExchangeInfo, {}) : undefined,
    // fundingInfo only refines funding intervals: its absence is not worth a status note
    venues.includes('binance')
      ? clients.get('binance')!.get(REST_PATHS.binanceFundingInfo, {}, { weight: 0 }).then((r) => (r.ok ? r.body : undefined))
      : undefined,
    venues.includes('bybit') ? listing('bybit', REST_PATHS.bybitInstruments, { category: 'linear', limit: 1000 }) : undefined,
    // OKX sizes are contracts: the listing's ctVal is the only source of the conversion
    venues.includes('okx') ? listing('okx', REST_PATHS.okxInstruments, { instType: 'SWAP' }) : undefined,
    venues.includes('hyperliquid') ? listing('hyperliquid', REST_PATHS.hyperliquidInfo, {}, { body: { type: 'metaAndAssetCtxs' }, weight: 20 }) : undefined,
  ]);

  const registry = buildRegistry({ symbols: opts.symbols, venues, binanceExchangeInfo, bybitInstruments, binanceFundingInfo, okxInstruments, hyperliquidMeta });
  for (const note of registry.notes()) log('info', note);
  // One router for every venue and REST body, exactly as replay builds it.
  const mapper = createRecordMapper(registry);
  // Listings that carry market data (Hyperliquid's metaAndAssetCtxs: marks and OI) map as replay maps them.
  for (const rec of listingRecords) for (const ev of mapper.map(rec) ?? []) opts.onEvent(ev);

  const feeds: VenueFeed[] = venues.map((venue) => {
    const common = {
      registry,
      wsUrl: opts[venue]!.wsUrl,
      rest: clients.get(venue)!,
      onEvent: opts.onEvent,
      ...(opts.onRecord ? { onRecord: opts.onRecord } : {}),
      now,
      log,
      ...(opts.timing ? { timing: opts.timing } : {}),
      mapper,
      notes: notes.get(venue)!,
    };
    switch (venue) {
      case 'binance':
        return new BinanceFeed(common);
      case 'bybit':
        return new BybitFeed(common);
      case 'okx':
        return new OkxFeed(common);
      case 'hyperliquid':
        return new HyperliquidFeed({ ...common, ...(opts.onHyperliquidTrades ? { onTrades: opts.onHyperliquidTrades } : {}) });
    }
  });
  if (opts.onHyperliquidTiers && hyperliquidMeta !== undefined) {
    const tiers = mapHyperliquidMarginTiers(hyperliquidMeta);
    for (const inst of registry.instruments('hyperliquid')) {
      const t = tiers?.get(inst.venueSymbol);
      if (t) opts.onHyperliquidTiers(inst.symbol, t);
    }
  }
  const starting = feeds.map((f) => f.start());
  opts.onStarted?.({ registry, status: () => feeds.map((f) => f.status()) });
  await Promise.all(starting);
  // Exchange risk tiers: after the feeds, in the background (a venue that is down never delays start).
  const background = new AbortController();
  const tiersLoaded =
    venues.includes('bybit') && opts.onBybitRiskTiers
      ? loadBybitRiskTiers(clients.get('bybit')!, registry.instruments('bybit'), opts.onBybitRiskTiers, { log, signal: background.signal })
      : Promise.resolve(undefined);

  return {
    registry,
    feeds,
    rest: (venue) => clients.get(venue),
    status: () => feeds.map((f) => f.status()),
    tiersLoaded,
    stop: async () => {
      background.abort();
      await Promise.all(feeds.map((f) => f.stop()));
    },
  };
}
