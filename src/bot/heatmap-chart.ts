/**
 * The liquidation heatmap chart: the intensity grid as one raster image behind the plot (one pixel
 * per plot pixel, nearest cell: a 3-day grid is 864 × N cells, far too many for SVG shapes), candles,
 * the current price line and a colour legend in USD, drawn with echarts like the map. The price
 * axis comes from chart-layout's `priceAxis` (vertical) and prices from the one formatter.
 */
import { deflateSync, crc32 } from 'node:zlib';
import { HEATMAP_ROW_RATIO, rowOf, rowPrice, type HeatmapView } from '../engine/heatmap.ts';
import { formatAxisPrice, formatPercent, formatPrice, formatUsd } from '../format/numbers.ts';
import { CHART_HEIGHT, CHART_WIDTH, formatAge, priceAxis, type PriceAxis } from './chart-layout.ts';
import { CHART_FONT_FAMILY } from './fonts.ts';

/** echarts option object (loosely typed, as in charts.ts). */
type ChartOption = Record<string, unknown>;

/** Heatmap plot geometry (px): a narrower header than the map, room for the legend on the right. */
export const HEATMAP_PLOT = { left: 84, right: 72, top: 86, bottom: 40 } as const;
const PLOT_W = CHART_WIDTH - HEATMAP_PLOT.left - HEATMAP_PLOT.right;
const PLOT_H = CHART_HEIGHT - HEATMAP_PLOT.top - HEATMAP_PLOT.bottom;

const COLORS = {
  background: '#15171c',
  text: '#e6e8ee',
  muted: '#9aa1ad',
  grid: 'rgba(154, 161, 173, 0.18)',
  up: '#e6e8ee',
  down: '#6b7280',
  price: '#ff4d6d',
} as const;

const VENUE_LABEL: Record<string, string> = { binance: 'Binance', bybit: 'Bybit', okx: 'OKX', hyperliquid: 'Hyperliquid' };

/** Dark → bright: near-background navy, purple, teal, green, yellow (a viridis-like ramp). */
const STOPS: [number, [number, number, number]][] = [
  [0, [21, 23, 28]],
  [0.12, [48, 18, 84]],
  [0.35, [38, 90, 140]],
  [0.6, [30, 160, 130]],
  [0.82, [140, 210, 70]],
  [1, [253, 231, 37]],
];

/** 256-entry RGB ramp. */
export const HEAT_RAMP: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    let k = 1;
    while (k < STOPS.length - 1 && STOPS[k]![0] < x) k++;
    const [x0, c0] = STOPS[k - 1]!;
    const [x1, c1] = STOPS[k]!;
    const f = x1 > x0 ? (x - x0) / (x1 - x0) : 0;
    for (let j = 0; j < 3; j++) lut[i * 3 + j] = Math.round(c0[j]! + f * (c1[j]! - c0[j]!));
  }
  return lut;
})();

/** Colour response: value ÷ scale to this power (a little below 1 so mid-sized bands still show). */
const GAMMA = 0.8;

/** Colour index of a cell: (value ÷ scale)^0.8, clamped. `scale` is the legend's top value. */
export function heatIndex(usd: number, scale: number): number {
  if (!(usd > 0) || !(scale > 0)) return 0;
  return Math.min(255, Math.round((usd / scale) ** GAMMA * 255));
}

/** The legend's top value: the 99.5th percentile of non-zero cells (one outlier does not wash the rest out). */
export function heatScale(view: HeatmapView): number {
  const vals: number[] = [];
  for (const v of view.cells) if (v > 0) vals.push(v);
  if (vals.length === 0) return 0;
  vals.sort((a, b) => a - b);
  return vals[Math.min(vals.length - 1, Math.floor(vals.length * 0.995))]!;
}

/** Minimal PNG (RGB, 8-bit, no interlace) from raw pixels. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
}

/** The plot's price range: candles and price, padded (the view's rows reach further). */
export function heatmapAxis(view: HeatmapView): PriceAxis {
  let lo = view.price;
  let hi = view.price;
  for (const c of view.candles) {
    if (c.low < lo) lo = c.low;
    if (c.high > hi) hi = c.high;
  }
  const pad = Math.max((hi - lo) * 0.12, view.price * 0.01);
  lo = Math.max(lo - pad, rowPrice(view.baseRow));
  hi = Math.min(hi + pad, rowPrice(view.baseRow + view.rows));
  return priceAxis(lo, hi, { lengthPx: PLOT_H, labelPx: 18, targetTicks: 7 });
}

