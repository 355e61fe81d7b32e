/**
 * Liquidation-map charts: echarts server-side rendering to SVG, rasterised to PNG by resvg with
 * bundled fonts. Option building is pure; rendering is the only I/O-ish step; PNGs are cached per
 * symbol and snapshot sequence so a burst of /zones calls renders once.
 */
import type { EChartsOption } from 'echarts';
import type { ExitPlan, ZoneSnapshot } from '../engine/types.ts';
import type { ReplyImage } from './reply.ts';
import type { ChartService } from './services.ts';
import { CHART_FONT_FAMILY, chartFontFiles } from './fonts.ts';
import { chartMemory } from './native-memory.ts';
import { formatCount, formatPrice, formatUsd } from '../format/numbers.ts';
import { CHART_HEIGHT, CHART_WIDTH, formatAge, PLOT, PLOT_WIDTH, priceChartLayout, priceToPx, type PriceChartLayout } from './chart-layout.ts';
import { heatmapChartOption } from './heatmap-chart.ts';
import type { HeatmapView } from '../engine/heatmap.ts';

export { CHART_HEIGHT, CHART_WIDTH, formatAge } from './chart-layout.ts';

const COLORS = {
  background: '#15171c',
  text: '#e6e8ee',
  muted: '#9aa1ad',
  grid: '#2a2e37',
  long: '#e0584a', // long positions die when price falls
  short: '#2fb57a', // short positions die when price rises
  longZone: 'rgba(224, 88, 74, 0.16)',
  shortZone: 'rgba(47, 181, 122, 0.16)',
  price: '#f2c94c',
  entry: '#5aa9ff',
  target: '#2fb57a',
  stop: '#f2994a',
  liquidation: '#ff4d6d',
  observed: '#b388ff', // positions observed on Hyperliquid: actual, not estimated
} as const;

/** echarts option object; typed loosely because the full echarts option type is very deep. */
export type ChartOption = Record<string, unknown>;

const VENUE_LABEL: Record<string, string> = { binance: 'Binance', bybit: 'Bybit', okx: 'OKX', hyperliquid: 'Hyperliquid' };

interface PriceLine {
  /** Stable id (`price`, `entry`, `T1`, `stop`, `liq`). */
  id: string;
  price: number;
  label: string;
  color: string;
  dashed?: boolean;
  /** Lower is kept first when labels collide. */
  priority: number;
}

/**
 * Price window to show. A whole map can span ±30 % while a trader cares about the next few
 * clusters: frame the three nearest zones on each side (and, for a plan, every plan line), with
 * a margin, never narrower than ±2 % of price. Bins outside the window are not drawn.
 */
export function priceRange(snapshot: ZoneSnapshot, extra: number[]): [number, number] {
  const p = snapshot.price;
  const near = (side: 'long' | 'short') =>
    snapshot.zones
      .filter((z) => z.side === side)
      .sort((a, b) => Math.abs(a.distancePct) - Math.abs(b.distancePct))
      .slice(0, 3);
  const focus = [p, ...extra, ...near('long').map((z) => z.low), ...near('short').map((z) => z.high)].filter((x) => Number.isFinite(x) && x > 0);
  if (focus.length === 1) focus.push(...snapshot.bins.map((b) => b.price));
  let lo = Math.min(...focus, p * 0.98);
  let hi = Math.max(...focus, p * 1.02);
  const pad = Math.max((hi - lo) * 0.06, snapshot.binSize || 0);
  lo = Math.max(lo - pad, p * 0.01);
  hi += pad;
  return [lo, hi];
}

/** The layout decisions behind a map or plan chart. */
function chartLayout(snapshot: ZoneSnapshot, lines: PriceLine[]): PriceChartLayout {
  const priceLine: PriceLine = { id: 'price', price: snapshot.price, label: lines.length ? 'price' : `price ${formatPrice(snapshot.price, snapshot.symbol)}`, color: COLORS.price, priority: 0 };
  return priceChartLayout({
    symbol: snapshot.symbol,
    price: snapshot.price,
    binSize: snapshot.binSize,
    zones: snapshot.zones,
    lines: [priceLine, ...lines],
    range: priceRange(
      snapshot,
      lines.map((l) => l.price),
    ),
  });
}

