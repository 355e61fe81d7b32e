/**
 * Liquidation-map charts: echarts server-side rendering to SVG, rasterised to PNG by resvg with
 * bundled fonts. Option building is pure; rendering is the only I/O-ish step; PNGs are cached per
 * symbol and snapshot sequence so a burst of /zones calls renders once.
 */
import * as echarts from 'echarts';
import { renderAsync } from '@resvg/resvg-js';
import type { ExitPlan, ZoneSnapshot } from '../engine/types.ts';
import type { ReplyImage } from './reply.ts';
import type { ChartService } from './services.ts';
import { CHART_FONT_FAMILY, chartFontFiles } from './fonts.ts';
import { formatPrice, formatUsd } from '../format/numbers.ts';

export const CHART_WIDTH = 960;
export const CHART_HEIGHT = 540;

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
} as const;

/** echarts option object; typed loosely because the full echarts option type is very deep. */
export type ChartOption = Record<string, unknown>;

export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  if (ms < 1000) return '<1s';
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

const VENUE_LABEL: Record<string, string> = { binance: 'Binance', bybit: 'Bybit' };

interface PriceLine {
  price: number;
  label: string;
  color: string;
  dashed?: boolean;
}

/** Power of ten that brings a price to at least ~1000, so axis maths stays well away from rounding. */
function priceScale(price: number): number {
  if (!(price > 0) || price >= 1000) return 1;
  return 10 ** (3 - Math.floor(Math.log10(price)));
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

function baseOption(snapshot: ZoneSnapshot, title: string, lines: PriceLine[]): ChartOption {
  const [xMin, xMax] = priceRange(
    snapshot,
    lines.map((l) => l.price),
  );
  // echarts rounds tiny axis values (PEPE trades near 1e-5), so plot in scaled units and
  // format labels back in real prices.
  const scale = priceScale(snapshot.price);
  const X = (p: number) => p * scale;
  const plotWidthPx = CHART_WIDTH - 90 - 40;
  const binPx = snapshot.binSize > 0 ? (plotWidthPx * snapshot.binSize) / (xMax - xMin) : 4;
  const barWidth = Math.max(1, Math.min(40, binPx * 0.85));

  const inView = (price: number) => price >= xMin && price <= xMax;
  const longData = snapshot.bins.filter((b) => b.longUsd > 0 && inView(b.price)).map((b) => [X(b.price), b.longUsd]);
  const shortData = snapshot.bins.filter((b) => b.shortUsd > 0 && inView(b.price)).map((b) => [X(b.price), b.shortUsd]);
  const half = (snapshot.binSize || 0) / 2;
  const visibleZones = snapshot.zones.filter((z) => z.high + half > xMin && z.low - half < xMax);
  // Labels (rank and size) on the three nearest zones per side and any top-3 zone in view,
  // staggered so they never overlap; the rest are shaded only.
  const nearest = (side: 'long' | 'short') =>
    visibleZones
      .filter((z) => z.side === side)
      .sort((a, b) => Math.abs(a.distancePct) - Math.abs(b.distancePct))
      .slice(0, 3);
  const labelledIds = new Set([...nearest('long'), ...nearest('short'), ...visibleZones.filter((z) => z.rank <= 3)].map((z) => z.id));
  const labelled = visibleZones.filter((z) => labelledIds.has(z.id));
  const zoneRows = staggerLabels(
    labelled.map((z) => {
      const text = `#${z.rank} ${formatUsd(z.notionalUsd)}`;
      return { x: ((Math.max(xMin, Math.min(xMax, (z.low + z.high) / 2)) - xMin) / (xMax - xMin)) * plotWidthPx, width: text.length * 7 + 10 };
    }),
    3,
  );
  const rowOf = new Map(labelled.map((z, i) => [z.id, zoneRows[i]!]));
  const zoneArea = (side: 'long' | 'short') =>
    visibleZones
      .filter((z) => z.side === side)
      .map((z) => {
        const row = rowOf.get(z.id);
        return [
          {
            xAxis: X(Math.max(xMin, z.low - half)),
            name: row === undefined ? '' : `#${z.rank} ${formatUsd(z.notionalUsd)}`,
            label: { offset: [0, (row ?? 0) * 14] },
          },
          { xAxis: X(Math.min(xMax, z.high + half)) },
        ];
      });

  const allLines: PriceLine[] = [{ price: snapshot.price, label: lines.length ? 'price' : `price ${formatPrice(snapshot.price, snapshot.symbol)}`, color: COLORS.price }, ...lines];
  const labelRows = staggerLabels(
    allLines.map((l) => ({ x: ((l.price - xMin) / (xMax - xMin)) * plotWidthPx, width: l.label.length * 7 + 8 })),
    3,
  );
  const venues = snapshot.venues.map((v) => VENUE_LABEL[v] ?? v).join(' + ') || 'no venues';
  const when = new Date(snapshot.t).toISOString().slice(11, 16);
  const empty = longData.length === 0 && shortData.length === 0;

  return {
    animation: false,
    backgroundColor: COLORS.background,
    textStyle: { fontFamily: CHART_FONT_FAMILY, color: COLORS.text },
    title: {
      text: title,
      subtext: `Estimated, not observed · ${venues} · data age ${formatAge(snapshot.dataAgeMs)} · ${when} UTC${
        lines.length ? `\nprice ${formatPrice(snapshot.price, snapshot.symbol)} · ${lines.map((l) => `${l.label} ${formatPrice(l.price, snapshot.symbol)}`).join(' · ')}` : ''
      }`,
      left: 16,
      top: 10,
      textStyle: { fontFamily: CHART_FONT_FAMILY, color: COLORS.text, fontSize: 18, fontWeight: 'bold' },
      subtextStyle: { fontFamily: CHART_FONT_FAMILY, color: COLORS.muted, fontSize: 12 },
    },
    legend: {
      right: 16,
      top: 14,
      itemGap: 28,
      textStyle: { fontFamily: CHART_FONT_FAMILY, color: COLORS.text, fontSize: 12 },
      data: ['Long liquidations', 'Short liquidations'],
    },
    grid: { left: 90, right: 40, top: 104, bottom: 56 },
    xAxis: {
      type: 'value',
      min: X(xMin),
      max: X(xMax),
      name: 'Price',
      nameLocation: 'middle',
      nameGap: 30,
      nameTextStyle: { color: COLORS.muted, fontFamily: CHART_FONT_FAMILY },
      axisLine: { lineStyle: { color: COLORS.grid } },
      axisLabel: { color: COLORS.muted, fontFamily: CHART_FONT_FAMILY, formatter: (v: number) => formatPrice(v / scale),
        hideOverlap: true,
        showMinLabel: false,
        showMaxLabel: false,
       },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      axisLabel: { color: COLORS.muted, fontFamily: CHART_FONT_FAMILY, formatter: (v: number) => formatUsd(v) },
      splitLine: { lineStyle: { color: COLORS.grid } },
    },
    graphic: empty
      ? [
          {
            type: 'text',
            left: 'center',
            top: 'middle',
            style: { text: 'No estimated liquidation levels yet', fill: COLORS.muted, fontSize: 16, fontFamily: CHART_FONT_FAMILY },
          },
        ]
      : [],
    series: [
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
          label: { color: COLORS.long, fontFamily: CHART_FONT_FAMILY, fontSize: 11, position: 'insideTop' },
          data: zoneArea('long'),
        },
        markLine: {
          silent: true,
          symbol: 'none',
          data: allLines.map((l, i) => ({
            xAxis: X(l.price),
            lineStyle: { color: l.color, width: 1.5, type: l.dashed ? 'dashed' : 'solid' },
            label: {
              formatter: l.label,
              color: l.color,
              fontFamily: CHART_FONT_FAMILY,
              fontSize: 11,
              position: 'end',
              distance: 4 + labelRows[i]! * 14,
            },
          })),
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
          label: { color: COLORS.short, fontFamily: CHART_FONT_FAMILY, fontSize: 11, position: 'insideTop' },
          data: zoneArea('short'),
        },
      },
    ],
  };
}

