import { afterAll, describe, expect, it } from 'vitest';
import { NO_LIMIT } from '../../src/bot/fairness.ts';
import { supervisePlatform } from '../../src/platforms/supervisor.ts';
import { startTelegram, type TelegramHandle } from '../../src/platforms/telegram/index.ts';
import { makeRegistry, makeServices } from '../../testkit/chat-services.ts';
import { FakeTelegram } from '../../testkit/telegram.ts';

/**
 * Telegram's long polling ending after start-up (against the fake Bot API): a 409 (a second poller
 * on the same token) is reconnected by itself, a 401 (token revoked) stops and says so — never a
 * bot that looks connected while nobody is answered.
 */
describe('Telegram polling that ends after start', () => {
  const fakes: FakeTelegram[] = [];
  afterAll(async () => {
    for (const f of fakes) await f.stop();
  });

  async function supervised() {
    const fake = await FakeTelegram.start({ maxPollTimeoutSec: 0.2 });
    fakes.push(fake);
    const logs: string[] = [];
    const platform = supervisePlatform<TelegramHandle>({
      name: 'telegram',
      host: 'fake-telegram',
      log: (_level, msg) => logs.push(msg),
      initialDelayMs: 50,
      start: (signal) => startTelegram({ token: '123:TEST', apiRoot: fake.apiRoot, registry: makeRegistry(), services: makeServices(), pollingTimeoutSec: 1, rateLimit: NO_LIMIT, signal }),
    });
    await platform.ready;
    return { fake, platform, logs };
  }

  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    if (!ok()) throw new Error(`timed out waiting for ${what}`);
  };

  it('409 Conflict: reported at once, then reconnected; commands are answered again', async () => {
    const { fake, platform, logs } = await supervised();
    const getMeBefore = fake.callsOf('getMe').length;
    fake.respondWith('getUpdates', 1, () => ({ status: 409, body: { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' } }));
    await until('the drop to be noticed', () => platform.state() !== 'ready');
    expect(platform.lastError()).toMatch(/another process is polling with this bot token/);
    expect(logs.some((l) => /telegram: stopped working: another process is polling/.test(l))).toBe(true);
    await until('a reconnect', () => platform.state() === 'ready' && fake.callsOf('getMe').length > getMeBefore);
    const user = { id: 501, is_bot: false, first_name: 'alice' };
    const after = fake.calls.length;
    fake.injectMessage('/help', user);
    const answer = await fake.waitForCall('sendMessage', { chatId: user.id, after, timeoutMs: 10_000 });
    expect(String(answer.params.text)).toMatch(/liqzone/);
    await platform.stop();
  }, 30_000);

  it('401 Unauthorized after start: stopped, not retried, and the reason is kept for /status and /healthz', async () => {
    const { fake, platform, logs } = await supervised();
    fake.respondWith('getUpdates', 1000, () => ({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } }));
    await until('the token to be given up', () => platform.state() === 'failed');
    expect(platform.lastError()).toBe('token rejected (check the token)');
    expect(logs.at(-1)).toMatch(/not retrying — set a valid token and restart/);
    const getMe = fake.callsOf('getMe').length;
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.callsOf('getMe').length).toBe(getMe);
    await platform.stop();
  }, 30_000);
});
