import type { Venue } from '../market/types.ts';
import type { BybitRiskTier } from '../market/risk-tiers.ts';
import type { Bracket } from './liquidation.ts';
import binanceDated from './data/binance-brackets-2024-10-24.json' with { type: 'json' };

export type { BybitRiskTier } from '../market/risk-tiers.ts';

/**
 * Where the bracket tables come from:
 * - Binance BTC/ETH: a dated public snapshot (2024-10-24). Binance's live endpoint
 *   (/fapi/v1/leverageBracket) needs a signed request, so this stays a dated default.
 * - Bybit: its public risk-limit endpoint, fetched by the venue bootstrap through the REST client
 *   (venues/bybit/risk-limits.ts) and installed with `setBybitTiers`.
 * - Everything else (and Bybit before its refresh): `GENERIC_BRACKETS`, an assumption.
 */

export const BINANCE_BRACKETS_AS_OF: string = binanceDated.asOf;

export type BracketSource = 'dated-default' | 'exchange' | 'generic';

export interface BracketTable {
  venue: Venue;
  symbol: string;
  source: BracketSource;
  /** Date of the data, when known (dated defaults, fetch time for exchange tables). */
  asOf?: string;
  brackets: readonly Bracket[];
}

/** Fills each bracket's maintenance amount: cum_n = cum_{n−1} + floor_n × (MMR_n − MMR_{n−1}). */
export function withMaintenanceAmounts(rows: readonly Omit<Bracket, 'cum'>[]): Bracket[] {
  const out: Bracket[] = [];
  for (const [i, r] of rows.entries()) {
    const prev = out[i - 1];
    const cum = prev ? prev.cum + r.notionalFloor * (r.maintMarginRatio - prev.maintMarginRatio) : 0;
    out.push({ ...r, cum: Math.round(cum * 1e6) / 1e6 });
  }
  return out;
}

/**
 * ASSUMPTION, not exchange data: a conservative schedule for symbols without a known table, shaped
 * like Binance's mid-cap USD-M tables (lower caps and higher rates than BTC/ETH: 75x up to 5k,
 * 50x to 50k, 25x to 250k, …). Maintenance amounts follow the documented cumulative rule, so the
 * maintenance margin is continuous across brackets. Replaced as soon as exchange tiers are loaded.
 */
export const GENERIC_BRACKETS: readonly Bracket[] = Object.freeze(
  withMaintenanceAmounts([
    { notionalFloor: 0, notionalCap: 5_000, maxLeverage: 75, maintMarginRatio: 0.005 },
    { notionalFloor: 5_000, notionalCap: 50_000, maxLeverage: 50, maintMarginRatio: 0.01 },
    { notionalFloor: 50_000, notionalCap: 250_000, maxLeverage: 25, maintMarginRatio: 0.02 },
    { notionalFloor: 250_000, notionalCap: 1_000_000, maxLeverage: 20, maintMarginRatio: 0.025 },
    { notionalFloor: 1_000_000, notionalCap: 5_000_000, maxLeverage: 10, maintMarginRatio: 0.05 },
    { notionalFloor: 5_000_000, notionalCap: 10_000_000, maxLeverage: 5, maintMarginRatio: 0.1 },
    { notionalFloor: 10_000_000, notionalCap: 20_000_000, maxLeverage: 4, maintMarginRatio: 0.125 },
    { notionalFloor: 20_000_000, notionalCap: 30_000_000, maxLeverage: 3, maintMarginRatio: 0.15 },
    { notionalFloor: 30_000_000, notionalCap: 50_000_000, maxLeverage: 2, maintMarginRatio: 0.25 },
    { notionalFloor: 50_000_000, notionalCap: 100_000_000, maxLeverage: 1, maintMarginRatio: 0.5 },
  ]),
);

function datedBinance(symbol: string): readonly Bracket[] | undefined {
  const rows = (binanceDated.symbols as Record<string, Bracket[] | undefined>)[`${symbol}USDT`];
  return rows?.map(({ notionalFloor, notionalCap, maxLeverage, maintMarginRatio, cum }) => ({ notionalFloor, notionalCap, maxLeverage, maintMarginRatio, cum }));
}

/** Tiers (any order) → brackets: floor = previous tier's limit, cum = mmDeduction. */
export function bybitTiersToBrackets(tiers: readonly BybitRiskTier[]): Bracket[] {
  const sorted = [...tiers].sort((a, b) => a.riskLimitValue - b.riskLimitValue);
  const derived = withMaintenanceAmounts(
    sorted.map((t, i) => ({
      notionalFloor: i === 0 ? 0 : sorted[i - 1]!.riskLimitValue,
      notionalCap: t.riskLimitValue,
      maxLeverage: t.maxLeverage,
      maintMarginRatio: t.maintenanceMargin,
    })),
  );
  return derived.map((b, i) => ({ ...b, cum: sorted[i]!.mmDeduction ?? b.cum }));
}

