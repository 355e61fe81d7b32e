import { MarketState } from '../market/state.ts';
import type { MarketEvent, PositionSide } from '../market/types.ts';
import type { BracketBook } from './brackets.ts';
import { formatUsd } from '../format/numbers.ts';
import type { CalibrationOptions, CalibrationSummary } from './calibration.ts';
import type { LeverageWeight } from './levels.ts';
import { mirrorLevel, nearEdge, reached } from './track-record.ts';
import type { ZoneSnapshot } from './types.ts';
import { ZoneEngine } from './zone-engine.ts';

/**
 * Self-evaluation on a recording (reference/zone-models.md §4.3). Events go through a fresh
 * MarketState and ZoneEngine on the recording's market clock (exchange timestamps, so a demo
 * recorded at `--speed 30` is scored over market minutes, not wall minutes); zones are
 * snapshotted at intervals and each snapshot is scored, per side, against what happened over the
 * following horizon:
 *  - peak-band coverage (what a trader uses): the share of realized liquidation notional, among
 *    bands price actually reached, inside fixed ±0.5 % bands around the top-k zones' peaks, against
 *    distance-only bands of the same total width nearest to price, and against placebo bands of
 *    the same width around the other side's top-k peaks mirrored through price (the model's own
 *    distances, without this side's information);
 *  - coverage: the share of realized liquidation notional, among bands price actually reached,
 *    that fell inside the top-k zones of the same side, against a distance-only baseline (bands
 *    of the same total width nearest to price) and a uniform baseline (width share of the band);
 *  - touch: how often the top-k zones' near edges were reached, against placebo levels at the
 *    same distance on the other side of price;
 *  - precision: zones that were touched and saw realized liquidations, over all predicted zones
 *    (zones never touched count against it).
 * Realized liquidations are a lower bound (Binance forceOrder is a sample).
 */

export interface EvaluationOptions {
  /** Snapshot spacing on the recorded clock (default 60 s). */
  snapshotIntervalMs?: number;
  /** How far ahead each snapshot is scored (default 60 min). */
  horizonMs?: number;
  /** Zones per side scored, by rank (default 3). */
  topK?: number;
  leverageMix?: readonly LeverageWeight[];
  brackets?: BracketBook;
  /**
   * A Binance/Bybit liquidation print's price is near the bankruptcy price, about one maintenance
   * rate beyond the trigger. A print matches a band when the span from its price back towards the
   * trigger by this fraction overlaps the band (default 0.004; 0 matches the print price only).
   */
  bankruptcyShift?: number;
  minIntervalMs?: number;
  /** Half-width of the fixed bands around peaks, fraction of the peak price (default 0.005: ±0.5 %). */
  peakBandHalfWidth?: number;
  /** Peak bands go around the top-k largest zones whose peak lies within this fraction of price (default 0.08: ±8 %). */
  peakWindow?: number;
  /** Leverage-mix calibration as the live engine runs it (default on); `false` keeps the prior mix. */
  calibration?: false | CalibrationOptions;
  /** Calibration stops learning at this market time (learn on one part, score another). */
  freezeCalibrationAt?: number;
  /** Only snapshots taken at or after this market time are scored. */
  scoreFrom?: number;
  /** Sees every snapshot taken (e.g. to score it against a simulator's ground truth). */
  onSnapshot?: (snap: ZoneSnapshot) => void;
}

/** Coverage of realized notional by fixed-width bands around peaks. */
export interface PeakBandScore {
  /** Covered USD: bands around the top-k peaks, distance-only bands of the same width, placebo bands. */
  covered: { model: number; distanceOnly: number; placebo: number };
  /** covered / realized (NaN without realized liquidations). */
  coverage: { model: number; distanceOnly: number; placebo: number };
  /** Total band width scored, summed over snapshots, in % of price (for the width-matched comparisons). */
  widthPct: number;
}

