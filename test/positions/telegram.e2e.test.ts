/**
 * End to end through the real grammY adapter and the local fake Bot API: in a group the position
 * commands are refused with a link to the private chat; in the private chat they work, alerts
 * arrive there (the target alert and the urgent one, once each), and nothing about a position is
 * ever sent to the group.
 */
import { NO_LIMIT } from '../../src/bot/fairness.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import { createChartService } from '../../src/bot/charts.ts';
import { CommandRegistry } from '../../src/bot/registry.ts';
import type { Services } from '../../src/bot/services.ts';
import { Notifier } from '../../src/notify/notifier.ts';
import { createPositionService, type PositionFeature } from '../../commands/services/positions.ts';
import { startTelegram, type TelegramHandle } from '../../src/platforms/telegram/index.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { FakeTelegram, type RecordedBotCall } from '../../testkit/telegram.ts';
import { symbols } from '../notify/setup.ts';
import { TARGETS } from './harness.ts';
import { PlanningZones } from './support.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let fake: FakeTelegram;
let bot: TelegramHandle;
let store: Store;
let positions: PositionFeature;
let notifier: Notifier;
const zones = new PlanningZones();
const trader = { id: 5201, first_name: 'Ana', username: 'ana' };
const group = FakeTelegram.group(-1009876543210);

beforeAll(async () => {
  zones.set('ETH', 3000, TARGETS);
  store = await openStore('memory:');
  fake = await FakeTelegram.start({ maxPollTimeoutSec: 0.2 });
  const charts = createChartService();
  positions = createPositionService({ store, zones, charts, symbols, telegramBotUsername: () => bot?.bot.botInfo.username });
  const services: Services = { now: Date.now, symbols, status: () => ({ mode: 'demo', startedAt: 0, now: 0, venues: [] }), zones, charts, positions };
  bot = await startTelegram({ token: '123:TEST', apiRoot: fake.apiRoot, registry: new CommandRegistry(allCommands()), services, pollingTimeoutSec: 1, rateLimit: NO_LIMIT });
  notifier = new Notifier({ store, zones, senders: [bot.sender], sources: [positions.watcher] });
  positions.addEraser((dest) => notifier.forgetDestination(dest));
});

afterAll(async () => {
  await notifier?.stop();
  await bot?.stop();
  await fake?.stop();
  await store?.close();
});

const sends = (chatId: number) => fake.calls.filter((c) => (c.method === 'sendMessage' || c.method === 'sendPhoto') && String(c.params.chat_id) === String(chatId));
const textOf = (c: RecordedBotCall) => String(c.params.text ?? c.params.caption ?? '');

async function ask(text: string, chat = FakeTelegram.privateChat(trader)): Promise<RecordedBotCall> {
  const after = fake.calls.length;
  fake.injectMessage(text, trader, chat);
  return fake.waitForCall(['sendMessage', 'sendPhoto'], { chatId: chat.id, after });
}

async function tickAt(price: number): Promise<void> {
  zones.set('ETH', price);
  await notifier.tick();
  await notifier.delivery.idle();
}

describe('positions on Telegram', () => {
  it('refuses position commands in a group, with a link to the private chat, and stores nothing', async () => {
    const after = fake.calls.length;
    const answer = await ask('/position add ETH long 3000 20x', group);
    expect(textOf(answer)).toContain('Positions are private');
    expect(textOf(answer)).toContain('https://t.me/liqzone_bot?start=positions');
    expect(await positions.repo.list('telegram', String(trader.id))).toEqual([]);
    // Nothing went to the trader's private chat either.
    expect(fake.calls.slice(after).filter((c) => String(c.params.chat_id) === String(trader.id))).toEqual([]);
  });

  it('works in the private chat: add, then the plan chart from the button', async () => {
    const added = await ask('/position add ETH long 3000 20x');
    expect(textOf(added)).toMatch(/Position #1: ETH long 3,000 × 20x/);
    const keyboard = added.params.reply_markup as { inline_keyboard: { callback_data: string }[][] };
    expect(keyboard.inline_keyboard.flat().map((b) => b.callback_data)).toContain('/position plan 1');

    const after = fake.calls.length;
    fake.injectCallback('/position plan 1', trader);
    const plan = await fake.waitForCall('sendPhoto', { chatId: trader.id, after });
    expect(plan.files.photo!.name).toBe('exit-ETH.png');
    expect(plan.files.photo!.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(textOf(plan)).toContain('Position #1: ETH long exit plan');
  });

  it('alerts arrive in the private chat: the target alert, then the urgent one with notification, once each', async () => {
    for (const p of [3000, 3080, 3085, 3040, 2950, 2900, 2895, 2890]) await tickAt(p);
    const alerts = sends(trader.id).filter((c) => /near your take-profit|stop .* crossed|close to liquidation/.test(textOf(c)));
    // Near TP1, then through the stored stop (urgent) and close to liquidation (urgent).
    expect(alerts.map((c) => (/URGENT/.test(textOf(c)) ? 'urgent' : 'target'))).toEqual(['target', 'urgent', 'urgent']);
    expect(alerts[1]!.params.disable_notification).toBe(false);
    const keyboard = alerts[1]!.params.reply_markup as { inline_keyboard: { callback_data: string }[][] };
    expect(keyboard.inline_keyboard.flat().map((b) => b.callback_data)).toContain('/position plan 1');
  });

  it('/forgetme asks with a button, the button deletes everything', async () => {
    const prompt = await ask('/forgetme');
    const keyboard = prompt.params.reply_markup as { inline_keyboard: { callback_data: string }[][] };
    expect(keyboard.inline_keyboard.flat().map((b) => b.callback_data)).toEqual(['/forgetme confirm']);
    const after = fake.calls.length;
    fake.injectCallback('/forgetme confirm', trader);
    const done = await fake.waitForCall('sendMessage', { chatId: trader.id, after });
    expect(textOf(done)).toMatch(/Deleted 1 position/);
    expect(await positions.repo.list('telegram', String(trader.id))).toEqual([]);
  });

  it('the group only ever saw the refusal', () => {
    const toGroup = sends(group.id);
    expect(toGroup).toHaveLength(1);
    expect(textOf(toGroup[0]!)).not.toMatch(/3,000|20x|#1|liq \d|liquidation/);
  });
});