/** Pixels of the heat layer, exactly the plot size: nearest cell per pixel. */
export function heatPixels(view: HeatmapView, axis: { min: number; max: number }, scale: number): Uint8Array {
  const rgb = new Uint8Array(PLOT_W * PLOT_H * 3);
  const colOfX = new Int32Array(PLOT_W);
  for (let x = 0; x < PLOT_W; x++) colOfX[x] = Math.min(view.columns - 1, Math.floor(((x + 0.5) / PLOT_W) * view.columns));
  const rowOfY = new Int32Array(PLOT_H);
  for (let y = 0; y < PLOT_H; y++) {
    const p = axis.max - ((y + 0.5) / PLOT_H) * (axis.max - axis.min);
    const r = p > 0 ? rowOf(p) - view.baseRow : -1;
    rowOfY[y] = r >= 0 && r < view.rows ? r : -1;
  }
  // Colour index per cell once (a pow per cell, not per pixel), then pixels copy from the ramp.
  const index = new Uint8Array(view.cells.length);
  for (let k = 0; k < view.cells.length; k++) index[k] = heatIndex(view.cells[k]!, scale);
  const ramp = HEAT_RAMP;
  for (let y = 0; y < PLOT_H; y++) {
    const r = rowOfY[y]!;
    let o = y * PLOT_W * 3;
    if (r < 0) {
      for (let x = 0; x < PLOT_W; x++, o += 3) {
        rgb[o] = ramp[0]!;
        rgb[o + 1] = ramp[1]!;
        rgb[o + 2] = ramp[2]!;
      }
      continue;
    }
    for (let x = 0; x < PLOT_W; x++, o += 3) {
      const i = index[colOfX[x]! * view.rows + r]! * 3;
      rgb[o] = ramp[i]!;
      rgb[o + 1] = ramp[i + 1]!;
      rgb[o + 2] = ramp[i + 2]!;
    }
  }
  return rgb;
}