function baseOption(snapshot: ZoneSnapshot, title: string, lines: PriceLine[]): ChartOption {
  const layout = chartLayout(snapshot, lines);
  const { axis } = layout;
  // Plotted in display units (PEPE ×10⁶): echarts rounds tiny axis values, and the labels say the unit.
  const factor = axis.scale.factor;
  const X = (p: number) => p * factor;
  const binPx = snapshot.binSize > 0 ? (PLOT_WIDTH * snapshot.binSize) / (axis.max - axis.min) : 4;
  const barWidth = Math.max(1, Math.min(40, binPx * 0.85));

  const inView = (price: number) => price >= axis.min && price <= axis.max;
  const longData = snapshot.bins.filter((b) => b.longUsd > 0 && inView(b.price)).map((b) => [X(b.price), b.longUsd]);
  const shortData = snapshot.bins.filter((b) => b.shortUsd > 0 && inView(b.price)).map((b) => [X(b.price), b.shortUsd]);

  const zoneLabel = new Map(layout.zoneLabels.map((l) => [l.id, l]));
  const zoneArea = (side: 'long' | 'short') =>
    layout.shading
      .filter((s) => s.side === side)
      .map((s) => {
        const label = zoneLabel.get(s.id);
        const shown = label?.row !== undefined;
        return [
          {
            xAxis: X(s.from),
            name: shown ? label!.text : '',
            // The layout may have slid the label off a plan line: offset from the area's centre.
            label: { show: shown, offset: [(label?.x ?? 0) - priceToPx((s.from + s.to) / 2, axis), (label?.row ?? 0) * 16] },
          },
          { xAxis: X(s.to) },
        ];
      });
  // A zone running past the chart edge gets an arrow at that edge (also when its label was dropped).
  const arrows = layout.shading.flatMap((s) => {
    const color = s.side === 'long' ? COLORS.long : COLORS.short;
    const y = PLOT.top + CHART_PLOT_HEIGHT / 2;
    const mk = (x: number, dir: -1 | 1) => ({
      type: 'polygon',
      silent: true,
      shape: { points: [[x + dir * 9, y], [x, y - 7], [x, y + 7]] },
      style: { fill: color, opacity: 0.9 },
    });
    return [...(s.continuesLeft ? [mk(PLOT.left + 1, -1)] : []), ...(s.continuesRight ? [mk(CHART_WIDTH - PLOT.right - 1, 1)] : [])];
  });

  const allLines: PriceLine[] = [{ id: 'price', price: snapshot.price, label: layout.lineLabels.find((l) => l.id === 'price')?.text ?? 'price', color: COLORS.price, priority: 0 }, ...lines];
  const lineLabel = new Map(layout.lineLabels.map((l) => [l.id, l]));
  const venues = snapshot.venues.map((v) => VENUE_LABEL[v] ?? v).join(' + ') || 'no venues';
  const when = new Date(snapshot.t).toISOString().slice(11, 16);
  const empty = longData.length === 0 && shortData.length === 0;
  // Observed Hyperliquid clusters: diamonds at their peaks along the bottom of the plot (their own
  // marks, never added to the estimated bars), sized by their share of the observed notional.
  const obs = snapshot.observed;
  const observedData = (obs?.zones ?? [])
    .filter((z) => inView(z.peak))
    .map((z) => ({ value: [X(z.peak), 0], symbolSize: 8 + Math.round(10 * Math.sqrt(Math.min(1, z.notionalUsd / Math.max(obs!.usd, 1)))) }));
  const tickSet = axis.ticks.map((t) => X(t.price));

  return {
    animation: false,
    backgroundColor: COLORS.background,
    textStyle: { fontFamily: CHART_FONT_FAMILY, color: COLORS.text },
    title: {
      text: title,
      subtext: `Estimated, not observed · ${venues} · data age ${formatAge(snapshot.dataAgeMs)} · ${when} UTC · ${layout.notes}${observedData.length ? ` · ◆ observed on Hyperliquid: ${formatCount(obs!.positions, 'position')}` : ''}${lines.length ? `\n${layout.prices}` : ''}`,
      left: 16,
      top: 10,
      textStyle: { fontFamily: CHART_FONT_FAMILY, color: COLORS.text, fontSize: 18, fontWeight: 'bold' },
      subtextStyle: { fontFamily: CHART_FONT_FAMILY, color: COLORS.muted, fontSize: 12, lineHeight: 16 },
    },
    legend: {
      right: 16,
      top: 14,
      itemGap: 28,
      textStyle: { fontFamily: CHART_FONT_FAMILY, color: COLORS.text, fontSize: 12 },
      data: ['Long liquidations', 'Short liquidations', ...(observedData.length ? ['Observed (Hyperliquid)'] : [])],
    },
    grid: { left: PLOT.left, right: PLOT.right, top: PLOT.top, bottom: PLOT.bottom },
    xAxis: {
      type: 'value',
      min: X(axis.min),
      max: X(axis.max),
      interval: X(axis.step),
      name: axis.title,
      nameLocation: 'middle',
      nameGap: 30,
      nameTextStyle: { color: COLORS.muted, fontFamily: CHART_FONT_FAMILY },
      axisLine: { lineStyle: { color: COLORS.grid } },
      axisLabel: {
        color: COLORS.muted,
        fontFamily: CHART_FONT_FAMILY,
        // Labels come from the layout (the interval fixes where ticks fall); nearest tick by value.
        formatter: (v: number) => axis.ticks[nearestIndex(tickSet, v)]?.label ?? '',
      },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      // Short: every glyph costs raster time, and the subtitle already says these are estimates.
      name: 'Liquidations per bin (USD)',
      nameLocation: 'middle',
      nameGap: 62,
      nameTextStyle: { color: COLORS.muted, fontFamily: CHART_FONT_FAMILY, fontSize: 11 },
      axisLabel: { color: COLORS.muted, fontFamily: CHART_FONT_FAMILY, formatter: (v: number) => formatUsd(v) },
      splitLine: { lineStyle: { color: COLORS.grid } },
    },
    graphic: [
      ...(empty
        ? [
            {
              type: 'text',
              left: 'center',
              top: 'middle',
              style: { text: 'No estimated liquidation levels yet', fill: COLORS.muted, fontSize: 16, fontFamily: CHART_FONT_FAMILY },
            },
          ]
        : []),
      ...arrows,
    ],
    series: [
      {
        // Plan and price lines on their own (empty) series, drawn first: zone label chips drawn
        // by the later series sit above them, so no line strikes through a label.
        name: 'lines',
        type: 'line',
        data: [],
        symbol: 'none',
        markLine: {
          silent: true,
          symbol: 'none',
          data: allLines
            .filter((l) => lineLabel.has(l.id))
            .map((l) => {
              const placed = lineLabel.get(l.id)!;
              return {
                xAxis: X(l.price),
                lineStyle: { color: l.color, width: 1.5, type: l.dashed ? 'dashed' : 'solid' },
                label: {
                  show: placed.row !== undefined,
                  formatter: placed.text,
                  color: l.color,
                  fontFamily: CHART_FONT_FAMILY,
                  fontSize: 11,
                  position: 'end',
                  distance: 4 + (placed.row ?? 0) * 14,
                },
              };
            }),
        },
      },
      {
        name: 'Long liquidations',
        type: 'bar',
        barWidth,
        // Longs sit below the price and shorts above, so the two series share one slot per bin.
        barGap: '-100%',
        // One path per series instead of one element per bar: same picture, ~2x smaller SVG.
        large: true,
        largeThreshold: 1,
        itemStyle: { color: COLORS.long },
        data: longData,
        markArea: {
          silent: true,
          itemStyle: { color: COLORS.longZone },
          label: { color: COLORS.long, fontFamily: CHART_FONT_FAMILY, fontSize: 11, position: 'insideTop', ...LABEL_BOX },
          data: zoneArea('long'),
        },
      },
      {
        name: 'Short liquidations',
        type: 'bar',
        barWidth,
        barGap: '-100%',
        large: true,
        largeThreshold: 1,
        itemStyle: { color: COLORS.short },
        data: shortData,
        markArea: {
          silent: true,
          itemStyle: { color: COLORS.shortZone },
          label: { color: COLORS.short, fontFamily: CHART_FONT_FAMILY, fontSize: 11, position: 'insideTop', ...LABEL_BOX },
          data: zoneArea('short'),
        },
      },
      ...(observedData.length
        ? [{ name: 'Observed (Hyperliquid)', type: 'scatter', symbol: 'diamond', itemStyle: { color: COLORS.observed }, z: 5, data: observedData }]
        : []),
    ],
  };
}

