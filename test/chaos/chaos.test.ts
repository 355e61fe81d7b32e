/**
 * Chaos, bounded and seeded:
 * 1. The whole app (`startApp`, demo market on loopback, console surface in --json, SQLite store)
 *    with console subscriptions, while a fixed schedule of stalls, closes, garbage frames and REST
 *    429s hits both venues. Afterwards the venues are open and live again, the subscriptions are
 *    all there, no alert was printed twice, and /status and /zones still answer.
 * 2. The Discord and Telegram adapters against their fakes, the notifier delivering to a dozen
 *    destinations through random 429s (short ones waited out by the libraries, long ones handed
 *    back to the queue) and one blocked chat per platform: every alert to a live destination
 *    arrives exactly once, the blocked ones are disabled, nothing is posted twice.
 * Any unhandled rejection or uncaught exception during either fails the test.
 */
import { NO_LIMIT } from '../../src/bot/fairness.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.ts';
import type { VenueStatus } from '../../src/bot/services.ts';
import { loadConfig } from '../../src/config.ts';
import type { Venue } from '../../src/market/types.ts';
import { Notifier } from '../../src/notify/notifier.ts';
import { startDiscord, type DiscordHandle } from '../../src/platforms/discord/index.ts';
import { startTelegram, type TelegramHandle } from '../../src/platforms/telegram/index.ts';
import { createChartService } from '../../src/bot/charts.ts';
import { destinationKey } from '../../src/store/destination.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import type { AlertSender, SendResult } from '../../src/notify/types.ts';
import type { Destination } from '../../src/store/types.ts';
import { startDemoMarket, type DemoMarket } from '../../src/demo/demo-market.ts';
import { FakeDiscord } from '../../testkit/discord.ts';
import { FakeTelegram } from '../../testkit/telegram.ts';
import { FakeZones, type ZoneSpec } from '../notify/helpers.ts';
import { makeRegistry, makeServices } from '../../testkit/chat-services.ts';
import { chatFaults, mulberry32, venueFaultSchedule, type VenueFault } from './faults.ts';

// ---------------------------------------------------------------- crash detection

