/**
 * OKX position tiers for the exit planner: `GET /api/v5/public/position-tiers` per instrument family
 * (isolated), through the venue's REST client (its budget, pauses and recorder). Tiers are in
 * contracts; the caller converts them to USD with the contract value and the current price.
 */
import type { SymbolRegistry } from '../../market/symbols.ts';
import type { LogFn } from '../connection.ts';
import { REST_PATHS } from '../records.ts';
import type { RestClient } from '../rest-client.ts';
import { mapOkxPositionTiers, type OkxPositionTier } from './rest-mappers.ts';

export interface OkxTiersLoaded {
  symbol: string;
  tiers: OkxPositionTier[];
  coinsPerContract: number;
}

/** Fetches every OKX instrument's tiers (weight 2 each of the 20-per-2-s budget, waiting for it); failures are counted and logged, never thrown. */
export async function loadOkxTiers(reg: SymbolRegistry, rest: RestClient, onTiers: (t: OkxTiersLoaded) => void, log: LogFn, signal?: AbortSignal): Promise<{ ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  for (const inst of reg.instruments('okx')) {
    if (signal?.aborted) break;
    if (inst.contractValue === undefined) {
      failed++;
      continue;
    }
    const family = inst.venueSymbol.replace(/-SWAP$/, '');
    const res = await rest.get(REST_PATHS.okxPositionTiers, { instType: 'SWAP', tdMode: 'isolated', instFamily: family }, { weight: 2, waitForBudget: true, ...(signal ? { signal } : {}) });
    const tiers = res.ok ? mapOkxPositionTiers(res.body) : null;
    if (tiers) {
      onTiers({ symbol: inst.symbol, tiers, coinsPerContract: inst.contractValue });
      ok++;
    } else failed++;
  }
  log(failed ? 'warn' : 'info', `okx position tiers: ${ok} symbols loaded${failed ? `, ${failed} kept the generic table` : ''}`);
  return { ok, failed };
}
