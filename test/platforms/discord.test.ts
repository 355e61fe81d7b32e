/**
 * End to end: the real discord.js client against the local fake gateway + REST, the real
 * command registry, the real chart service, and test services.
 */
import { NO_LIMIT } from '../../src/bot/fairness.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import type { Reply } from '../../src/bot/reply.ts';
import { deployCommands, startDiscord, type DiscordHandle } from '../../src/platforms/discord/index.ts';
import { discordNonce } from '../../src/platforms/discord/sender.ts';
import { FakeDiscord, MANAGER_PERMISSIONS, MEMBER_PERMISSIONS, type InteractionOrigin, type RecordedRestCall } from '../../testkit/discord.ts';
import { makeRegistry, makeServices, TestSubscriptionService } from '../../testkit/chat-services.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const EPHEMERAL = 64;

let fake: FakeDiscord;
let bot: DiscordHandle;
const subscriptions = new TestSubscriptionService();
const services = makeServices({ subscriptions });
const logs: { level: string; msg: string }[] = [];

const alice = { id: '1290000000000000501', username: 'alice' };
const mod = { id: '1290000000000000502', username: 'mod' };
let guildId: string;
let inGuild: (user: typeof alice, permissions?: bigint) => InteractionOrigin;

beforeAll(async () => {
  fake = await FakeDiscord.start({ heartbeatIntervalMs: 1000 });
  guildId = fake.guilds[0]!.id;
  inGuild = (user, permissions = MEMBER_PERMISSIONS) => ({ user, guildId, permissions });
  await deployCommands({ token: 'test-token', appId: fake.appId, apiUrl: fake.apiUrl, guildId, commands: allCommands() });
  bot = await startDiscord({ token: 'test-token', apiUrl: fake.apiUrl, registry: makeRegistry(), services, rateLimit: NO_LIMIT, log: (level, msg) => logs.push({ level, msg }) });
});

afterAll(async () => {
  await bot?.stop();
  await fake?.stop();
});

type CallbackBody = { type: number; data?: { flags?: number; embeds?: Embed[]; choices?: { name: string; value: string }[]; components?: Row[] } };
type Embed = { title?: string; description?: string; color?: number; image?: { url: string }; fields?: { name: string; value: string }[] };
type Row = { components: { custom_id: string; label: string }[] };
type MessageBody = { embeds?: Embed[]; components?: Row[]; flags?: number; allowed_mentions?: { parse: string[] } };

const callback = (c: RecordedRestCall) => c.method === 'POST' && c.path.endsWith('/callback');
const originalEdit = (c: RecordedRestCall) => c.method === 'PATCH' && c.path.endsWith('/messages/@original');

/** The visible answer to an interaction: an immediate reply, an edit of a deferred one, or a follow-up. */
async function answerOf(ix: { calls(): RecordedRestCall[] }): Promise<{ embed: Embed; flags: number; call: RecordedRestCall; body: MessageBody }> {
  const call = await fake.waitFor(() =>
    ix.calls().find((c) => c.status < 300 && ((callback(c) && (c.body as CallbackBody).type === 4) || originalEdit(c) || (c.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(c.path)))),
  );
  const body = (callback(call) ? (call.body as CallbackBody).data : call.body) as MessageBody;
  return { embed: body.embeds![0]!, flags: body.flags ?? 0, call, body };
}

describe('deploy-commands', () => {
  it('registers every command with typed options, autocomplete and choices', () => {
    const registered = fake.registeredCommands.get(guildId)!;
    expect(registered.map((c) => c.name).sort()).toEqual(allCommands().map((c) => c.name).sort());
    const put = fake.calls.find((c) => c.method === 'PUT')!;
    const body = put.body as { name: string; options: { name: string; type: number; autocomplete?: boolean; choices?: unknown[]; required?: boolean; options?: unknown[] }[] }[];
    const zones = body.find((c) => c.name === 'zones')!;
    expect(zones.options[0]).toMatchObject({ name: 'symbol', type: 3, autocomplete: true, required: true });
    const exit = body.find((c) => c.name === 'exit')!;
    expect(exit.options.find((o) => o.name === 'side')).toMatchObject({ type: 3, choices: [{ name: 'long', value: 'long' }, { name: 'short', value: 'short' }] });
    expect(exit.options.find((o) => o.name === 'entry')).toMatchObject({ type: 10, required: true });
    // Required options come first, as Discord demands.
    const requiredFlags = exit.options.map((o) => o.required ?? false);
    expect(requiredFlags.indexOf(false)).toBeGreaterThan(requiredFlags.lastIndexOf(true));
    const alerts = body.find((c) => c.name === 'alerts')!;
    expect(alerts.options.every((o) => o.type === 1)).toBe(true);
  });

  it('reports the scope and count', async () => {
    const r = await deployCommands({ token: 't', appId: fake.appId, apiUrl: fake.apiUrl, commands: allCommands() });
    expect(r).toEqual({ count: allCommands().length, scope: 'global' });
  });
});

