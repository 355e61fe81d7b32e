import { describe, expect, it } from 'vitest';
import { register as globalRegistry } from 'prom-client';
import { createMetrics } from '../../src/ops/metrics.ts';

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[2] ?? '').slice(1, -1).split(',').filter(Boolean)) {
      const [k, v] = kv.split('=');
      got[k!] = JSON.parse(v!) as string;
    }
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(m[3]);
  }
  return undefined;
}

describe('createMetrics', () => {
  it('copies hot-path tallies into the events counter on scrape, adding only the new part', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const trades = m.eventTally('binance', 'aggTrade');
    expect(m.eventTally('binance', 'aggTrade')).toBe(trades);
    for (let i = 0; i < 1000; i++) trades.count++;
    m.countEvents('bybit', 'publicTrade', 7);
    let text = await m.text();
    expect(sample(text, 'liqzone_events_total', { venue: 'binance', stream: 'aggTrade' })).toBe(1000);
    expect(sample(text, 'liqzone_events_total', { venue: 'bybit', stream: 'publicTrade' })).toBe(7);
    trades.count += 5;
    text = await m.text();
    expect(sample(text, 'liqzone_events_total', { venue: 'binance', stream: 'aggTrade' })).toBe(1005);
    text = await m.text();
    expect(sample(text, 'liqzone_events_total', { venue: 'binance', stream: 'aggTrade' })).toBe(1005);
  });

  it('computes feed lag and snapshot age at scrape time from the injected clock', async () => {
    let now = 1_000_000;
    const m = createMetrics({ defaultMetrics: false, now: () => now });
    m.noteExchangeTime('binance', 999_000);
    m.noteExchangeTime('binance', 998_000); // older: ignored
    m.noteSnapshot('ETH', 995_000);
    expect(sample(await m.text(), 'liqzone_feed_lag_ms', { venue: 'binance' })).toBe(1000);
    now += 4000;
    const text = await m.text();
    expect(sample(text, 'liqzone_feed_lag_ms', { venue: 'binance' })).toBe(5000);
    expect(sample(text, 'liqzone_snapshot_age_ms', { symbol: 'ETH' })).toBe(9000);
  });

  it('exposes alerts, reconnects, malformed frames, queue depth and command latency', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.reconnects.inc({ venue: 'bybit' });
    m.malformedFrames.inc({ venue: 'binance' }, 3);
    m.alertsDecided.inc({ kind: 'exit-zone', platform: 'telegram' }, 2);
    m.alertsSent.inc({ kind: 'exit-zone', platform: 'telegram' });
    m.alertsFailed.inc({ kind: 'exit-zone', platform: 'telegram' });
    m.onCollect(() => m.deliveryQueueDepth.set(12));
    const end = m.startCommandTimer('zones', 'discord');
    expect(end()).toBeGreaterThanOrEqual(0);
    const text = await m.text();
    expect(sample(text, 'liqzone_reconnects_total', { venue: 'bybit' })).toBe(1);
    expect(sample(text, 'liqzone_malformed_frames_total', { venue: 'binance' })).toBe(3);
    expect(sample(text, 'liqzone_alerts_decided_total', { kind: 'exit-zone', platform: 'telegram' })).toBe(2);
    expect(sample(text, 'liqzone_alerts_sent_total', { kind: 'exit-zone', platform: 'telegram' })).toBe(1);
    expect(sample(text, 'liqzone_alerts_failed_total', { kind: 'exit-zone', platform: 'telegram' })).toBe(1);
    expect(sample(text, 'liqzone_delivery_queue_depth')).toBe(12);
    expect(sample(text, 'liqzone_command_latency_seconds_count', { command: 'zones', platform: 'discord' })).toBe(1);
    expect(text).toContain('# TYPE liqzone_command_latency_seconds histogram');
  });

  it('uses its own registry, with process metrics, and two instances do not collide', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.reconnects.inc({ venue: 'binance' });
    const textB = await b.text();
    expect(sample(textB, 'liqzone_reconnects_total', { venue: 'binance' })).toBeUndefined();
    expect(textB).toContain('liqzone_process_resident_memory_bytes');
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
    expect(a.contentType).toMatch(/^text\/plain/);
  });
});
