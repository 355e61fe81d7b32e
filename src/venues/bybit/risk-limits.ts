/**
 * Bybit's public risk-limit tiers (`GET /v5/market/risk-limit?category=linear&symbol=X`), fetched
 * once per symbol by the venue bootstrap through the venue's REST client: inside its weight budget,
 * paused by its 429/403 handling, and written to recordings like every other REST response (so a
 * replay installs the same tables). The engine turns the tiers into brackets (engine/brackets.ts).
 */
import type { BybitRiskResult, BybitRiskTier } from '../../market/risk-tiers.ts';
import type { VenueInstrument } from '../../market/symbols.ts';
import type { LogFn } from '../connection.ts';
import { type FrameRecord, REST_PATHS, restChannel } from '../records.ts';
import type { RestClient } from '../rest-client.ts';

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** Parses a risk-limit response body, keeping the rows of `venueSymbol`. */
export function parseBybitRiskLimits(body: unknown, venueSymbol: string): BybitRiskResult {
  const b = body as { retCode?: unknown; retMsg?: unknown; result?: { list?: unknown } } | null;
  if (!b || typeof b !== 'object') return { ok: false, error: 'risk-limit: response is not a JSON object' };
  if (b.retCode !== 0) return { ok: false, error: `risk-limit: retCode ${String(b.retCode)} ${String(b.retMsg ?? '')}`.trim() };
  const list = b.result?.list;
  if (!Array.isArray(list)) return { ok: false, error: 'risk-limit: result.list missing' };
  const tiers: BybitRiskTier[] = [];
  for (const row of list as Record<string, unknown>[]) {
    if (!row || row.symbol !== venueSymbol) continue;
    const riskLimitValue = num(row.riskLimitValue);
    const maintenanceMargin = num(row.maintenanceMargin);
    const initialMargin = num(row.initialMargin);
    const maxLeverage = num(row.maxLeverage);
    if (riskLimitValue === undefined || maintenanceMargin === undefined || maxLeverage === undefined) {
      return { ok: false, error: `risk-limit: malformed tier for ${venueSymbol}` };
    }
    tiers.push({
      id: num(row.id) ?? tiers.length + 1,
      symbol: venueSymbol,
      riskLimitValue,
      maintenanceMargin,
      initialMargin: initialMargin ?? 1 / maxLeverage,
      maxLeverage,
      mmDeduction: num(row.mmDeduction),
    });
  }
  if (tiers.length === 0) return { ok: false, error: `risk-limit: no tiers for ${venueSymbol}` };
  return { ok: true, tiers };
}

export interface RiskTierLoad {
  /** Symbols whose tiers arrived. */
  loaded: number;
  /** Symbols that keep the generic table (the request or the body failed), with why. */
  failed: { symbol: string; error: string }[];
}

/**
 * Fetches the tiers of every instrument (`concurrency` at a time, each request waiting for room in
 * the client's budget) and hands each table to `onTiers` as it arrives. Never throws.
 */
export async function loadBybitRiskTiers(
  client: RestClient,
  instruments: readonly VenueInstrument[],
  onTiers: (symbol: string, tiers: BybitRiskTier[]) => void,
  opts: { log?: LogFn; signal?: AbortSignal; concurrency?: number } = {},
): Promise<RiskTierLoad> {
  const queue = instruments.slice();
  const out: RiskTierLoad = { loaded: 0, failed: [] };
  const worker = async (): Promise<void> => {
    for (let inst = queue.shift(); inst && !opts.signal?.aborted; inst = queue.shift()) {
      const res = await client.get(REST_PATHS.bybitRiskLimit, { category: 'linear', symbol: inst.venueSymbol }, { weight: 1, waitForBudget: true, ...(opts.signal ? { signal: opts.signal } : {}) });
      const r: BybitRiskResult = res.ok ? parseBybitRiskLimits(res.body, inst.venueSymbol) : { ok: false, error: `risk-limit: ${res.error.message}` };
      if (r.ok) {
        out.loaded++;
        onTiers(inst.symbol, r.tiers);
      } else out.failed.push({ symbol: inst.symbol, error: r.error });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 3) }, worker));
  const failed = out.failed.length;
  opts.log?.(failed ? 'warn' : 'info', `bybit risk-limit tiers: ${out.loaded} symbols loaded${failed ? `, ${failed} kept the generic table (${out.failed[0]!.error})` : ''}`);
  return out;
}

/** The tiers a recording holds (the bootstrap's recorded risk-limit responses), per venue symbol. */
export function recordedBybitRiskTiers(records: readonly FrameRecord[]): Map<string, BybitRiskTier[]> {
  const prefix = restChannel(REST_PATHS.bybitRiskLimit);
  const out = new Map<string, BybitRiskTier[]>();
  for (const rec of records) {
    if (rec.v !== 'bybit' || !rec.c.startsWith(prefix)) continue;
    const venueSymbol = new URLSearchParams(rec.c.slice(rec.c.indexOf('?') + 1)).get('symbol');
    if (!venueSymbol) continue;
    let body: unknown;
    try {
      body = JSON.parse(rec.raw);
    } catch {
      continue;
    }
    const r = parseBybitRiskLimits(body, venueSymbol);
    if (r.ok) out.set(venueSymbol, r.tiers);
  }
  return out;
}
