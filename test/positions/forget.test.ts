/**
 * /forgetme leaves no key of the user in the store: every key and value of the backend is
 * enumerated (memory and sqlite) after a realistic history — positions, alerts delivered and
 * held, personal subscription and settings, delivery health, a channel the user set up.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Keyv from 'keyv';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { tgGroupAdmin } from '../notify/setup.ts';
import { positionHarness, T0, type PositionHarness } from './harness.ts';
import { tgPrivate } from './support.ts';

const A = '918273645';
const B = '424242001';
const destA = { platform: 'telegram' as const, kind: 'user' as const, id: A };

/** Every key/value the backend holds (keyv's own iterator; works on the memory Map and on sqlite). */
async function dump(store: Store): Promise<[string, string][]> {
  const keyv = (store.backend.inner as unknown as { keyv: Keyv }).keyv;
  const out: [string, string][] = [];
  for await (const [k, v] of keyv.iterator!(undefined)) out.push([String(k), JSON.stringify(v)]);
  return out;
}

let h: PositionHarness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe.each(['memory', 'sqlite'] as const)('/forgetme on %s', (kind) => {
  it('deletes every key of that user and nothing of anyone else', async () => {
    if (kind === 'sqlite') dir = mkdtempSync(join(tmpdir(), 'liqzone-forget-'));
    h = await positionHarness({ url: kind === 'memory' ? 'memory:' : `sqlite://${join(dir!, 'store.sqlite')}` });
    const a = tgPrivate(A);
    const b = tgPrivate(B);
    expect((await h.cmd(a, 'position', { symbol: 'ETH', side: 'long', entry: 3000, leverage: 20 }, 'add')).ok).toBe(true);
    expect((await h.cmd(a, 'position', { symbol: 'ETH', side: 'short', entry: 3100, leverage: 10 }, 'add')).ok).toBe(true);
    expect((await h.cmd(b, 'position', { symbol: 'ETH', side: 'long', entry: 2990, leverage: 20 }, 'add')).ok).toBe(true);
    for (const caller of [a, b]) expect((await h.subscriptions.handle('subscribe', caller, { symbol: 'ETH' })).ok).toBe(true);
    expect((await h.subscriptions.handle('subscribe', tgGroupAdmin('-100555', A), { symbol: 'ETH', where: 'here' })).ok).toBe(true);
    await h.subscriptions.handle('alerts', a, { percent: 1.2 }, 'proximity');
    await h.store.health.recordPermanentFailure(destA, 'blocked once', T0, 5);

    // Market and position alerts for A (ledger, outbox, cooldown and day counters)…
    for (const p of [3000, 3080, 3090]) await h.step(p);
    expect(h.sender.deliveredTo(destA).length).toBeGreaterThan(0);
    // …and a held one (muted), still open in the outbox.
    await h.store.settings.update(destA, { mutedUntil: T0 + 86_400_000 });
    h.signal.conflicted = true;
    const held = await h.step(3000);
    expect(held.held).toBeGreaterThan(0);
    expect((await dump(h.store)).some(([k, v]) => k.includes(A) || v.includes(A))).toBe(true);

    const ask = await h.cmd(a, 'forgetme');
    expect(ask.buttons?.[0]?.action).toBe('/forgetme confirm');
    const done = await h.cmd(a, 'forgetme', { confirm: 'confirm' });
    expect(done.ok).toBe(true);
    expect(done.data).toMatchObject({ positions: 2, subscriptions: ['ETH'], ownedChannels: 1 });

    const leftovers = async () => (await dump(h!.store)).filter(([k, v]) => k.includes(A) || v.includes(A));
    expect(await leftovers()).toEqual([]);

    // Nothing comes back as the market keeps moving, and B is untouched.
    const sentToA = h.sender.deliveredTo(destA).length;
    for (const p of [2900, 2890, 3000, 3080]) await h.step(p);
    expect(await leftovers()).toEqual([]);
    expect(h.sender.deliveredTo(destA)).toHaveLength(sentToA);
    const keys = (await dump(h.store)).map(([k]) => k);
    expect(keys).toContain(`positions:telegram:${B}`);
    expect(keys.some((k) => k.startsWith('ledger:') && k.includes(B))).toBe(true);
    expect(await h.cmd(b, 'position', {}, 'list')).toMatchObject({ ok: true, title: 'Your positions (1/10)' });

    if (kind === 'sqlite') {
      // Deleted rows must not stay readable in the file's freed pages (secure_delete).
      const file = join(dir!, 'store.sqlite');
      // While running (the write-ahead log included) and after closing.
      const live = Buffer.concat([readFileSync(file), existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`) : Buffer.alloc(0)]);
      expect(live.includes(Buffer.from(B))).toBe(true);
      expect(live.includes(Buffer.from(A))).toBe(false);
      await h.close();
      h = undefined;
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from(B))).toBe(true); // the search works: B's data is there
      expect(bytes.includes(Buffer.from(A))).toBe(false);
      expect(existsSync(`${file}-journal`) || existsSync(`${file}-wal`)).toBe(false);
    }
  });
});
