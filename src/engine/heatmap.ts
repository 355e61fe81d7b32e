/**
 * Liquidation heatmap history: per symbol, one coarse price × time grid of the level book's
 * estimated liquidation intensity, fed by the zone engine's snapshots. Fixed memory per symbol:
 * 5-minute slices for 3 days in a ring (16-bit cells with a scale per slice), log-spaced price rows (each 0.3 % of price
 * wide, so the same grid serves BTC and PEPE), re-anchored by whole rows when price drifts away
 * from the middle. Pure: no clock, no I/O; the engine passes snapshot time and traded range.
 */
import type { Bar } from '../market/state.ts';
import type { LiquidationBin } from './types.ts';

export const HEATMAP_SLICE_MS = 5 * 60_000;
/** 3 days of 5-minute slices. */
export const HEATMAP_SLICES = (3 * 24 * 3_600_000) / HEATMAP_SLICE_MS;
/** Price rows kept per slice: 160 × 0.3 % ≈ ±27 % around the anchor (re-anchored as price drifts). */
export const HEATMAP_ROWS = 160;
/** Row height as a price ratio: each row spans 0.3 % of price. */
export const HEATMAP_ROW_RATIO = 1.003;
const LOG_STEP = Math.log(HEATMAP_ROW_RATIO);

export const HEATMAP_WINDOWS = { '6h': 6 * 3_600_000, '12h': 12 * 3_600_000, '24h': 24 * 3_600_000, '3d': 72 * 3_600_000 } as const;
export type HeatmapWindow = keyof typeof HEATMAP_WINDOWS;
export const HEATMAP_WINDOW_NAMES = Object.keys(HEATMAP_WINDOWS) as HeatmapWindow[];
export const DEFAULT_HEATMAP_WINDOW: HeatmapWindow = '24h';
/** Candle width per window (the heat columns stay 5-minute slices). */
export const HEATMAP_CANDLE_MS: Record<HeatmapWindow, number> = { '6h': 5 * 60_000, '12h': 10 * 60_000, '24h': 15 * 60_000, '3d': 60 * 60_000 };

/** What a grid needs from a zone snapshot. */
export interface HeatmapInput {
  t: number;
  price: number;
  binSize: number;
  bins: readonly LiquidationBin[];
}

export interface Candle {
  t: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/** Global row index of a price: row g spans [R^g, R^(g+1)). */
export function rowOf(price: number): number {
  return Math.floor(Math.log(price) / LOG_STEP);
}

/** Lower edge price of global row g. */
export function rowPrice(g: number): number {
  return Math.exp(g * LOG_STEP);
}

/**
 * An immutable window of a grid: `cells[col * rows + r]` is the estimated USD (both sides) in row
 * `baseRow + r` during slice `fromSlice + col`. Columns with no snapshot are 0 and listed in `filled` as 0.
 */
export interface HeatmapView {
  symbol: string;
  /** Window start (inclusive) and end (exclusive), ms, aligned to slices. */
  from: number;
  to: number;
  sliceMs: number;
  columns: number;
  rows: number;
  /** Global row index of row 0 (use `rowPrice`). */
  baseRow: number;
  cells: Float32Array;
  /** 1 where the slice holds a snapshot. */
  filled: Uint8Array;
  /** Largest cell value in the window. */
  maxUsd: number;
  /** Candles over the window (from the market bars, the grid's own slice prices where bars are gone). */
  candles: Candle[];
  candleMs: number;
  price: number;
  /** Snapshot time of the newest slice, ms. */
  t: number;
  venues: string[];
  dataAgeMs: number;
  window: HeatmapWindow;
}

export class HeatmapGrid {
  /**
   * Intensity per slot and row, quantized to 16 bits against the slot's own scale (USD per step):
   * half the memory of floats, and a colour scale needs no more than 1/65535 of a slice's brightest row.
   */
  readonly cells = new Uint16Array(HEATMAP_SLICES * HEATMAP_ROWS);
  /** USD per quantization step, per slot. */
  readonly slotScale = new Float32Array(HEATMAP_SLICES);
  /** The row being written (floats), quantized into `cells` at the end of `record`. */
  private readonly scratch = new Float64Array(HEATMAP_ROWS);
  /** open, high, low, close per slot (NaN when empty). */
  readonly ohlc = new Float64Array(HEATMAP_SLICES * 4).fill(Number.NaN);
  /** Slice number (t / 5 min) held by each slot, −1 when empty. */
  readonly slotSlice = new Float64Array(HEATMAP_SLICES).fill(-1);
  /** Global row of row 0; undefined until the first snapshot. */
  baseRow: number | undefined;
  newestSlice = -1;
  lastT = 0;
  lastPrice = 0;