export interface EvaluationRow {
  symbol: string;
  /** Set on per-side rows; absent on rows over both sides. */
  side?: PositionSide;
  /** Snapshots scored (with zones and a complete horizon). */
  snapshots: number;
  /** All liquidation prints in the recording for the symbol, USD (each counted once). */
  liquidationsUsd: number;
  /** Realized liquidation notional inside the reached bands, summed over scored snapshots, USD. */
  realizedUsd: number;
  covered: { model: number; distanceOnly: number; uniform: number };
  /** covered / realized, NaN without realized liquidations. */
  coverage: { model: number; distanceOnly: number; uniform: number };
  zones: number;
  zoneTouches: number;
  placeboTouches: number;
  touchRate: number;
  placeboRate: number;
  /** touchRate / placeboRate (NaN when the placebo rate is 0). */
  lift: number;
  hits: number;
  precision: number;
  peak: PeakBandScore;
}

export interface EvaluationReport {
  events: number;
  fromT: number;
  toT: number;
  snapshotIntervalMs: number;
  horizonMs: number;
  topK: number;
  /** Snapshots taken over all symbols (before dropping those without zones or a complete horizon). */
  snapshotsTaken: number;
  /** Symbols with at least one snapshot taken. */
  symbols: number;
  /** Per symbol, both sides. */
  rows: EvaluationRow[];
  /** Per symbol and side (long zones below price, short zones above). */
  sideRows: EvaluationRow[];
  /** All symbols, both sides; `total.snapshots` counts scored snapshots (each symbol's counted once). */
  total: EvaluationRow;
  peakBandHalfWidth: number;
  /** Peaks considered lie within this fraction of price. */
  peakWindow: number;
  /** Market time from which snapshots were scored, when limited. */
  scoreFrom?: number;
  /** Calibration state per symbol and venue at the end (or when frozen); empty with calibration off. */
  calibration: CalibrationSummary[];
  notes: string[];
}

export interface RealizedLiquidation {
  t: number;
  side: PositionSide;
  price: number;
  notionalUsd: number;
}

/** Per-symbol price path in 1-second buckets (low/high), oldest first. */
export class PricePath {
  readonly t: number[] = [];
  readonly low: number[] = [];
  readonly high: number[] = [];

  constructor(private readonly bucketMs = 1000) {}

  add(t: number, price: number): void {
    if (!(price > 0)) return;
    const b = t - (t % this.bucketMs);
    const n = this.t.length;
    if (n > 0 && this.t[n - 1] === b) {
      if (price < this.low[n - 1]!) this.low[n - 1] = price;
      if (price > this.high[n - 1]!) this.high[n - 1] = price;
    } else if (n === 0 || b > this.t[n - 1]!) {
      this.t.push(b);
      this.low.push(price);
      this.high.push(price);
    } else {
      // out-of-order print: fold into the latest bucket at or before it
      let i = n - 1;
      while (i > 0 && this.t[i]! > b) i--;
      if (price < this.low[i]!) this.low[i] = price;
      if (price > this.high[i]!) this.high[i] = price;
    }
  }

  get lastT(): number {
    return this.t.length ? this.t[this.t.length - 1]! + this.bucketMs : Number.NEGATIVE_INFINITY;
  }

  /** Low/high over buckets starting in (from, to]. */
  range(from: number, to: number): { low: number; high: number } {
    let lo = 0;
    let hi = this.t.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.t[mid]! <= from) lo = mid + 1;
      else hi = mid;
    }
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    for (let i = lo; i < this.t.length && this.t[i]! <= to; i++) {
      if (this.low[i]! < low) low = this.low[i]!;
      if (this.high[i]! > high) high = this.high[i]!;
    }
    return { low, high };
  }
}

function emptyRow(symbol: string, side?: PositionSide): EvaluationRow {
  return {
    symbol,
    ...(side ? { side } : {}),
    snapshots: 0,
    liquidationsUsd: 0,
    realizedUsd: 0,
    covered: { model: 0, distanceOnly: 0, uniform: 0 },
    coverage: { model: Number.NaN, distanceOnly: Number.NaN, uniform: Number.NaN },
    zones: 0,
    zoneTouches: 0,
    placeboTouches: 0,
    touchRate: Number.NaN,
    placeboRate: Number.NaN,
    lift: Number.NaN,
    hits: 0,
    precision: Number.NaN,
    peak: { covered: { model: 0, distanceOnly: 0, placebo: 0 }, coverage: { model: Number.NaN, distanceOnly: Number.NaN, placebo: Number.NaN }, widthPct: 0 },
  };
}

