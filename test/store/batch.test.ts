import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBackend, type Backend, type SetEntry } from '../../src/store/backend.ts';
import { Kv } from '../../src/store/kv.ts';
import { OutboxRepo, type LedgerEntry, type OutboxMessage } from '../../src/store/outbox.ts';
import { NotifyStateRepo } from '../../src/store/notify-state.ts';
import { startTestRedis } from './redis.ts';

/**
 * Batch writes: a tick's outbox records and ledger keys go to the store in one Backend.setMany —
 * one upsert statement on SQLite, one MULTI on Redis — and read back exactly as single writes would.
 */
const redis = await startTestRedis();
afterAll(async () => redis?.stop());

const dir = mkdtempSync(join(tmpdir(), 'lz-batch-'));
const urls: [string, () => string][] = [
  ['memory', () => 'memory:'],
  ['sqlite', () => `sqlite://${join(dir, `b${Math.random().toString(36).slice(2)}.sqlite`)}`],
];
if (redis) urls.push(['redis', () => redis.url]);

/** Counts the calls reaching the backend. */
function counting(inner: Backend) {
  const calls = { set: 0, setMany: 0, setManyEntries: 0 };
  const backend: Backend = {
    kind: inner.kind,
    description: inner.description,
    mutex: inner.mutex,
    get: (k) => inner.get(k),
    getMany: (k) => inner.getMany(k),
    members: (s) => inner.members(s),
    set: (k, v, t) => (calls.set++, inner.set(k, v, t)),
    setMany: (e: SetEntry[]) => (calls.setMany++, (calls.setManyEntries += e.length), inner.setMany!(e)),
    delete: (k) => inner.delete(k),
    updateSets: (ops) => inner.updateSets(ops),
    close: () => inner.close(),
  };
  return { backend, calls };
}

function message(i: number, ns: string): OutboxMessage {
  return {
    id: `${ns}-m${i}`,
    destKey: `telegram:user:${i}`,
    dest: { platform: 'telegram', kind: 'user', id: String(i) },
    createdAt: 1_700_000_000_000 + i,
    keys: [`${ns}-k${i}a`, `${ns}-k${i}b`],
    alerts: [{ text: `alert ${i} ‘quoted’ :colon "q" \\ back` }],
    state: 'queued',
    silent: i % 2 === 0,
    attempts: 0,
  };
}

describe.each(urls)('batch writes on %s', (_name, url) => {
  it('Kv.setMany writes new and existing keys (upsert), values of every JSON shape read back, TTLs expire', async () => {
    const b = await openBackend(url());
    const ns = `t${Math.random().toString(36).slice(2, 8)}`;
    const kv = new Kv<unknown>(b, ns, { indexed: false });
    await kv.set('a', 'old');
    const values: unknown[] = ['new', 0, null, false, { nested: [1, 'x', { y: null }] }, ':leading colon', 'emoji 📉 and ‘quotes’'];
    await kv.setMany(values.map((v, i) => [i === 0 ? 'a' : `k${i}`, v] as const));
    expect(await kv.getMany(values.map((_, i) => (i === 0 ? 'a' : `k${i}`)))).toEqual(values);
    await kv.setMany([['short', 1, 30]]);
    await new Promise((r) => setTimeout(r, 80));
    expect(await kv.get('short')).toBeUndefined();
    await b.close();
  });

  it('an indexed namespace lists the keys written in a batch', async () => {
    const b = await openBackend(url());
    const kv = new Kv<number>(b, `i${Math.random().toString(36).slice(2, 8)}`);
    await kv.setMany([['x', 1], ['y', 2]]);
    expect(await kv.entries()).toEqual([['x', 1], ['y', 2]]);
    await b.close();
  });

  it('OutboxRepo.putMany: 2 000 records and 4 000 ledger keys in ONE setMany, none written one by one; all read back and recoverable', async () => {
    const inner = await openBackend(url());
    const { backend, calls } = counting(inner);
    const ns = `o${Math.random().toString(36).slice(2, 8)}`;
    const repo = new OutboxRepo(backend, new Kv<OutboxMessage>(backend, 'outbox', { indexed: false }), new Kv<LedgerEntry>(backend, 'ledger', { indexed: false }));
    const msgs = Array.from({ length: 2_000 }, (_, i) => message(i, ns));
    await repo.putMany(msgs);
    expect(calls).toEqual({ set: 0, setMany: 1, setManyEntries: 6_000 });
    expect(await repo.get(`${ns}-m1234`)).toEqual(msgs[1234]);
    const ledger = await repo.ledger([`${ns}-k7a`, `${ns}-k7b`, `${ns}-k1999b`, `${ns}-nope`]);
    expect(ledger).toEqual([
      { messageId: `${ns}-m7`, decidedAt: msgs[7]!.createdAt },
      { messageId: `${ns}-m7`, decidedAt: msgs[7]!.createdAt },
      { messageId: `${ns}-m1999`, decidedAt: msgs[1999]!.createdAt },
      undefined,
    ]);
    const open = (await repo.recoverOpen()).filter((m) => m.id.startsWith(ns));
    expect(open.map((m) => m.id)).toEqual(msgs.map((m) => m.id));
    await inner.close();
  });

  it('NotifyStateRepo: cooldown stamps and day counters in one batch; the /forgetme index appends in one batch', async () => {
    const inner = await openBackend(url());
    const { backend, calls } = counting(inner);
    const repo = new NotifyStateRepo(backend);
    const ns = `n${Math.random().toString(36).slice(2, 8)}`;
    await repo.putBookkeeping([[`${ns}|a|ETH|proximity`, 5], [`${ns}|b|ETH|proximity`, 6]], 60_000, [[`${ns}|a|2026-01-01`, 3]], 60_000);
    expect(calls.setMany).toBe(1);
    expect(await repo.cooldowns.getMany([`${ns}|a|ETH|proximity`, `${ns}|b|ETH|proximity`])).toEqual([5, 6]);
    expect(await repo.dayCounts.get(`${ns}|a|2026-01-01`)).toBe(3);
    await repo.appendErasable(new Map([[`${ns}|a|d`, ['m1']], [`${ns}|b|d`, ['m2']]]), 60_000);
    await repo.appendErasable(new Map([[`${ns}|a|d`, ['m3']]]), 60_000);
    expect(calls.setMany).toBe(3);
    expect(calls.set).toBe(0);
    expect(await repo.eraseIndex.getMany([`${ns}|a|d`, `${ns}|b|d`])).toEqual([['m1', 'm3'], ['m2']]);
    await inner.close();
  });
});