const CHART_PLOT_HEIGHT = CHART_HEIGHT - PLOT.top - PLOT.bottom;
/** Zone labels sit on a background chip so a plan line crossing a zone never strikes through its text. */
const LABEL_BOX = { backgroundColor: 'rgba(21, 23, 28, 0.85)', padding: [1, 3], borderRadius: 2 };

function nearestIndex(values: number[], v: number): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (Math.abs(values[i]! - v) < Math.abs(values[best]! - v)) best = i;
  return best;
}

function planLines(plan: ExitPlan): PriceLine[] {
  const r = plan.request;
  return [
    { id: 'entry', price: r.entry, label: 'entry', color: COLORS.entry, dashed: true, priority: 3 },
    ...plan.targets.map((t, i) => ({ id: `T${i + 1}`, price: t.price, label: `T${i + 1}`, color: COLORS.target, dashed: true, priority: 4 + i })),
    ...(plan.stop ? [{ id: 'stop', price: plan.stop.price, label: 'stop', color: COLORS.stop, dashed: true, priority: 2 }] : []),
    { id: 'liq', price: plan.liquidationPrice, label: 'liq', color: COLORS.liquidation, priority: 1 },
  ].filter((l) => Number.isFinite(l.price) && l.price > 0);
}

/** Pure: the layout decisions of a /zones map (axis, labels kept/dropped, shadings). */
export function zonesChartLayout(snapshot: ZoneSnapshot): PriceChartLayout {
  return chartLayout(snapshot, []);
}