function finish(r: EvaluationRow): EvaluationRow {
  const share = (x: number) => (r.realizedUsd > 0 ? x / r.realizedUsd : Number.NaN);
  r.coverage = { model: share(r.covered.model), distanceOnly: share(r.covered.distanceOnly), uniform: share(r.covered.uniform) };
  r.touchRate = r.zones > 0 ? r.zoneTouches / r.zones : Number.NaN;
  r.placeboRate = r.zones > 0 ? r.placeboTouches / r.zones : Number.NaN;
  r.lift = r.placeboRate > 0 ? r.touchRate / r.placeboRate : Number.NaN;
  r.precision = r.zones > 0 ? r.hits / r.zones : Number.NaN;
  const pc = r.peak.covered;
  r.peak.coverage = { model: share(pc.model), distanceOnly: share(pc.distanceOnly), placebo: share(pc.placebo) };
  return r;
}

function addInto(acc: EvaluationRow, r: EvaluationRow): void {
  acc.snapshots += r.snapshots;
  acc.liquidationsUsd += r.liquidationsUsd;
  acc.realizedUsd += r.realizedUsd;
  acc.covered.model += r.covered.model;
  acc.covered.distanceOnly += r.covered.distanceOnly;
  acc.covered.uniform += r.covered.uniform;
  acc.zones += r.zones;
  acc.zoneTouches += r.zoneTouches;
  acc.placeboTouches += r.placeboTouches;
  acc.hits += r.hits;
  acc.peak.covered.model += r.peak.covered.model;
  acc.peak.covered.distanceOnly += r.peak.covered.distanceOnly;
  acc.peak.covered.placebo += r.peak.covered.placebo;
  acc.peak.widthPct += r.peak.widthPct;
}

/**
 * Fixed-width bands (±`halfWidth` of the peak) around the peaks of the `k` largest zones of one side
 * whose peak lies within `window` (fraction) of the snapshot price, merged where they overlap.
 */
export function peakBandsOf(snap: ZoneSnapshot, side: PositionSide, k: number, halfWidth: number, window: number): { bands: [number, number][]; width: number } {
  const p = snap.price;
  const zones = snap.zones
    .filter((z) => z.side === side && Math.abs(z.peak - p) <= window * p)
    .sort((a, b) => b.notionalUsd - a.notionalUsd)
    .slice(0, k);
  return union(zones.map((z) => [z.peak * (1 - halfWidth), z.peak * (1 + halfWidth)] as const));
}

/** Merges overlapping [lo, hi] intervals; returns them sorted with their total width. */
export function union(bands: (readonly [number, number])[]): { bands: [number, number][]; width: number } {
  const sorted = bands.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return { bands: out, width: out.reduce((w, [a, b]) => w + (b - a), 0) };
}

/** The span a print may have been triggered from: its price back towards the trigger by `shift`. */
function printSpan(l: RealizedLiquidation, shift: number): [number, number] {
  return l.side === 'long' ? [l.price, l.price * (1 + shift)] : [l.price * (1 - shift), l.price];
}

function overlaps([a, b]: readonly [number, number], lo: number, hi: number): boolean {
  return a <= hi && b >= lo;
}

export interface ScoreOptions {
  horizonMs: number;
  topK: number;
  bankruptcyShift: number;
  /** Default 0.005 (±0.5 %). */
  peakBandHalfWidth?: number;
  /** Default 0.08 (±8 % of price). */
  peakWindow?: number;
}

/**
 * Scores one snapshot against the path and liquidations after it, per side (pure): `[long, short]`.
 * Undefined when the horizon runs past the end of the data or the snapshot has no zones.
 */
