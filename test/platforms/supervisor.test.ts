import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { describeStartError, supervisePlatform, type PlatformHandle } from '../../src/platforms/supervisor.ts';
import type { AlertSender, SendResult } from '../../src/notify/types.ts';
import { startDemoMarket, type DemoMarket } from '../../src/demo/demo-market.ts';
import { FakeDiscord, MEMBER_PERMISSIONS } from '../../testkit/discord.ts';
import { FakeTelegram } from '../../testkit/telegram.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const okSender = (sent: string[]): AlertSender => ({
  platform: 'telegram',
  send: async (dest) => {
    sent.push(dest.id);
    return { ok: true };
  },
});

describe('supervisePlatform', () => {
  it('logs the first failure at once, retries with growing delays, then delivers through the platform', async () => {
    const logs: string[] = [];
    const sent: string[] = [];
    let attempts = 0;
    const p = supervisePlatform<PlatformHandle>({
      name: 'telegram',
      host: 'telegram-api.test',
      log: (_level, msg) => logs.push(msg),
      initialDelayMs: 20,
      start: async () => {
        attempts++;
        if (attempts < 4) throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
        return { sender: okSender(sent), stop: async () => {} };
      },
    });
    const before: SendResult = await p.sender.send({ platform: 'telegram', kind: 'user', id: '1' }, { ok: true, text: 'x' }, { silent: false });
    expect(before).toMatchObject({ ok: false, retryAfterMs: 5000 });
    expect(before.ok === false && before.error).toMatch(/telegram not connected yet/);
    await p.ready;
    expect(attempts).toBe(4);
    expect(logs[0]).toBe('telegram: telegram-api.test unreachable, retrying in 0 s (ECONNREFUSED)');
    expect(logs.slice(0, 3).map((l) => /retrying in ([\d.]+) s/.exec(l)?.[1])).toEqual(['0', '0', '0.1']);
    expect(logs.at(-1)).toMatch(/connected to telegram-api.test after 4 attempts/);
    expect(await p.sender.send({ platform: 'telegram', kind: 'user', id: '2' }, { ok: true, text: 'x' }, { silent: false })).toEqual({ ok: true });
    expect(sent).toEqual(['2']);
    await p.stop();
  });

  it('stops at once while waiting to retry, and stops an attempt that connects after stop', async () => {
    let stopped = 0;
    let release!: () => void;
    const p = supervisePlatform<PlatformHandle>({
      name: 'discord',
      host: 'discord.com',
      log: () => {},
      stopWaitMs: 50,
      start: () => new Promise((resolve) => (release = () => resolve({ sender: okSender([]), stop: async () => void stopped++ }))),
    });
    const t0 = Date.now();
    await p.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    release();
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(1);
    expect(p.state()).toBe('stopped');
  });

  it("alerts for a platform that is not connected wait in their lanes; the other platform's alerts go out", async () => {
    const { DeliveryQueue } = await import('../../src/notify/queue.ts');
    const { openStore } = await import('../../src/store/store.ts');
    const store = await openStore('memory:');
    const telegram = supervisePlatform<PlatformHandle>({ name: 'telegram', host: 'telegram-api.test', log: () => {}, start: () => new Promise(() => {}) });
    const discordSent: string[] = [];
    const discord: AlertSender = { platform: 'discord', send: async (dest) => (discordSent.push(dest.id), { ok: true }) };
    const saved: string[] = [];
    const queue = new DeliveryQueue({ senders: [telegram.sender, discord], outbox: { save: async (m) => void saved.push(`${m.id}:${m.state}`) }, health: store.health, render: () => ({ ok: true, text: 'alert' }), limits: {} });
    const msg = (id: string, platform: 'telegram' | 'discord') => ({ id, destKey: `${platform}:user:${id}`, dest: { platform, kind: 'user' as const, id }, createdAt: 1, keys: [id], alerts: [], state: 'queued' as const, silent: false, attempts: 0 });
    queue.enqueue(msg('t1', 'telegram'));
    queue.enqueue(msg('d1', 'discord'));
    await vi_poll(() => (discordSent.length ? true : undefined), 2000);
    expect(discordSent).toEqual(['d1']);
    expect(saved).toContain('d1:sent');
    expect(saved).not.toContain('t1:sent');
    expect(queue.stats.rateLimited).toBeGreaterThanOrEqual(1); // the Telegram lane waits and retries
    await queue.stop();
    await telegram.stop();
    await store.close();
  });

  it('a platform that drops out after it was ready is reconnected (409), or stopped and said so when its token is rejected (401)', async () => {
    const logs: string[] = [];
    let starts = 0;
    let drop!: (reason: unknown) => void;
    const p = supervisePlatform<PlatformHandle>({
      name: 'telegram',
      host: 'telegram-api.test',
      log: (_level, msg) => logs.push(msg),
      initialDelayMs: 10,
      start: async () => {
        starts++;
        return { sender: okSender([]), stop: async () => {}, lost: new Promise((r) => (drop = r)) };
      },
    });
    await p.ready;
    expect(p.state()).toBe('ready');
    drop({ error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
    await new Promise((r) => setTimeout(r, 5));
    expect(p.state()).toBe('retrying');
    expect(p.lastError()).toMatch(/another process is polling with this bot token \(409 Conflict\)/);
    expect(logs.some((l) => /telegram: stopped working: another process is polling.*reconnecting in/.test(l))).toBe(true);
    for (let i = 0; i < 100 && starts < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(starts).toBe(2);
    for (let i = 0; i < 100 && p.state() !== 'ready'; i++) await new Promise((r) => setTimeout(r, 5));
    expect(p.state()).toBe('ready');
    drop({ error_code: 401, description: 'Unauthorized' });
    for (let i = 0; i < 100 && p.state() !== 'failed'; i++) await new Promise((r) => setTimeout(r, 5));
    expect(p.state()).toBe('failed');
    expect(logs.at(-1)).toBe('telegram: stopped working: token rejected (check the token); not retrying — set a valid token and restart');
    await new Promise((r) => setTimeout(r, 50));
    expect(starts).toBe(2); // not retried
    const send = await p.sender.send({ platform: 'telegram', kind: 'user', id: '1' }, { ok: true, text: 'x' }, { silent: false });
    expect(send.ok).toBe(false);
    await p.stop();
  });

  it('tells an unreachable API from a rejected token', () => {
    expect(describeStartError(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } })).unreachable).toBe(true);
    expect(describeStartError({ error_code: 401, description: 'Unauthorized' })).toEqual({ unreachable: false, text: 'token rejected (check the token)', tokenRejected: true });
    expect(describeStartError(new Error('Discord gateway not ready within 30000 ms')).unreachable).toBe(true);
  });
});

