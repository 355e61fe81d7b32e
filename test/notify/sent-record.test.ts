import { describe, expect, it } from 'vitest';
import { DeliveryQueue, type AlertMessage } from '../../src/notify/queue.ts';
import type { AlertSender } from '../../src/notify/types.ts';
import { openStore } from '../../src/store/store.ts';

describe('delivery queue: the sent record', () => {
  it('is written with the platform message ids; a store failure right after a send retries the write, never the send', async () => {
    const store = await openStore('memory:');
    const saved: AlertMessage[] = [];
    let failSent = 2;
    const sends: string[] = [];
    const sender: AlertSender = {
      platform: 'telegram',
      send: async (_dest, _reply) => {
        sends.push('x');
        return { ok: true, platformMessageIds: ['4711'] };
      },
    };
    const queue = new DeliveryQueue({
      senders: [sender],
      outbox: {
        save: async (m) => {
          if (m.state === 'sent' && failSent-- > 0) throw new Error('SQLITE_IOERR: disk I/O error');
          saved.push(structuredClone(m) as AlertMessage);
        },
      },
      health: store.health,
      render: () => ({ ok: true, text: 'alert' }),
      sleep: async () => {},
      retryBaseMs: 1,
      limits: {},
    });
    const msg: AlertMessage = { id: 'm1', destKey: 'telegram:user:1', dest: { platform: 'telegram', kind: 'user', id: '1' }, createdAt: 1, keys: ['k'], alerts: [], state: 'queued', silent: false, attempts: 0 };
    queue.enqueue(msg);
    await queue.idle();
    expect(sends).toHaveLength(1);
    expect(saved.map((m) => m.state)).toEqual(['sending', 'sent']);
    expect(saved[0]!.sendingAt).toBeTypeOf('number');
    expect(saved[1]).toMatchObject({ state: 'sent', platformMessageIds: ['4711'], attempts: 1 });
    await store.close();
  });
});
