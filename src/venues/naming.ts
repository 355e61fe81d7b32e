/**
 * Venue instrument names ↔ canonical symbols (`1000PEPEUSDT` → PEPE ×1000, `ETH-USDT-SWAP`, `kPEPE`):
 * pure naming rules shared by the REST listing mappers and the registry (own module, so the mappers
 * and the registry that calls them do not import each other).
 */
import type { Venue } from '../market/types.ts';

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