/** Pure: the layout decisions of an /exit plan chart. */
export function exitChartLayout(snapshot: ZoneSnapshot, plan: ExitPlan): PriceChartLayout {
  return chartLayout(snapshot, planLines(plan));
}

/** Pure: the echarts option for a /zones liquidation map. */
export function zonesChartOption(snapshot: ZoneSnapshot): ChartOption {
  return baseOption(snapshot, `${snapshot.symbol} liquidation map`, []);
}

/** Pure: the echarts option for an /exit plan drawn on the liquidation map. */
export function exitChartOption(snapshot: ZoneSnapshot, plan: ExitPlan): ChartOption {
  const r = plan.request;
  return baseOption(snapshot, `${snapshot.symbol} ${r.side} ${r.leverage}x exit plan`, planLines(plan));
}

/**
 * echarts, loaded on the first chart: importing it costs ~0.4 s and ~40 MB, which a process that
 * draws no chart (a market process, a bot before its first /zones) need not pay at start.
 */
let echartsModule: Promise<typeof import('echarts')> | undefined;
export function loadChartEngine(): Promise<typeof import('echarts')> {
  echartsModule ??= import('echarts');
  return echartsModule;
}

/** SVG via echarts server-side rendering (no DOM). */
export async function renderChartSvg(option: ChartOption, width = CHART_WIDTH, height = CHART_HEIGHT): Promise<string> {
  const echarts = await loadChartEngine();
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option as EChartsOption);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

