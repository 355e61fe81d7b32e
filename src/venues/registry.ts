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

/** One USDT-margined perpetual as a venue lists it, already mapped to its canonical symbol. */
export interface VenueListing {
  /** Venue's own name, upper case, e.g. `1000PEPEUSDT`. */
  venueSymbol: string;
  /** Canonical base asset, e.g. `PEPE`. */
  symbol: string;
  /** Coins per venue unit (1000 for `1000PEPEUSDT`). */
  multiplier: number;
  /** Whether the venue accepts trading now (status TRADING / Trading). */
  tradable: boolean;
  /** The venue's status word, for skip reasons. */
  status: string;
  tickSize?: number;
  fundingIntervalHours?: number;
  /** Coins per contract (OKX `ctVal × ctMult`); absent on venues that count in coins. */
  contractValue?: number;
}

export interface CanonicalName {
  symbol: string;
  multiplier: number;
}

const QUOTE = 'USDT';

/**
 * Names the prefix/suffix stripping alone gets wrong or that are worth pinning: Bybit's
 * `SHIB1000USDT` puts the multiplier after the base, `1MBABYDOGEUSDT` spells a million as `1M`,
 * and the 10000/1000000 prefixes are easy to misread.
 */
export const VENUE_SYMBOL_OVERRIDES: Record<Venue, Readonly<Record<string, CanonicalName>>> = {
  binance: {
    '1000PEPEUSDT': { symbol: 'PEPE', multiplier: 1000 },
    '1000SHIBUSDT': { symbol: 'SHIB', multiplier: 1000 },
    '1000BONKUSDT': { symbol: 'BONK', multiplier: 1000 },
    '1000FLOKIUSDT': { symbol: 'FLOKI', multiplier: 1000 },
    '1000LUNCUSDT': { symbol: 'LUNC', multiplier: 1000 },
    '1000XECUSDT': { symbol: 'XEC', multiplier: 1000 },
    '1000SATSUSDT': { symbol: 'SATS', multiplier: 1000 },
    '1000RATSUSDT': { symbol: 'RATS', multiplier: 1000 },
    '1000CATUSDT': { symbol: 'CAT', multiplier: 1000 },
    '1000CHEEMSUSDT': { symbol: 'CHEEMS', multiplier: 1000 },
    '1000WHYUSDT': { symbol: 'WHY', multiplier: 1000 },
    '1000XUSDT': { symbol: 'X', multiplier: 1000 },
    '1MBABYDOGEUSDT': { symbol: 'BABYDOGE', multiplier: 1_000_000 },
    '1000000MOGUSDT': { symbol: 'MOG', multiplier: 1_000_000 },
  },
  bybit: {
    '1000PEPEUSDT': { symbol: 'PEPE', multiplier: 1000 },
    SHIB1000USDT: { symbol: 'SHIB', multiplier: 1000 },
    '1000BONKUSDT': { symbol: 'BONK', multiplier: 1000 },
    '1000FLOKIUSDT': { symbol: 'FLOKI', multiplier: 1000 },
    '1000LUNCUSDT': { symbol: 'LUNC', multiplier: 1000 },
    '1000XECUSDT': { symbol: 'XEC', multiplier: 1000 },
    '1000RATSUSDT': { symbol: 'RATS', multiplier: 1000 },
    '1000CATUSDT': { symbol: 'CAT', multiplier: 1000 },
    '10000SATSUSDT': { symbol: 'SATS', multiplier: 10_000 },
    '10000LADYSUSDT': { symbol: 'LADYS', multiplier: 10_000 },
    '10000WENUSDT': { symbol: 'WEN', multiplier: 10_000 },
    '10000COQUSDT': { symbol: 'COQ', multiplier: 10_000 },
    '1000000CHEEMSUSDT': { symbol: 'CHEEMS', multiplier: 1_000_000 },
    '1000000MOGUSDT': { symbol: 'MOG', multiplier: 1_000_000 },
    '1000000BABYDOGEUSDT': { symbol: 'BABYDOGE', multiplier: 1_000_000 },
  },
  // OKX quotes per coin and counts size in contracts (ctVal): no multiplier names.
  okx: {},
  // Hyperliquid's `k` prefix is ×1000 (price per 1000 coins); pinned so `KAITO`-style names are never misread.
  hyperliquid: {
    KPEPE: { symbol: 'PEPE', multiplier: 1000 },
    KSHIB: { symbol: 'SHIB', multiplier: 1000 },
    KBONK: { symbol: 'BONK', multiplier: 1000 },
    KFLOKI: { symbol: 'FLOKI', multiplier: 1000 },
    KLUNC: { symbol: 'LUNC', multiplier: 1000 },
    KNEIRO: { symbol: 'NEIRO', multiplier: 1000 },
    KDOGS: { symbol: 'DOGS', multiplier: 1000 },
  },
};

