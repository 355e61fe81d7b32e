/** Replay: recorded frames through the same mappers into market state, on the recorded clock. */
import type { VenueStatus } from '../bot/services.ts';
import type { MarketState } from '../market/state.ts';
import type { SymbolRegistry } from '../market/symbols.ts';
import type { Venue } from '../market/types.ts';
import { createRecordMapper, type FrameRecord } from '../venues/records.ts';

export interface ReplayHooks {
  /** Every record, before it is mapped (recorded REST answers that are not market events, e.g. observed positions). */
  onRecord?(rec: FrameRecord): void;
  zonesEvery: number;
  onZones(): void;
  onSignals(): void;
}

/** Pushes recorded frames through the same mappers into state, ticking the engines on the recorded clock. */
export function replayRecords(
  records: FrameRecord[],
  reg: SymbolRegistry,
  state: MarketState,
  setClock: (t: number) => void,
  hooks?: ReplayHooks,
): { events: number; malformed: number } {
  const mapper = createRecordMapper(reg);
  let events = 0;
  let malformed = 0;
  let nextZones = 0;
  let nextSignals = 0;
  for (const rec of records) {
    setClock(rec.t);
    if (hooks) {
      if (nextZones === 0) {
        nextZones = rec.t + hooks.zonesEvery;
        nextSignals = rec.t + 10_000;
      }
      if (rec.t >= nextZones) {
        hooks.onZones();
        nextZones = rec.t + hooks.zonesEvery;
      }
      if (rec.t >= nextSignals) {
        hooks.onSignals();
        nextSignals = rec.t + 10_000;
      }
    }
    hooks?.onRecord?.(rec);
    const evs = mapper.map(rec);
    if (evs === null) {
      malformed++;
      continue;
    }
    for (const ev of evs) {
      state.apply(ev);
      events++;
    }
  }
  return { events, malformed };
}

export function replayStatus(reg: SymbolRegistry, venues: Venue[], state: MarketState, records: FrameRecord[], malformed: number, now: number): VenueStatus[] {
  return venues.map((venue) => {
    const lastByStream = new Map<string, number>();
    for (const r of records) if (r.v === venue && !r.c.startsWith('rest:')) lastByStream.set(r.c, r.t);
    const live = reg.tracked().filter((s) => state.get(s, venue));
    return {
      venue,
      connections: [{ name: 'replay', state: 'replayed', reconnects: 0 }],
      streams: [...lastByStream].map(([name, t]) => ({ name, lastMessageAgeMs: Math.max(0, now - t), silent: false })),
      symbolsLive: live,
      skipped: reg.skipped().filter((s) => s.venue === venue).map((s) => ({ symbol: s.symbol, reason: s.reason })),
      rest: { weightUsed: 0, weightLimit: 0, note: 'replay: no REST calls' },
      malformedFrames: malformed,
    };
  });
}
