/**
 * Test doubles for the position tests: a mutable zone service whose snapshots are built from a
 * price and zone specs and whose plans come from the real exit planner and bracket tables, and
 * helpers to mirror a long scenario into the equivalent short one.
 */
import type { Caller } from '../../src/bot/command.ts';
import type { ZoneService } from '../../src/bot/services.ts';
import { BracketBook } from '../../src/engine/brackets.ts';
import { planExit } from '../../src/engine/exit.ts';
import type { ExitPlan, ExitRequest, LiquidationBin, Zone, ZoneSnapshot } from '../../src/engine/types.ts';
import type { PositionSide } from '../../src/market/types.ts';

export interface ZoneSpec {
  id: string;
  side: PositionSide;
  low: number;
  high: number;
  usd: number;
  rank?: number;
  /** Share of its side's total, 0…1 (default 0.3). */
  share?: number;
}

export function zoneOf(s: ZoneSpec, price: number): Zone {
  const near = s.side === 'short' ? s.low : s.high;
  return {
    id: s.id,
    side: s.side,
    low: s.low,
    high: s.high,
    peak: (s.low + s.high) / 2,
    notionalUsd: s.usd,
    share: s.share ?? 0.3,
    distancePct: ((near - price) / price) * 100,
    distanceAtr: Math.abs(near - price) / (price * 0.01),
    rank: s.rank ?? 1,
    leverage: { '25': s.usd },
    venues: { binance: s.usd },
  };
}

export function snapshotOf(symbol: string, price: number, zones: ZoneSpec[], t = 0, seq = 1): ZoneSnapshot {
  const zs = zones.map((z) => zoneOf(z, price)).sort((a, b) => Math.abs(a.distancePct) - Math.abs(b.distancePct));
  // Bins for the chart: a small floor everywhere, each zone's notional spread over its band.
  const binSize = price * 0.001;
  const bins: LiquidationBin[] = [];
  for (let i = -120; i <= 120; i++) {
    const p = price + i * binSize;
    const inBand = (side: PositionSide) => zones.filter((z) => z.side === side && p >= z.low && p <= z.high).reduce((a, z) => a + z.usd / Math.max(1, (z.high - z.low) / binSize), 0);
    bins.push({ price: p, longUsd: p < price ? 1e5 + inBand('long') : 0, shortUsd: p > price ? 1e5 + inBand('short') : 0 });
  }
  return { symbol, t, price, atr: price * 0.01, binSize, bins, zones: zs, venues: ['binance', 'bybit'], dataAgeMs: 1500, seq };
}

const book = new BracketBook();

/** The real planner on a given snapshot (venue bracket math). */
export function realPlan(snap: ZoneSnapshot, req: ExitRequest): ExitPlan | { error: string } {
  return planExit(snap, req, book.get(req.venue, req.symbol));
}

/** A zone service under test control: set the price and the zones per symbol. */
export class PlanningZones implements ZoneService {
  private readonly prices = new Map<string, number>();
  private readonly zoneSpecs = new Map<string, ZoneSpec[]>();
  private seq = 0;
  t = 0;

  set(symbol: string, price: number, zones?: ZoneSpec[]): void {
    this.prices.set(symbol, price);
    if (zones) this.zoneSpecs.set(symbol, zones);
    this.seq++;
  }

  snapshot(symbol: string): ZoneSnapshot | undefined {
    const p = this.prices.get(symbol);
    return p === undefined ? undefined : snapshotOf(symbol, p, this.zoneSpecs.get(symbol) ?? [], this.t, this.seq);
  }

  planExit(req: ExitRequest): ExitPlan | { error: string } {
    const snap = this.snapshot(req.symbol);
    return snap ? realPlan(snap, req) : { error: `No data yet for ${req.symbol}, warming up.` };
  }
}

/** Mirrors a long scenario around `pivot` into the short one: prices reflect, zone sides swap. */
export function mirror(side: PositionSide, pivot = 3000) {
  const long = side === 'long';
  return {
    p: (x: number) => (long ? x : 2 * pivot - x),
    zone: (z: ZoneSpec): ZoneSpec => (long ? z : { ...z, side: z.side === 'long' ? 'short' : 'long', low: 2 * pivot - z.high, high: 2 * pivot - z.low }),
  };
}

export const tgPrivate = (userId = '918273645'): Caller => ({ platform: 'telegram', userId, chatId: userId, isPrivate: true, canManage: true });
export const tgGroup = (userId = '918273645', chatId = '-100555'): Caller => ({ platform: 'telegram', userId, chatId, isPrivate: false, canManage: false });
export const discordGuild = (userId = '1290000000000000777'): Caller => ({ platform: 'discord', userId, chatId: '1290000000000000200', isPrivate: false, canManage: false, guildId: '1290000000000000100' });
export const consoleCaller: Caller = { platform: 'console', userId: 'console', chatId: 'console', isPrivate: true, canManage: true };
