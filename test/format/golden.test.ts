/**
 * Golden: one value, one rendering — the /zones reply, an alert and a chart label print the same
 * price, band, USD size, score and confidence, all through src/format.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { signalReply } from '../../commands/signal.ts';
import { zonesReply } from '../../commands/zones.ts';
import { zonesChartOption } from '../../src/bot/charts.ts';
import type { SignalSnapshot, ZoneSnapshot } from '../../src/engine/types.ts';
import { clearPriceTicks, setPriceTick } from '../../src/format/numbers.ts';
import { renderAlerts } from '../../src/notify/render.ts';
import { proximityPayload, timeframeContext } from '../../src/notify/rules.ts';
import { makeSnapshot } from '../../testkit/chat-services.ts';

beforeEach(() => setPriceTick('ETH', 0.01));
afterEach(() => clearPriceTicks());

function snapshotWithZone(): ZoneSnapshot {
  const base = makeSnapshot('ETH', 3142.345, 1);
  const zones = base.zones.map((z, i) => (i === 0 ? { ...z, low: 3180.004, high: 3199.996, notionalUsd: 12_540_000, rank: 1 } : z));
  return { ...base, zones };
}

function chartText(snap: ZoneSnapshot): string {
  return JSON.stringify(zonesChartOption(snap));
}

it('a price, a band and a USD size read the same in /zones, an alert and the chart', () => {
  const snap = snapshotWithZone();
  const zone = snap.zones[0]!;
  const zones = zonesReply(snap, undefined, undefined).text;
  const alert = renderAlerts([proximityPayload(snap, zone, undefined)]).text;
  const chart = chartText(snap);
  for (const text of [zones, alert, chart]) {
    expect(text).toContain('3,142.35');
    expect(text).toContain('$12.5M');
    expect(text).not.toMatch(/\$13M|3,142\.34/);
  }
  for (const text of [zones, alert]) expect(text).toContain('3,180.00–3,200.00');
});

it('scores and confidence read the same in /signal and in an alert\'s timeframe context', () => {
  const s: SignalSnapshot = {
    symbol: 'ETH',
    mode: 'day',
    t: 0,
    timeframes: [
      { tf: '1m', score: -0.504, strength: 0.504, confidence: 0.794 },
      { tf: '5m', score: 0.2, strength: 0.2, confidence: 0.5 },
      { tf: '1h', score: -0.1, strength: 0.1, confidence: 0.3 },
    ],
    composite: { direction: 'down', score: -0.504, confidence: 0.794 },
    conflicted: false,
    decelerating: false,
    cards: [],
    sizing: 'normal size at most',
  } as unknown as SignalSnapshot;
  const signal = signalReply(s).text;
  const context = timeframeContext(s)!;
  for (const text of [signal, context]) {
    expect(text).toContain('−0.50');
    expect(text).toContain('confidence 79%');
    expect(text).not.toMatch(/-0\.5|0\.79/);
  }
});

it('the observed Hyperliquid sample reads "1 position" and "<1%", the same in /zones and on the chart', () => {
  const base = snapshotWithZone();
  const z = base.zones[0]!;
  const observed = { zones: [{ ...z, id: 'ETH:OBS:S:1', notionalUsd: 1310 }], positions: 1, usd: 1310, accounts: 1, coverage: 0.0004, leverageMix: [], snapshot: base };
  const snap = { ...base, observed } as ZoneSnapshot;
  const text = zonesReply(snap, undefined, undefined).text;
  expect(text).toMatch(/Observed on Hyperliquid: 1 position, ~\$1\.31k, .*of 1 polled account, <1% of its open interest;/);
  expect(chartText(snap)).toContain('observed on Hyperliquid: 1 position');
  expect(chartText(snap)).not.toContain('1 positions');
});
