import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import type { Caller } from '../../src/bot/command.ts';
import { CommandRegistry } from '../../src/bot/registry.ts';
import type { Services } from '../../src/bot/services.ts';
import { DEFAULT_SYMBOLS } from '../../src/market/symbols.ts';
import { createSubscriptionService } from '../../commands/services/subscriptions.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { parseDuration, parseKinds, parseQuietHours } from '../../src/store/settings.ts';

const T = Date.UTC(2026, 2, 14, 12, 0);
const registry = new CommandRegistry(allCommands());
const dmUser: Caller = { platform: 'discord', userId: 'u1', chatId: 'dm1', isPrivate: true, canManage: true };
const member: Caller = { platform: 'discord', userId: 'u2', chatId: 'c9', isPrivate: false, canManage: false, guildId: 'g' };
const mod: Caller = { platform: 'discord', userId: 'u3', chatId: 'c9', isPrivate: false, canManage: true, guildId: 'g' };

let store: Store;
let services: Services;
beforeEach(async () => {
  store = await openStore('memory:');
  const symbols = {
    tracked: () => [...DEFAULT_SYMBOLS],
    instruments: () => [],
    instrument: () => undefined,
    byVenueSymbol: () => undefined,
    skipped: () => [],
    venuesOf: () => ['binance' as const],
  };
  services = { now: () => T, symbols, status: () => ({ mode: 'demo', startedAt: 0, now: T, venues: [] }), subscriptions: createSubscriptionService({ store, symbols, now: () => T, maxPerDestination: 3 }) };
});
afterEach(async () => store.close());

const run = (line: string, caller: Caller) => registry.dispatchLine(line, caller, services);

