import type { SignalEvent, SignalSnapshot, Zone, ZoneSnapshot } from '../../src/engine/types.ts';

export interface ZoneSpec {
  id?: string;
  side: 'long' | 'short';
  low: number;
  high: number;
  usd: number;
  rank?: number;
}

export function zone(symbol: string, s: ZoneSpec, price: number): Zone {
  const id = s.id ?? `${symbol}:${s.side === 'long' ? 'L' : 'S'}:${Math.round(s.low)}`;
  const near = s.side === 'short' ? s.low : s.high;
  return {
    id,
    side: s.side,
    low: s.low,
    high: s.high,
    peak: (s.low + s.high) / 2,
    notionalUsd: s.usd,
    share: 0.3,
    distancePct: ((near - price) / price) * 100,
    distanceAtr: 1,
    rank: s.rank ?? 1,
    leverage: { '25': s.usd },
    venues: { binance: s.usd },
  };
}

export function snapshot(symbol: string, price: number, zones: ZoneSpec[], t = 0, seq = 0): ZoneSnapshot {
  return { symbol, t, price, atr: price * 0.01, binSize: price * 0.001, bins: [], zones: zones.map((z) => zone(symbol, z, price)), venues: ['binance', 'bybit'], dataAgeMs: 2000, seq };
}

/** Mutable zone source: set the price path per symbol. */
export class FakeZones {
  private readonly zonesBySymbol = new Map<string, ZoneSpec[]>();
  private readonly prices = new Map<string, number>();
  t = 0;
  /** Snapshot sequence number: bumped by every setPrice (a new snapshot). */
  seq = 0;
  /** When set, snapshots carry a validation saying whether the price is confirmed. */
  validated?: boolean;
  setZones(symbol: string, zones: ZoneSpec[]): void {
    this.zonesBySymbol.set(symbol, zones);
  }
  setPrice(symbol: string, price: number): void {
    this.prices.set(symbol, price);
    this.seq++;
  }
  snapshot(symbol: string): ZoneSnapshot | undefined {
    const p = this.prices.get(symbol);
    if (p === undefined) return undefined;
    const snap = snapshot(symbol, p, this.zonesBySymbol.get(symbol) ?? [], this.t, this.seq);
    return this.validated === undefined ? snap : { ...snap, validation: { venues: ['bybit'], bound: 0.03, quarantined: [], confirmed: this.validated } };
  }
}

export function signalSnapshot(symbol: string, scores: [number, number, number], conflicted: boolean, t = 0): SignalSnapshot {
  const tfs = (['1m', '5m', '1h'] as const).map((tf, i) => ({ tf, score: scores[i]!, strength: Math.abs(scores[i]!), confidence: 0.6 }));
  const avg = scores.reduce((a, b) => a + b, 0) / 3;
  return {
    symbol,
    mode: 'day',
    t,
    composite: { score: avg, confidence: 0.55, direction: avg > 0.1 ? 'up' : avg < -0.1 ? 'down' : 'neutral' },
    timeframes: tfs,
    conflicted,
    decelerating: false,
    cards: [],
    sizing: conflicted ? 'reduced size: timeframes conflict' : 'normal',
  };
}

export function conflictEvent(symbol: string, kind: 'conflict-start' | 'conflict-end', t: number): SignalEvent {
  const snap = signalSnapshot(symbol, kind === 'conflict-start' ? [0.5, -0.4, 0.3] : [0.4, 0.3, 0.35], kind === 'conflict-start', t);
  return { kind, symbol, mode: 'day', t, snapshot: snap };
}
