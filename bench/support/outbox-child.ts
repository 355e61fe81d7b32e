/**
 * Child process of bench/telegram-duplicates.bench.ts: a real SQLite outbox and delivery queue
 * sending to the fake Bot API through the real Telegram sender. The first run seeds N alerts to
 * many chats; every run recovers the open records (as the notifier does at start) and sends
 * them. The parent kills it with SIGKILL at random moments and restarts it until all are sent.
 */
import { Api } from 'grammy';
import { DeliveryQueue } from '../../src/notify/queue.ts';
import { createTelegramSender } from '../../src/platforms/telegram/sender.ts';
import { openStore } from '../../src/store/store.ts';
import type { AlertMessage } from '../../src/notify/queue.ts';

const [storeUrl, apiRoot, countText, chatsText] = process.argv.slice(2);
const store = await openStore(storeUrl!);
const queue = new DeliveryQueue({
  senders: [createTelegramSender(new Api('123:DUP', { apiRoot: apiRoot! }))],
  outbox: store.outbox,
  health: store.health,
  render: (m) => ({ ok: true, text: `alert ${m.id}` }),
  retryBaseMs: 200,
});
const seeded = store.kv<boolean>('dupbench', { indexed: false });
const open = (await store.outbox.recoverOpen()) as AlertMessage[];
if (!(await seeded.get('seeded'))) {
  const n = Number(countText);
  const chats = Number(chatsText);
  const msgs: AlertMessage[] = Array.from({ length: n }, (_, i) => {
    const dest = { platform: 'telegram' as const, kind: 'user' as const, id: String(1000 + (i % chats)) };
    return { id: `a${String(i).padStart(5, '0')}`, destKey: `telegram:user:${dest.id}`, dest, createdAt: i, keys: [`k${i}`], alerts: [], state: 'queued', silent: false, attempts: 0 };
  });
  await store.outbox.putMany(msgs);
  await seeded.set('seeded', true);
  open.push(...msgs);
}
process.stdout.write(`open ${open.length}\n`);
for (const m of open) queue.enqueue(m);
await queue.idle();
await store.outbox.flush();
await store.close();
process.stdout.write('DONE\n');
process.exit(0);
