import { afterEach, describe, expect, it } from 'vitest';
import type { SweepEvent } from '../../src/engine/types.ts';
import { conflictEvent, signalSnapshot, type ZoneSpec } from './helpers.ts';
import { harness, T0, tgGroupAdmin, tgUser, type Harness } from './setup.ts';

const ethShort: ZoneSpec = { id: 'ETH:S:3100', side: 'short', low: 3100, high: 3120, usd: 40e6, rank: 1 };
const ethLong: ZoneSpec = { id: 'ETH:L:2900', side: 'long', low: 2880, high: 2900, usd: 30e6, rank: 1 };
const MIN = 60_000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function ethHarness(extra = {}) {
  h = await harness({ extra });
  h.zones.setZones('ETH', [ethShort, ethLong]);
  h.zones.setPrice('ETH', 3000);
  expect((await h.cmd(tgUser(), 'subscribe', { symbol: 'ETH' })).ok).toBe(true);
  return h;
}

describe('notifier: exit-zone proximity', () => {
  it('alerts once on entering the band, with band, size, distance, context and the estimate caveat', async () => {
    const h = await ethHarness({ signals: { snapshot: () => signalSnapshot('ETH', [0.3, 0.2, 0.4], false) } });
    expect((await h.step()).messages).toBe(0);
    for (const p of [3075, 3070, 3078, 3068, 3080]) {
      h.zones.setPrice('ETH', p);
      h.clock.advanceBy(10_000);
      await h.step();
    }
    expect(h.sender.delivered).toHaveLength(1);
    const r = h.sender.delivered[0]!;
    expect(r.dest).toEqual({ platform: 'telegram', kind: 'user', id: '42' });
    expect(r.silent).toBe(false);
    expect(r.reply.title).toBe('ETH: near a short-liquidation zone');
    expect(r.reply.text).toContain('3,100–3,120');
    expect(r.reply.text).toContain('$40M');
    expect(r.reply.text).toMatch(/0\.81% below/);
    expect(r.reply.text).toMatch(/Timeframes: 1m up \+0\.30/);
    expect(r.reply.text).toMatch(/estimates/);
    expect(r.reply.data).toMatchObject({ digest: false, alerts: [{ kind: 'proximity', symbol: 'ETH', zone: { id: 'ETH:S:3100' } }] });
  });

  it('holds the cooldown per destination and symbol', async () => {
    const h = await ethHarness();
    h.zones.setPrice('ETH', 3080);
    await h.step();
    h.clock.advanceBy(5 * MIN);
    h.zones.setPrice('ETH', 2920); // enters the long zone's band: within cooldown
    const r = await h.step();
    expect(r.suppressed.cooldown).toBe(1);
    h.clock.advanceBy(40 * MIN);
    h.zones.setPrice('ETH', 3000);
    await h.step();
    h.zones.setPrice('ETH', 2915); // re-entered after leaving: allowed now
    await h.step();
    expect(h.sender.delivered.map((d) => (d.reply.data as { alerts: { zone: { id: string } }[] }).alerts[0]!.zone.id)).toEqual(['ETH:S:3100', 'ETH:L:2900']);
  });

  it('holds the cooldown per kind: a proximity alert never holds back a conflict warning', async () => {
    const h = await ethHarness();
    h.zones.setPrice('ETH', 3080);
    await h.step();
    h.clock.advanceBy(MIN);
    h.notifier.onSignalEvent(conflictEvent('ETH', 'conflict-start', h.clock.now()));
    const r = await h.step();
    expect(r.suppressed.cooldown).toBeUndefined();
    const kinds = h.sender.delivered.map((d) => (d.reply.data as { kind: string }).kind);
    expect(kinds).toEqual(['proximity', 'conflict']);
  });

  it('holds the daily cap and resets the next UTC day', async () => {
    const h = await ethHarness();
    await h.store.settings.update({ platform: 'telegram', kind: 'user', id: '42' }, { dailyCap: 2, cooldownMin: 0 });
    const swing = async () => {
      for (const p of [3080, 3000, 2920, 3000]) {
        h.zones.setPrice('ETH', p);
        h.clock.advanceBy(MIN);
        await h.step();
      }
    };
    await swing();
    await swing();
    expect(h.sender.delivered).toHaveLength(2);
    expect(h.sender.delivered[1]!.reply.text).toMatch(/Daily alert limit reached/);
    h.clock.t = Date.UTC(2026, 2, 15, 9, 0);
    await swing();
    expect(h.sender.delivered).toHaveLength(4);
  });

  it('delivers silently in quiet hours instead of dropping', async () => {
    const h = await ethHarness();
    expect((await h.cmd(tgUser(), 'alerts', { hours: '22-07' }, 'quiet')).ok).toBe(true);
    h.clock.t = Date.UTC(2026, 2, 14, 23, 15);
    h.zones.setPrice('ETH', 3080);
    await h.step();
    expect(h.sender.delivered).toHaveLength(1);
    expect(h.sender.delivered[0]!.silent).toBe(true);
  });

  it('turns a burst into one digest per destination', async () => {
    h = await harness();
    const specs: Record<string, ZoneSpec> = {
      ETH: ethShort,
      BTC: { id: 'BTC:S:70000', side: 'short', low: 70000, high: 70300, usd: 90e6 },
      SOL: { id: 'SOL:L:140', side: 'long', low: 139, high: 140, usd: 8e6 },
    };
    for (const [s, z] of Object.entries(specs)) {
      h.zones.setZones(s, [z]);
      h.zones.setPrice(s, s === 'SOL' ? 150 : z.low * 0.9);
      await h.cmd(tgUser(), 'subscribe', { symbol: s });
    }
    await h.step();
    h.zones.setPrice('ETH', 3090);
    h.zones.setPrice('BTC', 69800);
    h.zones.setPrice('SOL', 141);
    const r = await h.step();
    expect(r).toMatchObject({ entered: 3, decided: 3, messages: 1 });
    expect(h.sender.delivered).toHaveLength(1);
    const d = h.sender.delivered[0]!.reply;
    expect(d.title).toBe('liqzone: 3 alerts (BTC, ETH, SOL)');
    expect(d.text.split('\n').filter((l) => l.startsWith('• '))).toHaveLength(3);
    expect(d.text).toMatch(/estimates/);
  });

  it('holds alerts while muted and delivers them when the mute ends', async () => {
    const h = await ethHarness();
    expect((await h.cmd(tgUser(), 'alerts', { duration: '1h' }, 'mute')).ok).toBe(true);
    h.zones.setPrice('ETH', 3080);
    expect((await h.step()).held).toBe(1);
    expect(h.sender.delivered).toHaveLength(0);
    h.clock.advanceBy(30 * MIN);
    await h.step();
    expect(h.sender.delivered).toHaveLength(0);
    h.clock.advanceBy(31 * MIN);
    expect((await h.step()).released).toBe(1);
    expect(h.sender.delivered).toHaveLength(1);
    expect(h.sender.delivered[0]!.reply.text).toMatch(/Held while muted since/);
  });

  it('follows settings changes: a tighter band fires later', async () => {
    const h = await ethHarness();
    await h.cmd(tgUser(), 'alerts', { percent: 0.2 }, 'proximity');
    h.zones.setPrice('ETH', 3080);
    await h.step();
    expect(h.sender.delivered).toHaveLength(0);
    h.zones.setPrice('ETH', 3095);
    await h.step();
    expect(h.sender.delivered).toHaveLength(1);
  });

  it('sends channel subscriptions to the channel, personal ones by private chat; unsubscribe stops them', async () => {
    const h = await ethHarness();
    expect((await h.cmd(tgGroupAdmin(), 'subscribe', { symbol: 'ETH', where: 'here' })).ok).toBe(true);
    h.zones.setPrice('ETH', 3080);
    await h.step();
    expect(h.sender.delivered.map((d) => `${d.dest.kind}:${d.dest.id}`).sort()).toEqual(['channel:-100777', 'user:42']);
    await h.cmd(tgUser(), 'unsubscribe', { symbol: 'ETH' });
    h.zones.setPrice('ETH', 2915);
    h.clock.advanceBy(60 * MIN);
    await h.step();
    expect(h.sender.delivered.slice(2).map((d) => d.dest.kind)).toEqual(['channel']);
  });
});

