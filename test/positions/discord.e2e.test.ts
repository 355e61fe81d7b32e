/**
 * End to end through the real discord.js client and the local fake gateway + REST: every position
 * reply is ephemeral (also when typed in a guild channel), alerts arrive by DM (target once,
 * urgent once), and nothing about a position is posted to a channel.
 */
import { NO_LIMIT } from '../../src/bot/fairness.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import { createChartService } from '../../src/bot/charts.ts';
import { CommandRegistry } from '../../src/bot/registry.ts';
import type { Services } from '../../src/bot/services.ts';
import { Notifier } from '../../src/notify/notifier.ts';
import { createPositionService, type PositionFeature } from '../../commands/services/positions.ts';
import { deployCommands, startDiscord, type DiscordHandle } from '../../src/platforms/discord/index.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { FakeDiscord, MEMBER_PERMISSIONS, type InjectedInteraction, type InteractionOrigin, type RecordedRestCall } from '../../testkit/discord.ts';
import { symbols } from '../notify/setup.ts';
import { TARGETS } from './harness.ts';
import { PlanningZones } from './support.ts';

const EPHEMERAL = 64;

let fake: FakeDiscord;
let bot: DiscordHandle;
let store: Store;
let positions: PositionFeature;
let notifier: Notifier;
const zones = new PlanningZones();
const alice = { id: '1290000000000000601', username: 'alice' };
let inGuild: InteractionOrigin;

beforeAll(async () => {
  zones.set('ETH', 3000, TARGETS);
  store = await openStore('memory:');
  fake = await FakeDiscord.start({ heartbeatIntervalMs: 1000 });
  inGuild = { user: alice, guildId: fake.guilds[0]!.id, permissions: MEMBER_PERMISSIONS };
  await deployCommands({ token: 'test-token', appId: fake.appId, apiUrl: fake.apiUrl, guildId: fake.guilds[0]!.id, commands: allCommands() });
  const charts = createChartService();
  positions = createPositionService({ store, zones, charts, symbols });
  const services: Services = { now: Date.now, symbols, status: () => ({ mode: 'demo', startedAt: 0, now: 0, venues: [] }), zones, charts, positions };
  bot = await startDiscord({ token: 'test-token', apiUrl: fake.apiUrl, registry: new CommandRegistry(allCommands()), services, rateLimit: NO_LIMIT });
  notifier = new Notifier({ store, zones, senders: [bot.sender], sources: [positions.watcher] });
  positions.addEraser((dest) => notifier.forgetDestination(dest));
});

afterAll(async () => {
  await notifier?.stop();
  await bot?.stop();
  await fake?.stop();
  await store?.close();
});

type Embed = { title?: string; description?: string; image?: { url: string } };
type Body = { type?: number; flags?: number; embeds?: Embed[]; components?: { components: { custom_id: string }[] }[]; data?: Body };

const isCallback = (c: RecordedRestCall) => c.method === 'POST' && c.path.endsWith('/callback');

/**
 * The answer and whether only the caller sees it: an immediate ephemeral reply (type 4, flags 64),
 * or an ephemeral deferral (type 5, flags 64) followed by the edit, or an ephemeral follow-up.
 */
async function answerOf(ix: InjectedInteraction): Promise<{ ephemeral: boolean; embed: Embed; body: Body; call: RecordedRestCall }> {
  const call = await fake.waitFor(() =>
    ix.calls().find((c) => c.status < 300 && ((isCallback(c) && (c.body as Body).type === 4) || (c.method === 'PATCH' && c.path.endsWith('/messages/@original')) || (c.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(c.path)))),
  );
  const body = (isCallback(call) ? (call.body as Body).data : call.body) as Body;
  let ephemeral = ((body.flags ?? 0) & EPHEMERAL) !== 0;
  if (!isCallback(call)) {
    const deferral = ix.calls().find((c) => isCallback(c) && (c.body as Body).type === 5);
    const followUp = call.method === 'POST';
    ephemeral = followUp ? ephemeral : (((deferral?.body as Body | undefined)?.data?.flags ?? 0) & EPHEMERAL) !== 0;
  }
  return { ephemeral, embed: body.embeds![0]!, body, call };
}