const crashes: string[] = [];
const onRejection = (reason: unknown) => crashes.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`);
const onException = (err: Error) => crashes.push(`uncaughtException: ${err.stack ?? err.message}`);
beforeAll(() => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
});
afterAll(() => {
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
});

async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- 1. venues

const SYMBOLS = ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE'];
const FAULTS = 30;
const FAULT_SPAN_MS = 18_000;

describe('chaos: venues under stalls, closes, garbage and 429s (whole app)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lz-chaos-'));
  const storeUrl = `sqlite://${join(dir, 'chaos.sqlite')}`;
  const input = new PassThrough();
  const output = new PassThrough();
  const out = { text: '', lines: 0 };
  let market: DemoMarket;
  let app: App;
  let schedule: VenueFault[];
  const executed: Record<VenueFault['kind'], number> = { stall: 0, close: 0, garbage: 0, rest429: 0 };
  let subscriptionsBefore: Record<string, unknown>;
  let statusAfter: VenueStatus[];
  const framesBefore = { binance: 0, bybit: 0 };

  /** Sends command lines and resolves with the next `n` command answers (alerts interleave and are skipped). */
  async function ask(lines: string[]): Promise<Record<string, any>[]> {
    const seen = out.text.split('\n').filter(Boolean).length;
    input.write(lines.join('\n') + '\n');
    return waitFor(
      () => {
        const answers = out.text.split('\n').filter(Boolean).slice(seen).map((l) => JSON.parse(l) as Record<string, any>).filter((o) => !o.alert);
        return answers.length >= lines.length ? answers.slice(0, lines.length) : undefined;
      },
      `answers to ${lines.join(', ')}`,
      20_000,
    );
  }

  const alertLines = () => out.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>).filter((o) => o.alert);

  function venueStatus(): VenueStatus[] {
    return app.services.status().venues;
  }

  function run(f: VenueFault): void {
    const fake = market.fakes[f.venue];
    executed[f.kind]++;
    switch (f.kind) {
      case 'stall':
        fake.stall();
        setTimeout(() => fake.resume(), f.ms);
        return;
      case 'close':
        fake.closeAll(f.code);
        return;
      case 'garbage':
        fake.sendGarbage(f.n);
        return;
      case 'rest429':
        fake.fail429(f.retryAfterSec, f.times);
    }
  }

  beforeAll(async () => {
    market = await startDemoMarket({ symbols: SYMBOLS, seed: 30 });
    output.on('data', (d: Buffer) => (out.text += String(d)));
    const r = loadConfig({ SYMBOLS: SYMBOLS.join(','), STORE_URL: storeUrl, LOG_LEVEL: 'silent', CHART_DIR: join(dir, 'charts'), NOTIFY_CRON: '*/2 * * * * *' });
    if (!r.ok) throw new Error(r.errors.join('; '));
    app = await startApp({ config: r.config, mode: 'demo', logger: pino({ level: 'silent' }), surface: 'console', json: true, endpoints: market.endpoints, input, output });
    await app.ready;
    await waitFor(() => venueStatus().every((v) => v.symbolsLive.length === SYMBOLS.length) && venueStatus(), 'both venues live', 30_000);

    const subscribe = await ask([...SYMBOLS.map((s) => `/subscribe ${s}`), '/alerts proximity 3', '/alerts kinds proximity,conflict,sweep,fading']);
    for (const a of subscribe) expect(a.ok, a.text).toBe(true);
    [subscriptionsBefore] = (await ask(['/subscriptions'])) as [Record<string, unknown>];

    framesBefore.binance = market.fakes.binance.counters.framesSent;
    framesBefore.bybit = market.fakes.bybit.counters.framesSent;
    schedule = venueFaultSchedule({ seed: 7, count: FAULTS, spanMs: FAULT_SPAN_MS, maxReconnectsPerVenue: 3, watchdogMs: { binance: 4_000, bybit: 10_000 } });
    const t0 = Date.now();
    for (const f of schedule) {
      const wait = t0 + f.at - Date.now();
      if (wait > 0) await sleep(wait);
      run(f);
    }
    // The storm is over: no fault outlives it.
    for (const v of ['binance', 'bybit'] as const) {
      market.fakes[v].resume();
      market.fakes[v].clearRestFaults();
    }
    const calm = Date.now();
    // Back to open, every symbol live, and fresh events for every symbol on both venues after the storm.
    statusAfter = await waitFor(
      () => {
        const st = venueStatus();
        const open = st.every((v) => v.connections.length > 0 && v.connections.every((c) => c.state === 'open'));
        const fresh = SYMBOLS.every((s) => (['binance', 'bybit'] as Venue[]).every((v) => (app.state.get(s, v)?.lastEventTime ?? 0) > calm));
        return open && fresh && st.every((v) => v.symbolsLive.length === SYMBOLS.length) && st;
      },
      'venues open and live after the storm',
      45_000,
    );
  }, 120_000);

  afterAll(async () => {
    input.end();
    await app?.stop();
    await market?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ran the whole schedule: a fixed number of faults of every kind on both venues', () => {
    expect(schedule).toHaveLength(FAULTS);
    expect(Object.values(executed).reduce((a, b) => a + b, 0)).toBe(FAULTS);
    for (const kind of ['stall', 'close', 'garbage', 'rest429'] as const) expect(executed[kind]).toBeGreaterThan(0);
    expect(new Set(schedule.map((f) => f.venue)).size).toBe(2);
  });

  it('the venues noticed (reconnects, malformed frames) and came back open with every symbol live', () => {
    for (const v of statusAfter) {
      expect(v.connections.every((c) => c.state === 'open')).toBe(true);
      expect([...v.symbolsLive].sort()).toEqual([...SYMBOLS].sort());
      const closes = schedule.filter((f) => f.venue === v.venue && f.kind === 'close').length;
      if (closes > 0) expect(v.connections.reduce((a, c) => a + c.reconnects, 0)).toBeGreaterThan(0);
      if (schedule.some((f) => f.venue === v.venue && f.kind === 'garbage')) expect(v.malformedFrames).toBeGreaterThan(0);
    }
    expect(market.fakes.binance.counters.framesSent).toBeGreaterThan(framesBefore.binance);
    expect(market.fakes.bybit.counters.framesSent).toBeGreaterThan(framesBefore.bybit);
  });

  it('/status and /zones ETH still answer', async () => {
    app.zones.update();
    const [status, zones] = await ask(['/status', '/zones ETH']);
    expect(status!.ok).toBe(true);
    expect((status!.data.venues as { venue: string }[]).map((v) => v.venue).sort()).toEqual(['binance', 'bybit']);
    expect(zones!.ok).toBe(true);
    expect(zones!.text).toMatch(/estimated/i);
    expect((zones!.data.zones as unknown[]).length).toBeGreaterThan(0);
  });

  it('no alert printed twice to the console destination', () => {
    // Within a run this short the 30-min cooldown allows one alert per symbol and kind: any
    // identity seen twice is a duplicate.
    const ids: string[] = [];
    for (const line of alertLines()) {
      expect(line.alert.destination).toBe('user:console');
      for (const a of (line.data?.alerts ?? []) as { kind: string; symbol: string; zone?: { id: string }; zoneId?: string; phase?: string; t?: number }[]) {
        ids.push(`${a.kind}|${a.symbol}|${a.zone?.id ?? a.zoneId ?? ''}|${a.phase ?? ''}|${a.kind === 'conflict' ? a.t : ''}`);
      }
    }
    expect(ids.length).toBe(new Set(ids).size);
  });

  it('no subscription lost: the same list before and after, and in the store after shutdown', async () => {
    const [after] = await ask(['/subscriptions']);
    expect(after!.ok).toBe(true);
    expect(after!.text).toBe(subscriptionsBefore.text);
    expect(after!.data).toEqual(subscriptionsBefore.data);
    input.end();
    await app.stop();
    const store = await openStore(storeUrl);
    try {
      const dest: Destination = { platform: 'console', kind: 'user', id: 'console' };
      expect((await store.subscriptions.list(dest)).sort()).toEqual([...SYMBOLS].sort());
      expect((await store.settings.get(dest)).proximityPct).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('nothing crashed', () => {
    expect(crashes).toEqual([]);
  });
});

// ---------------------------------------------------------------- 2. chat platforms

/** Wraps a platform sender and records every attempt and its outcome. */
class RecordingWrapper implements AlertSender {
  readonly attempts: { destKey: string; messageId?: string; result: SendResult }[] = [];
  constructor(private readonly inner: AlertSender) {}
  get platform() {
    return this.inner.platform;
  }
  async send(dest: Destination, reply: Parameters<AlertSender['send']>[1], opts: { silent: boolean; idempotencyKey?: string }): Promise<SendResult> {
    const result = await this.inner.send(dest, reply, opts);
    this.attempts.push({ destKey: destinationKey(dest), messageId: opts.idempotencyKey, result });
    return result;
  }
  okCount(destKey: string): number {
    return this.attempts.filter((a) => a.destKey === destKey && a.result.ok).length;
  }
}

const ROUNDS = 5;
const CHAT_SYMBOLS = ['ETH', 'BTC'] as const;
const BASE: Record<string, number> = { ETH: 3000, BTC: 90_000 };

describe('chaos: Discord and Telegram adapters under 429s and blocked chats', () => {
  let discord: FakeDiscord;
  let telegram: FakeTelegram;
  let d: DiscordHandle;
  let t: TelegramHandle;
  let store: Store;
  let notifier: Notifier;
  let dSender: RecordingWrapper;
  let tSender: RecordingWrapper;
  const zones = new FakeZones();
  const live: Destination[] = [];
  const blocked: Destination[] = [];
  const delivered = new Map<string, number>();
  const perDest = new Map<string, number>();
  let faultsInjected = 0;
  let messagesDecided = 0;

  beforeAll(async () => {
    discord = await FakeDiscord.start({ heartbeatIntervalMs: 1000 });
    telegram = await FakeTelegram.start({ maxPollTimeoutSec: 1 });
    const services = makeServices();
    d = await startDiscord({ token: 'chaos-token', apiUrl: discord.apiUrl, registry: makeRegistry(), services, rateLimit: NO_LIMIT });
    t = await startTelegram({ token: '123:chaos', apiRoot: telegram.apiRoot, registry: makeRegistry(), services, pollingTimeoutSec: 1, rateLimit: NO_LIMIT });
    dSender = new RecordingWrapper(d.sender);
    tSender = new RecordingWrapper(t.sender);

    const guild = discord.guilds[0]!;
    guild.channels.push({ id: '1290000000000000201', name: 'alerts' });
    live.push(
      ...guild.channels.map((c): Destination => ({ platform: 'discord', kind: 'channel', id: c.id })),
      ...['1290000000000000501', '1290000000000000502', '1290000000000000503'].map((id): Destination => ({ platform: 'discord', kind: 'user', id })),
      ...['9101', '9102', '9103'].map((id): Destination => ({ platform: 'telegram', kind: 'user', id })),
      ...['-1009201', '-1009202'].map((id): Destination => ({ platform: 'telegram', kind: 'channel', id })),
    );
    discord.dmBlockedUsers.add('1290000000000000888');
    telegram.blockedChats.add(9666);
    blocked.push({ platform: 'discord', kind: 'user', id: '1290000000000000888' }, { platform: 'telegram', kind: 'user', id: '9666' });

    store = await openStore('memory:');
    for (const [i, dest] of [...live, ...blocked].entries()) {
      // odd ones watch both symbols (digests, text only), even ones one symbol (single alerts with a chart)
      const symbols = i % 2 ? CHAT_SYMBOLS : [CHAT_SYMBOLS[i % 4 === 0 ? 0 : 1]];
      for (const s of symbols) await store.subscriptions.add(dest, s);
      await store.settings.update(dest, { cooldownMin: 0 });
    }
    notifier = new Notifier({ store, zones, senders: [dSender, tSender], charts: createChartService(), retryBaseMs: 50 });
    notifier.onDelivery((r) => {
      delivered.set(r.messageId, (delivered.get(r.messageId) ?? 0) + 1);
      const k = destinationKey(r.dest);
      perDest.set(k, (perDest.get(k) ?? 0) + 1);
    });

    // Each round: a fresh zone per symbol, price moves into its band, random rate limits, one tick.
    const rand = mulberry32(4242);
    for (const s of CHAT_SYMBOLS) zones.setPrice(s, BASE[s]!);
    await notifier.tick();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of CHAT_SYMBOLS) {
        const low = BASE[s]! * (1 + 0.02 * round);
        const spec: ZoneSpec = { id: `${s}:S:${round}`, side: 'short', low, high: low * 1.004, usd: 50e6 };
        zones.setZones(s, [spec]);
        zones.setPrice(s, low * 0.995);
      }
      for (const f of chatFaults(rand, 2)) {
        faultsInjected++;
        if (f.platform === 'discord') discord.rateLimit('POST', /^\/channels\/\d+\/messages$/, f.times, f.retryAfterSec);
        else telegram.rateLimit(f.method, f.times, f.retryAfterSec);
      }
      messagesDecided += (await notifier.tick()).messages;
      await waitFor(() => notifier.delivery.pending === 0, `round ${round} delivered`, 60_000);
    }
    await notifier.delivery.idle();
  }, 150_000);

  afterAll(async () => {
    await notifier?.stop();
    await store?.close();
    await d?.stop();
    await t?.stop();
    await discord?.stop();
    await telegram?.stop();
  });

  it('rate limits really hit both platforms, and the blocked chats answered 403', () => {
    expect(faultsInjected).toBe(ROUNDS * 2);
    expect(discord.calls.some((c) => c.status === 429)).toBe(true);
    expect(telegram.calls.some((c) => c.status === 429)).toBe(true);
    expect(discord.calls.some((c) => c.status === 403)).toBe(true);
    expect(telegram.calls.some((c) => c.status === 403)).toBe(true);
  });

  it('every live destination got one message per round; nothing delivered twice', () => {
    expect(messagesDecided).toBeGreaterThanOrEqual(ROUNDS * live.length);
    for (const dest of live) expect({ dest: destinationKey(dest), n: perDest.get(destinationKey(dest)) ?? 0 }).toEqual({ dest: destinationKey(dest), n: ROUNDS });
    for (const [, n] of delivered) expect(n).toBe(1);
    // each message id succeeded at most once at the adapter
    for (const s of [dSender, tSender]) {
      const okIds = s.attempts.filter((a) => a.result.ok).map((a) => a.messageId);
      expect(okIds.length).toBe(new Set(okIds).size);
    }
  });

  it('the platforms saw each alert once per chat (no duplicate posts behind a retry)', () => {
    // Discord: successful channel posts, by channel and content
    const posts = discord.calls.filter((c) => c.method === 'POST' && /^\/channels\/\d+\/messages$/.test(c.path) && c.status === 200);
    const dKeys = posts.map((c) => `${c.path}|${JSON.stringify((c.body as { embeds?: unknown }).embeds)}`);
    expect(dKeys.length).toBe(new Set(dKeys).size);
    const dOk = dSender.attempts.filter((a) => a.result.ok).length;
    expect(posts.length).toBe(dOk);
    // Telegram: successful sends, by chat and content
    const sends = telegram.calls.filter((c) => (c.method === 'sendMessage' || c.method === 'sendPhoto') && c.status === 200);
    const tKeys = sends.map((c) => `${String(c.params.chat_id)}|${c.method}|${String(c.params.text ?? c.params.caption ?? '')}`);
    expect(tKeys.length).toBe(new Set(tKeys).size);
    expect(sends.length).toBeGreaterThanOrEqual(tSender.attempts.filter((a) => a.result.ok).length);
  });

  it('the blocked chats were disabled after permanent failures and got nothing', async () => {
    for (const dest of blocked) {
      expect((await store.health.get(dest)).disabled).toBe(true);
      expect(perDest.get(destinationKey(dest)) ?? 0).toBe(0);
    }
    expect(telegram.calls.filter((c) => Number(c.params.chat_id) === 9666 && c.status === 200)).toHaveLength(0);
    expect(notifier.delivery.stats.dropped + notifier.delivery.stats.permanentFailures).toBeGreaterThan(0);
  });

  it('no subscription lost to the failures', async () => {
    for (const dest of live) expect((await store.subscriptions.list(dest)).length).toBeGreaterThan(0);
  });

  it('nothing crashed', () => {
    expect(crashes).toEqual([]);
  });
});