export function scoreSnapshotSides(snap: ZoneSnapshot, path: PricePath, liquidations: readonly RealizedLiquidation[], opts: ScoreOptions): [EvaluationRow, EvaluationRow] | undefined {
  const end = snap.t + opts.horizonMs;
  if (snap.zones.length === 0 || path.lastT < end) return undefined;
  const half = opts.peakBandHalfWidth ?? 0.005;
  const r = path.range(snap.t, end);
  const low = Math.min(r.low, snap.price);
  const high = Math.max(r.high, snap.price);
  const p = snap.price;
  const window = liquidations.filter((l) => l.t > snap.t && l.t <= end);
  const top = snap.zones.filter((z) => z.rank <= opts.topK);
  // The peak measure: the k largest zones per side whose peak lies within reach (±8 % of price by default).
  const reach = opts.peakWindow ?? 0.08;
  const rows = (['long', 'short'] as const).map((side) => {
    const row = emptyRow(snap.symbol, side);
    row.snapshots = 1;
    // The reached band on this side: longs die below price, shorts above.
    const [bandLo, bandHi] = side === 'long' ? [low, p] : [p, high];
    const mine = top.filter((z) => z.side === side);
    if (bandHi > bandLo) {
      const inBand = window
        .filter((l) => l.side === side)
        .map((l) => ({ span: printSpan(l, opts.bankruptcyShift), usd: l.notionalUsd }))
        .filter((x) => overlaps(x.span, bandLo, bandHi));
      const realized = inBand.reduce((a, x) => a + x.usd, 0);
      const clip = (lo: number, hi: number) => [Math.max(lo, bandLo), Math.min(hi, bandHi)] as const;
      // Width-matched zone bands (whole zones, as drawn).
      const bands = mine.map((z) => clip(z.low, z.high)).filter(([a, b]) => b > a);
      const width = bands.reduce((a, [lo, hi]) => a + (hi - lo), 0);
      const [nearLo, nearHi] = side === 'long' ? [p - width, p] : [p, p + width];
      // Fixed-width bands around the peaks; the same total width nearest to price; placebo bands
      // around the other side's peaks mirrored through price.
      const peaks = union(peakBandsOf(snap, side, opts.topK, half, reach).bands.map(([lo, hi]) => clip(lo, hi)));
      // mirrored through price: [lo, hi] on the other side becomes [2p − hi, 2p − lo]
      const other = peakBandsOf(snap, side === 'long' ? 'short' : 'long', opts.topK, half, reach).bands;
      const placebo = union(other.map(([lo, hi]) => clip(mirrorLevel(p, hi), mirrorLevel(p, lo))));
      const [pNearLo, pNearHi] = side === 'long' ? [p - peaks.width, p] : [p, p + peaks.width];
      row.realizedUsd += realized;
      row.peak.widthPct += (peaks.width / p) * 100;
      for (const x of inBand) {
        if (bands.some(([lo, hi]) => overlaps(x.span, lo, hi))) row.covered.model += x.usd;
        if (width > 0 && overlaps(x.span, nearLo, nearHi)) row.covered.distanceOnly += x.usd;
        if (peaks.bands.some(([lo, hi]) => overlaps(x.span, lo, hi))) row.peak.covered.model += x.usd;
        if (peaks.width > 0 && overlaps(x.span, pNearLo, pNearHi)) row.peak.covered.distanceOnly += x.usd;
        if (placebo.bands.some(([lo, hi]) => overlaps(x.span, lo, hi))) row.peak.covered.placebo += x.usd;
      }
      // A print span of width w dropped uniformly on the band overlaps n bands of total width W with
      // probability about (W + n·w) / band width.
      const spanWidth = p * opts.bankruptcyShift;
      if (bands.length > 0) row.covered.uniform += realized * Math.min(1, (width + bands.length * spanWidth) / (bandHi - bandLo));
    }
    for (const z of mine) {
      const edge = nearEdge(z);
      const where = z.side === 'long' ? ('below' as const) : ('above' as const);
      const touched = reached(where, edge, low, high);
      row.zones++;
      if (touched) row.zoneTouches++;
      if (reached(where === 'below' ? 'above' : 'below', mirrorLevel(p, edge), low, high)) row.placeboTouches++;
      if (touched) {
        const seen = window.some((l) => l.side === z.side && overlaps(printSpan(l, opts.bankruptcyShift), z.low, z.high));
        if (seen) row.hits++;
      }
    }
    return row;
  });
  return [rows[0]!, rows[1]!];
}

/** Scores one snapshot over both sides (pure); see `scoreSnapshotSides`. */
export function scoreSnapshot(snap: ZoneSnapshot, path: PricePath, liquidations: readonly RealizedLiquidation[], opts: ScoreOptions): EvaluationRow | undefined {
  const sides = scoreSnapshotSides(snap, path, liquidations, opts);
  if (!sides) return undefined;
  const row = emptyRow(snap.symbol);
  for (const r of sides) addInto(row, r);
  row.snapshots = 1;
  return row;
}