describe('notifier: conflict, sweep and fading alerts', () => {
  it('alerts when timeframes start to conflict and when it resolves (even within cooldown); other modes ignored', async () => {
    const h = await ethHarness();
    h.notifier.onSignalEvent({ ...conflictEvent('ETH', 'conflict-start', T0), mode: 'scalp' });
    expect((await h.step()).events).toBe(0);
    h.notifier.onSignalEvent(conflictEvent('ETH', 'conflict-start', T0));
    await h.step();
    h.clock.advanceBy(2 * MIN);
    h.notifier.onSignalEvent(conflictEvent('ETH', 'conflict-end', T0 + 2 * MIN));
    await h.step();
    const titles = h.sender.delivered.map((d) => d.reply.title);
    expect(titles).toEqual(['ETH: timeframes conflict', 'ETH: timeframes agree again']);
    expect(h.sender.delivered[0]!.reply.text).toMatch(/1m up \+0\.50 · 5m down −0\.40/);
    expect(h.sender.delivered[0]!.reply.text).toMatch(/Nearest zone/);
  });

  it('does not send a resolution to someone who never got the conflict', async () => {
    const h = await ethHarness();
    h.notifier.onSignalEvent(conflictEvent('ETH', 'conflict-end', T0));
    await h.step();
    expect(h.sender.delivered).toHaveLength(0);
  });

  const crossing = (t: number, seq: number, extra: Partial<SweepEvent> = {}): SweepEvent => ({
    symbol: 'ETH', zoneId: 'ETH:L:2900', side: 'long', low: 2880, high: 2900, t, modeledUsd: 30e6, realizedUsd: 0, windowMs: 0, phase: 'crossed', seq, previousT: t - 3000, ...extra,
  });

  it('tells a sweep within a tick of the crossing, once the next snapshot confirms it, saying when it happened', async () => {
    const h = await ethHarness();
    const sweeps = () => h.sender.delivered.filter((d) => (d.reply.data as { kind: string }).kind === 'sweep');
    h.zones.setPrice('ETH', 2875); // the snapshot built at the crossing
    await h.step();
    h.notifier.onSweep(crossing(T0 + 5_000, h.zones.seq));
    await h.step();
    expect(sweeps()).toHaveLength(0); // no newer snapshot yet: waits
    h.zones.setPrice('ETH', 2872);
    h.clock.advanceBy(10_000);
    await h.step();
    expect(sweeps()).toHaveLength(1);
    const r = sweeps()[0]!.reply;
    expect(r.title).toBe('ETH: long zone swept');
    expect(r.text).toMatch(/ETH traded through the long-liquidation zone \(below price\) 2,880–2,900 at 12:00:05 UTC; price now 2,872/);
    expect(r.text).toMatch(/Modeled ~\$30M/);
    expect((r.data as { kind: string }).kind).toBe('sweep');
    // Once per cluster id: the same zone crossing again is not told again, nor is the settled report.
    h.notifier.onSweep(crossing(h.clock.now(), h.zones.seq - 1));
    h.notifier.onSweep({ ...crossing(h.clock.now(), 0), phase: 'settled', realizedUsd: 12e6, windowMs: 5 * MIN });
    h.zones.setPrice('ETH', 2870);
    await h.step();
    expect(sweeps()).toHaveLength(1);
  });

  it('waits while the price is not validated (a lone venue jump awaiting its trades)', async () => {
    const h = await ethHarness();
    const sweeps = () => h.sender.delivered.filter((d) => (d.reply.data as { kind: string }).kind === 'sweep');
    h.zones.setPrice('ETH', 2875);
    h.notifier.onSweep(crossing(T0, h.zones.seq));
    h.zones.validated = false;
    h.zones.setPrice('ETH', 2874);
    await h.step();
    expect(sweeps()).toHaveLength(0);
    h.zones.validated = true;
    h.zones.setPrice('ETH', 2873);
    h.clock.advanceBy(10_000);
    await h.step();
    expect(sweeps()).toHaveLength(1);
  });

  it('drops a crossing the next snapshot does not confirm, or one too old to be news', async () => {
    const h = await ethHarness();
    h.zones.setPrice('ETH', 2875);
    h.notifier.onSweep(crossing(T0, h.zones.seq));
    h.zones.setPrice('ETH', 2990); // back above the zone at once: one bad print, not a sweep
    const r = await h.step();
    expect(r.suppressed.unconfirmed).toBe(1);
    h.notifier.onSweep(crossing(T0 - 5 * MIN, h.zones.seq - 1, { zoneId: 'ETH:L:2850', low: 2840, high: 2850 }));
    h.zones.setPrice('ETH', 2830);
    expect((await h.step()).suppressed.stale).toBe(1);
    expect(h.sender.delivered.filter((d) => (d.reply.data as { kind: string }).kind === 'sweep')).toHaveLength(0);
  });

  it('keeps fading-momentum alerts off by default', async () => {
    const h = await ethHarness();
    const fading = { kind: 'fading' as const, symbol: 'ETH', mode: 'day' as const, t: T0, snapshot: signalSnapshot('ETH', [0.4, 0.3, 0.5], false) };
    h.notifier.onSignalEvent(fading);
    expect((await h.step()).suppressed['kind-off']).toBe(1);
    await h.cmd(tgUser(), 'alerts', { list: 'all' }, 'kinds');
    h.notifier.onSignalEvent({ ...fading, t: T0 + 1 });
    await h.step();
    expect(h.sender.delivered[0]!.reply.text).toMatch(/up momentum is fading .* short-liquidation zone/);
  });
});

