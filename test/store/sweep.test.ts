import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.ts';

/**
 * keyv deletes an expired value only when it is read. The store sweeps expired values on a timer
 * (memory and SQLite), so finished outbox records, ledger keys and cooldown stamps nobody reads
 * again do not pile up; values without a TTL and values still alive stay.
 */
const dir = mkdtempSync(join(tmpdir(), 'lz-sweep-'));

describe.each([
  ['memory', 'memory:'],
  ['sqlite', `sqlite://${join(dir, 'sweep.sqlite')}`],
])('sweeping expired values on %s', (_name, url) => {
  it('deletes exactly the values past their TTL, without reading them', async () => {
    const store = await openStore(url);
    const kv = store.kv<unknown>('sweeptest', { indexed: false });
    await kv.setMany([
      ['gone1', { a: 1 }, 20],
      ['gone2', 'x', 20],
      ['alive', { b: 2 }, 3_600_000],
      ['forever', ':colon string'],
    ]);
    await store.outbox.putMany([
      { id: 'sw1', destKey: 'telegram:user:1', dest: { platform: 'telegram', kind: 'user', id: '1' }, createdAt: 1, keys: ['sw-k1'], alerts: [], state: 'queued', silent: false, attempts: 0 },
    ]);
    await new Promise((r) => setTimeout(r, 60));
    expect(await store.sweepExpired()).toBe(2);
    expect(await store.sweepExpired()).toBe(0);
    expect(await kv.getMany(['gone1', 'gone2', 'alive', 'forever'])).toEqual([undefined, undefined, { b: 2 }, ':colon string']);
    // far in the future every value with a TTL is past it (the ledger key, 'alive'); records without one stay
    expect(await store.sweepExpired(Date.now() + 10 * 86_400_000)).toBe(2);
    expect(await kv.get('forever')).toBe(':colon string');
    expect((await store.outbox.get('sw1'))?.id).toBe('sw1');
    expect(await store.outbox.ledger(['sw-k1'])).toEqual([undefined]);
    await store.close();
  });
});
