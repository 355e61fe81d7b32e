import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePng, HEAT_RAMP, heatIndex, heatmapAxis, heatmapChartOption, HEATMAP_PLOT, heatPixels } from '../../src/bot/heatmap-chart.ts';
import { CHART_HEIGHT, CHART_WIDTH } from '../../src/bot/chart-layout.ts';
import { HeatmapGrid, type HeatmapInput } from '../../src/engine/heatmap.ts';

const SLICE = 5 * 60_000;
const T0 = Date.UTC(2026, 0, 5);

function gridFor(price: number, slices = 24): HeatmapGrid {
  const grid = new HeatmapGrid();
  for (let i = 0; i < slices; i++) {
    const p = price * (1 + 0.01 * Math.sin(i / 4));
    const binSize = p * 0.001;
    const bins: HeatmapInput['bins'] = Array.from({ length: 101 }, (_, k) => {
      const b = p + (k - 50) * binSize;
      return { price: b, longUsd: b < p ? 1e5 * (1 + (k % 7)) : 0, shortUsd: b >= p ? 2e5 : 0 };
    });
    grid.record({ t: T0 + i * SLICE, price: p, binSize, bins }, { low: p * 0.995, high: p * 1.005 });
  }
  return grid;
}

describe('heatmap chart', () => {
  it('colour index rises with the value and saturates at the legend top', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.double({ min: 0, max: 1e9, noNaN: true }), fc.double({ min: 1, max: 1e8, noNaN: true }), (a, b, scale) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(heatIndex(lo, scale)).toBeLessThanOrEqual(heatIndex(hi, scale));
        expect(heatIndex(hi, scale)).toBeLessThanOrEqual(255);
      }),
    );
    expect(heatIndex(0, 1e6)).toBe(0);
    expect(heatIndex(1e6, 1e6)).toBe(255);
    // dark → bright: the ramp's luminance grows from end to end
    const lum = (i: number) => 0.2126 * HEAT_RAMP[i * 3]! + 0.7152 * HEAT_RAMP[i * 3 + 1]! + 0.0722 * HEAT_RAMP[i * 3 + 2]!;
    expect(lum(255)).toBeGreaterThan(lum(128));
    expect(lum(128)).toBeGreaterThan(lum(0));
  });

  it('encodes a PNG with the given size', () => {
    const png = encodePng(3, 2, new Uint8Array(18).fill(200));
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(png.readUInt32BE(16)).toBe(3);
    expect(png.readUInt32BE(20)).toBe(2);
  });

  it('rows price traded through are drawn as background (the swept channel), levels elsewhere in colour', () => {
    const view = gridFor(3000).view({ symbol: 'ETH', window: '6h', venues: ['binance'], dataAgeMs: 0 }, [])!;
    const axis = heatmapAxis(view);
    const px = heatPixels(view, axis, view.maxUsd);
    const lit = px.some((v, i) => i % 3 === 1 && v > 100);
    expect(lit).toBe(true);
    const w = CHART_WIDTH - HEATMAP_PLOT.left - HEATMAP_PLOT.right;
    const h = CHART_HEIGHT - HEATMAP_PLOT.top - HEATMAP_PLOT.bottom;
    const at = (price: number) => {
      const y = Math.floor(((axis.max - price) / (axis.max - axis.min)) * h);
      const o = (y * w + (w - 1)) * 3;
      return [px[o], px[o + 1], px[o + 2]];
    };
    // at the price (traded through in the newest slice): background; 2 % below: a long band, lit
    expect(at(view.price)).toEqual([HEAT_RAMP[0], HEAT_RAMP[1], HEAT_RAMP[2]]);
    expect(at(view.price * 0.98)).not.toEqual([HEAT_RAMP[0], HEAT_RAMP[1], HEAT_RAMP[2]]);
    const opt = heatmapChartOption(view) as { title: { subtext: string } };
    expect(opt.title.subtext).toMatch(/^Estimated, not observed · Binance · data age/);
  });

  it('PEPE: the axis and the price line read in the same ×10⁻⁶ unit', () => {
    const view = gridFor(0.00001059).view({ symbol: 'PEPE', window: '6h', venues: ['binance', 'bybit'], dataAgeMs: 1000 }, [])!;
    const opt = heatmapChartOption(view) as { yAxis: { name: string }; series: { markLine: { data: { label: { formatter: string } }[] } }[] };
    expect(opt.yAxis.name).toBe('Price (USD × 10⁻⁶)');
    expect(opt.series[0]!.markLine.data[0]!.label.formatter).toMatch(/^10\.\d+$/);
  });
});
