/**
 * Positions observed on Hyperliquid (every account there is public): per symbol, the actual
 * liquidation prices and sizes of the accounts liqzone polls, with when each was last confirmed.
 * Served beside the estimates, never mixed into them. Accounts are opaque keys here: addresses
 * never leave the poller, so nothing downstream can print one.
 */
import type { PositionSide } from './types.ts';

/** One observed position, in coin units (venue multipliers removed). */
export interface ObservedLevel {
  side: PositionSide;
  /** The venue's own liquidation price (coin price). */
  liquidationPx: number;
  notionalUsd: number;
  leverage: number;
  /** When the account was last polled (market clock), ms. */
  seenAt: number;
}

export interface ObservedSummary {
  symbol: string;
  levels: ObservedLevel[];
  positions: number;
  usd: number;
  /** Oldest confirmation among the levels (ms), or undefined with no levels. */
  oldestSeenAt?: number;
  /** Newest confirmation (ms). */
  refreshedAt?: number;
  /** Accounts polled (with or without a position in this symbol). */
  accounts: number;
}

export interface ObservedBookOptions {
  /** Levels not re-confirmed for this long are dropped (cross-margin liquidation prices drift). Default 30 min. */
  maxAgeMs?: number;
}

/** Notional-weighted leverage distribution of observed positions: the evidence-based prior. */
export interface LeverageShare {
  leverage: number;
  weight: number;
}

export class ObservedBook {
  private readonly maxAgeMs: number;
  /** account key → symbol → levels (an account holds at most one position per symbol). */
  private readonly accounts = new Map<number, Map<string, ObservedLevel>>();

  constructor(opts: ObservedBookOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? 30 * 60_000;
  }

  /** Replaces everything known about one account with the positions of its latest poll. */
  setAccount(key: number, positions: ReadonlyArray<{ symbol: string } & ObservedLevel>): void {
    const m = new Map<string, ObservedLevel>();
    for (const p of positions) m.set(p.symbol, { side: p.side, liquidationPx: p.liquidationPx, notionalUsd: p.notionalUsd, leverage: p.leverage, seenAt: p.seenAt });
    this.accounts.set(key, m);
  }

  /** Forgets an account (evicted from the poller's bounded set). */
  dropAccount(key: number): void {
    this.accounts.delete(key);
  }

  accountCount(): number {
    return this.accounts.size;
  }

  /** Observed levels of one symbol, fresh ones only. */
  summary(symbol: string, now: number): ObservedSummary {
    const levels: ObservedLevel[] = [];
    let usd = 0;
    let oldest: number | undefined;
    let newest: number | undefined;
    for (const m of this.accounts.values()) {
      const l = m.get(symbol);
      if (!l || now - l.seenAt > this.maxAgeMs) continue;
      levels.push(l);
      usd += l.notionalUsd;
      if (oldest === undefined || l.seenAt < oldest) oldest = l.seenAt;
      if (newest === undefined || l.seenAt > newest) newest = l.seenAt;
    }
    return { symbol, levels, positions: levels.length, usd, ...(oldest !== undefined ? { oldestSeenAt: oldest } : {}), ...(newest !== undefined ? { refreshedAt: newest } : {}), accounts: this.accounts.size };
  }

  /**
   * Notional-weighted leverage distribution of the fresh observed positions of a symbol, weights
   * summing to 1; empty when nothing is observed. The calibration uses it as its prior when present.
   */
  leverageMix(symbol: string, now: number): LeverageShare[] {
    const by = new Map<number, number>();
    let total = 0;
    for (const l of this.summary(symbol, now).levels) {
      const lev = Math.max(1, Math.round(l.leverage));
      by.set(lev, (by.get(lev) ?? 0) + l.notionalUsd);
      total += l.notionalUsd;
    }
    if (!(total > 0)) return [];
    return [...by].sort((a, b) => a[0] - b[0]).map(([leverage, usd]) => ({ leverage, weight: usd / total }));
  }
}