/** The market time of an event: its exchange timestamp (the recording's market clock), else when it was received. */
export function marketTime(ev: MarketEvent): number {
  return Number.isFinite(ev.exchTime) && ev.exchTime > 0 ? ev.exchTime : ev.recvTime;
}

/** Runs a recording (normalized events, recorded order) through a fresh engine and scores it. */
export function evaluate(events: Iterable<MarketEvent>, opts: EvaluationOptions = {}): EvaluationReport {
  const interval = opts.snapshotIntervalMs ?? 60_000;
  const horizonMs = opts.horizonMs ?? 3_600_000;
  const topK = opts.topK ?? 3;
  const bankruptcyShift = opts.bankruptcyShift ?? 0.004;
  const peakBandHalfWidth = opts.peakBandHalfWidth ?? 0.005;
  const peakWindow = opts.peakWindow ?? 0.08;
  // Recordings may come from a demo run faster than the wall clock (exchange times ahead of receive
  // times on purpose): no future-timestamp clamp here.
  const state = new MarketState({}, { futureToleranceMs: Number.POSITIVE_INFINITY });
  let clock = Number.NEGATIVE_INFINITY;
  const engine = new ZoneEngine(state, {
    symbols: () => state.symbols(),
    now: () => clock,
    leverageMix: opts.leverageMix,
    brackets: opts.brackets,
    minIntervalMs: opts.minIntervalMs,
    calibration: opts.calibration,
  });
  const freezeAt = opts.freezeCalibrationAt ?? Number.POSITIVE_INFINITY;
  let frozen = false;
  const paths = new Map<string, PricePath>();
  const liqs = new Map<string, RealizedLiquidation[]>();
  const snaps: ZoneSnapshot[] = [];
  let count = 0;
  let fromT = Number.POSITIVE_INFINITY;
  let nextSnapT = Number.NaN;

  const takeSnapshots = () => {
    if (!frozen && clock >= freezeAt) {
      engine.calibration?.freeze();
      frozen = true;
    }
    engine.update();
    for (const s of state.symbols()) {
      const snap = engine.snapshot(s);
      if (snap && snap.t === clock) {
        snaps.push(snap);
        opts.onSnapshot?.(snap);
      }
    }
  };

  for (const ev of events) {
    count++;
    const t = marketTime(ev);
    // The clock follows live, exchange-stamped streams; REST history (bars, OI) is stamped in the past.
    if (CLOCK_KINDS.has(ev.kind) && t > clock) {
      if (Number.isNaN(nextSnapT)) nextSnapT = t + interval;
      while (t >= nextSnapT) {
        clock = Math.max(clock, nextSnapT);
        takeSnapshots();
        nextSnapT += interval;
      }
      clock = t;
      if (t < fromT) fromT = t;
    }
    state.apply(ev);
    if (ev.kind === 'trade' || ev.kind === 'mark') {
      let path = paths.get(ev.symbol);
      if (!path) {
        path = new PricePath();
        paths.set(ev.symbol, path);
      }
      path.add(t, ev.kind === 'trade' ? ev.price : ev.mark);
    } else if (ev.kind === 'liquidation') {
      let list = liqs.get(ev.symbol);
      if (!list) {
        list = [];
        liqs.set(ev.symbol, list);
      }
      list.push({ t, side: ev.side, price: ev.price, notionalUsd: ev.notionalUsd });
    }
  }

  const bySymbol = new Map<string, EvaluationRow>();
  const bySide = new Map<string, EvaluationRow>();
  const scoreFrom = opts.scoreFrom ?? Number.NEGATIVE_INFINITY;
  const symbolsSeen = new Set<string>();
  for (const snap of snaps) {
    symbolsSeen.add(snap.symbol);
    if (snap.t < scoreFrom) continue;
    const path = paths.get(snap.symbol);
    if (!path) continue;
    const sides = scoreSnapshotSides(snap, path, liqs.get(snap.symbol) ?? [], { horizonMs, topK, bankruptcyShift, peakBandHalfWidth, peakWindow });
    if (!sides) continue;
    let acc = bySymbol.get(snap.symbol);
    if (!acc) {
      acc = emptyRow(snap.symbol);
      bySymbol.set(snap.symbol, acc);
    }
    for (const r of sides) {
      addInto(acc, r);
      const key = `${snap.symbol}:${r.side}`;
      let s = bySide.get(key);
      if (!s) {
        s = emptyRow(snap.symbol, r.side);
        bySide.set(key, s);
      }
      addInto(s, r);
    }
    acc.snapshots -= 1; // each side row counted the snapshot once; the symbol row counts it once
  }
  for (const [symbol, acc] of bySymbol) acc.liquidationsUsd = (liqs.get(symbol) ?? []).reduce((a, l) => a + l.notionalUsd, 0);
  for (const r of bySide.values()) r.liquidationsUsd = (liqs.get(r.symbol) ?? []).filter((l) => l.side === r.side).reduce((a, l) => a + l.notionalUsd, 0);
  const rows = [...bySymbol.values()].sort((a, b) => a.symbol.localeCompare(b.symbol)).map(finish);
  const sideRows = [...bySide.values()].sort((a, b) => a.symbol.localeCompare(b.symbol) || (a.side === 'long' ? -1 : 1)).map(finish);
  const total = emptyRow('ALL');
  for (const r of rows) addInto(total, r);
  finish(total);

  const notes = [
    'Zones are estimates. Realized liquidations are a lower bound: Binance forceOrder pushes at most one per symbol per second.',
    `A liquidation print matches a band when it or the price ${(bankruptcyShift * 100).toFixed(2)} % back towards its trigger does (prints sit near the bankruptcy price).`,
  ];
  if (total.snapshots === 0) notes.push(`No snapshot had zones and a full ${Math.round(horizonMs / 60_000)}-minute horizon: the recording is too short.`);
  const calibration = [...symbolsSeen].sort().flatMap((s) => engine.calibrationSummary(s));
  return {
    events: count,
    fromT: Number.isFinite(fromT) ? fromT : 0,
    toT: Number.isFinite(clock) ? clock : 0,
    snapshotIntervalMs: interval,
    horizonMs,
    topK,
    snapshotsTaken: snaps.length,
    symbols: symbolsSeen.size,
    rows,
    sideRows,
    total,
    peakBandHalfWidth,
    peakWindow,
    ...(opts.scoreFrom !== undefined ? { scoreFrom: opts.scoreFrom } : {}),
    calibration,
    notes,
  };
}