  /** Bytes held (all preallocated: the grid never grows). */
  bytes(): number {
    return this.cells.byteLength + this.slotScale.byteLength + this.ohlc.byteLength + this.slotSlice.byteLength + this.scratch.byteLength;
  }

  /**
   * Writes a snapshot into its 5-minute slice: the slice holds the latest snapshot's intensity
   * (the level book already removed consumed levels), and rows price traded through during the
   * slice are cleared, so a swept band ends in the slice where price crossed it.
   * `traded` is the price range traded since the previous snapshot.
   */
  record(snap: HeatmapInput, traded: { low: number; high: number }, opts: { backfill?: boolean } = {}): void {
    if (!(snap.price > 0) || !Number.isFinite(snap.t)) return;
    const slice = Math.floor(snap.t / HEATMAP_SLICE_MS);
    const slot = slice % HEATMAP_SLICES;
    let backfill = false;
    if (slice < this.newestSlice) {
      // Late: the grid only moves forward, except a backfill of past slices nothing was recorded in.
      if (!opts.backfill || this.newestSlice - slice >= HEATMAP_SLICES || this.slotSlice[slot] === slice) return;
      backfill = true;
    }
    if (!backfill) this.anchor(snap.price);
    if (this.baseRow === undefined) this.anchor(snap.price);
    const base = this.baseRow!;
    if (backfill) {
      this.clearSlot(slot);
      this.slotSlice[slot] = slice;
      this.ohlc[slot * 4] = snap.price;
      this.ohlc[slot * 4 + 1] = snap.price;
      this.ohlc[slot * 4 + 2] = snap.price;
    } else if (slice > this.newestSlice) {
      // Slots skipped (no snapshot for a while) are emptied, at most the whole ring once.
      const from = Math.max(this.newestSlice + 1, slice - HEATMAP_SLICES + 1);
      for (let s = from; s <= slice; s++) this.clearSlot(s % HEATMAP_SLICES);
      this.slotSlice[slot] = slice;
      this.ohlc[slot * 4] = snap.price;
      this.ohlc[slot * 4 + 1] = snap.price;
      this.ohlc[slot * 4 + 2] = snap.price;
      this.newestSlice = slice;
    }
    const o = slot * 4;
    const lo = Math.min(snap.price, traded.low > 0 ? traded.low : snap.price);
    const hi = Math.max(snap.price, traded.high > 0 ? traded.high : snap.price);
    if (hi > this.ohlc[o + 1]!) this.ohlc[o + 1] = hi;
    if (lo < this.ohlc[o + 2]!) this.ohlc[o + 2] = lo;
    this.ohlc[o + 3] = snap.price;

    const row0 = slot * HEATMAP_ROWS;
    const row = this.scratch;
    row.fill(0);
    const half = snap.binSize > 0 ? snap.binSize / 2 : snap.price * 0.0005;
    for (const b of snap.bins) {
      const usd = b.longUsd + b.shortUsd;
      if (!(usd > 0) || !(b.price - half > 0)) continue;
      // Spread the bin over the rows it covers, by overlap.
      const a = Math.log(b.price - half) / LOG_STEP - base;
      const z = Math.log(b.price + half) / LOG_STEP - base;
      if (z <= 0 || a >= HEATMAP_ROWS) continue;
      const span = z - a;
      for (let r = Math.max(0, Math.floor(a)); r < Math.min(HEATMAP_ROWS, Math.ceil(z)); r++) {
        const overlap = Math.min(z, r + 1) - Math.max(a, r);
        if (overlap > 0) row[r]! += (usd * overlap) / span;
      }
    }
    // Rows wholly inside the range traded during the slice hold no levels: price went through them.
    const sliceLo = this.ohlc[o + 2]!;
    const sliceHi = this.ohlc[o + 1]!;
    const first = Math.max(0, Math.ceil(Math.log(sliceLo) / LOG_STEP - base));
    const last = Math.min(HEATMAP_ROWS, Math.floor(Math.log(sliceHi) / LOG_STEP - base));
    if (last > first) row.fill(0, first, last);
    let max = 0;
    for (let r = 0; r < HEATMAP_ROWS; r++) if (row[r]! > max) max = row[r]!;
    const scale = max > 0 ? max / 65535 : 0;
    this.slotScale[slot] = scale;
    for (let r = 0; r < HEATMAP_ROWS; r++) this.cells[row0 + r] = scale > 0 ? Math.round(row[r]! / scale) : 0;
    if (backfill) return;
    this.lastT = snap.t;
    this.lastPrice = snap.price;
  }

