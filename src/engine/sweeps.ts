import type { LiquidationEvent } from '../market/types.ts';
import { formatPriceRange, formatUsd } from '../format/numbers.ts';
import type { SweepEvent, Zone, ZoneSnapshot } from './types.ts';

/**
 * Sweeps: price traded through a zone (reached its far edge). The zone's modeled notional is then
 * set against the realized liquidations of that side inside the band over the following minutes.
 * Realized is a lower bound: Binance forceOrder pushes at most one liquidation per symbol per second.
 */

export interface SweepOptions {
  /** How long after the sweep realized liquidations are counted (default 5 min). */
  windowMs?: number;
  /**
   * Band widening as a fraction of price: a forceOrder's price is near the bankruptcy price, about
   * one maintenance-margin rate beyond the trigger (default 0.5 %).
   */
  priceTolerance?: number;
}

interface Pending {
  symbol: string;
  zone: Zone;
  t: number;
  from: number;
  until: number;
  tolerance: number;
}

export class SweepTracker {
  private readonly windowMs: number;
  private readonly tolerance: number;
  private readonly pending: Pending[] = [];

  constructor(opts: SweepOptions = {}) {
    this.windowMs = opts.windowMs ?? 5 * 60_000;
    this.tolerance = opts.priceTolerance ?? 0.005;
  }

  /**
   * Checks the zones of the previous snapshot against the price range traded since it
   * (`low`…`high`), registering a pending sweep for each zone traded through.
   */
  observe(previous: ZoneSnapshot | undefined, low: number, high: number, now: number): Zone[] {
    if (!previous) return [];
    const swept: Zone[] = [];
    for (const z of previous.zones) {
      const through = z.side === 'long' ? low <= z.low : high >= z.high;
      if (!through) continue;
      if (this.pending.some((p) => p.symbol === previous.symbol && p.zone.id === z.id)) continue;
      this.pending.push({
        symbol: previous.symbol,
        zone: z,
        t: now,
        from: previous.t,
        until: now + this.windowMs,
        tolerance: Math.max(previous.binSize / 2, previous.price * this.tolerance),
      });
      swept.push(z);
    }
    return swept;
  }

  /**
   * Sweeps whose window has closed, with realized liquidations summed from `liquidations(symbol,
   * from, until)` (it may return only those timed within [from, until]; others are skipped here).
   */
  resolve(now: number, liquidations: (symbol: string, from: number, until: number) => Iterable<LiquidationEvent>): SweepEvent[] {
    const out: SweepEvent[] = [];
    for (let i = 0; i < this.pending.length; ) {
      const p = this.pending[i]!;
      if (now < p.until) {
        i++;
        continue;
      }
      this.pending.splice(i, 1);
      let realized = 0;
      for (const l of liquidations(p.symbol, p.from, p.until)) {
        if (l.side !== p.zone.side || l.exchTime < p.from || l.exchTime > p.until) continue;
        if (l.price < p.zone.low - p.tolerance || l.price > p.zone.high + p.tolerance) continue;
        realized += l.notionalUsd;
      }
      out.push(
        Object.freeze({
          symbol: p.symbol,
          zoneId: p.zone.id,
          side: p.zone.side,
          low: p.zone.low,
          high: p.zone.high,
          t: p.t,
          modeledUsd: p.zone.notionalUsd,
          realizedUsd: realized,
          windowMs: p.until - p.from,
        }),
      );
    }
    return out;
  }

  get pendingCount(): number {
    return this.pending.length;
  }
}

/** One line for chats and logs, saying that realized is a lower bound. */
export function formatSweep(ev: SweepEvent): string {
  const side = ev.side === 'long' ? 'long' : 'short';
  const mins = Math.round(ev.windowMs / 60_000);
  return (
    `${ev.symbol}: price swept the estimated ${side}-liquidation zone ${formatPriceRange(ev.low, ev.high, ev.symbol)} ` +
    `(modeled ~${formatUsd(ev.modeledUsd)}); realized ${side} liquidations in the band over ~${mins} min: ${formatUsd(ev.realizedUsd)} ` +
    `(a lower bound: Binance reports only a sample of liquidations).`
  );
}
