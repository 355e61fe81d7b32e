import { MarketState } from '../market/state.ts';
import type { MarketEvent, PositionSide } from '../market/types.ts';
import type { BracketBook } from './brackets.ts';
import { formatUsd } from '../format/numbers.ts';
import type { LeverageWeight } from './levels.ts';
import { mirrorLevel, nearEdge, reached } from './track-record.ts';
import type { ZoneSnapshot } from './types.ts';
import { ZoneEngine } from './zone-engine.ts';

/**
 * Self-evaluation on a recording (reference/zone-models.md §4.3). Events go through a fresh
 * MarketState and ZoneEngine on the recorded clock; zones are snapshotted at intervals and each
 * snapshot is scored against what happened over the following horizon:
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
}

export interface EvaluationRow {
  symbol: string;
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
}

export interface EvaluationReport {
  events: number;
  fromT: number;
  toT: number;
  snapshotIntervalMs: number;
  horizonMs: number;
  topK: number;
  /** Snapshots taken (before dropping those without zones or a complete horizon). */
  snapshotsTaken: number;
  rows: EvaluationRow[];
  total: EvaluationRow;
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

function emptyRow(symbol: string): EvaluationRow {
  return {
    symbol,
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
  };
}

function finish(r: EvaluationRow): EvaluationRow {
  const share = (x: number) => (r.realizedUsd > 0 ? x / r.realizedUsd : Number.NaN);
  r.coverage = { model: share(r.covered.model), distanceOnly: share(r.covered.distanceOnly), uniform: share(r.covered.uniform) };
  r.touchRate = r.zones > 0 ? r.zoneTouches / r.zones : Number.NaN;
  r.placeboRate = r.zones > 0 ? r.placeboTouches / r.zones : Number.NaN;
  r.lift = r.placeboRate > 0 ? r.touchRate / r.placeboRate : Number.NaN;
  r.precision = r.zones > 0 ? r.hits / r.zones : Number.NaN;
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
}

/** The span a print may have been triggered from: its price back towards the trigger by `shift`. */
function printSpan(l: RealizedLiquidation, shift: number): [number, number] {
  return l.side === 'long' ? [l.price, l.price * (1 + shift)] : [l.price * (1 - shift), l.price];
}

function overlaps([a, b]: readonly [number, number], lo: number, hi: number): boolean {
  return a <= hi && b >= lo;
}

/**
 * Scores one snapshot against the path and liquidations after it (pure). Returns undefined when
 * the horizon runs past the end of the data or the snapshot has no zones.
 */