  private clearSlot(slot: number): void {
    this.cells.fill(0, slot * HEATMAP_ROWS, (slot + 1) * HEATMAP_ROWS);
    this.slotScale[slot] = 0;
    this.ohlc.fill(Number.NaN, slot * 4, slot * 4 + 4);
    this.slotSlice[slot] = -1;
  }

  /** Keeps price in the middle 60 % of the rows: shifts every slot by whole rows when it leaves. */
  private anchor(price: number): void {
    const g = rowOf(price);
    if (this.baseRow === undefined) {
      this.baseRow = g - HEATMAP_ROWS / 2;
      return;
    }
    const r = g - this.baseRow;
    if (r >= HEATMAP_ROWS * 0.2 && r < HEATMAP_ROWS * 0.8) return;
    const shift = r - HEATMAP_ROWS / 2; // > 0: rows move down (base rises)
    this.baseRow += shift;
    for (let slot = 0; slot < HEATMAP_SLICES; slot++) {
      const row0 = slot * HEATMAP_ROWS;
      if (Math.abs(shift) >= HEATMAP_ROWS) this.cells.fill(0, row0, row0 + HEATMAP_ROWS);
      else if (shift > 0) {
        this.cells.copyWithin(row0, row0 + shift, row0 + HEATMAP_ROWS);
        this.cells.fill(0, row0 + HEATMAP_ROWS - shift, row0 + HEATMAP_ROWS);
      } else {
        this.cells.copyWithin(row0 - shift, row0, row0 + HEATMAP_ROWS + shift);
        this.cells.fill(0, row0, row0 - shift);
      }
    }
  }

  /** Slices that hold a snapshot within [from, to). */
  filledSlices(from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): number {
    let n = 0;
    for (const s of this.slotSlice) if (s >= 0 && s * HEATMAP_SLICE_MS >= from && s * HEATMAP_SLICE_MS < to) n++;
    return n;
  }

  /** Cell value (USD) at a time and price, 0 when not held. */
  at(t: number, price: number): number {
    const slice = Math.floor(t / HEATMAP_SLICE_MS);
    const slot = slice % HEATMAP_SLICES;
    if (this.slotSlice[slot] !== slice || this.baseRow === undefined) return 0;
    const r = rowOf(price) - this.baseRow;
    return r >= 0 && r < HEATMAP_ROWS ? this.cells[slot * HEATMAP_ROWS + r]! * this.slotScale[slot]! : 0;
  }

  /**
   * The window ending with the newest slice: the rows covering `[lo, hi]` (clipped to the grid),
   * copied out. `bars` (1-minute, oldest first) make the candles; slices older than the bars use
   * the grid's own slice prices.
   */
  view(
    meta: { symbol: string; window: HeatmapWindow; venues: string[]; dataAgeMs: number },
    bars: readonly Bar[],
    range?: { lo: number; hi: number },
  ): HeatmapView | undefined {
    if (this.baseRow === undefined || this.newestSlice < 0) return undefined;
    const columns = HEATMAP_WINDOWS[meta.window] / HEATMAP_SLICE_MS;
    const firstSlice = this.newestSlice - columns + 1;
    const from = firstSlice * HEATMAP_SLICE_MS;
    const to = (this.newestSlice + 1) * HEATMAP_SLICE_MS;
    const candleMs = HEATMAP_CANDLE_MS[meta.window];
    const candles = buildCandles(bars, this, from, to, candleMs);
    let lo = range?.lo ?? Math.min(this.lastPrice, ...candles.map((c) => c.low));
    let hi = range?.hi ?? Math.max(this.lastPrice, ...candles.map((c) => c.high));
    // Generous: the chart frames candles and price, and its axis rounds outwards into these rows.
    const pad = Math.max((hi - lo) * 0.5, this.lastPrice * 0.04);
    lo = Math.max(lo - pad, rowPrice(this.baseRow));
    hi = Math.min(hi + pad, rowPrice(this.baseRow + HEATMAP_ROWS));
    const r0 = Math.max(0, rowOf(lo) - this.baseRow);
    const r1 = Math.min(HEATMAP_ROWS, rowOf(hi) - this.baseRow + 1);
    const rows = Math.max(1, r1 - r0);
    const cells = new Float32Array(columns * rows);
    const filled = new Uint8Array(columns);
    let maxUsd = 0;
    for (let c = 0; c < columns; c++) {
      const slice = firstSlice + c;
      if (slice < 0) continue;
      const slot = slice % HEATMAP_SLICES;
      if (this.slotSlice[slot] !== slice) continue;
      filled[c] = 1;
      const src = slot * HEATMAP_ROWS + r0;
      const scale = this.slotScale[slot]!;
      for (let r = 0; r < rows; r++) {
        const v = this.cells[src + r]! * scale;
        cells[c * rows + r] = v;
        if (v > maxUsd) maxUsd = v;
      }
    }
    return {
      symbol: meta.symbol,
      from,
      to,
      sliceMs: HEATMAP_SLICE_MS,
      columns,
      rows,
      baseRow: this.baseRow + r0,
      cells,
      filled,
      maxUsd,
      candles,
      candleMs,
      price: this.lastPrice,
      t: this.lastT,
      venues: meta.venues,
      dataAgeMs: meta.dataAgeMs,
      window: meta.window,
    };
  }

