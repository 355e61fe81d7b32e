import { describe, expect, it } from 'vitest';
import { PerUserSerial, UserRateLimiter } from '../../src/bot/fairness.ts';
import { runFlood } from '../../testkit/fairness.ts';

describe('UserRateLimiter', () => {
  it('admits a burst of 5, then 1 per second; tells the user once per flood', () => {
    let t = 0;
    const l = new UserRateLimiter({ now: () => t });
    const admitted = () => l.admit('telegram:1');
    expect(Array.from({ length: 5 }, admitted).every((a) => a.ok)).toBe(true);
    const refused = Array.from({ length: 50 }, admitted);
    expect(refused.every((a) => !a.ok)).toBe(true);
    expect(refused.filter((a) => !a.ok && a.notify)).toHaveLength(1);
    expect(refused[0]).toMatchObject({ ok: false, retryAfterMs: 1000 });
    // A continuing flood: one command per second gets through, still no second notice.
    let notices = 0;
    let ok = 0;
    for (let i = 0; i < 100; i++) {
      t += 100;
      const a = admitted();
      if (a.ok) ok++;
      else if (a.notify) notices++;
    }
    expect(ok).toBeGreaterThanOrEqual(9); // 10 s at 1/s (float rounding may leave the 10th token a hair short)
    expect(ok).toBeLessThanOrEqual(10);
    expect(notices).toBe(0);
    // Calm for a while: a full burst again, and a new flood gets one new notice.
    t += 10_000;
    expect(Array.from({ length: 5 }, admitted).every((a) => a.ok)).toBe(true);
    expect(Array.from({ length: 5 }, admitted).filter((a) => !a.ok && a.notify)).toHaveLength(1);
    // Other users are not affected.
    expect(l.admit('telegram:2').ok).toBe(true);
  });
});

describe('PerUserSerial', () => {
  it("runs one user's tasks in order and different users in parallel", async () => {
    const s = new PerUserSerial();
    const log: string[] = [];
    const task = (name: string, ms: number) => () => new Promise<void>((r) => setTimeout(() => (log.push(name), r()), ms));
    await Promise.all([s.run('a', task('a1', 40)), s.run('a', task('a2', 1)), s.run('b', task('b1', 10)), s.run('a', async () => void log.push('a3'))]);
    expect(log).toEqual(['b1', 'a1', 'a2', 'a3']);
    expect(s.size).toBe(0);
  });

  it('a failing task does not stop the next one', async () => {
    const s = new PerUserSerial();
    const log: string[] = [];
    await Promise.allSettled([s.run('a', async () => Promise.reject(new Error('x'))), s.run('a', async () => void log.push('after'))]);
    expect(log).toEqual(['after']);
  });
});

describe('a flood of 1000 commands from one Telegram user', () => {
  it("leaves another user's p99 reply under 1 s; the flooder gets a few answers and one notice", async () => {
    const r = await runFlood({ flood: 1000, probes: 12 });
    expect(r.latenciesMs).toHaveLength(12);
    expect(r.p99).toBeLessThan(1000);
    expect(r.limitedNotices).toBe(1);
    // 5 at once plus about one per second while the flood lasts (generous bound).
    expect(r.floodAnswers).toBeLessThan(20);
  }, 180_000);
});

describe("one user's commands are answered in the order sent", () => {
  it('Telegram: a slow chart command, then quick ones: the answers keep that order', async () => {
    const { FakeTelegram } = await import('../../testkit/telegram.ts');
    const { makeRegistry, makeServices } = await import('../../testkit/chat-services.ts');
    const { startTelegram } = await import('../../src/platforms/telegram/index.ts');
    const fake = await FakeTelegram.start({ maxPollTimeoutSec: 0.2 });
    const bot = await startTelegram({ token: '123:ORDER', apiRoot: fake.apiRoot, registry: makeRegistry(), services: makeServices(), pollingTimeoutSec: 1 });
    try {
      const user = { id: 4242, first_name: 'Ada' };
      for (const line of ['/zones ETH', '/symbols', '/help', '/zones BTC']) fake.injectMessage(line, user);
      await fake.waitFor(() => (fake.calls.filter((c) => (c.method === 'sendPhoto' || c.method === 'sendMessage') && Number(c.params.chat_id) === user.id).length >= 4 ? true : undefined), 60_000);
      const answers = fake.calls.filter((c) => (c.method === 'sendPhoto' || c.method === 'sendMessage') && Number(c.params.chat_id) === user.id);
      const kinds = answers.map((c) => (c.method === 'sendPhoto' ? `zones ${/ETH|BTC/.exec(String(c.params.caption))?.[0]}` : /\/zones/.test(String(c.params.text)) && /\/help|commands/i.test(String(c.params.text)) ? 'help' : 'symbols'));
      expect(kinds.slice(0, 4)).toEqual(['zones ETH', 'symbols', 'help', 'zones BTC']);
    } finally {
      await bot.stop();
      await fake.stop();
    }
  }, 90_000);
});