const channelPosts = () => fake.calls.filter((c) => c.method === 'POST' && /^\/channels\/\d+\/messages$/.test(c.path));
const guildChannelIds = () => new Set(fake.guilds.flatMap((g) => g.channels.map((c) => c.id)));

describe('positions on Discord', () => {
  it('every position reply is ephemeral, in a guild channel too', async () => {
    const added = await answerOf(fake.injectCommand('position', { symbol: 'ETH', side: 'long', entry: 3000, leverage: 20 }, inGuild, 'add'));
    expect(added.ephemeral).toBe(true);
    expect(added.embed.title).toBe('Position #1: ETH long 3,000 × 20x');

    const refused = await answerOf(fake.injectCommand('position', { symbol: 'ETH', side: 'long', entry: 3000, leverage: 500 }, inGuild, 'add'));
    expect(refused.ephemeral).toBe(true);
    expect(refused.embed.description).toMatch(/above the maximum/);

    const list = await answerOf(fake.injectCommand('position', {}, inGuild, 'list'));
    expect(list.ephemeral).toBe(true);
    expect(list.embed.description).toMatch(/#1 ETH long 3,000 × 20x/);

    const plan = await answerOf(fake.injectCommand('position', { id: 1 }, inGuild, 'plan'));
    expect(plan.ephemeral).toBe(true);
    expect(plan.embed.image?.url).toBe('attachment://exit-ETH.png');

    const viaButton = await answerOf(fake.injectButton('/position plan 1', inGuild));
    expect(viaButton.ephemeral).toBe(true);
  });

  it('alerts arrive by DM: the target alert and the urgent ones (stop, liquidation), once each; no channel post', async () => {
    for (const p of [3000, 3080, 3088, 3040, 2950, 2900, 2895]) {
      zones.set('ETH', p);
      await notifier.tick();
      await notifier.delivery.idle();
    }
    const posts = channelPosts();
    expect(posts.some((c) => guildChannelIds().has(c.path.split('/')[2]!))).toBe(false);
    const titles = posts.map((c) => (c.body as Body).embeds?.[0]?.title ?? '');
    // Near TP1, then down through the stored stop (2,970) and toward liquidation: urgent both.
    expect(titles).toEqual([expect.stringMatching(/^ETH long #1: near your take-profit TP1 3,099/), expect.stringMatching(/^URGENT · ETH long #1: stop 2,970(\.0+)? crossed$/), 'URGENT · ETH long #1: close to liquidation']);
    // Not silent: the urgent alert notifies.
    expect(((posts[1]!.body as Body).flags ?? 0) & 4096).toBe(0);
    const buttons = (posts[1]!.body as Body).components!.flatMap((r) => r.components.map((b) => b.custom_id));
    expect(buttons).toContain('/position plan 1');
    expect(fake.calls.some((c) => c.method === 'POST' && c.path === '/users/@me/channels' && (c.body as { recipient_id: string }).recipient_id === alice.id)).toBe(true);
  });

  it('/forgetme: an ephemeral confirmation button, which deletes everything', async () => {
    const ask = await answerOf(fake.injectCommand('forgetme', {}, inGuild));
    expect(ask.ephemeral).toBe(true);
    expect(ask.body.components!.flatMap((r) => r.components.map((b) => b.custom_id))).toEqual(['/forgetme confirm']);
    const done = await answerOf(fake.injectButton('/forgetme confirm', inGuild));
    expect(done.ephemeral).toBe(true);
    expect(done.embed.description).toMatch(/Deleted 1 position/);
    expect(await positions.repo.list('discord', alice.id)).toEqual([]);
  });
});