  /** The grid's own prices for a slice: [open, high, low, close] or undefined. */
  slicePrices(slice: number): [number, number, number, number] | undefined {
    const slot = ((slice % HEATMAP_SLICES) + HEATMAP_SLICES) % HEATMAP_SLICES;
    if (this.slotSlice[slot] !== slice) return undefined;
    const o = slot * 4;
    return [this.ohlc[o]!, this.ohlc[o + 1]!, this.ohlc[o + 2]!, this.ohlc[o + 3]!];
  }
}

/** Candles of `candleMs` over [from, to): from 1-minute bars where present, else the grid's slice prices. */
export function buildCandles(bars: readonly Bar[], grid: HeatmapGrid, from: number, to: number, candleMs: number): Candle[] {
  const out: Candle[] = [];
  let i = 0;
  while (i < bars.length && bars[i]!.t < from) i++;
  for (let t = from; t < to; t += candleMs) {
    let c: Candle | undefined;
    const add = (open: number, high: number, low: number, close: number) => {
      if (!(open > 0 && high > 0 && low > 0 && close > 0)) return;
      if (!c) c = { t, open, high, low, close };
      else {
        if (high > c.high) c.high = high;
        if (low < c.low) c.low = low;
        c.close = close;
      }
    };
    let fromBars = false;
    for (; i < bars.length && bars[i]!.t < t + candleMs; i++) {
      const b = bars[i]!;
      add(b.open, b.high, b.low, b.close);
      fromBars = true;
    }
    if (!fromBars) {
      for (let s = t / HEATMAP_SLICE_MS; s < (t + candleMs) / HEATMAP_SLICE_MS; s++) {
        const p = grid.slicePrices(s);
        if (p) add(p[0], p[1], p[2], p[3]);
      }
    }
    if (c) out.push(c);
  }
  return out;
}

/** One grid per symbol, created on the first snapshot. */
export class HeatmapBook {
  private readonly grids = new Map<string, HeatmapGrid>();

  record(symbol: string, snap: HeatmapInput, traded: { low: number; high: number }, opts: { backfill?: boolean } = {}): void {
    let g = this.grids.get(symbol);
    if (!g) {
      g = new HeatmapGrid();
      this.grids.set(symbol, g);
    }
    g.record(snap, traded, opts);
  }

  grid(symbol: string): HeatmapGrid | undefined {
    return this.grids.get(symbol);
  }

  symbols(): string[] {
    return [...this.grids.keys()];
  }

  bytes(): number {
    let n = 0;
    for (const g of this.grids.values()) n += g.bytes();
    return n;
  }
}

export interface SweptBand {
  low: number;
  high: number;
  /** Estimated USD in the band in the slice before it ended. */
  usd: number;
  /** Start of the slice it ended in, ms. */
  t: number;
}

/**
 * Bands price swept in the window: adjacent rows holding at least `minShare` of the window's largest
 * cell in one slice and nothing in the next, where the candle of that time traded into them;
 * largest first.
 */
export function sweptBands(view: HeatmapView, minShare = 0.15): SweptBand[] {
  const out: SweptBand[] = [];
  const threshold = view.maxUsd * minShare;
  if (!(threshold > 0)) return out;
  for (let c = 1; c < view.columns; c++) {
    if (!view.filled[c] || !view.filled[c - 1]) continue;
    let start = -1;
    let usd = 0;
    for (let r = 0; r <= view.rows; r++) {
      const ended = r < view.rows && view.cells[(c - 1) * view.rows + r]! >= threshold && view.cells[c * view.rows + r] === 0;
      if (ended) {
        if (start < 0) start = r;
        usd += view.cells[(c - 1) * view.rows + r]!;
      } else if (start >= 0) {
        const band = { low: rowPrice(view.baseRow + start), high: rowPrice(view.baseRow + r), usd, t: view.from + c * view.sliceMs };
        const candle = view.candles.find((k) => k.t <= band.t && band.t < k.t + view.candleMs);
        if (candle && candle.low <= band.high && candle.high >= band.low) out.push(band);
        start = -1;
        usd = 0;
      }
    }
  }
  return out.sort((a, b) => b.usd - a.usd);
}
