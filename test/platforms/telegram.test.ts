/**
 * End to end: the real grammY bot (long polling, auto-retry) against the local fake Bot API,
 * the real command registry, the real chart service, and test services.
 */
import { NO_LIMIT } from '../../src/bot/fairness.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/bot/reply.ts';
import { startTelegram, type TelegramHandle } from '../../src/platforms/telegram/index.ts';
import { FakeTelegram, type RecordedBotCall } from '../../testkit/telegram.ts';
import { makeRegistry, makeServices, TestSubscriptionService } from '../../testkit/chat-services.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let fake: FakeTelegram;
let bot: TelegramHandle;
const subscriptions = new TestSubscriptionService();
const services = makeServices({ subscriptions });
const registry = makeRegistry();
const logs: { level: string; msg: string }[] = [];

const trader = { id: 5101, first_name: 'Ana', username: 'ana' };
const admin = { id: 5102, first_name: 'Ole', username: 'ole' };
const group = FakeTelegram.group(-1001234567890);

beforeAll(async () => {
  fake = await FakeTelegram.start({ maxPollTimeoutSec: 0.2 });
  fake.setAdmin(group.id, admin.id);
  bot = await startTelegram({ token: '123:TEST', apiRoot: fake.apiRoot, registry, services, pollingTimeoutSec: 1, rateLimit: NO_LIMIT, log: (level, msg) => logs.push({ level, msg }) });
});

afterAll(async () => {
  await bot?.stop();
  await fake?.stop();
});

/** Sends a message and waits for the first answer (photo or text) in `chatId`. */
async function ask(text: string, from = trader, chat = FakeTelegram.privateChat(from), answerChat = chat.id): Promise<RecordedBotCall> {
  const after = fake.calls.length;
  fake.injectMessage(text, from, chat);
  return fake.waitForCall(['sendMessage', 'sendPhoto'], { chatId: answerChat, after });
}

