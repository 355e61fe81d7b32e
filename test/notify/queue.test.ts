import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, runUntilIdle } from '../../src/notify/clock.ts';
import { DeliveryQueue, type AlertMessage } from '../../src/notify/queue.ts';
import { RecordingAlertSender, type SendBehavior } from '../../src/notify/recording.ts';
import { renderAlerts } from '../../src/notify/render.ts';
import { destinationKey } from '../../src/store/destination.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import type { Destination } from '../../src/store/types.ts';
import { harness, T0, tgGroupAdmin, type Harness } from './setup.ts';

const chat = (id: string): Destination => ({ platform: 'telegram', kind: 'user', id });
const group = (id: string): Destination => ({ platform: 'telegram', kind: 'channel', id });

let seq = 0;
function message(dest: Destination, n: number, t = T0): AlertMessage {
  return {
    id: `m${seq++}`,
    destKey: destinationKey(dest),
    dest,
    createdAt: t,
    keys: [`${destinationKey(dest)}|N|${n}|proximity`],
    alerts: [{ kind: 'notice', symbol: 'ETH', t, title: `#${n}`, text: `message ${n}` }],
    state: 'queued',
    silent: false,
    attempts: 0,
  };
}

let store: Store | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await store?.close();
  await h?.close();
  store = h = undefined;
});

async function queueWith(behavior: SendBehavior, extra: Partial<ConstructorParameters<typeof DeliveryQueue>[0]> = {}) {
  store = await openStore('memory:');
  const clock = new ManualClock(T0);
  const sender = new RecordingAlertSender('telegram', { now: clock.now, behavior });
  const queue = new DeliveryQueue({ senders: [sender], outbox: store.outbox, health: store.health, render: (m) => renderAlerts(m.alerts), now: clock.now, sleep: clock.sleep, ...extra });
  const send = async (msgs: AlertMessage[]) => {
    await store!.outbox.putMany(msgs);
    for (const m of msgs) queue.enqueue(m);
  };
  return { store, clock, sender, queue, send };
}

const titles = (sent: { reply: { title?: string } }[]) => sent.map((s) => s.reply.title);

describe('delivery queue', () => {
  it('waits out a 429 storm and drops nothing, in order, without slowing other chats', async () => {
    let storm = 0;
    const q = await queueWith((dest) => (dest.id === 'a' && storm++ < 8 ? { ok: false, retryAfterMs: 7000, error: '429 Too Many Requests: retry after 7' } : undefined));
    await q.send([...Array.from({ length: 4 }, (_, i) => message(chat('a'), i)), ...Array.from({ length: 4 }, (_, i) => message(chat('b'), i))]);
    await runUntilIdle(q.queue, q.clock);
    const a = q.sender.deliveredTo(chat('a'));
    const b = q.sender.deliveredTo(chat('b'));
    expect(titles(a)).toEqual(['#0', '#1', '#2', '#3']);
    expect(titles(b)).toEqual(['#0', '#1', '#2', '#3']);
    expect(b.map((r) => r.at - T0)).toEqual([0, 1000, 2000, 3000]);
    expect(a[0]!.at - T0).toBe(8 * 7000);
    expect(q.queue.stats).toMatchObject({ sent: 8, rateLimited: 8, dropped: 0, failed: 0 });
    const records = await Promise.all(['m0', 'm1', 'm2', 'm3'].map((id) => q.store.outbox.get(id)));
    expect(records.every((r) => r?.state === 'sent')).toBe(true);
  });

  it('retries transient errors with backoff and gives up on a message only after several tries', async () => {
    const q = await queueWith((dest, _r, n) => (dest.id === 'flaky' && n <= 2 ? { ok: false, error: 'ETIMEDOUT' } : dest.id === 'dead' ? { ok: false, error: '502' } : undefined), { maxTransientAttempts: 3 });
    await q.send([message(chat('flaky'), 0), message(chat('dead'), 0), message(chat('dead'), 1)]);
    await runUntilIdle(q.queue, q.clock);
    expect(titles(q.sender.deliveredTo(chat('flaky')))).toEqual(['#0']);
    expect(q.sender.deliveredTo(chat('dead'))).toHaveLength(0);
    expect(q.queue.stats.failed).toBe(2);
    expect((await q.store.health.get(chat('dead'))).disabled).toBe(false);
  });

  it('paces a group at 20/min and a chat at 1/s, never faster', async () => {
    const q = await queueWith(() => undefined);
    await q.send(Array.from({ length: 25 }, (_, i) => message(group('-1'), i)));
    await runUntilIdle(q.queue, q.clock);
    const at = q.sender.delivered.map((r) => r.at - T0);
    expect(at.slice(0, 3)).toEqual([0, 1000, 2000]);
    expect(at[20]).toBe(60_000);
    expect(titles(q.sender.delivered)).toEqual(Array.from({ length: 25 }, (_, i) => `#${i}`));
  });
});

