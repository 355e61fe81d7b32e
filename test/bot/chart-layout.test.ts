/**
 * The chart layout as data: which labels are drawn on which row, which are dropped, where zone
 * shadings start and stop and where they run off the chart, the axis ticks and titles. Snapshots
 * cover a crowded map, a crowded plan, and the same at PEPE scale; the invariants below hold for
 * any input.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { exitChartLayout, zonesChartLayout } from '../../src/bot/charts.ts';
import { labelWidth, layoutLabels, niceStep, priceAxis, shadeZones, type PriceChartLayout } from '../../src/bot/chart-layout.ts';
import { clearPriceTicks, formatPrice, setPriceTick } from '../../src/format/numbers.ts';
import { crowdedPlan, crowdedSnapshot } from '../../testkit/chart-cases.ts';

afterEach(() => clearPriceTicks());

/** The decisions, rounded to whole pixels so the snapshot reads as a layout, not floats. */
function decisions(l: PriceChartLayout, symbol: string) {
  return {
    axis: { title: l.axis.title, ticks: l.axis.ticks.map((t) => t.label).join(' | ') },
    lineLabels: l.lineLabels.map((x) => `${x.text} @${Math.round(x.x)}px ${x.row === undefined ? 'dropped' : `row ${x.row}`}`),
    zoneLabels: l.zoneLabels.map((x) => `${x.text} @${Math.round(x.x)}px ${x.row === undefined ? 'dropped' : `row ${x.row}`}`),
    shading: l.shading.map((s) => `${s.side} ${formatPrice(s.from, symbol)}–${formatPrice(s.to, symbol)}${s.continuesLeft ? ' ◀ continues' : ''}${s.continuesRight ? ' continues ▶' : ''}`),
    notes: l.notes,
    prices: l.prices,
  };
}

function assertInvariants(l: PriceChartLayout): void {
  for (const labels of [l.lineLabels, l.zoneLabels]) {
    const shown = labels.filter((x) => x.row !== undefined);
    for (const a of shown)
      for (const b of shown) {
        if (a === b || a.row !== b.row) continue;
        const apart = Math.abs(a.x - b.x) >= (labelWidth(a.text) + labelWidth(b.text)) / 2;
        expect(apart, `${a.text} and ${b.text} overlap on row ${a.row}`).toBe(true);
      }
  }
  const spans = [...l.shading].sort((a, b) => a.from - b.from);
  for (let i = 1; i < spans.length; i++) expect(spans[i]!.from).toBeGreaterThan(spans[i - 1]!.to);
  for (const s of spans) {
    expect(s.from).toBeGreaterThanOrEqual(l.axis.min);
    expect(s.to).toBeLessThanOrEqual(l.axis.max);
  }
}