function timeLabel(t: number, multiDay: boolean): string {
  const iso = new Date(t).toISOString();
  return multiDay ? `${iso.slice(8, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

const TIME_STEP: Record<string, number> = { '6h': 3_600_000, '12h': 2 * 3_600_000, '24h': 4 * 3_600_000, '3d': 12 * 3_600_000 };

/** Pure: the echarts option for a heatmap view. */
export function heatmapChartOption(view: HeatmapView): ChartOption {
  const axis = heatmapAxis(view);
  const factor = axis.scale.factor;
  const Y = (p: number) => p * factor;
  const scale = heatScale(view);
  const png = encodePng(PLOT_W, PLOT_H, heatPixels(view, axis, scale));
  const venues = view.venues.map((v) => VENUE_LABEL[v] ?? v).join(' + ') || 'no venues';
  const filled = view.filled.reduce((a, b) => a + b, 0);
  const history = filled < view.columns ? ` · ${formatSpan(filled * view.sliceMs)} of history so far` : '';
  const candleW = Math.max(1, Math.min(14, (PLOT_W * view.candleMs) / (view.to - view.from) - 2));
  const step = TIME_STEP[view.window] ?? 3_600_000;
  const multiDay = view.to - view.from > 24 * 3_600_000;
  const legendW = 180;
  const legendX = CHART_WIDTH - 24 - legendW;
  const tickSet = axis.ticks.map((t) => Y(t.price));
  // In the axis's unit: PEPE's line reads 10.59 beside ticks of 10.6 (× 10⁻⁶ in the axis title).
  const priceLabel = factor === 1 ? formatPrice(view.price, view.symbol) : formatAxisPrice(view.price, axis.step / 100, axis.scale);
  return {
    animation: false,
    backgroundColor: COLORS.background,
    textStyle: { fontFamily: CHART_FONT_FAMILY, color: COLORS.text },
    title: {
      text: `${view.symbol} liquidation heatmap · ${view.window}`,
      subtext: `Estimated, not observed · ${venues} · data age ${formatAge(view.dataAgeMs)}\nrows ${formatPercent((HEATMAP_ROW_RATIO - 1) * 100, 1)} of price · 5-min slices · ${formatSpan(view.candleMs)} candles${history}`,
      left: 16,
      top: 8,
      textStyle: { fontFamily: CHART_FONT_FAMILY, color: COLORS.text, fontSize: 17, fontWeight: 'bold' },
      subtextStyle: { fontFamily: CHART_FONT_FAMILY, color: COLORS.muted, fontSize: 12, lineHeight: 15 },
    },
    grid: { left: HEATMAP_PLOT.left, right: HEATMAP_PLOT.right, top: HEATMAP_PLOT.top, bottom: HEATMAP_PLOT.bottom },
    xAxis: {
      type: 'value',
      min: view.from,
      max: view.to,
      interval: step,
      axisLine: { lineStyle: { color: COLORS.grid } },
      // Ticks at whole hours (UTC) are drawn as graphics below: echarts counts intervals from `min`.
      axisLabel: { show: false },
      axisTick: { show: false },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      min: Y(axis.min),
      max: Y(axis.max),
      interval: Y(axis.step),
      name: axis.title,
      nameLocation: 'middle',
      nameGap: 66,
      nameTextStyle: { color: COLORS.muted, fontFamily: CHART_FONT_FAMILY, fontSize: 11 },
      axisLabel: { color: COLORS.muted, fontFamily: CHART_FONT_FAMILY, formatter: (v: number) => axis.ticks[nearestIndex(tickSet, v)]?.label ?? '' },
      splitLine: { lineStyle: { color: COLORS.grid } },
    },
    graphic: [
      ...timeTicks(view.from, view.to, step).map((t) => ({
        type: 'text',
        silent: true,
        style: {
          text: timeLabel(t, multiDay),
          x: HEATMAP_PLOT.left + ((t - view.from) / (view.to - view.from)) * PLOT_W,
          y: CHART_HEIGHT - HEATMAP_PLOT.bottom + 8,
          textAlign: 'center',
          fill: COLORS.muted,
          fontSize: 11,
          fontFamily: CHART_FONT_FAMILY,
        },
      })),
      {
        type: 'text',
        silent: true,
        style: { text: 'UTC', x: CHART_WIDTH - HEATMAP_PLOT.right + 8, y: CHART_HEIGHT - HEATMAP_PLOT.bottom + 8, fill: COLORS.muted, fontSize: 11, fontFamily: CHART_FONT_FAMILY },
      },
      {
        type: 'image',
        silent: true,
        z: -10,
        style: { image: `data:image/png;base64,${png.toString('base64')}`, x: HEATMAP_PLOT.left, y: HEATMAP_PLOT.top, width: PLOT_W, height: PLOT_H },
      },
      // Legend: the colour ramp with USD at its ends (value per row and slice).
      {
        type: 'rect',
        silent: true,
        shape: { x: legendX, y: 22, width: legendW, height: 10 },
        style: {
          fill: {
            type: 'linear',
            x: 0,
            y: 0,
            x2: 1,
            y2: 0,
            colorStops: [0, 0.1, 0.25, 0.45, 0.7, 1].map((f) => ({ offset: f, color: rampCss(Math.round(f ** GAMMA * 255)) })),
          },
        },
      },
      { type: 'text', silent: true, style: { text: '$0', x: legendX, y: 36, fill: COLORS.muted, fontSize: 11, fontFamily: CHART_FONT_FAMILY } },
      {
        type: 'text',
        silent: true,
        style: { text: scale > 0 ? `${formatUsd(scale)}+` : 'none yet', x: legendX + legendW, y: 36, textAlign: 'right', fill: COLORS.muted, fontSize: 11, fontFamily: CHART_FONT_FAMILY },
      },
      { type: 'text', silent: true, style: { text: 'Est. liquidations per row (USD)', x: legendX + legendW / 2, y: 6, textAlign: 'center', fill: COLORS.muted, fontSize: 11, fontFamily: CHART_FONT_FAMILY } },
      ...(scale > 0
        ? []
        : [
            {
              type: 'text',
              left: 'center',
              top: 'middle',
              style: { text: 'No estimated liquidation levels yet', fill: COLORS.text, fontSize: 16, fontFamily: CHART_FONT_FAMILY },
            },
          ]),
    ],
    series: [
      {
        type: 'candlestick',
        barWidth: candleW,
        itemStyle: { color: COLORS.up, color0: COLORS.down, borderColor: COLORS.up, borderColor0: COLORS.down, borderWidth: 1 },
        // [t mid, open, close, low, high]
        data: view.candles.map((c) => [c.t + view.candleMs / 2, Y(c.open), Y(c.close), Y(c.low), Y(c.high)]),
        markLine: {
          silent: true,
          symbol: 'none',
          data: [
            {
              yAxis: Y(view.price),
              lineStyle: { color: COLORS.price, width: 1.2, type: 'dashed' },
              label: { formatter: priceLabel, position: 'end', distance: 4, color: COLORS.price, fontFamily: CHART_FONT_FAMILY, fontSize: 11 },
            },
          ],
        },
      },
    ],
  };
}

/** Whole multiples of `step` inside (from, to), not too close to the ends (their labels would clip). */
function timeTicks(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  const margin = (to - from) * 0.03;
  for (let t = Math.ceil(from / step) * step; t < to; t += step) if (t - from > margin && to - t > margin) out.push(t);
  return out;
}

function rampCss(i: number): string {
  return `rgb(${HEAT_RAMP[i * 3]}, ${HEAT_RAMP[i * 3 + 1]}, ${HEAT_RAMP[i * 3 + 2]})`;
}

function nearestIndex(values: number[], v: number): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (Math.abs(values[i]! - v) < Math.abs(values[best]! - v)) best = i;
  return best;
}

function formatSpan(ms: number): string {
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(ms < 10 * 3_600_000 ? 1 : 0)} h`;
}
