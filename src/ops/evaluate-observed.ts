/**
 * `liqzone evaluate`, the Hyperliquid line: the CEX method (open-interest changes, taker flow, the
 * assumed leverage mix) run on Hyperliquid's own OI and trades only, compared with the liquidation
 * prices actually observed there (the recorded `clearinghouseState` answers). Score per snapshot: the
 * share of observed notional within reach (±8 % of price) whose liquidation price lies inside the
 * fixed ±0.5 % bands around the estimate's top-3 peaks per side, against distance-only bands of the
 * same total width nearest to price (as the calibration's peak-band measure).
 */
import type { BracketBook } from '../engine/brackets.ts';
import { peakBandsOf, union } from '../engine/evaluation.ts';
import { ZoneEngine } from '../engine/zone-engine.ts';
import type { LeverageWeight } from '../engine/calibration.ts';
import { ObservedBook } from '../market/observed.ts';
import { MarketState } from '../market/state.ts';
import type { PositionSide } from '../market/types.ts';
import { ObservedAccounts, recordedClearinghouseState } from '../venues/hyperliquid/observed.ts';
import { createRecordMapper, type FrameRecord } from '../venues/records.ts';
import type { BuiltRegistry } from '../venues/registry.ts';

export interface ObservedComparison {
  snapshots: number;
  /** Observed notional within reach, summed over snapshots. */
  observedUsd: number;
  /** Share of it inside the estimate's peak bands, and inside distance-only bands of the same width. */
  coverage: { model: number; distanceOnly: number };
  /** Mean total width of the peak bands, % of price. */
  widthPct: number;
  /** Largest number of positions observed at one snapshot. */
  maxPositions: number;
}

export interface ObservedComparisonOptions {
  snapshotIntervalMs?: number;
  leverageMix?: readonly LeverageWeight[];
  /** Bracket tables (default: the engine's defaults); e.g. the tiers the recording holds. */
  brackets?: BracketBook;
  topK?: number;
  halfWidth?: number;
  window?: number;
}

export function compareWithObserved(records: readonly FrameRecord[], reg: BuiltRegistry, opts: ObservedComparisonOptions = {}): ObservedComparison {
  const interval = opts.snapshotIntervalMs ?? 60_000;
  const topK = opts.topK ?? 3;
  const half = opts.halfWidth ?? 0.005;
  const reach = opts.window ?? 0.08;
  const state = new MarketState({}, { futureToleranceMs: Number.POSITIVE_INFINITY });
  let clock = Number.NEGATIVE_INFINITY;
  const engine = new ZoneEngine(state, { symbols: () => state.symbols(), now: () => clock, leverageMix: opts.leverageMix, brackets: opts.brackets, calibration: false });
  const book = new ObservedBook();
  const accounts = new ObservedAccounts({ registry: reg, book });
  const mapper = createRecordMapper(reg);
  const out = { snapshots: 0, observedUsd: 0, model: 0, distanceOnly: 0, width: 0, maxPositions: 0 };
  let next = Number.NaN;

  const score = () => {
    engine.update();
    for (const symbol of state.symbols()) {
      const snap = engine.snapshot(symbol);
      if (!snap || snap.t !== clock || snap.zones.length === 0) continue;
      const levels = book.summary(symbol, clock).levels.filter((l) => Math.abs(l.liquidationPx - snap.price) <= reach * snap.price);
      if (levels.length === 0) continue;
      out.snapshots++;
      out.maxPositions = Math.max(out.maxPositions, levels.length);
      for (const side of ['long', 'short'] as PositionSide[]) {
        const peaks = union(peakBandsOf(snap, side, topK, half, reach).bands);
        const p = snap.price;
        const [nearLo, nearHi] = side === 'long' ? [p - peaks.width, p] : [p, p + peaks.width];
        out.width += (peaks.width / p) * 100;
        for (const l of levels) {
          if (l.side !== side) continue;
          out.observedUsd += l.notionalUsd;
          if (peaks.bands.some(([lo, hi]) => l.liquidationPx >= lo && l.liquidationPx <= hi)) out.model += l.notionalUsd;
          if (peaks.width > 0 && l.liquidationPx >= nearLo && l.liquidationPx <= nearHi) out.distanceOnly += l.notionalUsd;
        }
      }
    }
  };

  for (const rec of records) {
    if (rec.v !== 'hyperliquid') continue;
    if (rec.t > clock) clock = rec.t;
    if (Number.isNaN(next)) next = clock + interval;
    while (clock >= next) {
      score();
      next += interval;
    }
    const answer = recordedClearinghouseState(rec);
    if (answer) {
      accounts.apply(answer.user, answer.body, rec.t);
      continue;
    }
    for (const ev of mapper.map(rec) ?? []) state.apply(ev);
  }
  score();
  const share = (x: number) => (out.observedUsd > 0 ? x / out.observedUsd : Number.NaN);
  return {
    snapshots: out.snapshots,
    observedUsd: out.observedUsd,
    coverage: { model: share(out.model), distanceOnly: share(out.distanceOnly) },
    widthPct: out.snapshots > 0 ? out.width / (2 * out.snapshots) : Number.NaN,
    maxPositions: out.maxPositions,
  };
}

/** One line for `liqzone evaluate`. */
export function formatObservedComparison(c: ObservedComparison): string {
  if (c.snapshots === 0) return 'Hyperliquid, estimate vs observed: no recorded observed positions (record a live or demo run with Hyperliquid to compare).';
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : '–');
  return (
    `Hyperliquid, estimate vs observed: the CEX method on Hyperliquid's own OI and trades puts ${pct(c.coverage.model)} of the observed liquidation notional ` +
    `inside its top-3 ±0.5 % peak bands per side (distance-only bands of the same width: ${pct(c.coverage.distanceOnly)}; ` +
    `bands ${c.widthPct.toFixed(1)} % of price per side; ${c.snapshots} snapshots, up to ${c.maxPositions} positions observed).`
  );
}