let fontFiles: string[] | undefined;
/** resvg (a native addon, ~6 MB) is loaded with the first chart too. */
let resvgModule: Promise<typeof import('@resvg/resvg-js')> | undefined;

/** SVG → PNG with resvg on its worker thread, using only the bundled fonts. */
export async function rasterize(svg: string): Promise<Buffer> {
  fontFiles ??= chartFontFiles();
  resvgModule ??= import('@resvg/resvg-js');
  const { renderAsync } = await resvgModule;
  const image = await renderAsync(svg, {
    font: {
      fontFiles,
      loadSystemFonts: false,
      defaultFontFamily: CHART_FONT_FAMILY,
      sansSerifFamily: CHART_FONT_FAMILY,
    },
    fitTo: { mode: 'original' },
    background: COLORS.background,
  });
  const png = image.asPng();
  chartMemory.rendered();
  return png;
}

export async function renderChartPng(option: ChartOption): Promise<Buffer> {
  return rasterize(await renderChartSvg(option));
}

/** A small LRU of PNG promises: concurrent requests for the same chart share one render. */
class PngCache {
  private readonly entries = new Map<string, Promise<Buffer>>();
  constructor(private readonly capacity: number) {}

  get(key: string, render: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const pending = render();
    this.entries.set(key, pending);
    // A failed render must not stay cached.
    pending.catch(() => {
      if (this.entries.get(key) === pending) this.entries.delete(key);
    });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return pending;
  }

  get size(): number {
    return this.entries.size;
  }
}

export interface ChartServiceOptions {
  /** Rendered PNGs kept (default 64). */
  cacheSize?: number;
}

export function createChartService(opts: ChartServiceOptions = {}): ChartService & { cachedCount(): number } {
  const cache = new PngCache(Math.max(1, opts.cacheSize ?? 64));
  return {
    zonesChart(snapshot: ZoneSnapshot): ReplyImage {
      const key = `zones|${snapshot.symbol}|${snapshot.seq}`;
      return {
        name: `zones-${fileSafe(snapshot.symbol)}.png`,
        alt: `${snapshot.symbol} estimated liquidation map around ${formatPrice(snapshot.price, snapshot.symbol)}`,
        render: () => cache.get(key, () => renderChartPng(zonesChartOption(snapshot))),
      };
    },
    exitChart(snapshot: ZoneSnapshot, plan: ExitPlan): ReplyImage {
      const r = plan.request;
      const key = `exit|${snapshot.symbol}|${snapshot.seq}|${r.side}|${r.entry}|${r.leverage}|${r.sizeUsd}|${r.venue}|${plan.stop?.price}|${plan.targets.map((t) => t.price).join(',')}|${plan.liquidationPrice}`;
      return {
        name: `exit-${fileSafe(snapshot.symbol)}.png`,
        alt: `${snapshot.symbol} ${r.side} exit plan: entry ${formatPrice(r.entry, snapshot.symbol)}, liquidation ${formatPrice(plan.liquidationPrice, snapshot.symbol)}`,
        render: () => cache.get(key, () => renderChartPng(exitChartOption(snapshot, plan))),
      };
    },
    heatmapChart(view: HeatmapView): ReplyImage {
      const key = `heatmap|${view.symbol}|${view.window}|${view.t}`;
      return {
        name: `heatmap-${fileSafe(view.symbol)}-${view.window}.png`,
        alt: `${view.symbol} estimated liquidation heatmap, last ${view.window}, price ${formatPrice(view.price, view.symbol)}`,
        render: () => cache.get(key, () => renderChartPng(heatmapChartOption(view))),
      };
    },
    cachedCount: () => cache.size,
  };
}

function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}
