import { describe, expect, it } from 'vitest';
import { createChartService, exitChartOption, renderChartSvg, zonesChartOption } from '../../src/bot/charts.ts';
import { makePlan, makeSnapshot } from '../../testkit/chat-services.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(png: Buffer): { width: number; height: number } {
  // IHDR is the first chunk: width and height are big-endian at bytes 16 and 20.
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('chart service', () => {
  it('renders a /zones liquidation map as a PNG of sane size', async () => {
    const charts = createChartService();
    const image = charts.zonesChart(makeSnapshot('ETH', 3150, 1));
    expect(image.name).toBe('zones-ETH.png');
    const png = await image.render();
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(pngSize(png)).toEqual({ width: 960, height: 540 });
    expect(png.length).toBeGreaterThan(5_000);
    expect(png.length).toBeLessThan(1_000_000);
  });

  it('returns the same buffer for the same symbol and snapshot seq, a new one for a new seq', async () => {
    const charts = createChartService();
    const a = await charts.zonesChart(makeSnapshot('ETH', 3150, 5)).render();
    const b = await charts.zonesChart(makeSnapshot('ETH', 3150, 5)).render();
    expect(b).toBe(a);
    const c = await charts.zonesChart(makeSnapshot('ETH', 3150, 6)).render();
    expect(c).not.toBe(a);
    expect(charts.cachedCount()).toBe(2);
  });

  it('evicts the least recently used chart beyond the cache size', async () => {
    const charts = createChartService({ cacheSize: 1 });
    const first = await charts.zonesChart(makeSnapshot('ETH', 3150, 1)).render();
    await charts.zonesChart(makeSnapshot('BTC', 97000, 1)).render();
    expect(charts.cachedCount()).toBe(1);
    const again = await charts.zonesChart(makeSnapshot('ETH', 3150, 1)).render();
    expect(again).not.toBe(first);
  });

  it('draws the exit plan lines and caches per plan', async () => {
    const charts = createChartService();
    const snapshot = makeSnapshot('ETH', 3150, 2);
    const plan = makePlan(snapshot);
    const png = await charts.exitChart(snapshot, plan).render();
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(await charts.exitChart(snapshot, plan).render()).toBe(png);
    const short = makePlan(snapshot, { side: 'short', entry: 3170 });
    expect(await charts.exitChart(snapshot, short).render()).not.toBe(png);

    const svg = await renderChartSvg(exitChartOption(snapshot, plan));
    for (const label of ['entry', 'T1', 'stop', 'liq', 'price', 'Estimated']) expect(svg).toContain(label);
  });

  it('labels the chart with symbol, estimate wording, venues and data age', async () => {
    const svg = await renderChartSvg(zonesChartOption(makeSnapshot('SOL', 180, 1)));
    expect(svg).toContain('SOL liquidation map');
    expect(svg).toContain('Estimated, not observed');
    expect(svg).toContain('Binance + Bybit');
    expect(svg).toContain('data age 2s');
    expect(svg).toContain('#1 $81M');
  });

  it('renders an empty map with a note instead of failing', async () => {
    const empty = { ...makeSnapshot('ETH', 3150, 9), bins: [], zones: [] };
    const svg = await renderChartSvg(zonesChartOption(empty));
    expect(svg).toContain('No estimated liquidation levels yet');
    const png = await createChartService().zonesChart(empty).render();
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  });

  it('shows tiny prices (PEPE) with their real digits', async () => {
    const svg = await renderChartSvg(zonesChartOption(makeSnapshot('PEPE', 0.00001234, 1)));
    expect(svg).toContain('price 0.0₄1234');
    expect(svg).toContain('Price (USD × 10⁻⁶)');
  });

});

describe('observed Hyperliquid clusters on the /zones chart', () => {
  it('are their own diamond marks (legend, subtitle), never added to the estimated bars', async () => {
    const snap = makeSnapshot('ETH', 3150, 1);
    const z = snap.zones[0]!;
    const observedZone = { ...z, id: 'ETH:OBS:L:1', notionalUsd: 40_000 };
    const withObs = { ...snap, observed: { zones: [observedZone], positions: 7, usd: 50_000, accounts: 12, leverageMix: [], snapshot: snap } };
    const plain = zonesChartOption(snap) as { series: { name: string; data: unknown[] }[]; legend: { data: string[] } };
    const opt = zonesChartOption(withObs) as { series: { name: string; type: string; data: { value: number[] }[] }[]; legend: { data: string[] }; title: { subtext: string } };
    expect(plain.series.map((s) => s.name)).not.toContain('Observed (Hyperliquid)');
    const series = opt.series.find((s) => s.name === 'Observed (Hyperliquid)')!;
    expect(series.type).toBe('scatter');
    expect(series.data).toHaveLength(1);
    expect(opt.legend.data).toContain('Observed (Hyperliquid)');
    expect(opt.title.subtext).toContain('observed on Hyperliquid: 7 positions');
    // the estimated bars are the same with or without observed positions
    expect(opt.series.find((s) => s.name === 'Long liquidations')!.data).toEqual(plain.series.find((s) => s.name === 'Long liquidations')!.data);
    expect(await renderChartSvg(zonesChartOption(withObs))).toContain("<svg");
  });
});