const CLOCK_KINDS: ReadonlySet<MarketEvent['kind']> = new Set(['trade', 'mark', 'book', 'liquidation']);

export interface CalibrationComparison {
  /** Market time splitting the recording: learn before, score after. */
  splitT: number;
  /** Second half scored with the prior mix. */
  prior: EvaluationReport;
  /** Second half scored with the mix learned on the first half (frozen at the split). */
  learned: EvaluationReport;
}

/** The middle of a recording on its market clock (live streams only). */
export function midpointOf(events: Iterable<MarketEvent>): number {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const ev of events) {
    if (!CLOCK_KINDS.has(ev.kind)) continue;
    const t = marketTime(ev);
    if (t < from) from = t;
    if (t > to) to = t;
  }
  return Number.isFinite(from) ? from + (to - from) / 2 : 0;
}

/**
 * Prior vs learned mix on the same recording: calibration learns on the first half (market time),
 * both score the second half. `onSnapshot` sees every snapshot of each run, tagged with the run.
 */
export function compareCalibration(
  events: readonly MarketEvent[],
  opts: EvaluationOptions = {},
  onSnapshot?: (run: 'prior' | 'learned', snap: ZoneSnapshot) => void,
): CalibrationComparison {
  const splitT = midpointOf(events);
  const calibration = opts.calibration === false ? {} : (opts.calibration ?? {});
  return {
    splitT,
    prior: evaluate(events, { ...opts, calibration: false, scoreFrom: splitT, ...(onSnapshot ? { onSnapshot: (s) => onSnapshot('prior', s) } : {}) }),
    learned: evaluate(events, { ...opts, calibration, freezeCalibrationAt: splitT, scoreFrom: splitT, ...(onSnapshot ? { onSnapshot: (s) => onSnapshot('learned', s) } : {}) }),
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
const pts = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}` : '–');

function spanText(ms: number): string {
  return ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${(ms / 60_000).toFixed(1)} min`;
}