/** The tables in force, per venue and symbol. Bybit tables are replaced by the startup refresh. */
export class BracketBook {
  private readonly overrides = new Map<string, BracketTable>();
  private readonly cache = new Map<string, BracketTable>();
  private readonly listeners = new Set<(table: BracketTable) => void>();
  /** Bumped whenever a table changes, so derived caches can invalidate. */
  version = 0;

  get(venue: Venue, symbol: string): BracketTable {
    const key = `${venue}:${symbol}`;
    const own = this.overrides.get(key);
    if (own) return own;
    let t = this.cache.get(key);
    if (!t) {
      const dated = venue === 'binance' ? datedBinance(symbol) : undefined;
      t = dated
        ? { venue, symbol, source: 'dated-default', asOf: BINANCE_BRACKETS_AS_OF, brackets: dated }
        : { venue, symbol, source: 'generic', brackets: GENERIC_BRACKETS };
      this.cache.set(key, t);
    }
    return t;
  }

  set(table: BracketTable): void {
    if (table.brackets.length === 0) return;
    this.overrides.set(`${table.venue}:${table.symbol}`, table);
    this.version++;
    for (const l of this.listeners) l(table);
  }

  /** The tables installed with `set` (exchange tiers), e.g. to publish them to bot processes. */
  installed(): BracketTable[] {
    return [...this.overrides.values()];
  }

  /** Called with each table installed from now on; returns an unsubscribe. */
  onSet(listener: (table: BracketTable) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setBybitTiers(symbol: string, tiers: readonly BybitRiskTier[], asOf?: string): void {
    this.set({ venue: 'bybit', symbol, source: 'exchange', asOf, brackets: bybitTiersToBrackets(tiers) });
  }

  /** Hyperliquid margin tiers from its `meta` (see `hyperliquidTiersToBrackets`). */
  setHyperliquidTiers(symbol: string, tiers: readonly { lowerBound: number; maxLeverage: number }[], asOf?: string): void {
    this.set({ venue: 'hyperliquid', symbol, source: 'exchange', asOf, brackets: hyperliquidTiersToBrackets(tiers) });
  }

  /** OKX position tiers, converted to USD at `price` (see `okxTiersToBrackets`). */
  setOkxTiers(symbol: string, tiers: readonly OkxTier[], coinsPerContract: number, price: number, asOf?: string): void {
    this.set({ venue: 'okx', symbol, source: 'exchange', asOf, brackets: okxTiersToBrackets(tiers, coinsPerContract, price) });
  }
}

/**
 * Hyperliquid margin tiers → brackets: the maintenance margin is half the initial margin at the
 * tier's max leverage (MMR = 1 / (2 × max leverage), Hyperliquid's docs); the top tier has no cap.
 */
export function hyperliquidTiersToBrackets(tiers: readonly { lowerBound: number; maxLeverage: number }[]): Bracket[] {
  const sorted = [...tiers].sort((a, b) => a.lowerBound - b.lowerBound);
  return sorted.map((t, i) => ({
    notionalFloor: t.lowerBound,
    notionalCap: sorted[i + 1]?.lowerBound ?? Number.POSITIVE_INFINITY,
    maxLeverage: t.maxLeverage,
    maintMarginRatio: 1 / (2 * t.maxLeverage),
    cum: 0,
  }));
}

/** One OKX position tier (`GET /api/v5/public/position-tiers`), sizes in contracts. */
export interface OkxTier {
  minSz: number;
  maxSz: number;
  mmr: number;
  maxLever: number;
}

/**
 * OKX tiers → brackets in USD: contract bounds × coins per contract × the price at load time (OKX
 * tiers by contracts; a bracket in USD is exact only at that price, and the reply says when it was
 * loaded). OKX applies a tier's ratio to the whole position, so every maintenance amount is 0.
 */
export function okxTiersToBrackets(tiers: readonly OkxTier[], coinsPerContract: number, price: number): Bracket[] {
  const usd = coinsPerContract * price;
  return [...tiers]
    .sort((a, b) => a.minSz - b.minSz)
    .map((t, i, all) => ({
      notionalFloor: i === 0 ? 0 : all[i - 1]!.maxSz * usd,
      notionalCap: t.maxSz * usd,
      maxLeverage: t.maxLever,
      maintMarginRatio: t.mmr,
      cum: 0,
    }));
}

const VENUE_NAMES: Record<Venue, string> = { binance: 'Binance', bybit: 'Bybit', okx: 'OKX', hyperliquid: 'Hyperliquid' };

/** One line on where a table comes from, for replies. */
export function describeBrackets(t: BracketTable): string {
  const venue = VENUE_NAMES[t.venue];
  if (t.source === 'dated-default') return `${venue} brackets as of ${t.asOf}`;
  if (t.source === 'exchange') return `${venue} tiers from the exchange${t.asOf ? ` (${t.asOf})` : ''}`;
  return `generic ${venue} bracket table (assumption until exchange tiers load)`;
}
