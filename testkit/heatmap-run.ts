/**
 * A simulated market run through the zone engine on the market clock: the simulator's recording
 * (bootstrap history, then live events) applied to a MarketState and `ZoneEngine.update()` every
 * `updateEveryMs` of market time, so the heatmap history fills exactly as it does live, in seconds.
 * Used by the heatmap bench, the docs image and tests.
 */
import { ZoneEngine } from '../src/engine/zone-engine.ts';
import { MarketState } from '../src/market/state.ts';
import type { Venue } from '../src/market/types.ts';
import { simulatedRecording } from '../src/demo/recording.ts';

export interface SimulatedEngineRun {
  engine: ZoneEngine;
  state: MarketState;
  /** Market time at the end of the run. */
  now: number;
  updates: number;
}

export function runSimulatedEngine(o: { symbols: string[]; hours: number; seed?: number; venues?: Venue[]; updateEveryMs?: number; stepMs?: number }): SimulatedEngineRun {
  const state = new MarketState({}, { futureToleranceMs: Number.POSITIVE_INFINITY });
  let clock = 0;
  const engine = new ZoneEngine(state, { symbols: () => o.symbols, now: () => clock, log: () => undefined });
  const every = o.updateEveryMs ?? 30_000;
  let next = 0;
  let updates = 0;
  let live = false;
  for (const ev of simulatedRecording({ symbols: o.symbols, seed: o.seed ?? 7, venues: o.venues, durationMs: o.hours * 3_600_000, stepMs: o.stepMs ?? 2000 })) {
    // The bootstrap history comes first (older times); live events follow in time order.
    if (ev.kind === 'mark' || ev.kind === 'trade') live = true;
    if (live) {
      if (next === 0) next = ev.exchTime + every;
      while (ev.exchTime >= next) {
        clock = next;
        engine.update();
        updates++;
        next += every;
      }
    }
    state.apply(ev);
    if (ev.exchTime > clock && live) clock = ev.exchTime;
  }
  engine.update();
  return { engine, state, now: clock, updates: updates + 1 };
}