describe('discord interactions', () => {
  it('logs in through the gateway (identify, ready, heartbeats acked)', async () => {
    expect(fake.readyConnections).toBe(1);
    expect(fake.gatewayReceived.some((m) => m.op === 2)).toBe(true);
    await fake.waitFor(() => fake.gatewayReceived.some((m) => m.op === 1));
    expect(bot.client.guilds.cache.has(guildId)).toBe(true);
  });

  it('/zones ETH: deferred reply, then an edit with an embed and the PNG attached', async () => {
    const ix = fake.injectCommand('zones', { symbol: 'eth' }, inGuild(alice));
    const edit = await fake.waitFor(() => ix.calls().find(originalEdit));
    const calls = ix.calls();
    const deferIndex = calls.findIndex((c) => callback(c) && (c.body as CallbackBody).type === 5);
    expect(deferIndex).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf(edit)).toBeGreaterThan(deferIndex);
    expect(((calls[deferIndex]!.body as CallbackBody).data?.flags ?? 0) & EPHEMERAL).toBe(0);

    const body = edit.body as MessageBody;
    const embed = body.embeds![0]!;
    expect(embed.title).toMatch(/ETH/);
    expect(embed.image?.url).toBe('attachment://zones-ETH.png');
    expect(embed.color).toBeTypeOf('number');
    expect(edit.files).toHaveLength(1);
    expect(edit.files[0]!.name).toBe('zones-ETH.png');
    expect(edit.files[0]!.contentType).toBe('image/png');
    expect(edit.files[0]!.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const customIds = body.components!.flatMap((r) => r.components.map((b) => b.custom_id));
    expect(customIds).toContain('/subscribe ETH');
    expect(body.allowed_mentions).toEqual({ parse: [] });
  });

  it('/heatmap ETH 6h: the heatmap PNG attached, Refresh and window buttons; /heatmap has its window choices', async () => {
    const registered = fake.registeredCommands.get(guildId)!;
    const def = registered.find((c) => c.name === 'heatmap') as unknown as { options: { name: string; choices?: { value: string }[] }[] };
    expect(def.options.find((o) => o.name === 'window')!.choices!.map((c) => c.value)).toEqual(['6h', '12h', '24h', '3d']);
    const ix = fake.injectCommand('heatmap', { symbol: 'eth', window: '6h' }, inGuild(alice));
    const edit = await fake.waitFor(() => ix.calls().find(originalEdit));
    const body = edit.body as MessageBody;
    expect(body.embeds![0]!.title).toMatch(/ETH liquidation heatmap, last 6h/);
    expect(body.embeds![0]!.image?.url).toBe('attachment://heatmap-ETH-6h.png');
    expect(edit.files[0]!.contentType).toBe('image/png');
    expect(edit.files[0]!.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const customIds = body.components!.flatMap((r) => r.components.map((b) => b.custom_id));
    expect(customIds).toEqual(['/heatmap ETH 6h', '/heatmap ETH 12h', '/heatmap ETH 24h', '/heatmap ETH 3d']);
  });

  it('/exit draws the plan on the map as an attachment', async () => {
    const ix = fake.injectCommand('exit', { symbol: 'ETH', side: 'long', entry: 3120, leverage: 20 }, inGuild(alice));
    const edit = await fake.waitFor(() => ix.calls().find(originalEdit));
    expect((edit.body as MessageBody).embeds![0]!.image?.url).toBe('attachment://exit-ETH.png');
    expect(edit.files[0]!.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  });

  it('autocompletes the symbol option from the tracked symbols', async () => {
    const ix = fake.injectAutocomplete('zones', { symbol: 'do' }, 'symbol', inGuild(alice));
    const call = await fake.waitFor(() => ix.calls().find((c) => callback(c) && (c.body as CallbackBody).type === 8));
    const choices = (call.body as CallbackBody).data!.choices!;
    expect(choices.map((c) => c.value)).toEqual(['DOGE', 'DOT']);
  });

  it('autocompletes a pair name typed with its quote suffix', async () => {
    const ix = fake.injectAutocomplete('zones', { symbol: 'ethusdt' }, 'symbol', inGuild(alice));
    const call = await fake.waitFor(() => ix.calls().find((c) => callback(c) && (c.body as CallbackBody).type === 8));
    expect((call.body as CallbackBody).data!.choices![0]!.value).toBe('ETH');
  });

  it('a button press dispatches its command line for the presser', async () => {
    const before = subscriptions.accepted.length;
    const ix = fake.injectButton('/subscribe ETH', inGuild(mod, MEMBER_PERMISSIONS));
    const { embed, flags } = await answerOf(ix);
    expect(flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(embed.title).toBe('Subscribed to ETH');
    expect(subscriptions.accepted.length).toBe(before + 1);
    expect(subscriptions.accepted.at(-1)!.caller).toMatchObject({ platform: 'discord', userId: mod.id, isPrivate: false, guildId });

    const refresh = fake.injectButton('/zones BTC', inGuild(alice));
    const edit = await fake.waitFor(() => refresh.calls().find(originalEdit));
    expect((edit.body as MessageBody).embeds![0]!.title).toMatch(/BTC/);
    expect(edit.files[0]!.name).toBe('zones-BTC.png');
  });

  it('waits out a 429 on a route and retries', async () => {
    fake.rateLimit('PATCH', /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/, 1, 0.2);
    const ix = fake.injectCommand('zones', { symbol: 'BTC' }, inGuild(alice));
    await fake.waitFor(() => ix.calls().find((c) => originalEdit(c) && c.status === 200));
    const edits = ix.calls().filter(originalEdit).map((c) => c.status);
    expect(edits).toEqual([429, 200]);
    expect(logs.some((l) => l.msg === 'discord rate limited')).toBe(true);
  });

  it('lets only members with Manage Channels subscribe the channel', async () => {
    const refused = fake.injectCommand('subscribe', { symbol: 'ETH', where: 'here' }, inGuild(alice, MEMBER_PERMISSIONS));
    const r1 = await answerOf(refused);
    expect(r1.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(r1.embed.description).toMatch(/manage this channel/);
    expect(subscriptions.accepted.some((a) => a.caller.userId === alice.id && a.where === 'here')).toBe(false);

    const accepted = fake.injectCommand('subscribe', { symbol: 'ETH', where: 'here' }, inGuild(mod, MANAGER_PERMISSIONS));
    const r2 = await answerOf(accepted);
    expect(r2.embed.title).toBe('Subscribed to ETH');
    expect(subscriptions.accepted.at(-1)).toMatchObject({ where: 'here', caller: { userId: mod.id, canManage: true, chatId: fake.guilds[0]!.channels[0]!.id } });
  });

  it('passes subcommands and their options through to the core', async () => {
    const ix = fake.injectCommand('alerts', { percent: 1.5, where: 'me' }, inGuild(alice), 'proximity');
    const { flags } = await answerOf(ix);
    expect(flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(subscriptions.calls.at(-1)).toMatchObject({ command: 'alerts', subcommand: 'proximity', args: { percent: 1.5, where: 'me' } });
  });

  it('treats a DM as private', async () => {
    const ix = fake.injectCommand('subscribe', { symbol: 'SOL' }, { user: alice });
    await answerOf(ix);
    expect(subscriptions.accepted.at(-1)).toMatchObject({ symbol: 'SOL', where: 'me', caller: { userId: alice.id, isPrivate: true, canManage: true } });
  });

  it('answers an unknown symbol privately, replacing the public placeholder', async () => {
    const ix = fake.injectCommand('zones', { symbol: 'NOPE' }, inGuild(alice));
    const { embed, flags, call } = await answerOf(ix);
    expect(flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(embed.description).toMatch(/Unknown symbol "NOPE"/);
    expect(call.method).toBe('POST');
    expect(ix.calls().some((c) => c.method === 'DELETE' && c.path.endsWith('/messages/@original'))).toBe(true);
  });

  it('refuses garbage and injection attempts with escaped ephemeral errors', async () => {
    const html = fake.injectCommand('zones', { symbol: '<b>x</b>' }, inGuild(alice));
    const r1 = await answerOf(html);
    expect(r1.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(r1.embed.description).toContain('"<b>x</b>" is not a symbol name');

    const md = fake.injectCommand('zones', { symbol: '**@everyone**' }, inGuild(alice));
    const r2 = await answerOf(md);
    expect(r2.embed.description).toContain('\\*\\*@\u200beveryone\\*\\*');
    expect(r2.embed.description).not.toContain('**@everyone');

    const script = fake.injectCommand('exit', { symbol: 'ETH', side: '<script>', entry: 3100, leverage: 20 }, inGuild(alice));
    const r3 = await answerOf(script);
    expect(r3.embed.description).toMatch(/Side must be one of long, short \(got "<script>"\)/);
    expect(r3.embed.color).toBe(0x9b4d4d);

    const unknown = fake.injectButton('/zonez ETH', inGuild(alice));
    expect((await answerOf(unknown)).embed.description).toMatch(/Did you mean \/zones/);
  });
});

describe('discord alert sender', () => {
  const zonesReply = (): Reply => ({
    ok: true,
    title: 'ETH nearing a short-liquidation zone',
    text: 'Price is 0.4% below the $62M zone at 3,207–3,226 (estimated).',
    tone: 'up',
    image: services.charts!.zonesChart(services.snapshots.get('ETH')!),
  });

  it('delivers personal alerts by DM, silently in quiet hours, with the chart', async () => {
    const user = '1290000000000000777';
    const r = await bot.sender.send({ platform: 'discord', kind: 'user', id: user }, zonesReply(), { silent: true });
    expect(r).toEqual({ ok: true });
    const dm = fake.calls.find((c) => c.method === 'POST' && c.path === '/users/@me/channels' && (c.body as { recipient_id: string }).recipient_id === user)!;
    expect(dm.status).toBe(200);
    const post = fake.calls.filter((c) => c.method === 'POST' && /^\/channels\/\d+\/messages$/.test(c.path)).at(-1)!;
    const body = post.body as MessageBody;
    expect(body.flags).toBe(4096);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds![0]!.image?.url).toBe('attachment://zones-ETH.png');
    expect(post.files[0]!.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  });

  it('posts channel alerts with notifications when not silent', async () => {
    const channel = fake.guilds[0]!.channels[0]!.id;
    const r = await bot.sender.send({ platform: 'discord', kind: 'channel', id: channel }, { ok: true, text: 'sweep', tone: 'warning' }, { silent: false });
    expect(r.ok).toBe(true);
    const post = fake.calls.filter((c) => c.path === `/channels/${channel}/messages`).at(-1)!;
    expect((post.body as MessageBody).flags).toBeUndefined();
  });

  it('sends the outbox message id as an enforced nonce, so a re-send after a crash is not a second message', async () => {
    const channel = fake.guilds[0]!.channels[0]!.id;
    await bot.sender.send({ platform: 'discord', kind: 'channel', id: channel }, { ok: true, text: 'once' }, { silent: false, idempotencyKey: 'msg-42' });
    await bot.sender.send({ platform: 'discord', kind: 'channel', id: channel }, { ok: true, text: 'once' }, { silent: false, idempotencyKey: 'msg-42' });
    const posts = fake.calls.filter((c) => c.path === `/channels/${channel}/messages`).slice(-2);
    const nonces = posts.map((p) => (p.body as { nonce?: string; enforce_nonce?: boolean }));
    expect(nonces[0]!.nonce).toBe(discordNonce('msg-42'));
    expect(nonces[0]!.nonce!.length).toBeLessThanOrEqual(25);
    expect(nonces[1]).toMatchObject({ nonce: nonces[0]!.nonce, enforce_nonce: true });
  });

  it('hands a long rate limit back as retryAfterMs', async () => {
    fake.guilds[0]!.channels.push({ id: '1290000000000000201', name: 'alerts' });
    fake.rateLimit('POST', '/channels/1290000000000000201/messages', 1, 30);
    const r = await bot.sender.send({ platform: 'discord', kind: 'channel', id: '1290000000000000201' }, { ok: true, text: 'x' }, { silent: false });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.retryAfterMs).toBeGreaterThanOrEqual(30_000);
    expect(r.permanent).toBeFalsy();
  });

  it('classifies blocked DMs and unknown channels as permanent', async () => {
    const blocked = '1290000000000000888';
    fake.dmBlockedUsers.add(blocked);
    const r1 = await bot.sender.send({ platform: 'discord', kind: 'user', id: blocked }, { ok: true, text: 'x' }, { silent: false });
    expect(r1).toMatchObject({ ok: false, permanent: true });
    if (!r1.ok) expect(r1.error).toMatch(/50007/);
    const r2 = await bot.sender.send({ platform: 'discord', kind: 'channel', id: '1290000000000000999' }, { ok: true, text: 'x' }, { silent: false });
    expect(r2).toMatchObject({ ok: false, permanent: true });
    if (!r2.ok) expect(r2.error).toMatch(/10003/);
  });
});