describe('subscription commands', () => {
  it('/subscribe is personal by default, idempotent, with suggestions for unknown symbols', async () => {
    const a = await run('/subscribe eth', member);
    expect(a).toMatchObject({ ok: true, ephemeral: true, data: { status: 'added', symbol: 'ETH', destination: { platform: 'discord', kind: 'user', id: 'u2' } } });
    expect(a.text).toMatch(/by DM/);
    expect((await run('/subscribe ETH', member)).data).toMatchObject({ status: 'exists' });
    const bad = await run('/subscribe ETHH', member);
    expect(bad.ok).toBe(false);
    expect(bad.text).toMatch(/Unknown symbol "ETHH".*Did you mean ETH/);
    expect(await store.subscriptions.list({ platform: 'discord', kind: 'user', id: 'u2' })).toEqual(['ETH']);
  });

  it('"here" subscribes the channel and requires manage rights', async () => {
    const refused = await run('/subscribe BTC here', member);
    expect(refused.ok).toBe(false);
    expect(refused.ephemeral).toBe(true);
    expect(refused.text).toMatch(/Only members with Manage Channels can subscribe/);
    const ok = await run('/subscribe BTC here', mod);
    expect(ok).toMatchObject({ ok: true, ephemeral: false, data: { destination: { kind: 'channel', id: 'c9' } } });
    expect(await store.owners.get('discord:channel:c9')).toMatchObject({ userId: 'u3' });
    // In a private chat, "here" is the person.
    expect((await run('/subscribe SOL here', dmUser)).data).toMatchObject({ destination: { kind: 'user', id: 'u1' } });
  });

  it('caps subscriptions per destination', async () => {
    for (const s of ['BTC', 'ETH', 'SOL']) expect((await run(`/subscribe ${s}`, dmUser)).ok).toBe(true);
    const r = await run('/subscribe XRP', dmUser);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/limit is 3.*BTC, ETH, SOL/);
  });

  it('/subscriptions lists personal and channel; /unsubscribe one or all', async () => {
    await run('/subscribe ETH', mod);
    await run('/subscribe BTC here', mod);
    const list = await run('/subscriptions', mod);
    expect(list.data).toMatchObject({ personal: { symbols: ['ETH'] }, channel: { symbols: ['BTC'] } });
    expect(list.fields).toEqual([{ name: 'You', value: 'ETH' }, { name: 'This channel', value: 'BTC' }]);
    const missing = await run('/unsubscribe BTC', mod);
    expect(missing.ok).toBe(false);
    expect(missing.text).toMatch(/^No subscription to BTC for your DMs\. Subscribed: ETH\.$/);
    // what /subscribe accepts, /unsubscribe accepts too: $ETH, ETHUSDT name the stored ETH
    await run('/subscribe SOL', mod);
    expect((await run('/unsubscribe ETHUSDT', mod)).data).toMatchObject({ removed: ['ETH'] });
    expect((await run('/unsubscribe $SOL', mod)).data).toMatchObject({ removed: ['SOL'] });
    await run('/subscribe ETH', mod);
    expect((await run('/unsubscribe BTC here', member)).ok).toBe(false);
    expect((await run('/unsubscribe BTC here', mod)).data).toMatchObject({ removed: ['BTC'] });
    await run('/subscribe SOL', mod);
    expect((await run('/unsubscribe all', mod)).data).toMatchObject({ removed: ['ETH', 'SOL'] });
    expect(await store.subscriptions.subscribersOf('ETH')).toEqual([]);
  });

  it('/alerts validates and stores settings (ephemeral, structured data)', async () => {
    const p = await run('/alerts proximity 0.8', dmUser);
    expect(p).toMatchObject({ ok: true, ephemeral: true, data: { settings: { proximityPct: 0.8 }, changed: ['proximityPct'] } });
    expect((await run('/alerts minsize 2m', dmUser)).data).toMatchObject({ settings: { minZoneUsd: 2e6 } });
    expect((await run('/alerts cooldown 15', dmUser)).data).toMatchObject({ settings: { cooldownMin: 15 } });
    expect((await run('/alerts quiet 22-07', dmUser)).data).toMatchObject({ settings: { quietHours: { start: 22, end: 7 } } });
    expect((await run('/alerts quiet 25-07', dmUser)).ok).toBe(false);
    expect((await run('/alerts mute 2h', dmUser)).data).toMatchObject({ settings: { mutedUntil: T + 7_200_000 } });
    expect((await run('/alerts mute forever', dmUser)).text).toMatch(/30m, 2h or 1d/);
    expect((await run('/alerts unmute', dmUser)).data).toMatchObject({ settings: { mutedUntil: null } });
    expect((await run('/alerts kinds proximity,sweep', dmUser)).data).toMatchObject({ settings: { kinds: ['proximity', 'sweep'] } });
    expect((await run('/alerts kinds pump', dmUser)).text).toMatch(/Unknown alert kind "pump"/);
    const show = await run('/alerts show', dmUser);
    expect(show.text).toMatch(/Proximity 0\.8% · min zone \$2M · cooldown 15 min · quiet hours 22:00–07:00 UTC · not muted · kinds proximity, sweep/);
    // Channel settings: anyone may look, only managers may change.
    expect((await run('/alerts show here', member)).ok).toBe(true);
    expect((await run('/alerts cooldown 5 here', member)).ok).toBe(false);
    expect((await run('/alerts cooldown 5 here', mod)).data).toMatchObject({ destination: { kind: 'channel', id: 'c9' }, settings: { cooldownMin: 5 } });
  });

  it('parses durations, quiet hours and kinds as values, never throwing', () => {
    expect(parseDuration('1h30m')).toEqual({ ok: true, value: 5_400_000 });
    expect(parseDuration('31d').ok).toBe(false);
    expect(parseDuration('').ok).toBe(false);
    expect(parseQuietHours('off')).toEqual({ ok: true, value: null });
    expect(parseQuietHours('7-7').ok).toBe(false);
    expect(parseKinds('all')).toMatchObject({ ok: true, value: ['proximity', 'conflict', 'sweep', 'fading'] });
    expect(parseKinds(',').ok).toBe(false);
  });
});
