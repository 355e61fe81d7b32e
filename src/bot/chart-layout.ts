/**
 * Chart layout as data: the price axis (scale, ticks, title), which labels are drawn on which row
 * and which are dropped, and where zone shadings start and end. Pure and renderer-free so the
 * decisions can be snapshot-tested and reused by any price-axis chart (the liquidation map, the
 * exit plan, a heatmap): the echarts option is built from this, never the other way round.
 * Reusable pieces: `priceAxis` (ticks and unit for any price range, either orientation),
 * `layoutLabels` (stagger-then-drop collision pass with obstacles), `shadeZones` (non-overlapping
 * bands with off-chart flags), `PLOT`/`priceToPx` (geometry); prices and units come from
 * `src/format/numbers.ts` (`formatPrice`, `formatAxisPrice`, `priceScaleFor`).
 */
import { formatAxisPrice, formatPercent, formatPrice, formatUsd, priceScaleFor, type PriceScale } from '../format/numbers.ts';

/** Data age for chart subtitles: `<1s`, `12s`, `5m`, `1.5h`. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  if (ms < 1000) return '<1s';
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

/** Plot geometry shared by the price charts (pixels). */
export const CHART_WIDTH = 960;
export const CHART_HEIGHT = 540;
export const PLOT = { left: 90, right: 40, top: 112, bottom: 56 } as const;
export const PLOT_WIDTH = CHART_WIDTH - PLOT.left - PLOT.right;

/** Average glyph advance of the 11 px chart font (DejaVu Sans), for label widths. */
const CHAR_PX = 6.7;
const LABEL_PAD_PX = 8;

export function labelWidth(text: string): number {
  return text.length * CHAR_PX + LABEL_PAD_PX;
}

// ---------------------------------------------------------------------------------------------
// Price axis

export interface PriceAxis {
  /** Real prices at the axis ends (aligned to the tick step). */
  min: number;
  max: number;
  /** Tick step in real prices. */
  step: number;
  /** Display scale: PEPE-scale prices are plotted and labelled ×10⁶, with the unit in the title. */
  scale: PriceScale;
  /** Axis title, unit included: `Price (USD)`, `Price (USD × 10⁻⁶)`. */
  title: string;
  /** Tick labels, left to right. */
  ticks: { price: number; label: string }[];
}

/** 1, 2, 2.5, 5 × 10^k: the smallest "nice" step at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/**
 * A price axis over [lo, hi] with about `targetTicks` ticks whose labels fit side by side:
 * the step grows until the widest label fits its slot. `lengthPx` is the axis length: the plot
 * width for a horizontal price axis (the map), the plot height for a vertical one (a heatmap,
 * whose labels are one line tall: pass `labelPx` ≈ 16 so only their height must fit).
 */
export function priceAxis(lo: number, hi: number, opts: { targetTicks?: number; lengthPx?: number; labelPx?: number; title?: string } = {}): PriceAxis {
  const widthPx = opts.lengthPx ?? PLOT_WIDTH;
  const scale = priceScaleFor((lo + hi) / 2);
  let step = niceStep((hi - lo) / (opts.targetTicks ?? 7));
  for (let guard = 0; guard < 8; guard++) {
    const min = Math.floor(lo / step + 1e-9) * step;
    const max = Math.ceil(hi / step - 1e-9) * step;
    const ticks: { price: number; label: string }[] = [];
    for (let i = 0, p = min; p <= max + step * 1e-6; i++, p = min + i * step) ticks.push({ price: p, label: formatAxisPrice(p, step, scale) });
    const slot = (widthPx * step) / (max - min || step);
    const widest = opts.labelPx ?? Math.max(...ticks.map((t) => labelWidth(t.label)));
    if (widest <= slot || guard === 7) {
      const unit = scale.factor === 1 ? 'USD' : scale.unit;
      return { min, max, step, scale, title: `${opts.title ?? 'Price'} (${unit})`, ticks };
    }
    step = niceStep(step * 1.01);
  }
  throw new Error('unreachable');
}

// ---------------------------------------------------------------------------------------------
// Label collision pass

export interface LabelRequest {
  id: string;
  /** Centre of the label, px from the plot's left edge. */
  x: number;
  text: string;
  /** Lower is more important: kept first when labels collide. */
  priority: number;
  /** Where the centre may move to sidestep a vertical line (px); default: it stays at `x`. */
  slide?: [number, number];
}