describe('telegram bot', () => {
  it('registers its commands with setMyCommands', () => {
    const call = fake.callsOf('setMyCommands')[0]!;
    const names = (call.params.commands as { command: string }[]).map((c) => c.command);
    expect(names).toEqual(registry.list().map((c) => c.name));
  });

  it('/zones eth: a photo with an HTML caption and an inline keyboard', async () => {
    const call = await ask('/zones eth');
    expect(call.method).toBe('sendPhoto');
    expect(call.params.parse_mode).toBe('HTML');
    expect(String(call.params.caption)).toMatch(/^<b>ETH liquidation zones \(estimated\)<\/b>\n/);
    expect(String(call.params.caption).length).toBeLessThanOrEqual(1024);
    const photo = call.files.photo!;
    expect(photo.name).toBe('zones-ETH.png');
    expect(photo.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const keyboard = call.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] };
    expect(keyboard.inline_keyboard.flat().map((b) => b.callback_data)).toEqual(expect.arrayContaining(['/subscribe ETH', '/zones ETH', '/heatmap ETH']));
    expect(call.params.disable_notification).toBe(false);
  });

  it('/heatmap eth: a photo with Refresh and window buttons; a bad window is one line with the choices', async () => {
    const call = await ask('/heatmap eth');
    expect(call.method).toBe('sendPhoto');
    expect(String(call.params.caption)).toMatch(/^<b>ETH liquidation heatmap, last 24h \(estimated\)<\/b>\n/);
    expect(call.files.photo!.name).toBe('heatmap-ETH-24h.png');
    expect(call.files.photo!.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const keyboard = call.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] };
    expect(keyboard.inline_keyboard.flat().map((b) => [b.text, b.callback_data])).toEqual([
      ['Refresh', '/heatmap ETH 24h'],
      ['6h', '/heatmap ETH 6h'],
      ['12h', '/heatmap ETH 12h'],
      ['3d', '/heatmap ETH 3d'],
    ]);
    const bad = await ask('/heatmap eth 2h');
    expect(bad.method).toBe('sendMessage');
    expect(String(bad.params.text)).toMatch(/must be one of 6h, 12h, 24h, 3d \(got (&quot;|")2h/);
  });

  it('/exit ETH long 3120 20x: the plan chart as a photo', async () => {
    const call = await ask('/exit ETH long 3120 20x');
    expect(call.method).toBe('sendPhoto');
    expect(call.files.photo!.name).toBe('exit-ETH.png');
    expect(String(call.params.caption).length).toBeLessThanOrEqual(1024);
  });

  it('answers /zones@BotName in a group as a reply, and ignores commands for other bots', async () => {
    const before = fake.calls.length;
    fake.injectMessage('/zones@other_bot eth', trader, group);
    const { message_id } = fake.injectMessage('/zones@liqzone_bot btc', trader, group);
    const call = await fake.waitForCall('sendPhoto', { chatId: group.id, after: before });
    expect(String(call.params.caption)).toContain('BTC');
    expect(call.params.reply_parameters).toMatchObject({ message_id });
    // The other bot's command is dropped on arrival, before ours is even dispatched.
    const groupPhotos = fake.calls.slice(before).filter((c) => c.method === 'sendPhoto' && String(c.params.chat_id) === String(group.id));
    expect(groupPhotos).toHaveLength(1);
  });

  it('refuses a non-admin subscribing the group, accepts an administrator', async () => {
    const refused = await ask('/subscribe ETH here', trader, group);
    expect(refused.method).toBe('sendMessage');
    expect(String(refused.params.text)).toMatch(/Only members who can manage this channel/);
    expect(subscriptions.accepted.some((a) => a.where === 'here')).toBe(false);
    const memberChecks = () => fake.callsOf('getChatMember', group.id).filter((c) => Number(c.params.user_id) === trader.id).length;
    expect(memberChecks()).toBe(1);
    // The membership answer is cached briefly: asking again does not call getChatMember again.
    expect(String((await ask('/subscribe BTC here', trader, group)).params.text)).toMatch(/Only members who can manage/);
    expect(memberChecks()).toBe(1);

    // The confirmation is personal, so it goes to the admin's private chat.
    const accepted = await ask('/subscribe ETH here', admin, group, admin.id);
    expect(String(accepted.params.text)).toMatch(/^<b>Subscribed to ETH<\/b>/);
    expect(subscriptions.accepted.at(-1)).toMatchObject({ where: 'here', caller: { platform: 'telegram', userId: String(admin.id), chatId: String(group.id), canManage: true, isPrivate: false } });
  });

  it('parses typed subcommands and magnitudes', async () => {
    await ask('/alerts minsize 2m');
    expect(subscriptions.calls.at(-1)).toMatchObject({ command: 'alerts', subcommand: 'minsize', args: { usd: 2_000_000 } });
  });

  it('dispatches an inline button press for the presser', async () => {
    const after = fake.calls.length;
    const { callback_query_id } = fake.injectCallback('/subscribe BTC', trader);
    const call = await fake.waitForCall('sendMessage', { chatId: trader.id, after });
    expect(String(call.params.text)).toContain('Subscribed to BTC');
    expect(fake.callsOf('answerCallbackQuery').some((c) => c.params.callback_query_id === callback_query_id)).toBe(true);
    expect(subscriptions.accepted.at(-1)).toMatchObject({ symbol: 'BTC', caller: { userId: String(trader.id), isPrivate: true } });
  });

  it('escapes HTML injection and explains bad arguments', async () => {
    const html = await ask('/zones <b>x</b>');
    expect(html.params.parse_mode).toBe('HTML');
    expect(String(html.params.text)).toContain('&quot;&lt;b&gt;x&lt;/b&gt;&quot; is not a symbol name');
    expect(String(html.params.text)).not.toContain('<b>x</b>');

    const script = await ask('/exit ETH long <script> 20');
    expect(String(script.params.text)).toContain('Entry must be a price, e.g. 3120 (got &quot;&lt;script&gt;&quot;).');
    expect(String(script.params.text)).not.toContain('<script>');

    expect(String((await ask('/zones')).params.text)).toContain('Missing symbol for /zones');
    expect(String((await ask('/zones FOO')).params.text)).toMatch(/Unknown symbol &quot;FOO&quot;/);
    expect(String((await ask('/zonez ETH')).params.text)).toMatch(/Did you mean \/zones\?/);
    expect(String((await ask('/start')).params.text)).toMatch(/zones/);
  });

  it('waits out a 429 (auto-retry) and sends the photo', async () => {
    fake.rateLimit('sendPhoto', 1, 0.2);
    const after = fake.calls.length;
    fake.injectMessage('/zones eth', trader);
    await fake.waitForCall('sendPhoto', { chatId: trader.id, after });
    expect(fake.calls.slice(after).filter((c) => c.method === 'sendPhoto').map((c) => c.status)).toEqual([429, 200]);
  });

  it('keeps polling after an update fails', async () => {
    fake.respondWith('sendMessage', 1, () => ({ status: 400, body: { ok: false, error_code: 400, description: "Bad Request: can't parse entities" } }));
    const after = fake.calls.length;
    fake.injectMessage('/zones', trader);
    await fake.waitFor(() => fake.calls.slice(after).find((c) => c.method === 'sendMessage' && c.status === 400));
    const next = await ask('/zones FOO');
    expect(next.status).toBe(200);
    expect(logs.some((l) => l.level === 'error')).toBe(true);
  });
});

describe('telegram alert sender', () => {
  const chartReply = (text = 'Price is 0.4% below the $62M zone (estimated).'): Reply => ({
    ok: true,
    title: 'ETH nearing a short-liquidation zone',
    text,
    tone: 'up',
    image: services.charts!.zonesChart(services.snapshots.get('ETH')!),
    buttons: [{ label: 'Zones', action: '/zones ETH' }],
  });

  it('sends silently in quiet hours', async () => {
    const r = await bot.sender.send({ platform: 'telegram', kind: 'user', id: String(trader.id) }, chartReply(), { silent: true });
    const call = fake.callsOf('sendPhoto', trader.id).at(-1)!;
    // The Telegram message id comes back so the outbox can keep it.
    expect(r).toEqual({ ok: true, platformMessageIds: [String((call.response.result as { message_id: number }).message_id)] });
    expect(call.params.disable_notification).toBe(true);
    expect(call.files.photo!.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  });

  it('keeps captions within 1024 characters and sends the rest as a follow-up', async () => {
    const long = Array.from({ length: 60 }, (_, i) => `line ${i}: zone at 3,${200 + i} holds an estimated $${i}M <& "quoted">`).join('\n');
    const after = fake.calls.length;
    const r = await bot.sender.send({ platform: 'telegram', kind: 'channel', id: String(group.id) }, chartReply(long), { silent: false });
    expect(r.ok).toBe(true);
    const sent = fake.calls.slice(after).filter((c) => String(c.params.chat_id) === String(group.id));
    expect(sent[0]!.method).toBe('sendPhoto');
    expect(String(sent[0]!.params.caption).length).toBeLessThanOrEqual(1024);
    expect(sent[0]!.params.reply_markup).toBeUndefined();
    const rest = sent.slice(1);
    expect(rest.length).toBeGreaterThanOrEqual(1);
    expect(rest.every((c) => c.method === 'sendMessage' && String(c.params.text).length <= 4096)).toBe(true);
    expect(rest.at(-1)!.params.reply_markup).toBeDefined();
    const all = [String(sent[0]!.params.caption), ...rest.map((c) => String(c.params.text))].join('\n');
    expect(all).toContain('line 59: zone at 3,259 holds an estimated $59M &lt;&amp; &quot;quoted&quot;&gt;');
  });

  it('hands a 429 back as retryAfterMs', async () => {
    fake.rateLimit('sendMessage', 1, 30);
    const r = await bot.sender.send({ platform: 'telegram', kind: 'user', id: String(trader.id) }, { ok: true, text: 'x' }, { silent: false });
    expect(r).toMatchObject({ ok: false, retryAfterMs: 30_000 });
  });

  it('classifies a blocked bot and a missing chat as permanent', async () => {
    fake.blockedChats.add(9001);
    fake.missingChats.add(-1009002);
    const blocked = await bot.sender.send({ platform: 'telegram', kind: 'user', id: '9001' }, { ok: true, text: 'x' }, { silent: false });
    expect(blocked).toMatchObject({ ok: false, permanent: true, error: expect.stringMatching(/blocked/) });
    const missing = await bot.sender.send({ platform: 'telegram', kind: 'channel', id: '-1009002' }, { ok: true, text: 'x' }, { silent: false });
    expect(missing).toMatchObject({ ok: false, permanent: true, error: expect.stringMatching(/chat not found/) });
  });
});