/**
 * Row (0 = nearest the plot) for each line label so labels of nearby lines do not overlap:
 * greedy by x, first row whose last label ends before this one starts.
 */
export function staggerLabels(labels: { x: number; width: number }[], rows: number): number[] {
  const order = labels.map((l, i) => i).sort((a, b) => labels[a]!.x - labels[b]!.x);
  const rowEnd = new Array<number>(rows).fill(-Infinity);
  const result = new Array<number>(labels.length).fill(0);
  for (const i of order) {
    const { x, width } = labels[i]!;
    const start = x - width / 2;
    let row = rowEnd.findIndex((end) => end <= start);
    if (row < 0) row = rowEnd.indexOf(Math.min(...rowEnd));
    rowEnd[row] = x + width / 2;
    result[i] = row;
  }
  return result;
}

/** Pure: the echarts option for a /zones liquidation map. */
export function zonesChartOption(snapshot: ZoneSnapshot): ChartOption {
  return baseOption(snapshot, `${snapshot.symbol} liquidation map`, []);
}

/** Pure: the echarts option for an /exit plan drawn on the liquidation map. */
export function exitChartOption(snapshot: ZoneSnapshot, plan: ExitPlan): ChartOption {
  const r = plan.request;
  const lines: PriceLine[] = [
    { price: r.entry, label: 'entry', color: COLORS.entry, dashed: true },
    ...plan.targets.map((t, i) => ({ price: t.price, label: `T${i + 1}`, color: COLORS.target, dashed: true })),
    ...(plan.stop ? [{ price: plan.stop.price, label: 'stop', color: COLORS.stop, dashed: true }] : []),
    { price: plan.liquidationPrice, label: 'liq', color: COLORS.liquidation },
  ].filter((l) => Number.isFinite(l.price) && l.price > 0);
  return baseOption(snapshot, `${snapshot.symbol} ${r.side} ${r.leverage}x exit plan`, lines);
}

/** SVG via echarts server-side rendering (no DOM). */
export function renderChartSvg(option: ChartOption, width = CHART_WIDTH, height = CHART_HEIGHT): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option as echarts.EChartsOption);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

let fontFiles: string[] | undefined;

/** SVG → PNG with resvg on its worker thread, using only the bundled fonts. */
export async function rasterize(svg: string): Promise<Buffer> {
  fontFiles ??= chartFontFiles();
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
  return image.asPng();
}

export async function renderChartPng(option: ChartOption): Promise<Buffer> {
  return rasterize(renderChartSvg(option));
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
    cachedCount: () => cache.size,
  };
}

function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}
