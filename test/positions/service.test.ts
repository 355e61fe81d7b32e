/** /position and /forgetme replies: validation, limits, privacy per platform, plan with chart. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/bot/command.ts';
import type { ReplyImage } from '../../src/bot/reply.ts';
import type { ChartService } from '../../src/bot/services.ts';
import type { ExitPlan, ZoneSnapshot } from '../../src/engine/types.ts';
import { createPositionService, type PositionFeature } from '../../commands/services/positions.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { symbols } from '../notify/setup.ts';
import { TARGETS } from './harness.ts';
import { consoleCaller, discordGuild, PlanningZones, tgGroup, tgPrivate } from './support.ts';

class RecordingCharts implements ChartService {
  readonly exitCalls: { snapshot: ZoneSnapshot; plan: ExitPlan }[] = [];
  zonesChart(): ReplyImage {
    return { name: 'zones.png', alt: 'zones', render: async () => Buffer.alloc(0) };
  }
  exitChart(snapshot: ZoneSnapshot, plan: ExitPlan): ReplyImage {
    this.exitCalls.push({ snapshot, plan });
    return { name: `exit-${snapshot.symbol}.png`, alt: 'exit plan', render: async () => Buffer.alloc(0) };
  }
}

let store: Store;
let zones: PlanningZones;
let charts: RecordingCharts;
let svc: PositionFeature;
let botName: string | undefined;

beforeEach(async () => {
  store = await openStore('memory:');
  zones = new PlanningZones();
  zones.set('ETH', 3000, TARGETS);
  charts = new RecordingCharts();
  botName = 'liqzone_bot';
  svc = createPositionService({ store, zones, charts, symbols, maxPerUser: 3, now: () => Date.UTC(2026, 2, 14, 12), telegramBotUsername: () => botName });
});
afterEach(async () => {
  await store.close();
});

const add = (caller: Caller, args: Record<string, string | number | undefined>) => svc.handle('position', caller, args, 'add');
const eth = { symbol: 'ETH', side: 'long', entry: 3000, leverage: 20 };

describe('/position add', () => {
  it('adds a position with its liquidation price, plan and where alerts go', async () => {
    const r = await add(tgPrivate(), { ...eth, size: 25_000, venue: 'bybit' });
    expect(r.ok).toBe(true);
    expect(r.ephemeral).toBe(true);
    expect(r.title).toBe('Position #1: ETH long 3,000 × 20x');
    expect(r.text).toMatch(/\$25k on Bybit as #1/);
    expect(r.text).toMatch(/Estimated liquidation 2,8\d\d/);
    expect(r.text).toMatch(/Alerts go to your private chat with the bot/);
    expect(r.buttons?.map((b) => b.action)).toEqual(['/position plan 1', '/position list']);
    const [stored] = await svc.repo.list('telegram', '918273645');
    expect(stored).toMatchObject({ id: 1, symbol: 'ETH', side: 'long', entry: 3000, leverage: 20, sizeUsd: 25_000, venue: 'bybit' });
  });

  it.each([
    [{ ...eth, side: 'up' }, /Side must be long or short/],
    [{ ...eth, entry: 0 }, /Entry must be a price above 0/],
    [{ ...eth, leverage: 0.5 }, /Leverage must be at least 1/],
    [{ ...eth, size: -5 }, /^Size must be a number of USD of at least 1, e.g. 10000 or 10k\.$/],
    [{ ...eth, leverage: 200 }, /Leverage 200x is above the maximum of 125x for a \$10k position on Binance ETH/],
    [{ ...eth, symbol: 'ETHH' }, /Unknown symbol "ETHH". Did you mean ETH/],
    [{ ...eth, symbol: '' }, /Which symbol/],
  ])('refuses bad input like /exit: %o', async (args, message) => {
    const r = await add(tgPrivate(), args as Record<string, string | number>);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(message);
    expect(await svc.repo.list('telegram', '918273645')).toEqual([]);
  });

  it('refuses a position the price has already liquidated (its first alert would be a false "crossed")', async () => {
    // price 3,000: a 50x long from 3,200 liquidates near 3,150; a 50x short from 2,800 near 2,850
    for (const args of [{ ...eth, entry: 3200, leverage: 50 }, { ...eth, side: 'short', entry: 2800, leverage: 50 }]) {
      const r = await add(tgPrivate(), args);
      expect(r.ok).toBe(false);
      expect(r.text).toMatch(/^At the current price 3,000 a (long|short) from [23],[28]00 at 50x would already be liquidated \(estimated liquidation [\d,.]+\): nothing to watch\. Check the entry and the leverage\./);
    }
    expect(await svc.repo.list('telegram', '918273645')).toEqual([]);
  });

  it('says so when the symbol has no data yet', async () => {
    const r = await add(tgPrivate(), { ...eth, symbol: 'BTC' });
    expect(r).toMatchObject({ ok: false, ephemeral: true });
    expect(r.text).toMatch(/No data yet for BTC/);
  });

  it('limits positions per user, independently for each user', async () => {
    for (let i = 0; i < 3; i++) expect((await add(tgPrivate(), eth)).ok).toBe(true);
    const r = await add(tgPrivate(), eth);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/already watch 3 positions \(the limit is 3\)/);
    expect((await add(tgPrivate('555'), eth)).ok).toBe(true);
  });
});

describe('/position list, plan, close', () => {
  it('lists only the caller’s positions with price, P&L, liquidation distance and the next target', async () => {
    await add(tgPrivate(), eth);
    await add(tgPrivate(), { ...eth, side: 'short', entry: 3100, leverage: 10 });
    await add(tgPrivate('555'), { ...eth, entry: 2000 });
    zones.set('ETH', 3030);
    const r = await svc.handle('position', tgPrivate(), {}, 'list');
    expect(r.ephemeral).toBe(true);
    expect(r.title).toBe('Your positions (2/3)');
    const lines = r.text.split('\n');
    expect(lines[0]).toMatch(/^#1 ETH long 3,000 × 20x · \$10k binance — now 3,030 \(\+1\.00%, \+20\.0% on margin\) · liq 2,861\.4 \(5\.56% away\) · stop 2,970 · TP1 3,09/);
    expect(lines[1]).toMatch(/^#2 ETH short 3,100 × 10x .* \(\+2\.26%, \+22\.6% on margin\)/);
    expect(r.text).not.toContain('2,000');
    expect(r.buttons?.map((b) => b.action)).toEqual(['/position plan 1', '/position plan 2']);
    const empty = await svc.handle('position', tgPrivate('777'), {}, 'list');
    expect(empty.text).toMatch(/no watched positions/);
  });

  it('a position price has moved past its liquidation price: "crossed", and the loss on margin stops at −100 %', async () => {
    await add(tgPrivate(), eth); // liquidation 2,861.4
    zones.set('ETH', 2700);
    const r = await svc.handle('position', tgPrivate(), {}, 'list');
    expect(r.text).toMatch(/^#1 ETH long 3,000 × 20x · \$10k binance — now 2,700 \(−10\.00%, −100\.0% on margin\) · liq 2,861\.4 \(crossed\)/);
    expect(r.text).not.toMatch(/away/);
  });

  it('shows the stored plan with the chart, R:R from entry, and what a fresh plan would say', async () => {
    await add(tgPrivate(), eth);
    const [added] = await svc.repo.list('telegram', '918273645');
    expect(added!.plan).toMatchObject({ stop: 2970, liquidationPrice: expect.closeTo(2861.45, 1), plannedAt: Date.UTC(2026, 2, 14, 12), priceAtPlan: 3000 });
    expect(added!.plan!.targets).toHaveLength(2);
    // The market moves and a new long cluster appears below: the stored plan stays, the fresh one differs.
    zones.set('ETH', 3050, [...TARGETS, { id: 'ETH:L:3010', side: 'long', low: 3000, high: 3020, usd: 20e6 }]);
    const r = await svc.handle('position', tgPrivate(), { id: 1 }, 'plan');
    expect(r.ok).toBe(true);
    expect(r.ephemeral).toBe(true);
    expect(r.title).toBe('Position #1: ETH long exit plan (estimated)');
    expect(r.text).toMatch(/\+1\.67% from entry \(\+33\.3% on margin\)/);
    expect(r.text).toMatch(/Stored plan from 2026-03-14 12:00 UTC \(price then 3,000\): alerts watch this one/);
    expect(r.fields?.map((f) => f.name)).toEqual(['Unrealized PnL', 'Liquidation price', 'Targets', 'Stop', 'Warnings', 'Fresh plan (now)']);
    const targets = r.fields!.find((f) => f.name === 'Targets')!.value;
    expect(targets).toMatch(/R:R [\d.]+ from entry, [\d.]+ from here/);
    expect(r.fields!.find((f) => f.name === 'Stop')!.value).toMatch(/^2,970 — /);
    expect(r.fields!.at(-1)!.value).toMatch(/A fresh plan on the current zones would say: stop 2,969\.5 · TP1 .* Adopt it with \/position replan 1/);
    expect(r.image?.name).toBe('exit-ETH.png');
    const { plan, snapshot } = charts.exitCalls.at(-1)!;
    expect(snapshot.price).toBe(3050);
    expect(plan.request).toMatchObject({ entry: 3000, leverage: 20, side: 'long' });
    expect(plan.stop!.price).toBe(2970);
    expect(plan.targets.map((t) => t.price)).toEqual(added!.plan!.targets);
    expect(plan.targets.map((t) => t.zoneId)).toEqual(['ETH:S:3100', 'ETH:S:3200']);
    expect(plan.liquidationPrice).toBeCloseTo(2861.45, 1);
    expect(r.data).toMatchObject({ action: 'plan', positionId: 1, storedPlan: added!.plan, freshDiffers: true });
    expect(r.buttons?.map((b) => b.action)).toEqual(['/position replan 1', '/position close 1', '/zones ETH']);
    // reading it did not change it
    expect((await svc.repo.list('telegram', '918273645'))[0]!.plan).toEqual(added!.plan);
    expect((await svc.handle('position', tgPrivate(), { id: 9 }, 'plan')).text).toMatch(/no position #9/);
    expect((await svc.handle('position', tgPrivate('555'), { id: 1 }, 'plan')).ok).toBe(false);
  });

  it('re-plans only when asked: /position replan stores the fresh plan and says what changed', async () => {
    await add(tgPrivate(), eth);
    const before = (await svc.repo.list('telegram', '918273645'))[0]!.plan!;
    zones.set('ETH', 3050, [...TARGETS, { id: 'ETH:L:3010', side: 'long', low: 3000, high: 3020, usd: 20e6 }]);
    const r = await svc.handle('position', tgPrivate(), { id: 1 }, 'replan');
    expect(r).toMatchObject({ ok: true, ephemeral: true, title: 'Position #1: re-planned' });
    expect(r.text).toMatch(/^Re-planned #1 ETH long 3,000 × 20x on the current zones \(price 3,050\)/);
    expect(r.text).toMatch(/Was: stop 2,970 · TP1/);
    const after = (await svc.repo.list('telegram', '918273645'))[0]!.plan!;
    expect(after.stop).toBeLessThan(3000);
    expect(after.stop).not.toBe(before.stop);
    expect(after.priceAtPlan).toBe(3050);
    expect(r.text).toContain(`Now: stop ${after.stop!.toLocaleString('en-US', { maximumFractionDigits: 2 })}`);
    expect(r.data).toMatchObject({ action: 'replan', positionId: 1, before, plan: after });
    const again = await svc.handle('position', tgPrivate(), { id: 1 }, 'plan');
    expect(again.fields!.at(-1)!.value).toBe('A fresh plan on the current zones says the same.');
    expect(again.buttons?.map((b) => b.action)).toEqual(['/position close 1', '/zones ETH']);
    expect((await svc.handle('position', tgPrivate(), { id: 4 }, 'replan')).text).toMatch(/no position #4/);
  });

  it('gives a position stored before plans existed one plan, once, on first read, and says so', async () => {
    // as an older version stored it: no plan
    await svc.repo.positions.set('telegram:918273645', {
      platform: 'telegram',
      userId: '918273645',
      nextId: 2,
      positions: [{ id: 1, symbol: 'ETH', side: 'long', entry: 3000, leverage: 20, sizeUsd: 10_000, venue: 'binance', openedAt: Date.UTC(2026, 2, 1), liquidationPrice: 2861.45 }],
    });
    const r = await svc.handle('position', tgPrivate(), {}, 'list');
    expect(r.text).toMatch(/#1 had no stored plan \(added before plans were kept\): computed now from the current zones and stored/);
    expect(r.data).toMatchObject({ backfilled: [1] });
    const stored = (await svc.repo.list('telegram', '918273645'))[0]!.plan!;
    expect(stored).toMatchObject({ stop: 2970, backfilled: true, plannedAt: Date.UTC(2026, 2, 14, 12) });
    // later reads keep it, even after the zones change, and no longer mention it
    zones.set('ETH', 3050, [...TARGETS, { id: 'ETH:L:3010', side: 'long', low: 3000, high: 3020, usd: 20e6 }]);
    const again = await svc.handle('position', tgPrivate(), {}, 'list');
    expect(again.text).not.toMatch(/had no stored plan/);
    const plan = await svc.handle('position', tgPrivate(), { id: 1 }, 'plan');
    expect(plan.data).toMatchObject({ storedPlan: stored });
    expect((await svc.repo.list('telegram', '918273645'))[0]!.plan).toEqual(stored);
  });

  it('closes a position, and its id is not reused', async () => {
    await add(tgPrivate(), eth);
    await add(tgPrivate(), eth);
    const r = await svc.handle('position', tgPrivate(), { id: 1 }, 'close');
    expect(r).toMatchObject({ ok: true, ephemeral: true, title: 'Closed #1' });
    expect((await svc.handle('position', tgPrivate(), { id: 1 }, 'close')).ok).toBe(false);
    expect((await add(tgPrivate(), eth)).title).toMatch(/^Position #3/);
    expect((await svc.repo.list('telegram', '918273645')).map((p) => p.id)).toEqual([2, 3]);
  });
});

describe('privacy', () => {
  it('on Discord every position reply is ephemeral, errors included', async () => {
    const d = discordGuild();
    const replies = [
      await add(d, eth),
      await add(d, { ...eth, leverage: 500 }),
      await svc.handle('position', d, {}, 'list'),
      await svc.handle('position', d, { id: 1 }, 'plan'),
      await svc.handle('position', d, { id: 4 }, 'plan'),
      await svc.handle('position', d, { id: 1 }, 'close'),
      await svc.handle('forgetme', d, {}),
      await svc.handle('forgetme', d, { confirm: 'confirm' }),
    ];
    expect(replies.map((r) => r.ok)).toEqual([true, false, true, true, false, true, true, true]);
    for (const r of replies) expect(r.ephemeral).toBe(true);
  });

  it('in a Telegram group it refuses, links to the private chat and stores nothing', async () => {
    const r = await add(tgGroup(), eth);
    expect(r.ok).toBe(false);
    expect(r.title).toBe('Positions are private');
    expect(r.text).toContain('https://t.me/liqzone_bot?start=positions');
    expect(await svc.repo.list('telegram', '918273645')).toEqual([]);
    await add(tgPrivate(), eth);
    for (const sub of ['list', 'plan', 'close']) {
      const refused = await svc.handle('position', tgGroup(), { id: 1 }, sub);
      expect(refused.ok).toBe(false);
      expect(refused.text).not.toMatch(/3,000|20x|#1/);
    }
    expect(await svc.repo.list('telegram', '918273645')).toHaveLength(1);
    const forget = await svc.handle('forgetme', tgGroup(), { confirm: 'confirm' });
    expect(forget.ok).toBe(false);
    expect(forget.text).toContain('?start=forgetme');
    expect(await svc.repo.list('telegram', '918273645')).toHaveLength(1);
  });

  it('without the bot username it says to open a private chat', async () => {
    botName = undefined;
    const r = await add(tgGroup(), eth);
    expect(r.text).toMatch(/Open a private chat with the bot, press Start, then send \/position there/);
  });

  it('works in the console', async () => {
    const r = await add(consoleCaller, eth);
    expect(r.ok).toBe(true);
    expect(r.text).toMatch(/Alerts go to this console/);
  });
});

describe('/forgetme', () => {
  it('asks first, with a confirmation button, and deletes nothing until confirmed', async () => {
    await add(tgPrivate(), eth);
    await store.subscriptions.add({ platform: 'telegram', kind: 'user', id: '918273645' }, 'ETH');
    const ask = await svc.handle('forgetme', tgPrivate(), {});
    expect(ask.ok).toBe(true);
    expect(ask.text).toMatch(/your 1 watched position, your personal subscriptions \(ETH\)/);
    expect(ask.buttons).toEqual([{ action: '/forgetme confirm', label: 'Delete everything' }]);
    expect(await svc.repo.list('telegram', '918273645')).toHaveLength(1);
    const done = await svc.handle('forgetme', tgPrivate(), { confirm: 'confirm' });
    expect(done.text).toMatch(/Deleted 1 position, your subscriptions to ETH/);
    expect(await svc.repo.list('telegram', '918273645')).toHaveLength(0);
    expect(await store.subscriptions.list({ platform: 'telegram', kind: 'user', id: '918273645' })).toEqual([]);
  });
});
