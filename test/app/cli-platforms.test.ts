import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord, MEMBER_PERMISSIONS } from '../../testkit/discord.ts';
import { FakeTelegram } from '../../testkit/telegram.ts';

/**
 * The real CLI (`liqzone demo`, as `npm run demo` runs it) with DISCORD_TOKEN/DISCORD_API_URL and
 * TELEGRAM_TOKEN/TELEGRAM_API_ROOT pointed at the local fakes: the platforms are chosen by the
 * tokens present and serve commands on simulated venues, with no network.
 */
let discord: FakeDiscord;
let telegram: FakeTelegram;
let child: ChildProcess;
let stderr = '';

beforeAll(async () => {
  discord = await FakeDiscord.start({ heartbeatIntervalMs: 1000 });
  telegram = await FakeTelegram.start({ maxPollTimeoutSec: 0.2 });
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'demo'], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: {
      ...process.env,
      SYMBOLS: 'BTC,ETH',
      DEMO_STORE_URL: 'memory:',
      LOG_LEVEL: 'warn',
      CHART_DIR: mkdtempSync(join(tmpdir(), 'lz-cli-')),
      DISCORD_TOKEN: 'test-token',
      DISCORD_APP_ID: discord.appId,
      DISCORD_API_URL: discord.apiUrl,
      TELEGRAM_TOKEN: '123:TEST',
      TELEGRAM_API_ROOT: telegram.apiRoot,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d) => (stderr += d));
  // both platforms connected: Telegram registered its commands, Discord identified on the gateway
  await telegram.waitFor(() => telegram.callsOf('setMyCommands')[0], 90_000);
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await discord?.stop();
  await telegram?.stop();
});

describe('liqzone demo with chat tokens pointed at the fakes', () => {
  it('serves /zones on Telegram with a chart', async () => {
    const user = { id: 7001, first_name: 'Kai', username: 'kai' };
    const after = telegram.calls.length;
    // the first zones snapshot appears a few seconds after start: ask until the photo arrives
    let call;
    for (let i = 0; i < 30 && !call; i++) {
      telegram.injectMessage('/zones eth', user);
      const answer = await telegram.waitForCall(['sendMessage', 'sendPhoto'], { chatId: user.id, after: telegram.calls.length - 1, timeoutMs: 30_000 });
      if (answer.method === 'sendPhoto') call = answer;
      else await new Promise((r) => setTimeout(r, 1000));
    }
    expect(call, stderr).toBeDefined();
    expect(String(call!.params.caption)).toMatch(/ETH liquidation zones \(estimated\)/);
    expect(telegram.calls.length).toBeGreaterThan(after);
  }, 120_000);

  it('serves /status and /exit on Discord', async () => {
    const origin = { user: { id: '1290000000000000777', username: 'kai' }, guildId: discord.guilds[0]!.id, permissions: MEMBER_PERMISSIONS };
    const status = discord.injectCommand('status', {}, origin);
    const answered = await discord.waitFor(() => status.calls().find((c) => c.status < 300 && /callback$/.test(c.path)), 60_000);
    expect(JSON.stringify(answered.body)).toMatch(/binance/);
    const exit = discord.injectCommand('exit', { symbol: 'ETH', side: 'long', entry: 3100, leverage: 20 }, origin);
    const edit = await discord.waitFor(
      () => exit.calls().find((c) => c.method === 'PATCH' && /messages\/@original$/.test(c.path) && c.status === 200),
      60_000,
    );
    const body = edit.body as { embeds?: { fields?: { name: string }[] }[] };
    expect(body.embeds?.[0]?.fields?.map((f) => f.name)).toContain('Liquidation price');
  }, 120_000);
});
