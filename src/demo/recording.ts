/**
 * A simulated recording: the market events a live run would have received from the simulated
 * venues, generated directly (no sockets), for evaluation and benchmarks. It starts with the REST
 * bootstrap the live app does (1-minute bars and 5-minute open-interest history per venue), then
 * the live streams; venues that do not push open interest (Binance) are polled once a minute, as
 * the live app does. Book tops are left out (the zone engine does not read them).
 */
import type { MarketEvent, Venue } from '../market/types.ts';
import { MarketSimulator, type PopulationProfile, type PositionsSummary, type SimulatorOptions } from './simulator.ts';

export interface SimulatedRecordingOptions extends Pick<SimulatorOptions, 'symbols' | 'seed' | 'venues' | 'population'> {
  /** Market time recorded after the bootstrap, ms. */
  durationMs: number;
  /** Simulated history before the recording starts, ms (default 6 h). */
  warmupMs?: number;
  /** Simulator step while recording, ms (default 1000). */
  stepMs?: number;
  /** Recording start on the market clock (default 2026-01-05T00:00Z). */
  startTime?: number;
  /**
   * Ground truth for benchmarks: every minute of the recording, the simulated traders' open
   * positions per symbol, as liquidation-price bands of `truthBandPct` % (default 0.1).
   */
  onTruth?: (t: number, truth: PositionsSummary) => void;
  truthBandPct?: number;
  /** Ground truth too: each symbol's trader population (its true leverage mix), once at the start. */
  onPopulation?: (symbol: string, population: Readonly<PopulationProfile>) => void;
}

const MINUTE = 60_000;

/** Events in recorded order (exchange time), including the bootstrap history at the start. */
export function* simulatedRecording(o: SimulatedRecordingOptions): Generator<MarketEvent> {
  const venues: readonly Venue[] = o.venues ?? ['binance', 'bybit'];
  const sim = new MarketSimulator({
    symbols: o.symbols,
    seed: o.seed,
    venues,
    startTime: o.startTime ?? Date.UTC(2026, 0, 5),
    warmupMs: o.warmupMs ?? 6 * 3_600_000,
    stepMs: o.stepMs ?? 1000,
    warmupStepMs: 5000,
    ...(o.population ? { population: o.population } : {}),
  });
  if (o.onPopulation) for (const symbol of o.symbols) o.onPopulation(symbol, sim.population(symbol));
  for (const venue of venues) {
    for (const symbol of o.symbols) {
      const h = sim.history(venue, symbol, { bars: 6 * 60, oiPoints: 72 });
      yield* h.bars;
      yield* h.oi;
    }
  }
  const polled = venues.filter((v) => v !== 'bybit');
  const end = sim.now() + o.durationMs;
  while (sim.now() < end) {
    for (const ev of sim.advance(Math.min(MINUTE, end - sim.now()))) if (ev.kind !== 'book') yield ev;
    const t = sim.now();
    if (o.onTruth) for (const symbol of o.symbols) o.onTruth(t, sim.positions(symbol, { bandPct: o.truthBandPct ?? 0.1 }));
    for (const venue of polled) {
      for (const symbol of o.symbols) {
        const { oiBase, oiUsd } = sim.openInterest(venue, symbol);
        yield { kind: 'oi', venue, symbol, exchTime: t, recvTime: t, oiBase, oiUsd };
      }
    }
  }
}
