/**
 * Issue 12: the notifier sends no alert whose outbox record was not persisted. A store whose writes
 * fail mid-run (full disk, read-only file): nothing is delivered, the failure is logged and counted,
 * and once the store works again the same alerts are decided and delivered, once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openBackend, type Backend } from '../../src/store/backend.ts';
import { Store } from '../../src/store/store.ts';
import { positionHarness, TARGETS, type PositionHarness } from '../positions/harness.ts';
import { tgPrivate } from '../positions/support.ts';
import { conflictEvent, type ZoneSpec } from './helpers.ts';
import { harness, T0, tgUser, type Harness } from './setup.ts';

/** A backend whose writes can be made to fail, like a store gone read-only. */
function faulty(inner: Backend) {
  const state = { failWrites: false };
  const boom = () => Promise.reject(Object.assign(new Error('SQLITE_READONLY: attempt to write a readonly database'), { code: 'SQLITE_READONLY' }));
  const backend: Backend = {
    kind: inner.kind,
    description: inner.description,
    mutex: inner.mutex,
    get: (k) => inner.get(k),
    getMany: (k) => inner.getMany(k),
    members: (s) => inner.members(s),
    set: (k, v, t) => (state.failWrites ? boom() : inner.set(k, v, t)),
    delete: (k) => (state.failWrites ? boom() : inner.delete(k)),
    updateSets: (ops) => (state.failWrites ? boom() : inner.updateSets(ops)),
    close: () => inner.close(),
  };
  return { backend, state };
}

type Logged = { level: string; msg: string; extra?: object };

let h: Harness | PositionHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('a store failing mid-run: no unpersisted alert', () => {
  it('subscription alerts: nothing sent while the outbox cannot persist, logged; sent once after recovery', async () => {
    const fault = faulty(await openBackend('memory:'));
    const logged: Logged[] = [];
    const sub = await harness({ store: new Store(fault.backend), extra: { log: (level, msg, extra) => logged.push({ level, msg, extra }) } });
    h = sub;
    const zone: ZoneSpec = { id: 'ETH:S:3100', side: 'short', low: 3100, high: 3120, usd: 40e6, rank: 1 };
    sub.zones.setZones('ETH', [zone]);
    sub.zones.setPrice('ETH', 3000);
    expect((await sub.cmd(tgUser(), 'subscribe', { symbol: 'ETH' })).ok).toBe(true);
    await sub.step();

    fault.state.failWrites = true;
    sub.zones.setPrice('ETH', 3080); // enters the band
    sub.notifier.onSignalEvent(conflictEvent('ETH', 'conflict-start', T0));
    const failed = await sub.step();
    expect(failed.messages).toBe(0);
    expect(failed.unpersisted).toBe(1);
    expect(sub.sender.calls).toHaveLength(0);
    expect(sub.notifier.delivery.pending).toBe(0);
    expect(logged.some((l) => l.level === 'error' && /could not persist alerts/.test(l.msg))).toBe(true);
    expect(await sub.store.outbox.recoverOpen().catch(() => [])).toEqual([]);

    fault.state.failWrites = false;
    sub.clock.advanceBy(10_000);
    const recovered = await sub.step();
    expect(recovered.messages).toBe(1);
    await sub.step();
    expect(sub.sender.delivered).toHaveLength(1);
    const alerts = (sub.sender.delivered[0]!.reply.data as { alerts: { kind: string }[] }).alerts;
    expect(alerts.map((a) => a.kind).sort()).toEqual(['conflict', 'proximity']);
  });

  it('a held message is released only once the outbox records it', async () => {
    const fault = faulty(await openBackend('memory:'));
    const sub = await harness({ store: new Store(fault.backend), extra: { log: () => {} } });
    h = sub;
    sub.zones.setZones('ETH', [{ id: 'ETH:S:3100', side: 'short', low: 3100, high: 3120, usd: 40e6, rank: 1 }]);
    sub.zones.setPrice('ETH', 3000);
    expect((await sub.cmd(tgUser(), 'subscribe', { symbol: 'ETH' })).ok).toBe(true);
    await sub.store.settings.update({ platform: 'telegram', kind: 'user', id: '42' }, { mutedUntil: T0 + 3_600_000 });
    await sub.step();
    sub.zones.setPrice('ETH', 3080);
    expect((await sub.step()).held).toBe(1);

    fault.state.failWrites = true;
    sub.clock.advanceBy(3_600_000 + 10_000); // the mute is over, but the store cannot record the release
    expect((await sub.step()).released).toBe(0);
    expect(sub.sender.calls).toHaveLength(0);

    fault.state.failWrites = false;
    expect((await sub.step()).released).toBe(1);
    await sub.step();
    expect(sub.sender.delivered).toHaveLength(1);
    expect(sub.sender.delivered[0]!.reply.text).toMatch(/Held while muted/);
  });

  it('position lifecycle: a stop crossing while the store fails is told once it works again, once', async () => {
    const fault = faulty(await openBackend('memory:'));
    const ph = await positionHarness({ store: new Store(fault.backend) });
    h = ph;
    const user = tgPrivate();
    expect((await ph.cmd(user, 'position', { symbol: 'ETH', side: 'long', entry: 3000, leverage: 20 }, 'add')).ok).toBe(true);
    await ph.step(3000, TARGETS);

    fault.state.failWrites = true;
    for (const p of [2960, 2955]) {
      const r = await ph.step(p);
      expect(r.messages).toBe(0);
    }
    expect(ph.sender.calls).toHaveLength(0);

    fault.state.failWrites = false;
    for (const p of [2950, 2952, 2951]) await ph.step(p);
    expect(ph.positionAlerts().map((a) => a.payload.event)).toEqual(['stop-crossed']);
  });
});
