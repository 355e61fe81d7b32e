import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/bot/command.ts';
import { ManualClock } from '../../src/notify/clock.ts';
import { RecordingAlertSender } from '../../src/notify/recording.ts';
import { openStore } from '../../src/store/store.ts';
import { FakeZones } from './helpers.ts';
import { harness, T0 } from './setup.ts';

const dir = mkdtempSync(join(tmpdir(), 'liqzone-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const discordUser: Caller = { platform: 'discord', userId: '1001', chatId: 'dm', isPrivate: true, canManage: true };

/** First process: subscribe, change a setting, price enters the band; the send never completes. */
async function firstLife(file: string, sender: RecordingAlertSender, clock: ManualClock, zones: FakeZones) {
  const store = await openStore(`sqlite://${file}`);
  const h = await harness({ store, sender, clock, zones });
  zones.setZones('ETH', [{ id: 'ETH:S:3100', side: 'short', low: 3100, high: 3120, usd: 40e6 }]);
  zones.setPrice('ETH', 3000);
  expect((await h.cmd(discordUser, 'subscribe', { symbol: 'ETH' })).ok).toBe(true);
  expect((await h.cmd(discordUser, 'alerts', { percent: 1.2 }, 'proximity')).ok).toBe(true);
  await h.notifier.tick();
  zones.setPrice('ETH', 3070);
  const r = await h.notifier.tick();
  expect(r.messages).toBe(1);
  // Let the queue reach the (hanging) send.
  for (let i = 0; i < 50 && sender.calls.length === 0; i++) await new Promise((res) => setTimeout(res, 5));
  expect(sender.calls).toHaveLength(1);
  // "Crash": abandon this notifier without stop(); only release the file handle.
  await store.close();
}

/** Second process on the same file: recover, keep ticking with price still inside the band. */
async function secondLife(file: string, sender: RecordingAlertSender, clock: ManualClock, zones: FakeZones) {
  const h = await harness({ url: `sqlite://${file}`, sender, clock, zones });
  const ticks = [];
  for (let i = 0; i < 3; i++) {
    clock.advanceBy(10_000);
    zones.setPrice('ETH', 3070 + i);
    ticks.push(await h.step());
  }
  const subs = await h.cmd(discordUser, 'subscriptions');
  const settings = await h.cmd(discordUser, 'alerts', {}, 'show');
  await h.close();
  return { ticks, subs, settings };
}

describe('crash and restart on the same sqlite file', () => {
  it('between decide and send: exactly one alert, subscriptions and settings survive', async () => {
    const file = join(dir, 'a.sqlite');
    const clock = new ManualClock(T0);
    const zones = new FakeZones();
    const crashed = new RecordingAlertSender('discord', { now: clock.now, behavior: () => 'hang-before' });
    await firstLife(file, crashed, clock, zones);
    expect(crashed.delivered).toHaveLength(0);

    const fresh = new RecordingAlertSender('discord', { now: clock.now });
    const { ticks, subs, settings } = await secondLife(file, fresh, clock, zones);
    expect(fresh.delivered).toHaveLength(1);
    expect(fresh.delivered[0]!.reply.title).toBe('ETH: near a short-liquidation zone');
    expect(fresh.delivered[0]!.idempotencyKey).toBe(crashed.calls[0]!.idempotencyKey);
    // The restored band state means no new entry, so nothing new is even considered.
    expect(ticks.map((t) => t.entered)).toEqual([0, 0, 0]);
    expect(subs.data).toMatchObject({ personal: { symbols: ['ETH'] } });
    expect(settings.data).toMatchObject({ settings: { proximityPct: 1.2 } });
  });

  it('between send and mark: re-sent with the same idempotency key, seen once where the platform dedupes', async () => {
    const file = join(dir, 'b.sqlite');
    const clock = new ManualClock(T0);
    const zones = new FakeZones();
    // One platform across both lives (like Discord honoring message nonces).
    const platform = new RecordingAlertSender('discord', { now: clock.now, honorIdempotencyKey: true, behavior: () => 'hang-after' });
    await firstLife(file, platform, clock, zones);
    expect(platform.delivered).toHaveLength(1);
    platform.behavior = undefined;
    await secondLife(file, platform, clock, zones);
    expect(platform.calls).toHaveLength(2);
    expect(platform.calls[1]!.idempotencyKey).toBe(platform.calls[0]!.idempotencyKey);
    expect(platform.delivered).toHaveLength(1);
  });

  it('between send and mark without platform dedupe: at-least-once (the same message re-sent, never a new decision)', async () => {
    const file = join(dir, 'c.sqlite');
    const clock = new ManualClock(T0);
    const zones = new FakeZones();
    const platform = new RecordingAlertSender('discord', { now: clock.now, behavior: () => 'hang-after' });
    await firstLife(file, platform, clock, zones);
    platform.behavior = undefined;
    await secondLife(file, platform, clock, zones);
    expect(platform.delivered).toHaveLength(2);
    expect(new Set(platform.delivered.map((d) => d.idempotencyKey)).size).toBe(1);
  });

  it('a lost band state still cannot double an alert: the ledger suppresses it', async () => {
    const file = join(dir, 'd.sqlite');
    const clock = new ManualClock(T0);
    const zones = new FakeZones();
    const first = new RecordingAlertSender('discord', { now: clock.now });
    const store = await openStore(`sqlite://${file}`);
    const h1 = await harness({ store, sender: first, clock, zones });
    zones.setZones('ETH', [{ id: 'ETH:S:3100', side: 'short', low: 3100, high: 3120, usd: 40e6 }]);
    zones.setPrice('ETH', 3000);
    await h1.cmd(discordUser, 'subscribe', { symbol: 'ETH' });
    await h1.cmd(discordUser, 'alerts', { minutes: 0 }, 'cooldown');
    await h1.step();
    zones.setPrice('ETH', 3080);
    await h1.step();
    expect(first.delivered).toHaveLength(1);
    await store.kv('notify-bands', { indexed: false }).delete('ETH');
    await h1.close();

    const second = new RecordingAlertSender('discord', { now: clock.now });
    const h2 = await harness({ url: `sqlite://${file}`, sender: second, clock, zones });
    clock.advanceBy(60_000);
    const r = await h2.step();
    expect(r.entered).toBe(1);
    expect(r.suppressed.duplicate).toBe(1);
    expect(second.delivered).toHaveLength(0);
    await h2.close();
  });
});