export function scoreSnapshot(
  snap: ZoneSnapshot,
  path: PricePath,
  liquidations: readonly RealizedLiquidation[],
  opts: { horizonMs: number; topK: number; bankruptcyShift: number },
): EvaluationRow | undefined {
  const end = snap.t + opts.horizonMs;
  if (snap.zones.length === 0 || path.lastT < end) return undefined;
  const row = emptyRow(snap.symbol);
  row.snapshots = 1;
  const r = path.range(snap.t, end);
  const low = Math.min(r.low, snap.price);
  const high = Math.max(r.high, snap.price);
  const p = snap.price;
  const window = liquidations.filter((l) => l.t > snap.t && l.t <= end);
  const top = snap.zones.filter((z) => z.rank <= opts.topK);

  for (const side of ['long', 'short'] as const) {
    // The reached band on this side: longs die below price, shorts above.
    const [bandLo, bandHi] = side === 'long' ? [low, p] : [p, high];
    if (!(bandHi > bandLo)) continue;
    const inBand = window
      .filter((l) => l.side === side)
      .map((l) => ({ span: printSpan(l, opts.bankruptcyShift), usd: l.notionalUsd }))
      .filter((x) => overlaps(x.span, bandLo, bandHi));
    const realized = inBand.reduce((a, x) => a + x.usd, 0);
    const bands = top
      .filter((z) => z.side === side)
      .map((z) => [Math.max(z.low, bandLo), Math.min(z.high, bandHi)] as const)
      .filter(([a, b]) => b > a);
    const width = bands.reduce((a, [lo, hi]) => a + (hi - lo), 0);
    const [nearLo, nearHi] = side === 'long' ? [p - width, p] : [p, p + width];
    row.realizedUsd += realized;
    for (const x of inBand) {
      if (bands.some(([lo, hi]) => overlaps(x.span, lo, hi))) row.covered.model += x.usd;
      if (width > 0 && overlaps(x.span, nearLo, nearHi)) row.covered.distanceOnly += x.usd;
    }
    // A print span of width w dropped uniformly on the band overlaps n bands of total width W with
    // probability about (W + n·w) / band width.
    const spanWidth = p * opts.bankruptcyShift;
    if (bands.length > 0) row.covered.uniform += realized * Math.min(1, (width + bands.length * spanWidth) / (bandHi - bandLo));
  }

  for (const z of top) {
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
}

/** Runs a recording (normalized events, recorded order) through a fresh engine and scores it. */
export function evaluate(events: Iterable<MarketEvent>, opts: EvaluationOptions = {}): EvaluationReport {
  const interval = opts.snapshotIntervalMs ?? 60_000;
  const horizonMs = opts.horizonMs ?? 3_600_000;
  const topK = opts.topK ?? 3;
  const bankruptcyShift = opts.bankruptcyShift ?? 0.004;
  const state = new MarketState();
  let clock = Number.NEGATIVE_INFINITY;
  const engine = new ZoneEngine(state, {
    symbols: () => state.symbols(),
    now: () => clock,
    leverageMix: opts.leverageMix,
    brackets: opts.brackets,
    minIntervalMs: opts.minIntervalMs,
  });
  const paths = new Map<string, PricePath>();
  const liqs = new Map<string, RealizedLiquidation[]>();
  const snaps: ZoneSnapshot[] = [];
  let count = 0;
  let fromT = Number.POSITIVE_INFINITY;
  let nextSnapT = Number.NaN;

  const takeSnapshots = () => {
    engine.update();
    for (const s of state.symbols()) {
      const snap = engine.snapshot(s);
      if (snap && snap.t === clock) snaps.push(snap);
    }
  };

  for (const ev of events) {
    count++;
    const t = ev.recvTime;
    if (t > clock) {
      if (Number.isNaN(nextSnapT)) nextSnapT = t + interval;
      while (t >= nextSnapT) {
        clock = Math.max(clock, nextSnapT);
        takeSnapshots();
        nextSnapT += interval;
      }
      clock = t;
    }
    if (t < fromT) fromT = t;
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
  for (const snap of snaps) {
    const path = paths.get(snap.symbol);
    if (!path) continue;
    const row = scoreSnapshot(snap, path, liqs.get(snap.symbol) ?? [], { horizonMs, topK, bankruptcyShift });
    if (!row) continue;
    let acc = bySymbol.get(snap.symbol);
    if (!acc) {
      acc = emptyRow(snap.symbol);
      bySymbol.set(snap.symbol, acc);
    }
    addInto(acc, row);
  }
  for (const [symbol, acc] of bySymbol) acc.liquidationsUsd = (liqs.get(symbol) ?? []).reduce((a, l) => a + l.notionalUsd, 0);
  const rows = [...bySymbol.values()].sort((a, b) => a.symbol.localeCompare(b.symbol)).map(finish);
  const total = emptyRow('ALL');
  for (const r of rows) addInto(total, r);
  finish(total);

  const notes = [
    'Zones are estimates. Realized liquidations are a lower bound: Binance forceOrder pushes at most one per symbol per second.',
    `A liquidation print matches a band when it or the price ${(bankruptcyShift * 100).toFixed(2)} % back towards its trigger does (prints sit near the bankruptcy price).`,
  ];
  if (total.snapshots === 0) notes.push(`No snapshot had zones and a full ${Math.round(horizonMs / 60_000)}-minute horizon: the recording is too short.`);
  return {
    events: count,
    fromT: Number.isFinite(fromT) ? fromT : 0,
    toT: Number.isFinite(clock) ? clock : 0,
    snapshotIntervalMs: interval,
    horizonMs,
    topK,
    snapshotsTaken: snaps.length,
    rows,
    total,
    notes,
  };
}

/** The report as a fixed-width text table. */
export function formatEvaluationTable(report: EvaluationReport): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
  const num = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
  const header = ['symbol', 'snaps', 'liqs seen', 'cover top-k', 'cover dist', 'cover unif', 'touch zone', 'touch placebo', 'lift', 'precision'];
  const line = (r: EvaluationRow) => [
    r.symbol,
    String(r.snapshots),
    formatUsd(r.liquidationsUsd),
    pct(r.coverage.model),
    pct(r.coverage.distanceOnly),
    pct(r.coverage.uniform),
    `${pct(r.touchRate)} (${r.zoneTouches}/${r.zones})`,
    `${pct(r.placeboRate)} (${r.placeboTouches}/${r.zones})`,
    num(r.lift),
    `${pct(r.precision)} (${r.hits}/${r.zones})`,
  ];
  const body = [header, ...report.rows.map(line), ...(report.rows.length > 1 || report.rows.length === 0 ? [line(report.total)] : [])];
  const widths = header.map((_, c) => Math.max(...body.map((r) => r[c]!.length)));
  const fmt = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const spanMs = Math.max(0, report.toT - report.fromT);
  const span = spanMs >= 3_600_000 ? `${(spanMs / 3_600_000).toFixed(1)} h` : `${(spanMs / 60_000).toFixed(1)} min`;
  return [
    `liqzone evaluate: ${report.events} events over ${span}, ${report.snapshotsTaken} snapshots every ${Math.round(report.snapshotIntervalMs / 1000)} s, horizon ${Math.round(report.horizonMs / 60_000)} min, top-${report.topK} zones per side`,
    fmt(body[0]!),
    ...body.slice(1).map(fmt),
    'cover: share of realized liquidation notional (in bands price reached) inside the top-k zones; dist: same width nearest to price; unif: width share.',
    'touch: near edge reached within the horizon; placebo: same distance on the other side of price. precision: touched with realized liquidations / all predicted.',
    ...report.notes,
  ].join('\n');
}
