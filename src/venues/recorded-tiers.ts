import type { BybitRiskTier } from '../market/risk-tiers.ts';
import type { SymbolRegistry } from '../market/symbols.ts';
import { recordedBybitRiskTiers } from './bybit/risk-limits.ts';
import { mapHyperliquidMarginTiers } from './hyperliquid/rest-mappers.ts';
import type { FrameRecord } from './records.ts';

/** Where recorded exchange tiers go: the zone engine, or a bracket book handed to an evaluation. */
export interface TierSink {
  setBybitTiers(symbol: string, tiers: readonly BybitRiskTier[]): void;
  setHyperliquidTiers(symbol: string, tiers: readonly { lowerBound: number; maxLeverage: number }[]): void;
}

/**
 * Installs the exchange tiers a live run fetched and recorded (Bybit's risk-limit answers,
 * Hyperliquid's margin tables in its meta listing), so a replay or an evaluation of the recording
 * computes liquidation prices with the tables the live run had, not the generic ones. OKX's tiers
 * depend on the price they were sized at and are not rebuilt here (that venue uses its default table).
 * Returns how many symbol tables were installed per venue.
 */
export function installRecordedTiers(records: readonly FrameRecord[], reg: SymbolRegistry, sink: TierSink): { bybit: number; hyperliquid: number } {
  const out = { bybit: 0, hyperliquid: 0 };
  for (const [venueSymbol, tiers] of recordedBybitRiskTiers(records)) {
    const symbol = reg.byVenueSymbol('bybit', venueSymbol)?.symbol;
    if (!symbol) continue;
    sink.setBybitTiers(symbol, tiers);
    out.bybit++;
  }
  // Hyperliquid margin tiers come with its recorded meta listing (the newest one)
  let meta: FrameRecord | undefined;
  for (let i = records.length - 1; i >= 0 && !meta; i--) {
    const r = records[i]!;
    if (r.v === 'hyperliquid' && /^rest:\/info\?type=(meta|metaAndAssetCtxs)(&|$)/.test(r.c)) meta = r;
  }
  if (!meta) return out;
  let body: unknown;
  try {
    body = JSON.parse(meta.raw);
  } catch {
    return out;
  }
  const tiers = mapHyperliquidMarginTiers(body);
  if (!tiers) return out;
  for (const inst of reg.instruments('hyperliquid')) {
    const t = tiers.get(inst.venueSymbol);
    if (!t) continue;
    sink.setHyperliquidTiers(inst.symbol, t);
    out.hyperliquid++;
  }
  return out;
}
