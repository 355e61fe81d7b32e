import { afterEach, describe, expect, it } from 'vitest';
import type { VenueStatus } from '../../src/bot/services.ts';
import { assessHealth, startHealthServer, withChatHealth, type HealthReport, type HealthServer } from '../../src/ops/health-server.ts';

function venue(name: VenueStatus['venue'], ages: (number | null)[], state = 'open'): VenueStatus {
  return {
    venue: name,
    connections: [{ name: 'market', state, reconnects: 0 }],
    streams: ages.map((a, i) => ({ name: `s${i}`, lastMessageAgeMs: a, silent: i === 1 })),
    symbolsLive: ['ETH'],
    skipped: [],
    rest: { weightUsed: 0, weightLimit: 2400 },
    malformedFrames: 0,
  };
}

describe('assessHealth', () => {
  it('judges a venue by its freshest stream against its bound', () => {
    const r = assessHealth([venue('binance', [900, 120_000]), venue('bybit', [45_000, null])], 1e6, { staleMs: 30_000 });
    expect(r.healthy).toBe(false);
    expect(r.venues[0]).toMatchObject({ venue: 'binance', healthy: true, lastMessageAgeMs: 900, boundMs: 30_000, state: 'market: open', silentStreams: ['s1'] });
    expect(r.venues[1]).toMatchObject({ venue: 'bybit', healthy: false, lastMessageAgeMs: 45_000 });
    expect(r.venues[1]!.reason).toMatch(/45 s ago/);
  });

  it('applies per-venue bounds', () => {
    const r = assessHealth([venue('bybit', [45_000])], 0, { staleMs: 30_000, perVenue: { bybit: 60_000 } });
    expect(r.healthy).toBe(true);
    expect(r.venues[0]!.boundMs).toBe(60_000);
  });

  it('tolerates a venue with no message yet only during the startup grace', () => {
    const bounds = { staleMs: 30_000, startedAt: 1_000, startupGraceMs: 60_000 };
    expect(assessHealth([venue('binance', [null])], 30_000, bounds).venues[0]).toMatchObject({ healthy: true, reason: 'starting' });
    const late = assessHealth([venue('binance', [null])], 70_000, bounds);
    expect(late.healthy).toBe(false);
    expect(late.venues[0]!.reason).toMatch(/no message/);
  });

  it('a configured venue that never connected is 503 once the startup grace has passed', () => {
    const bounds = { staleMs: 30_000, startedAt: 1_000, startupGraceMs: 60_000, expected: ['binance', 'bybit'] };
    const early = assessHealth([venue('binance', [500])], 30_000, bounds);
    expect(early.healthy).toBe(true);
    expect(early.venues.find((v) => v.venue === 'bybit')).toMatchObject({ healthy: true, reason: 'starting' });
    const late = assessHealth([venue('binance', [500])], 70_000, bounds);
    expect(late.healthy).toBe(false);
    expect(late.venues.find((v) => v.venue === 'bybit')).toMatchObject({ healthy: false, state: 'never connected', reason: 'configured but never connected' });
    // No status at all yet (the feeds have not even started): not green after the grace either.
    expect(assessHealth([], 70_000, bounds).healthy).toBe(false);
  });
});

describe('startHealthServer', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers /healthz 200 or 503 with the report, /metrics with text, and 404 elsewhere', async () => {
    let report: HealthReport = { healthy: true, now: 1, venues: [] };
    server = await startHealthServer({ port: 0, health: () => report, metrics: async () => 'liqzone_up 1\n' });
    const base = `http://127.0.0.1:${server.port}`;

    let res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(report);

    report = assessHealth([venue('binance', [120_000])], 5, { staleMs: 30_000 });
    res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as HealthReport).venues[0]!.healthy).toBe(false);

    res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toBe('liqzone_up 1\n');

    res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    await res.text();
    res = await fetch(`${base}/healthz`, { method: 'POST' });
    expect(res.status).toBe(405);
    await res.text();
  });

  it('turns a throwing health source into 503 and a failing metrics source into 500', async () => {
    server = await startHealthServer({
      port: 0,
      health: () => {
        throw new Error('status unavailable');
      },
      metrics: () => Promise.reject(new Error('collector broke')),
    });
    const base = `http://127.0.0.1:${server.port}`;
    const h = await fetch(`${base}/healthz`);
    expect(h.status).toBe(503);
    expect(await h.json()).toMatchObject({ healthy: false, error: 'status unavailable' });
    const m = await fetch(`${base}/metrics`);
    expect(m.status).toBe(500);
    expect(await m.text()).toMatch(/collector broke/);
  });
});

describe('chat platforms in /healthz', () => {
  const base = { healthy: true, now: 1, venues: [] };
  it('a platform whose token was rejected makes it unhealthy; one reconnecting is listed, still healthy', () => {
    const failed = withChatHealth(base, [{ name: 'telegram', state: 'failed', lastError: 'token rejected (check the token)' }, { name: 'discord', state: 'ready' }]);
    expect(failed.healthy).toBe(false);
    expect(failed.chat).toEqual([{ name: 'telegram', state: 'failed', lastError: 'token rejected (check the token)' }, { name: 'discord', state: 'ready' }]);
    const retrying = withChatHealth(base, [{ name: 'telegram', state: 'retrying', lastError: 'another process is polling with this bot token (409 Conflict): run one Telegram poller per token' }]);
    expect(retrying.healthy).toBe(true);
    expect(retrying.degraded).toEqual(['telegram reconnecting: another process is polling with this bot token (409 Conflict): run one Telegram poller per token']);
    expect(withChatHealth(base, [])).toBe(base);
  });
});
