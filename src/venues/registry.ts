/**
 * The symbol registry: which venue instrument stands for which canonical symbol, built at start from
 * Binance exchangeInfo / Bybit instruments-info / OKX instruments / Hyperliquid meta (live REST or
 * recorded frames), or from built-in defaults when a venue's listing is unavailable.
 */
import type { SkippedSymbol, SymbolRegistry, VenueInstrument } from '../market/symbols.ts';
import type { Venue } from '../market/types.ts';
import { mapExchangeInfo, mapFundingInfo } from './binance/rest-mappers.ts';
import { mapInstruments } from './bybit/rest-mappers.ts';
import { mapHyperliquidMeta } from './hyperliquid/rest-mappers.ts';
import { mapOkxInstruments } from './okx/rest-mappers.ts';
import { canonicalOf, defaultVenueSymbol, type VenueListing } from './naming.ts';

export { canonicalOf, defaultVenueSymbol, VENUE_SYMBOL_OVERRIDES, type CanonicalName, type VenueListing } from './naming.ts';

const VENUE_LISTING_NAME: Record<Venue, string> = { binance: 'binance USD-M', bybit: 'bybit linear', okx: 'okx USDT swaps', hyperliquid: 'hyperliquid perps' };
const LISTING_SOURCE: Record<Venue, string> = { binance: 'exchangeInfo', bybit: 'instruments-info', okx: 'instruments', hyperliquid: 'meta' };
const LISTING_WHAT: Record<Venue, string> = { binance: 'USDT perpetual', bybit: 'USDT perpetual', okx: 'USDT swap', hyperliquid: 'perpetual' };
const DEFAULT_NAMING: Record<Venue, string> = {
  binance: 'SYMBOLUSDT, 1000PEPEUSDT for PEPE',
  bybit: 'SYMBOLUSDT, 1000PEPEUSDT for PEPE',
  okx: 'SYMBOL-USDT-SWAP; contract sizes unknown, so trades, books and liquidations are not used until instruments load',
  hyperliquid: 'SYMBOL, kPEPE for PEPE',
};

export interface BuildRegistryOptions {
  /** Configured canonical symbols, in the order replies should list them. */
  symbols: string[];
  venues: Venue[];
  /** Parsed `GET /fapi/v1/exchangeInfo` body; absent → built-in defaults. */
  binanceExchangeInfo?: unknown;
  /** Parsed `GET /v5/market/instruments-info?category=linear` body; absent → built-in defaults. */
  bybitInstruments?: unknown;
  /** Parsed `GET /fapi/v1/fundingInfo` body: symbols whose funding interval is not 8 h. */
  binanceFundingInfo?: unknown;
  /** Parsed `GET /api/v5/public/instruments?instType=SWAP` body (contract values); absent → defaults without sizes. */
  okxInstruments?: unknown;
  /** Parsed `POST /info {"type":"meta"}` (or `metaAndAssetCtxs`) body; absent → built-in defaults. */
  hyperliquidMeta?: unknown;
}

function listingOf(venue: Venue, opts: BuildRegistryOptions): { json: unknown; listings: VenueListing[] | null } {
  switch (venue) {
    case 'binance':
      return { json: opts.binanceExchangeInfo, listings: opts.binanceExchangeInfo === undefined ? null : mapExchangeInfo(opts.binanceExchangeInfo) };
    case 'bybit':
      return { json: opts.bybitInstruments, listings: opts.bybitInstruments === undefined ? null : mapInstruments(opts.bybitInstruments) };
    case 'okx':
      return { json: opts.okxInstruments, listings: opts.okxInstruments === undefined ? null : mapOkxInstruments(opts.okxInstruments) };
    case 'hyperliquid':
      return { json: opts.hyperliquidMeta, listings: opts.hyperliquidMeta === undefined ? null : mapHyperliquidMeta(opts.hyperliquidMeta) };
  }
}

/** The registry plus how it was built (for /status). */
export interface BuiltRegistry extends SymbolRegistry {
  /** Human-readable notes, e.g. that a venue's listing was missing and defaults were used. */
  notes(): string[];
  /** Whether a venue's instruments came from its listing or from the built-in defaults. */
  source(venue: Venue): 'listing' | 'defaults' | undefined;
}

