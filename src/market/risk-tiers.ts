/**
 * Exchange risk-limit tables as venues publish them: fetched by the venue bootstrap (venues/),
 * turned into liquidation brackets by the engine (engine/brackets.ts).
 */

/** One row of Bybit's `GET /v5/market/risk-limit` (numbers arrive as strings). */
export interface BybitRiskTier {
  id: number;
  symbol: string;
  riskLimitValue: number;
  maintenanceMargin: number;
  initialMargin: number;
  maxLeverage: number;
  /** Missing or empty on some tiers: then derived with the cumulative rule. */
  mmDeduction?: number;
}

export type BybitRiskResult = { ok: true; tiers: BybitRiskTier[] } | { ok: false; error: string };