describe('Telegram unreachable: Discord, the notifier and start-up go on', () => {
  let market: DemoMarket;
  let discord: FakeDiscord;
  let telegram: FakeTelegram | undefined;
  let app: App;
  let telegramPort: number;
  const lines: string[] = [];
  let startMs = 0;

  beforeAll(async () => {
    market = await startDemoMarket({ symbols: ['BTC', 'ETH'], seed: 5, autoRegimes: false });
    discord = await FakeDiscord.start({ heartbeatIntervalMs: 1000 });
    telegramPort = await freePort(); // nothing listens there yet: connection refused
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    const r = loadConfig({
      SYMBOLS: 'BTC,ETH',
      STORE_URL: 'memory:',
      LOG_LEVEL: 'info',
      CHART_DIR: mkdtempSync(join(tmpdir(), 'lz-sup-')),
      DISCORD_TOKEN: 'test-token',
      DISCORD_APP_ID: discord.appId,
      DISCORD_API_URL: discord.apiUrl,
      TELEGRAM_TOKEN: '123:TEST',
      TELEGRAM_API_ROOT: `http://127.0.0.1:${telegramPort}`,
    });
    if (!r.ok) throw new Error(r.errors.join('; '));
    const t0 = Date.now();
    app = await startApp({ config: r.config, mode: 'demo', logger: pino({ level: 'info' }, sink), surface: 'auto', endpoints: market.endpoints });
    startMs = Date.now() - t0;
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await telegram?.stop();
    await discord?.stop();
    await market?.stop();
  });

  it('start-up does not wait for Telegram, and the log says why it is not there', async () => {
    expect(startMs).toBeLessThan(15_000);
    const line = await vi_poll(() => lines.find((l) => /telegram: 127\.0\.0\.1:\d+ unreachable, retrying in \d/.test(l)), 15_000);
    expect(JSON.parse(line).level).toBe(40); // warn
  }, 30_000);

  it('Discord answers commands meanwhile', async () => {
    const origin = { user: { id: '1290000000000000777', username: 'kai' }, guildId: discord.guilds[0]!.id, permissions: MEMBER_PERMISSIONS };
    const status = discord.injectCommand('status', {}, origin);
    const answered = await discord.waitFor(() => status.calls().find((c) => c.status < 300 && /callback$/.test(c.path)), 60_000);
    expect(JSON.stringify(answered.body)).toMatch(/binance/);
  }, 90_000);

  it('Telegram connects by itself once its API is reachable', async () => {
    telegram = await FakeTelegram.start({ port: telegramPort, maxPollTimeoutSec: 0.2 });
    await telegram.waitFor(() => telegram!.callsOf('setMyCommands')[0], 90_000);
    const user = { id: 7001, first_name: 'Kai', username: 'kai' };
    telegram.injectMessage('/symbols', user);
    const answer = await telegram.waitForCall('sendMessage', { chatId: user.id, timeoutMs: 30_000 });
    expect(String(answer.params.text)).toMatch(/BTC/);
  }, 120_000);
});

async function vi_poll<T>(fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SIGTERM during start-up', () => {
  it('stops gracefully (exit 0) while Telegram is still unreachable', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'run'], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, STORE_URL: 'memory:', SYMBOLS: 'BTC', LOG_LEVEL: 'info', TELEGRAM_TOKEN: '123:TEST', TELEGRAM_API_ROOT: `http://127.0.0.1:${port}`, DISCORD_TOKEN: '', BINANCE_WS_URL: `ws://127.0.0.1:${port}`, BINANCE_REST_URL: `http://127.0.0.1:${port}`, BYBIT_WS_URL: `ws://127.0.0.1:${port}`, BYBIT_REST_URL: `http://127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await vi_poll(() => (/telegram: 127\.0\.0\.1:\d+ unreachable/.test(out) ? true : undefined), 60_000);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    expect(code, out).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(out).toMatch(/stopped cleanly/);
  }, 90_000);
});