export interface PlacedLabel {
  id: string;
  text: string;
  x: number;
  /** Row 0 is nearest the plot edge; undefined when dropped. */
  row: number | undefined;
}

/**
 * Stagger, then drop: labels are placed in priority order, each on the first row (of `rows`)
 * where it overlaps no placed label; a label that fits no row is dropped. Labels are kept inside
 * [0, widthPx] by shifting, never by dropping. A label allowed to slide moves (least distance
 * first) off the vertical lines at `obstacles` so no line strikes through its text.
 */
export function layoutLabels(requests: LabelRequest[], opts: { rows: number; widthPx?: number; gapPx?: number; obstacles?: number[] }): PlacedLabel[] {
  const widthPx = opts.widthPx ?? PLOT_WIDTH;
  const gap = opts.gapPx ?? 4;
  const obstacles = opts.obstacles ?? [];
  const rows: { from: number; to: number }[][] = Array.from({ length: opts.rows }, () => []);
  const placed = new Map<string, PlacedLabel>();
  const order = [...requests].sort((a, b) => a.priority - b.priority || a.x - b.x);
  for (const r of order) {
    const w = labelWidth(r.text);
    const clampX = (x: number) => Math.min(Math.max(x, w / 2), widthPx - w / 2);
    const hits = (x: number) => obstacles.some((o) => o > x - w / 2 - 5 && o < x + w / 2 + 5);
    let x = clampX(r.x);
    if (r.slide && hits(x)) {
      const [lo, hi] = r.slide;
      const candidates = obstacles.flatMap((o) => [o - w / 2 - 6, o + w / 2 + 6]).map(clampX).filter((c) => c >= lo && c <= hi && !hits(c));
      candidates.sort((a, b) => Math.abs(a - r.x) - Math.abs(b - r.x));
      if (candidates.length) x = candidates[0]!;
    }
    const from = x - w / 2 - gap / 2;
    const to = x + w / 2 + gap / 2;
    const row = rows.findIndex((spans) => spans.every((s) => to <= s.from || from >= s.to));
    if (row >= 0) rows[row]!.push({ from, to });
    placed.set(r.id, { id: r.id, text: r.text, x, row: row >= 0 ? row : undefined });
  }
  return requests.map((r) => placed.get(r.id)!);
}

// ---------------------------------------------------------------------------------------------
// Zone shadings

export interface ZoneSpan {
  low: number;
  high: number;
  id: string;
}

export interface ShadedSpan {
  id: string;
  /** Drawn extent, real prices, clipped to the axis and to its neighbours. */
  from: number;
  to: number;
  /** The zone continues past the left / right edge of the chart (drawn with an arrow). */
  continuesLeft: boolean;
  continuesRight: boolean;
}

/**
 * Shaded extents of zones: widened by half a bin (a zone covers whole bins), clipped to the
 * axis, and cut where two shadings would overlap (at the midpoint of the overlap) so that no two
 * translucent rectangles stack into a darker stripe. Zones entirely off-chart are left out.
 */
export function shadeZones(zones: ZoneSpan[], axis: { min: number; max: number }, halfBin: number): ShadedSpan[] {
  const spans = zones
    .map((z) => ({ id: z.id, lo: z.low - halfBin, hi: z.high + halfBin }))
    .filter((z) => z.hi > axis.min && z.lo < axis.max)
    .sort((a, b) => a.lo - b.lo || a.hi - b.hi);
  const out: ShadedSpan[] = spans.map((z) => ({
    id: z.id,
    from: Math.max(axis.min, z.lo),
    to: Math.min(axis.max, z.hi),
    continuesLeft: z.lo < axis.min,
    continuesRight: z.hi > axis.max,
  }));
  // Neighbours that overlap or touch are cut apart with a hairline gap, so each zone reads as its own band.
  const gap = (axis.max - axis.min) * 0.0015; // about a pixel and a half
  for (let i = 1; i < out.length; i++) {
    const prev = out[i - 1]!;
    const cur = out[i]!;
    if (cur.from < prev.to + gap) {
      // Nested or overlapping: the later-starting zone keeps its part past the cut.
      const cut = Math.max(cur.from, Math.min(prev.to, (cur.from + Math.min(prev.to, cur.to)) / 2));
      prev.to = Math.min(prev.to, cut - gap / 2);
      cur.from = Math.max(cur.from, cut + gap / 2);
    }
  }
  return out.filter((s) => s.to > s.from);
}

