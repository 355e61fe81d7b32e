/**
 * Position alerts end to end through the real notifier (outbox, ledger, queue, quiet hours, mute)
 * on a manual clock: once per approach, urgent through quiet hours and mutes, personal only,
 * and surviving a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/notify/clock.ts';
import { Notifier } from '../../src/notify/notifier.ts';
import { RecordingAlertSender } from '../../src/notify/recording.ts';
import type { AlertSource } from '../../src/notify/sources.ts';
import { openStore } from '../../src/store/store.ts';
import type { PositionSide } from '../../src/market/types.ts';
import { tgGroupAdmin } from '../notify/setup.ts';
import { positionHarness, T0, TARGETS, type PositionHarness } from './harness.ts';
import { mirror, PlanningZones, tgPrivate, type ZoneSpec } from './support.ts';

let h: PositionHarness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const user = tgPrivate();
const personal = { platform: 'telegram' as const, kind: 'user' as const, id: user.userId };

async function withPosition(side: PositionSide, extra: Parameters<typeof positionHarness>[0] = {}) {
  const m = mirror(side);
  const zones = extra.zones ?? new PlanningZones();
  zones.set('ETH', m.p(3000), TARGETS.map(m.zone));
  h = await positionHarness({ ...extra, zones });
  const added = await h.cmd(user, 'position', { symbol: 'ETH', side, entry: 3000, leverage: 20 }, 'add');
  expect(added.ok).toBe(true);
  const hh = h;
  return { h: hh, m, walk: async (prices: number[], zs?: ZoneSpec[]) => {
    for (const p of prices) await hh.step(m.p(p), zs?.map(m.zone));
  } };
}

describe.each(['long', 'short'] as const)('position alerts through the notifier: %s', (side) => {
  it('walks to the target then toward liquidation: the target alert and the urgent alert, once each', async () => {
    const { h, walk } = await withPosition(side);
    await walk([3000, 3040, 3080, 3090, 3075, 3060, 3020, 2980, 2950, 2920, 2900, 2895, 2890, 2893]);
    const alerts = h.positionAlerts();
    expect(alerts.map((a) => a.payload.event)).toEqual(['target-near', 'stop-crossed', 'liquidation-near']);
    for (const a of alerts) expect(a.dest).toBe('telegram:user:918273645');
    const [target, stop, urgent] = h.sender.delivered;
    expect(target!.reply.title).toMatch(new RegExp(`^ETH ${side} #1: near your take-profit TP1 `));
    expect(stop!.reply.title).toMatch(new RegExp(`^URGENT · ETH ${side} #1: stop .* crossed$`));
    expect(target!.reply.text).toMatch(/Plan: price .* · TP1 .* · liq /);
    expect(target!.reply.buttons).toContainEqual({ action: '/position plan 1', label: 'Plan #1' });
    expect(urgent!.reply.title).toBe(`URGENT · ETH ${side} #1: close to liquidation`);
    expect(urgent!.silent).toBe(false);
    expect(urgent!.reply.fields?.[0]).toMatchObject({ name: 'Plan' });
  });

  it('target reached, cascade and conflict alerts carry the plan and the plan button', async () => {
    const { h, walk } = await withPosition(side);
    await walk([3000, 3080, 3110, 3125]);
    const cluster: ZoneSpec = { id: 'ETH:L:2940', side: 'long', low: 2940, high: 2950, usd: 12e6, rank: 1 };
    await walk([3100], [...TARGETS, cluster]);
    h.signal.conflicted = true;
    await walk([3100]);
    await walk([3100]); // still conflicted: nothing new
    expect(h.positionAlerts().map((a) => a.payload.event)).toEqual(['target-near', 'target-reached', 'cascade', 'conflict']);
    for (const d of h.sender.delivered) {
      expect(d.reply.text).toContain('Plan: price');
      expect(d.reply.buttons?.[0]).toEqual({ action: '/position plan 1', label: 'Plan #1' });
    }
    expect(h.sender.delivered[1]!.reply.text).toMatch(/reached your TP1 .* at 12:00:\d\d UTC .*Next target: TP2 (3,199|2,800)/);
  });
});

describe('lifecycle on the stored plan', () => {
  it.each(['long', 'short'] as const)('%s: target reached → stop crossed → liquidation crossed, each once across restarts, the stored plan unchanged', async (side) => {
    dir = mkdtempSync(join(tmpdir(), 'liqzone-lifecycle-'));
    const url = `sqlite://${join(dir, 'store.sqlite')}`;
    const m = mirror(side);
    const clock = new ManualClock(T0);
    const zones = new PlanningZones();
    zones.set('ETH', m.p(3000), TARGETS.map(m.zone));
    const sender = new RecordingAlertSender('telegram', { now: clock.now });
    h = await positionHarness({ url, clock, zones, sender });
    expect((await h.cmd(user, 'position', { symbol: 'ETH', side, entry: 3000, leverage: 20 }, 'add')).ok).toBe(true);
    const [added] = await h.positions.repo.list('telegram', user.userId);
    const plan = added!.plan!;
    // Long view: TP1 3,099.25, TP2 3,199.25, stop 2,970, liquidation 2,861.45 (mirrored for the short).
    expect(plan.targets.map(m.p)).toEqual([3099.25, 3199.25]);
    expect(m.p(plan.stop!)).toBe(2970);

    const walk = async (prices: number[]) => {
      for (const p of prices) await h!.step(m.p(p));
    };
    const restart = async () => {
      await h!.close();
      h = await positionHarness({ url, clock, zones, sender });
    };
    await walk([3050, 3110, 3120]); // through TP1 (no approach tick: reached at once)
    await restart();
    await walk([3100, 3000, 2965, 2960]); // back down through the stored stop
    await restart();
    await walk([2950, 2855, 2840, 2990, 2850]); // through the liquidation price; nothing after
    await restart();
    await walk([2845]);

    const events = h.positionAlerts().map((a) => a.payload.event);
    expect(events).toEqual(['target-reached', 'stop-crossed', 'liquidation-crossed']);
    const texts = h.sender.delivered.map((d) => d.reply.text);
    expect(texts[0]).toMatch(/reached your TP1 .* at 12:00:20 UTC .*Next target: TP2/);
    expect(texts[1]).toMatch(new RegExp(`Your stop ${side === 'long' ? '2,970' : '3,030'}(\\.0+)? was crossed at 12:01:\\d\\d UTC`));
    expect(texts[2]).toMatch(/crossed your estimated liquidation price .* likely liquidated/);
    expect(h.sender.delivered.map((d) => (d.reply.data as { kind: string }).kind)).toEqual(['position-target', 'position-stop', 'position-liquidation']);
    expect(h.sender.delivered.slice(1).every((d) => !d.silent && /^URGENT/.test(d.reply.title ?? ''))).toBe(true);

    const [after] = await h.positions.repo.list('telegram', user.userId);
    expect(after!.plan).toEqual(plan);
    expect(after!.likelyLiquidatedAt).toBeGreaterThan(T0);
    const list = await h.cmd(user, 'position', {}, 'list');
    expect(list.text).toMatch(/#1 ETH .* LIKELY LIQUIDATED/);
  });
});

describe('quiet hours and mutes', () => {
  it('an urgent alert breaks through quiet hours with notification while the others arrive silently', async () => {
    const { h, walk } = await withPosition('long');
    await h.store.settings.update(personal, { quietHours: { start: 11, end: 14 } }); // T0 is 12:00 UTC
    await walk([3000, 3080]);
    const cluster: ZoneSpec = { id: 'ETH:L:2880', side: 'long', low: 2880, high: 2890, usd: 12e6, rank: 1 };
    await walk([3000, 2905], TARGETS); // through the stop and close to liquidation: seen in one snapshot
    // One tick: a cluster forms before the liquidation price, and the next snapshot confirms the urgent ones.
    const r = await h.step(2900, [...TARGETS, cluster]);
    expect(r.messages).toBe(2);
    const byEvent = Object.fromEntries(h.positionAlerts().map((a) => [a.payload.event, a.silent]));
    expect(byEvent).toEqual({ 'target-near': true, cascade: true, 'stop-crossed': false, 'liquidation-near': false });
    // The urgent alerts travel on their own, so their notification is not shared with the silent ones.
    const urgent = h.sender.delivered.find((d) => !d.silent)!;
    expect((urgent.reply.data as { alerts: { urgent: boolean }[] }).alerts.map((a) => a.urgent)).toEqual([true, true]);
  });

  it('a mute holds the other alerts until it ends; the urgent one is delivered at once', async () => {
    const { h, walk } = await withPosition('long');
    await h.store.settings.update(personal, { mutedUntil: T0 + 3_600_000 });
    await walk([3000]);
    const r1 = await h.step(3080);
    expect(r1.held).toBe(1);
    expect(h.sender.delivered).toHaveLength(0);
    await walk([3000, 2950, 2900, 2895]);
    expect(h.positionAlerts().map((a) => a.payload.event)).toEqual(['stop-crossed', 'liquidation-near']);
    h.clock.advanceBy(3_600_000);
    await walk([2910]);
    expect(h.positionAlerts().map((a) => a.payload.event)).toEqual(['stop-crossed', 'liquidation-near', 'target-near']);
    expect(h.sender.delivered[2]!.reply.text).toMatch(/Held while muted/);
  });

  it('the daily cap stops the other alerts but never the urgent one', async () => {
    const { h, walk } = await withPosition('long');
    await h.store.settings.update(personal, { dailyCap: 1 });
    await walk([3000, 3080]); // uses the day's only message
    h.signal.conflicted = true;
    await walk([3080]);
    await walk([3000, 2900, 2895]);
    expect(h.positionAlerts().map((a) => a.payload.event)).toEqual(['target-near', 'stop-crossed', 'liquidation-near']);
  });
});

describe('privacy', () => {
  it('nothing about a position reaches a channel or group, while the group still gets its market alerts', async () => {
    const { h, walk } = await withPosition('long');
    const sub = await h.subscriptions.handle('subscribe', tgGroupAdmin(), { symbol: 'ETH', where: 'here' });
    expect(sub.ok).toBe(true);
    await walk([3000, 3080, 3000, 2900]);
    const toGroup = h.sender.calls.filter((c) => c.dest.kind === 'channel');
    expect(toGroup.length).toBeGreaterThan(0);
    for (const c of h.sender.calls) {
      const alerts = (c.reply.data as { alerts: { kind: string }[] }).alerts;
      if (c.dest.kind === 'channel') {
        expect(alerts.every((a) => a.kind !== 'position')).toBe(true);
        expect(`${c.reply.title} ${c.reply.text}`).not.toMatch(/#1|position|liquidation price/i);
      }
      if (alerts.some((a) => a.kind === 'position')) expect(c.dest).toEqual(personal);
    }
  });

  it('a source proposing a channel destination is refused by the notifier', async () => {
    const store = await openStore('memory:');
    const clock = new ManualClock(T0);
    const sender = new RecordingAlertSender('telegram', { now: clock.now });
    const rogue: AlertSource = {
      name: 'rogue',
      collect: async ({ t }) => [
        {
          dest: { platform: 'telegram', kind: 'channel', id: '-100555' },
          key: 'rogue',
          symbol: 'ETH',
          urgent: true,
          payload: { kind: 'position', event: 'liquidation-near', symbol: 'ETH', t, positionId: 1, urgent: true, title: 'x', text: 'x', line: 'x', buttons: [] },
        },
      ],
    };
    const notifier = new Notifier({ store, zones: new PlanningZones(), senders: [sender], now: clock.now, sleep: clock.sleep, sources: [rogue] });
    const r = await notifier.tick();
    await notifier.delivery.idle();
    expect(r.suppressed['not-personal']).toBe(1);
    expect(r.messages).toBe(0);
    expect(sender.calls).toHaveLength(0);
    await notifier.stop();
    await store.close();
  });
});

describe('restart', () => {
  it('positions and their alert state survive a restart (sqlite): no repeat, the next alert still fires once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'liqzone-positions-'));
    const url = `sqlite://${join(dir, 'store.sqlite')}`;
    const clock = new ManualClock(T0);
    const zones = new PlanningZones();
    zones.set('ETH', 3000, TARGETS);
    const sender = new RecordingAlertSender('telegram', { now: clock.now });
    h = await positionHarness({ url, clock, zones, sender });
    expect((await h.cmd(user, 'position', { symbol: 'ETH', side: 'long', entry: 3000, leverage: 20 }, 'add')).ok).toBe(true);
    expect((await h.cmd(user, 'position', { symbol: 'ETH', side: 'short', entry: 3050, leverage: 5, size: 2500 }, 'add')).ok).toBe(true);
    await h.step(3080);
    expect(h.positionAlerts().map((a) => a.payload.event)).toEqual(['target-near']);
    await h.close();

    h = await positionHarness({ url, clock, zones, sender });
    const list = await h.cmd(user, 'position', {}, 'list');
    expect(list.text).toMatch(/#1 ETH long 3,000 × 20x/);
    expect(list.text).toMatch(/#2 ETH short 3,050 × 5x · \$2.5k binance/);
    await h.step(3082);
    await h.step(3075);
    expect(h.positionAlerts().map((a) => a.payload.event)).toEqual(['target-near']);
    for (const p of [3000, 2950, 2900, 2895]) await h.step(p);
    expect(h.positionAlerts().map((a) => `${a.payload.positionId}:${a.payload.event}`)).toEqual(['1:target-near', '1:stop-crossed', '1:liquidation-near']);
    // A new position after the restart does not reuse an id.
    const added = await h.cmd(user, 'position', { symbol: 'ETH', side: 'long', entry: 2900, leverage: 3 }, 'add');
    expect(added.title).toMatch(/^Position #3/);
  });
});