describe('chart layout snapshots', () => {
  it('crowded map: zone labels staggered on two rows, shadings cut apart, zones off the edge marked', () => {
    setPriceTick('ETH', 0.01);
    const snap = crowdedSnapshot('ETH', 3150);
    const layout = zonesChartLayout(snap);
    assertInvariants(layout);
    expect(decisions(layout, 'ETH')).toMatchSnapshot();
  });

  it('crowded plan: line labels staggered (liq/stop, entry/price, T1/T2), zone labels off the lines', () => {
    setPriceTick('ETH', 0.01);
    const snap = crowdedSnapshot('ETH', 3150);
    const layout = exitChartLayout(snap, crowdedPlan(snap));
    assertInvariants(layout);
    expect(decisions(layout, 'ETH')).toMatchSnapshot();
    // No plan line strikes through a shown zone label.
    const lines = layout.lineLabels.map((x) => x.x);
    for (const z of layout.zoneLabels.filter((x) => x.row !== undefined)) {
      const half = labelWidth(z.text) / 2;
      const struck = lines.filter((x) => x > z.x - half && x < z.x + half);
      if (struck.length) expect.soft(struck, `${z.text} struck by a line`).toEqual([]);
    }
  });

  it('PEPE scale: axis ×10⁻⁶ with the unit in its title, subscript-zero prices in the text', () => {
    setPriceTick('PEPE', 1e-10);
    const snap = crowdedSnapshot('PEPE', 0.00000996);
    const layout = exitChartLayout(snap, crowdedPlan(snap));
    assertInvariants(layout);
    const d = decisions(layout, 'PEPE');
    expect(d.axis.title).toBe('Price (USD × 10⁻⁶)');
    expect(d.prices).toContain('price 0.0₅9960');
    expect(d.axis.ticks).not.toMatch(/0\.0000/);
    expect(d).toMatchSnapshot();
  });

  it('too many zones: lower-ranked labels are dropped, never the largest', () => {
    const snap = crowdedSnapshot('ETH', 3150);
    // Squeeze every zone into ±0.8 %: far more labels than two rows hold.
    const squeezed = { ...snap, zones: snap.zones.map((z) => ({ ...z, low: snap.price + (z.low - snap.price) / 12, high: snap.price + (z.high - snap.price) / 12 })) };
    const layout = zonesChartLayout(squeezed);
    assertInvariants(layout);
    const rankOf = new Map(squeezed.zones.map((z) => [z.id, z.rank]));
    const dropped = layout.zoneLabels.filter((x) => x.row === undefined);
    expect(dropped.length).toBeGreaterThan(0);
    for (const d of dropped) expect(rankOf.get(d.id)).toBeGreaterThan(1);
  });
});

describe('layout helpers', () => {
  it('niceStep picks 1, 2, 2.5, 5 × 10^k', () => {
    expect([0.7, 1.2, 2.2, 3, 7, 0.0031].map(niceStep)).toEqual([1, 2, 2.5, 5, 10, 0.005]);
  });

  it('priceAxis: labels fit their slots, ticks never round a value', () => {
    const a = priceAxis(3071.2, 3228.9);
    expect(a.title).toBe('Price (USD)');
    expect(a.ticks.map((t) => t.label)).toEqual(['3,050', '3,075', '3,100', '3,125', '3,150', '3,175', '3,200', '3,225', '3,250']);
    const p = priceAxis(0.00000904, 0.00001071);
    expect(p.title).toBe('Price (USD × 10⁻⁶)');
    expect(p.ticks.map((t) => t.label)).toEqual(['9.00', '9.25', '9.50', '9.75', '10.00', '10.25', '10.50', '10.75']);
  });

  it('layoutLabels: staggers then drops by priority', () => {
    const placed = layoutLabels(
      [
        { id: 'a', x: 100, text: 'price', priority: 0 },
        { id: 'b', x: 105, text: 'entry', priority: 3 },
        { id: 'c', x: 110, text: 'stop', priority: 2 },
        { id: 'd', x: 400, text: 'liq', priority: 1 },
      ],
      { rows: 2 },
    );
    expect(placed.map((p) => [p.id, p.row])).toEqual([
      ['a', 0],
      ['b', undefined],
      ['c', 1],
      ['d', 0],
    ]);
  });

  it('shadeZones: overlapping zones are cut apart, off-chart ends flagged', () => {
    const s = shadeZones(
      [
        { id: 'x', low: 90, high: 105 },
        { id: 'y', low: 100, high: 120 },
        { id: 'z', low: 150, high: 400 },
      ],
      { min: 95, max: 200 },
      0,
    );
    expect(s.map((z) => z.id)).toEqual(['x', 'y', 'z']);
    expect(s[0]!.continuesLeft).toBe(true);
    expect(s[0]!.to).toBeLessThan(s[1]!.from);
    expect(s[2]).toMatchObject({ from: 150, to: 200, continuesRight: true });
  });
});

it('priceAxis on a vertical axis (heatmap): only the label height must fit each slot', () => {
  const a = priceAxis(3000, 3300, { lengthPx: 372, labelPx: 16 });
  expect(a.ticks.length).toBeGreaterThanOrEqual(6);
  expect(a.ticks.length).toBeLessThanOrEqual(24);
  const slot = (372 * a.step) / (a.max - a.min);
  expect(slot).toBeGreaterThanOrEqual(16);
});