/** The report as a fixed-width text table: one row per symbol and side, then all symbols. */
export function formatEvaluationTable(report: EvaluationReport): string {
  const num = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
  const band = `${(report.peakBandHalfWidth * 100).toFixed(1)}%`;
  const header = ['symbol', 'side', 'snaps', 'liqs seen', `peak ±${band}`, 'dist-only', 'placebo', 'adv', 'zones', 'zone dist', 'zone unif', 'touch zone', 'touch placebo', 'lift', 'precision'];
  const line = (r: EvaluationRow) => [
    r.symbol,
    r.side ?? 'both',
    String(r.snapshots),
    formatUsd(r.liquidationsUsd),
    pct(r.peak.coverage.model),
    pct(r.peak.coverage.distanceOnly),
    pct(r.peak.coverage.placebo),
    pts(r.peak.coverage.model - r.peak.coverage.distanceOnly),
    pct(r.coverage.model),
    pct(r.coverage.distanceOnly),
    pct(r.coverage.uniform),
    `${pct(r.touchRate)} (${r.zoneTouches}/${r.zones})`,
    `${pct(r.placeboRate)} (${r.placeboTouches}/${r.zones})`,
    num(r.lift),
    `${pct(r.precision)} (${r.hits}/${r.zones})`,
  ];
  const body = [header, ...report.sideRows.map(line), line(report.total)];
  const widths = header.map((_, c) => Math.max(...body.map((r) => r[c]!.length)));
  const fmt = (r: string[]) => r.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const spanMs = Math.max(0, report.toT - report.fromT);
  const scored = report.scoreFrom !== undefined ? ` (scoring snapshots from ${new Date(report.scoreFrom).toISOString().slice(0, 16)}Z)` : '';
  return [
    `liqzone evaluate: ${report.events} events over ${spanText(spanMs)} of market time; ${report.snapshotsTaken} snapshots taken (${report.symbols} symbol${report.symbols === 1 ? '' : 's'}, every ${Math.round(report.snapshotIntervalMs / 1000)} s), ${report.total.snapshots} scored (with zones and a full ${Math.round(report.horizonMs / 60_000)}-min horizon)${scored}; top-${report.topK} zones per side`,
    fmt(body[0]!),
    ...body.slice(1).map(fmt),
    `peak: share of realized liquidation notional (in the band price reached, that side) within ±${band} of the peaks of the k largest zones within ±${Math.round(report.peakWindow * 100)} % of price; dist-only: the same total width nearest to price; placebo: ±${band} around the other side's top-k peaks mirrored through price; adv: peak − dist-only, points.`,
    'zones: inside the top-k zones as drawn (whole bands); zone dist: the same width nearest to price; zone unif: width share of the reached band.',
    "touch: zone near edge reached within the horizon; placebo: same distance on the other side of price. precision: touched with realized liquidations / all predicted. snaps: scored snapshots (ALL: summed over symbols).",
    ...report.notes,
  ].join('\n');
}

/** One line each: peak-band coverage with the prior mix vs the learned mix on the same second half. */
export function formatCalibrationComparison(c: CalibrationComparison): string {
  const p = c.prior.total.peak.coverage;
  const l = c.learned.total.peak.coverage;
  const learnedOn = c.learned.calibration.filter((s) => s.status === 'calibrated');
  const prints = learnedOn.reduce((a, s) => a + s.prints, 0);
  const usd = learnedOn.reduce((a, s) => a + s.usd, 0);
  const basis =
    learnedOn.length > 0
      ? `learned on ${prints} liquidations (${formatUsd(usd)}) before ${new Date(c.splitT).toISOString().slice(0, 16)}Z, ${learnedOn.length} of ${c.learned.calibration.length} venue-symbols calibrated`
      : 'not enough liquidations in the first half to learn from: the learned mix is the prior';
  return [
    `Calibration (learn on the first half, score the second; ${c.learned.total.snapshots} snapshots): peak-band coverage prior ${pct(p.model)} → learned ${pct(l.model)}; advantage over distance-only ${pts(p.model - p.distanceOnly)} → ${pts(l.model - l.distanceOnly)} points; placebo ${pct(p.placebo)} → ${pct(l.placebo)}.`,
    `  (${basis}.)`,
  ].join('\n');
}
