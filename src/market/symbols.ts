import type { Venue } from './types.ts';

/** Default tracked symbols (canonical base assets), from DESIGN.md. */
export const DEFAULT_SYMBOLS = [
  'BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'BNB', 'HYPE', 'SUI', 'ADA', 'LINK', 'AVAX',
  'LTC', 'BCH', 'DOT', 'TRX', 'NEAR', 'AAVE', 'ENA', 'WIF', 'PEPE', 'TON',
] as const;

/** One listed instrument of one venue, mapped to its canonical symbol. */
export interface VenueInstrument {
  venue: Venue;
  /** Canonical base asset, e.g. `PEPE`. */
  symbol: string;
  /** Venue's own name, e.g. `1000PEPEUSDT`. */
  venueSymbol: string;
  /** Coins per venue unit of price/quantity: venue price / multiplier = coin price; qty × multiplier = coins. */
  multiplier: number;
  tickSize?: number;
  /**
   * Coins per contract when the venue counts size in contracts (OKX `ctVal`, loaded from its
   * instruments listing, never assumed). Undefined on venues that count in coins; on OKX it means
   * the listing was not loaded, so sizes cannot be converted and sized events are not emitted.
   */
  contractValue?: number;
  /** Hours between funding settlements (8 when the venue did not say); funding is normalized to hourly with it. */
  fundingIntervalHours?: number;
}

export interface SkippedSymbol {
  venue: Venue;
  symbol: string;
  reason: string;
}

/**
 * The symbols liqzone tracks, per venue. Built at start from exchangeInfo / instruments-info
 * (or recorded REST frames in replay, or built-in defaults); read by everyone else.
 */
export interface SymbolRegistry {
  /** Canonical symbols tracked on at least one venue, in configured order. */
  tracked(): string[];
  /** Instruments for a venue. */
  instruments(venue: Venue): VenueInstrument[];
  /** Canonical symbol → instrument on a venue. */
  instrument(venue: Venue, symbol: string): VenueInstrument | undefined;
  /** Venue symbol (any case) → instrument. */
  byVenueSymbol(venue: Venue, venueSymbol: string): VenueInstrument | undefined;
  skipped(): SkippedSymbol[];
  /** Venues that list the symbol. */
  venuesOf(symbol: string): Venue[];
}
