import type { BybitRiskTier } from '../market/risk-tiers.ts';
import type { SymbolRegistry } from '../market/symbols.ts';
import { recordedBybitRiskTiers } from './bybit/risk-limits.ts';
import { mapHyperliquidMarginTiers } from './hyperliquid/rest-mappers.ts';
import { mapOkxPositionTiers, type OkxPositionTier } from './okx/rest-mappers.ts';
import { REST_PATHS, restChannel, type FrameRecord } from './records.ts';

/** Where recorded exchange tiers go: the zone engine, or a bracket book handed to an evaluation. */
export interface TierSink {
  setBybitTiers(symbol: string, tiers: readonly BybitRiskTier[]): void;
  setHyperliquidTiers(symbol: string, tiers: readonly { lowerBound: number; maxLeverage: number }[]): void;
}

/**
 * Installs the exchange tiers a live run fetched and recorded (Bybit's risk-limit answers,
 * Hyperliquid's margin tables in its meta listing), so a replay or an evaluation of the recording
 * computes liquidation prices with the tables the live run had, not the generic ones. OKX's tiers are
 * in contracts and sized in USD at the price when they arrived: `recordedOkxTiers` reads them, the
 * replay installs them as it reaches them, `liqzone evaluate` at the recording's price of that moment.
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
  const tiers = meta ? mapHyperliquidMarginTiers(bodyOf(meta)) : null;
  if (!tiers) return out;
  for (const inst of reg.instruments('hyperliquid')) {
    const t = tiers.get(inst.venueSymbol);
    if (!t) continue;
    sink.setHyperliquidTiers(inst.symbol, t);
    out.hyperliquid++;
  }
  return out;
}

/** One recorded OKX position-tier answer: whose it is and its tiers (in contracts). */
export interface RecordedOkxTiers {
  symbol: string;
  tiers: OkxPositionTier[];
  coinsPerContract: number;
}

const OKX_TIERS_CHANNEL = restChannel(REST_PATHS.okxPositionTiers);

/**
 * The OKX position tiers a record holds (the live bootstrap's `position-tiers` answer for one instrument
 * family), or undefined for any other record, an unknown family, a family without a contract value or
 * an unreadable body. The caller sizes them at the price of that moment, as the live run did.
 */
export function recordedOkxTiers(rec: FrameRecord, reg: SymbolRegistry): RecordedOkxTiers | undefined {
  if (rec.v !== 'okx' || !rec.c.startsWith(OKX_TIERS_CHANNEL)) return undefined;
  const family = new URLSearchParams(rec.c.slice(rec.c.indexOf('?') + 1)).get('instFamily');
  if (!family) return undefined;
  const inst = reg.instruments('okx').find((i) => i.venueSymbol.replace(/-SWAP$/, '') === family);
  if (!inst || inst.contractValue === undefined) return undefined;
  const tiers = mapOkxPositionTiers(bodyOf(rec));
  return tiers ? { symbol: inst.symbol, tiers, coinsPerContract: inst.contractValue } : undefined;
}

/** A recorded answer's JSON body; undefined when it does not parse (the mappers then return null). */
function bodyOf(rec: FrameRecord): unknown {
  try {
    return JSON.parse(rec.raw) as unknown;
  } catch {
    return undefined;
  }
}