describe('notifier: memory stays bounded', () => {
  it('evicts dedupe and cooldown cache entries once they can no longer suppress anything', async () => {
    const h = await ethHarness();
    await h.cmd(tgUser(), 'alerts', { minutes: 0 }, 'cooldown');
    h.zones.setPrice('ETH', 3080);
    await h.step();
    expect(h.notifier.bufferSizes().ledgerCache).toBeGreaterThan(0);
    h.clock.advanceBy(25 * 3_600_000);
    h.zones.setPrice('ETH', 3000);
    await h.step();
    expect(h.notifier.bufferSizes().ledgerCache).toBe(0);
    expect(h.notifier.bufferSizes().lastCache).toBe(0);
  });

  it('forgets band exits older than the dedupe window (zone ids follow price, so they never repeat)', async () => {
    const h = await ethHarness();
    // a day of zones that each appear once: price enters the band, leaves it, the zone moves on
    for (let i = 0; i < 24; i++) {
      h.zones.setZones('ETH', [{ ...ethShort, id: `ETH:S:${3100 + i}` }]);
      h.zones.setPrice('ETH', 3080);
      await h.step();
      h.zones.setPrice('ETH', 3000);
      await h.step();
      h.clock.advanceBy(60 * MIN);
    }
    expect(h.sender.delivered).toHaveLength(24);
    // exits of the last 6 hours (the default dedupe window) and at most one pruning period more
    const rearmed = h.notifier.bufferSizes().rearmed!;
    expect(rearmed).toBeGreaterThan(0);
    expect(rearmed).toBeLessThanOrEqual(7);
  });
});