/** Venue names used when the listing is unavailable; everything else is SYMBOL + USDT. */
const DEFAULT_VENUE_SYMBOLS: Record<Venue, Readonly<Record<string, string>>> = {
  binance: { PEPE: '1000PEPEUSDT', SHIB: '1000SHIBUSDT', BONK: '1000BONKUSDT', FLOKI: '1000FLOKIUSDT' },
  bybit: { PEPE: '1000PEPEUSDT', SHIB: 'SHIB1000USDT', BONK: '1000BONKUSDT', FLOKI: '1000FLOKIUSDT' },
  okx: {},
  hyperliquid: { PEPE: 'kPEPE', SHIB: 'kSHIB', BONK: 'kBONK', FLOKI: 'kFLOKI' },
};

const VENUE_LISTING_NAME: Record<Venue, string> = { binance: 'binance USD-M', bybit: 'bybit linear', okx: 'okx USDT swaps', hyperliquid: 'hyperliquid perps' };
const LISTING_SOURCE: Record<Venue, string> = { binance: 'exchangeInfo', bybit: 'instruments-info', okx: 'instruments', hyperliquid: 'meta' };
const LISTING_WHAT: Record<Venue, string> = { binance: 'USDT perpetual', bybit: 'USDT perpetual', okx: 'USDT swap', hyperliquid: 'perpetual' };
const DEFAULT_NAMING: Record<Venue, string> = {
  binance: 'SYMBOLUSDT, 1000PEPEUSDT for PEPE',
  bybit: 'SYMBOLUSDT, 1000PEPEUSDT for PEPE',
  okx: 'SYMBOL-USDT-SWAP; contract sizes unknown, so trades, books and liquidations are not used until instruments load',
  hyperliquid: 'SYMBOL, kPEPE for PEPE',
};
const OKX_SWAP = /^([A-Z0-9]+)-USDT-SWAP$/;
const HL_K_PREFIX = /^K(?=[A-Z]{2})/;

const MULTIPLIER_PREFIX = /^(10{3,}|1M)(?=[A-Z])/;
const MULTIPLIER_SUFFIX = /^([A-Z][A-Z0-9]*?[A-Z])(10{3,})$/;

/**
 * Canonical symbol and multiplier of a venue's USDT-perpetual name: the override map first, then
 * quote stripping and the `1000X` / `X1000` / `1MX` patterns. `null` when it is not a USDT name.
 */
export function canonicalOf(venue: Venue, venueSymbol: string, quote: string = QUOTE): CanonicalName | null {
  const name = venueSymbol.toUpperCase();
  const override = VENUE_SYMBOL_OVERRIDES[venue][name];
  if (override) return override;
  if (venue === 'okx') {
    // `ETH-USDT-SWAP`; inverse `-USD-SWAP`, `-USDC-SWAP` and dated futures are not tracked
    const m = OKX_SWAP.exec(name);
    return m ? { symbol: m[1]!, multiplier: 1 } : null;
  }
  if (venue === 'hyperliquid') {
    // perps are bare coin names; `@N` spot ids and HIP-3 `dex:COIN` names are not tracked
    if (!/^[A-Z0-9]+$/.test(name)) return null;
    // `kPEPE` is ×1000 only when the `k` is lower case on the venue (KAITO is a coin)
    if (venueSymbol.startsWith('k') && HL_K_PREFIX.test(name)) return { symbol: name.slice(1), multiplier: 1000 };
    return { symbol: name, multiplier: 1 };
  }
  if (!name.endsWith(quote) || name.length <= quote.length) return null;
  const base = name.slice(0, -quote.length);
  const prefix = MULTIPLIER_PREFIX.exec(base);
  if (prefix) {
    const multiplier = prefix[1] === '1M' ? 1_000_000 : Number(prefix[1]);
    return { symbol: base.slice(prefix[1]!.length), multiplier };
  }
  const suffix = MULTIPLIER_SUFFIX.exec(base);
  if (suffix) return { symbol: suffix[1]!, multiplier: Number(suffix[2]) };
  return { symbol: base, multiplier: 1 };
}

/** The venue name liqzone assumes for a canonical symbol when no listing is available. */
export function defaultVenueSymbol(venue: Venue, symbol: string): string {
  const pinned = DEFAULT_VENUE_SYMBOLS[venue][symbol];
  if (pinned) return pinned;
  if (venue === 'okx') return `${symbol}-${QUOTE}-SWAP`;
  if (venue === 'hyperliquid') return symbol;
  return `${symbol}${QUOTE}`;
}

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