// ---------------------------------------------------------------------------------------------
// The price-chart layout (liquidation map and exit plan)

export interface ChartZone {
  id: string;
  side: 'long' | 'short';
  low: number;
  high: number;
  notionalUsd: number;
  /** Rank on its own side (1 = largest). */
  rank: number;
  distancePct: number;
}

export interface ChartLine {
  id: string;
  price: number;
  /** Short label drawn on the chart (`price`, `entry`, `T1`, `stop`, `liq`). */
  label: string;
  /** Lower is more important (kept first when labels collide). */
  priority: number;
}

export interface PriceChartLayout {
  axis: PriceAxis;
  /** Line labels above the plot, 3 rows. */
  lineLabels: PlacedLabel[];
  /** Zone labels inside the top of the plot, 2 rows: `#N $size`, rank on its side. */
  zoneLabels: PlacedLabel[];
  shading: (ShadedSpan & { side: 'long' | 'short' })[];
  /** Subtitle notes: bin width and what `#N` means. */
  notes: string;
  /** Subtitle line with the prices: price and every plan line. */
  prices: string;
}

export const LINE_LABEL_ROWS = 3;
export const ZONE_LABEL_ROWS = 2;

/** x position (px from the plot's left) of a price on the axis. */
export function priceToPx(price: number, axis: { min: number; max: number }, widthPx = PLOT_WIDTH): number {
  return ((price - axis.min) / (axis.max - axis.min)) * widthPx;
}

export function priceChartLayout(input: { symbol: string; price: number; binSize: number; zones: ChartZone[]; lines: ChartLine[]; range: [number, number] }): PriceChartLayout {
  const { symbol } = input;
  const axis = priceAxis(input.range[0], input.range[1]);
  const inView = (p: number) => p >= axis.min && p <= axis.max;
  const half = input.binSize / 2;
  const shading = shadeZones(input.zones, axis, half).map((s) => ({ ...s, side: input.zones.find((z) => z.id === s.id)!.side }));
  const shadedIds = new Set(shading.map((s) => s.id));

  const lineLabels = layoutLabels(
    input.lines.filter((l) => inView(l.price)).map((l) => ({ id: l.id, x: priceToPx(l.price, axis), text: l.label, priority: l.priority })),
    { rows: LINE_LABEL_ROWS },
  );
  // Zone labels: larger (lower rank) first, then nearer; anchored on the visible part of the zone.
  const zoneLabels = layoutLabels(
    input.zones
      .filter((z) => shadedIds.has(z.id))
      .map((z) => {
        const s = shading.find((x) => x.id === z.id)!;
        const arrow = s.continuesLeft ? '◀ ' : '';
        const arrowRight = s.continuesRight ? ' ▶' : '';
        // May slide off a plan line by up to the zone's own width plus a little.
        const from = priceToPx(s.from, axis);
        const to = priceToPx(s.to, axis);
        return {
          id: z.id,
          x: (from + to) / 2,
          text: `${arrow}#${z.rank} ${formatUsd(z.notionalUsd)}${arrowRight}`,
          priority: z.rank * 100 + Math.min(99, Math.abs(z.distancePct) * 10),
          slide: [from - 40, to + 40] as [number, number],
        };
      }),
    { rows: ZONE_LABEL_ROWS, obstacles: input.lines.filter((l) => inView(l.price)).map((l) => priceToPx(l.price, axis)) },
  );

  const bin = input.binSize > 0 ? `bin width ${formatPrice(input.binSize)} (${formatPercent((input.binSize / input.price) * 100)})` : undefined;
  const priceLine = input.lines.find((l) => l.id === 'price');
  const others = input.lines.filter((l) => l.id !== 'price');
  const notes = [bin, '#N: rank per side'].filter(Boolean).join(' · ');
  const prices = [priceLine ? `price ${formatPrice(priceLine.price, symbol)}` : undefined, ...others.map((l) => `${l.label} ${formatPrice(l.price, symbol)}`)].filter(Boolean).join(' · ');
  return { axis, lineLabels, zoneLabels, shading, notes, prices };
}