export function buildRegistry(opts: BuildRegistryOptions): BuiltRegistry {
  const symbols = uniqueSymbols(opts.symbols);
  const venues = [...new Set(opts.venues)];
  const byVenue = new Map<Venue, VenueInstrument[]>();
  const skipped: SkippedSymbol[] = [];
  const notes: string[] = [];
  const sources = new Map<Venue, 'listing' | 'defaults'>();

  for (const venue of venues) {
    const { json: listingJson, listings } = listingOf(venue, opts);
    const fundingHours = venue === 'binance' && opts.binanceFundingInfo !== undefined ? mapFundingInfo(opts.binanceFundingInfo) : null;
    const instruments: VenueInstrument[] = [];

    if (listings === null) {
      sources.set(venue, 'defaults');
      notes.push(
        `${venue}: ${listingJson === undefined ? `no ${LISTING_SOURCE[venue]}` : `${LISTING_SOURCE[venue]} unreadable`}; ` +
          `using built-in names (${DEFAULT_NAMING[venue]}), unverified`,
      );
      for (const symbol of symbols) {
        const venueSymbol = defaultVenueSymbol(venue, symbol);
        const canonical = canonicalOf(venue, venueSymbol) ?? { symbol, multiplier: 1 };
        instruments.push(instrumentOf(venue, symbol, venueSymbol, canonical.multiplier, undefined, fundingHours?.get(venueSymbol)));
      }
    } else {
      sources.set(venue, 'listing');
      const bySymbol = indexListings(listings);
      for (const symbol of symbols) {
        const listing = bySymbol.get(symbol);
        if (!listing) {
          skipped.push({ venue, symbol, reason: `not listed on ${VENUE_LISTING_NAME[venue]} (no ${symbol} ${LISTING_WHAT[venue]})` });
        } else if (!listing.tradable) {
          skipped.push({ venue, symbol, reason: `${listing.venueSymbol} on ${VENUE_LISTING_NAME[venue]} is ${listing.status}, not trading` });
        } else {
          const hours = fundingHours?.get(listing.venueSymbol) ?? listing.fundingIntervalHours;
          const inst = instrumentOf(venue, symbol, listing.venueSymbol, listing.multiplier, listing.tickSize, hours);
          if (listing.contractValue !== undefined) inst.contractValue = listing.contractValue;
          instruments.push(inst);
        }
      }
    }
    byVenue.set(venue, instruments);
  }

  const tracked = symbols.filter((s) => venues.some((v) => byVenue.get(v)!.some((i) => i.symbol === s)));
  for (const s of symbols) if (!tracked.includes(s)) notes.push(`${s}: listed on none of ${venues.join(', ') || 'the configured venues'}; not tracked`);
  return new StaticRegistry(venues, tracked, byVenue, skipped, notes, sources);
}

function instrumentOf(venue: Venue, symbol: string, venueSymbol: string, multiplier: number, tickSize: number | undefined, fundingIntervalHours: number | undefined): VenueInstrument {
  const inst: VenueInstrument = { venue, symbol, venueSymbol, multiplier };
  if (tickSize !== undefined) inst.tickSize = tickSize;
  if (fundingIntervalHours !== undefined) inst.fundingIntervalHours = fundingIntervalHours;
  return inst;
}

/** Canonical → listing; when two names map to one coin, a tradable one wins, then the unmultiplied one. */
function indexListings(listings: VenueListing[]): Map<string, VenueListing> {
  const rank = (l: VenueListing) => (l.tradable ? 0 : 2) + (l.multiplier === 1 ? 0 : 1);
  const out = new Map<string, VenueListing>();
  for (const l of listings) {
    const cur = out.get(l.symbol);
    if (!cur || rank(l) < rank(cur)) out.set(l.symbol, l);
  }
  return out;
}

function uniqueSymbols(list: string[]): string[] {
  const out: string[] = [];
  for (const raw of list) {
    const s = raw.trim().toUpperCase();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

class StaticRegistry implements BuiltRegistry {
  private readonly byVenueSymbolIndex = new Map<Venue, Map<string, VenueInstrument>>();
  private readonly bySymbolIndex = new Map<Venue, Map<string, VenueInstrument>>();

  constructor(
    private readonly venueOrder: Venue[],
    private readonly trackedSymbols: string[],
    private readonly byVenue: Map<Venue, VenueInstrument[]>,
    private readonly skippedList: SkippedSymbol[],
    private readonly noteList: string[],
    private readonly sources: Map<Venue, 'listing' | 'defaults'>,
  ) {
    for (const [venue, list] of byVenue) {
      this.byVenueSymbolIndex.set(venue, new Map(list.map((i) => [i.venueSymbol.toUpperCase(), i])));
      this.bySymbolIndex.set(venue, new Map(list.map((i) => [i.symbol, i])));
    }
  }

  tracked(): string[] {
    return [...this.trackedSymbols];
  }

  instruments(venue: Venue): VenueInstrument[] {
    return [...(this.byVenue.get(venue) ?? [])];
  }

  instrument(venue: Venue, symbol: string): VenueInstrument | undefined {
    return this.bySymbolIndex.get(venue)?.get(symbol) ?? this.bySymbolIndex.get(venue)?.get(symbol.toUpperCase());
  }

  byVenueSymbol(venue: Venue, venueSymbol: string): VenueInstrument | undefined {
    const m = this.byVenueSymbolIndex.get(venue);
    if (!m) return undefined;
    return m.get(venueSymbol) ?? m.get(venueSymbol.toUpperCase());
  }

  skipped(): SkippedSymbol[] {
    return this.skippedList.map((s) => ({ ...s }));
  }

  venuesOf(symbol: string): Venue[] {
    return this.venueOrder.filter((v) => this.instrument(v, symbol) !== undefined);
  }

  notes(): string[] {
    return [...this.noteList];
  }

  source(venue: Venue): 'listing' | 'defaults' | undefined {
    return this.sources.get(venue);
  }
}
