import { formatUsd } from '../format/numbers.ts';
import type { SweepEvent, Zone, ZoneSnapshot } from './types.ts';

/**
 * The live running track record of one symbol, one line for /zones: do the top zones' cores (the
 * densest band around each peak, what targets use) get touched more often than placebo levels at
 * the same distance on the other side of price, and how much of what swept zones modeled was seen
 * liquidated.
 */

/** The edge of a zone nearest to the price it was measured from. */
export function nearEdge(z: Pick<Zone, 'side' | 'low' | 'high'>): number {
  return z.side === 'long' ? z.high : z.low;
}

/** The edge of a zone's core (its densest band; the whole band without one) nearest to price. */
export function coreNearEdge(z: Pick<Zone, 'side' | 'low' | 'high' | 'core'>): number {
  return nearEdge({ side: z.side, ...(z.core ?? { low: z.low, high: z.high }) });
}

/** A placebo level: the same distance from price, on the other side. */
export function mirrorLevel(price: number, level: number): number {
  return 2 * price - level;
}

/** Did a price path spanning low…high reach a level lying below (long) or above (short) the price? */
export function reached(levelSide: 'below' | 'above', level: number, low: number, high: number): boolean {
  return levelSide === 'below' ? low <= level : high >= level;
}

export interface TrackRecordOptions {
  /** How often a snapshot is sampled (default 5 min). */
  sampleEveryMs?: number;
  /** Horizon for a touch (default 1 h). */
  horizonMs?: number;
  /** Zones per side sampled, by rank (default 3). */
  topK?: number;
  /** How long resolved samples are kept (default 24 h). */
  keepMs?: number;
}

interface Sample {
  t: number;
  /** `below` levels are long zones' near edges, `above` short zones'. */
  levels: { where: 'below' | 'above'; level: number; placebo: number }[];
  low: number;
  high: number;
}

interface Resolved {
  t: number;
  zones: number;
  zoneTouches: number;
  placeboTouches: number;
}

export class TrackRecord {
  private readonly sampleEveryMs: number;
  private readonly horizonMs: number;
  private readonly topK: number;
  private readonly keepMs: number;
  private readonly open: Sample[] = [];
  private readonly done: Resolved[] = [];
  private readonly sweeps: SweepEvent[] = [];
  private lastSampleT = Number.NEGATIVE_INFINITY;
  private startedT: number | undefined;

  constructor(opts: TrackRecordOptions = {}) {
    this.sampleEveryMs = opts.sampleEveryMs ?? 5 * 60_000;
    this.horizonMs = opts.horizonMs ?? 3_600_000;
    this.topK = opts.topK ?? 3;
    this.keepMs = opts.keepMs ?? 24 * 3_600_000;
  }

  /** Feeds the price range traded since the last call, resolves matured samples, maybe samples `snap`. */
  observe(snap: ZoneSnapshot, low: number, high: number, now: number): void {
    this.startedT ??= now;
    for (let i = 0; i < this.open.length; ) {
      const s = this.open[i]!;
      if (low < s.low) s.low = low;
      if (high > s.high) s.high = high;
      if (now - s.t >= this.horizonMs) {
        this.open.splice(i, 1);
        let zoneTouches = 0;
        let placeboTouches = 0;
        for (const l of s.levels) {
          if (reached(l.where, l.level, s.low, s.high)) zoneTouches++;
          if (reached(l.where === 'below' ? 'above' : 'below', l.placebo, s.low, s.high)) placeboTouches++;
        }
        this.done.push({ t: s.t, zones: s.levels.length, zoneTouches, placeboTouches });
      } else i++;
    }
    while (this.done.length > 0 && now - this.done[0]!.t > this.keepMs) this.done.shift();
    while (this.sweeps.length > 0 && now - this.sweeps[0]!.t > this.keepMs) this.sweeps.shift();

    if (now - this.lastSampleT < this.sampleEveryMs || snap.zones.length === 0) return;
    const levels = snap.zones
      .filter((z) => z.rank <= this.topK)
      .map((z) => {
        const level = coreNearEdge(z);
        return { where: z.side === 'long' ? ('below' as const) : ('above' as const), level, placebo: mirrorLevel(snap.price, level) };
      });
    this.open.push({ t: now, levels, low: snap.price, high: snap.price });
    this.lastSampleT = now;
  }

  recordSweep(ev: SweepEvent): void {
    this.sweeps.push(ev);
  }

  stats(): { samples: number; zones: number; zoneTouches: number; placeboTouches: number; sweeps: number; modeledUsd: number; realizedUsd: number } {
    let zones = 0;
    let zoneTouches = 0;
    let placeboTouches = 0;
    for (const r of this.done) {
      zones += r.zones;
      zoneTouches += r.zoneTouches;
      placeboTouches += r.placeboTouches;
    }
    let modeledUsd = 0;
    let realizedUsd = 0;
    for (const s of this.sweeps) {
      modeledUsd += s.modeledUsd;
      realizedUsd += s.realizedUsd;
    }
    return { samples: this.done.length, zones, zoneTouches, placeboTouches, sweeps: this.sweeps.length, modeledUsd, realizedUsd };
  }

  /** One line, e.g. `Track record: top zone cores touched within 1 h: 7/20 (35 %) vs placebo 4/20 (20 %); 2 sweeps, realized ≥ $1.2M of ~$5.3M modeled.` */
  line(): string | undefined {
    if (this.startedT === undefined) return undefined;
    const s = this.stats();
    const h = Math.round(this.horizonMs / 60_000);
    const horizon = h % 60 === 0 ? `${h / 60} h` : `${h} min`;
    const pct = (a: number, b: number) => (b > 0 ? `${Math.round((a / b) * 100)} %` : '–');
    const touch =
      s.zones > 0
        ? `top zone cores touched within ${horizon}: ${s.zoneTouches}/${s.zones} (${pct(s.zoneTouches, s.zones)}) vs placebo ${s.placeboTouches}/${s.zones} (${pct(s.placeboTouches, s.zones)})`
        : `collecting (first touch results after ${horizon})`;
    const sweeps = s.sweeps > 0 ? `; ${s.sweeps} sweep${s.sweeps === 1 ? '' : 's'}, realized ≥ ${formatUsd(s.realizedUsd)} of ~${formatUsd(s.modeledUsd)} modeled` : '';
    return `Track record: ${touch}${sweeps}.`;
  }
}