describe('permanent failures', () => {
  it('disables a kicked channel after a few failures, tells its owner, and keeps the others flowing', async () => {
    h = await harness();
    h.sender.behavior = (dest) => (dest.kind === 'channel' ? { ok: false, permanent: true, error: '403 Forbidden: bot was kicked from the group chat' } : undefined);
    h.zones.setZones('ETH', [{ id: 'ETH:S:3100', side: 'short', low: 3100, high: 3120, usd: 40e6 }]);
    h.zones.setPrice('ETH', 3000);
    await h.cmd(tgGroupAdmin('-100999', 'owner7'), 'subscribe', { symbol: 'ETH', where: 'here' });
    for (let i = 0; i < 30; i++) await h.cmd({ platform: 'telegram', userId: `u${i}`, chatId: `u${i}`, isPrivate: true, canManage: true }, 'subscribe', { symbol: 'ETH' });
    await h.step();
    h.zones.setPrice('ETH', 3080);
    await h.step();
    const channel = group('-100999');
    expect(h.sender.deliveredTo(channel)).toHaveLength(0);
    expect(h.sender.calls.filter((c) => c.dest.kind === 'channel')).toHaveLength(3);
    expect(await h.store.health.get(channel)).toMatchObject({ disabled: true, disabledReason: '403 Forbidden: bot was kicked from the group chat' });
    // 30 users + the channel's first attempt share 30/s overall: every user is served by the
    // second second, while the channel's retries back off (2 s, 4 s) on their own lane.
    const users = h.sender.delivered.filter((d) => d.dest.id.startsWith('u'));
    expect(users).toHaveLength(30);
    expect(Math.max(...users.map((u) => u.at - T0))).toBeLessThanOrEqual(1000);
    expect(h.sender.calls.filter((c) => c.dest.kind === 'channel').map((c) => c.at - T0)).toEqual([0, 2000, 6000]);
    const owner = h.sender.deliveredTo(chat('owner7'));
    expect(owner).toHaveLength(1);
    expect(owner[0]!.reply.text).toMatch(/paused after repeated failures: 403 Forbidden.*\/subscribe SYMBOL here/);
    // Nothing more is attempted for the disabled channel.
    h.zones.setPrice('ETH', 3000);
    h.clock.advanceBy(3_600_000);
    await h.step();
    h.zones.setPrice('ETH', 3085);
    const r = await h.step();
    expect(r.suppressed.disabled).toBe(1);
    expect(h.sender.calls.filter((c) => c.dest.kind === 'channel')).toHaveLength(3);
    // Subscribing it again re-enables it.
    h.sender.behavior = undefined;
    const again = await h.cmd(tgGroupAdmin('-100999', 'owner7'), 'subscribe', { symbol: 'ETH', where: 'here' });
    expect(again.text).toMatch(/enabled again/);
    expect((await h.store.health.get(channel)).disabled).toBe(false);
  });
});
