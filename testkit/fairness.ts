/**
 * The flood scenario behind the fairness test and bench: one Telegram user sends `flood`
 * `/zones ETH` (chart renders: the expensive command) as fast as the fake takes them, while
 * another user asks `/symbols` (4 times while the flood arrives, then every `probeEveryMs`, within their own limit); measures the other user's reply latency
 * (injection → the fake recording the answer).
 */
import { NO_LIMIT, type RateLimitOptions } from '../src/bot/fairness.ts';
import { startTelegram } from '../src/platforms/telegram/index.ts';
import { makeRegistry, makeServices } from './chat-services.ts';
import { FakeTelegram } from './telegram.ts';

export interface FloodResult {
  latenciesMs: number[];
  p50: number;
  p99: number;
  /** Answers the flooding user got (accepted commands + the one rate-limit notice). */
  floodAnswers: number;
  /** How many of them were the rate-limit notice. */
  limitedNotices: number;
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export async function runFlood(opts: { flood: number; probes: number; probeEveryMs?: number; rateLimit?: RateLimitOptions | 'none' }): Promise<FloodResult> {
  const fake = await FakeTelegram.start({ maxPollTimeoutSec: 0.2 });
  const services = makeServices();
  const bot = await startTelegram({
    token: '123:FLOOD',
    apiRoot: fake.apiRoot,
    registry: makeRegistry(),
    services,
    pollingTimeoutSec: 1,
    rateLimit: opts.rateLimit === 'none' ? NO_LIMIT : opts.rateLimit,
  });
  const flooder = { id: 9001, first_name: 'Flood' };
  const other = { id: 9002, first_name: 'Other' };
  try {
    // Warm up the chart path once (fonts, echarts) so the first probe is not measured cold.
    fake.injectMessage('/zones ETH', { id: 9003, first_name: 'Warm' });
    await fake.waitForCall(['sendPhoto', 'sendMessage'], { chatId: 9003, timeoutMs: 30_000 });

    const sentAt: number[] = [];
    const floodDone = (async () => {
      for (let i = 0; i < opts.flood; i++) {
        fake.injectMessage('/zones ETH', flooder);
        if (i % 50 === 49) await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // The other user asks within their own limit: 4 quickly while the flood arrives, then one every 1.1 s.
    for (let i = 0; i < opts.probes; i++) {
      sentAt.push(Date.now());
      fake.injectMessage('/symbols', other);
      await new Promise((r) => setTimeout(r, i < 4 ? 250 : (opts.probeEveryMs ?? 1100)));
    }
    await floodDone;
    const answersTo = (chatId: number) => fake.calls.filter((c) => (c.method === 'sendMessage' || c.method === 'sendPhoto') && Number(c.params.chat_id) === chatId && c.status === 200);
    await fake.waitFor(() => answersTo(other.id).length >= opts.probes || undefined, 120_000);
    const latenciesMs = answersTo(other.id)
      .slice(0, opts.probes)
      .map((c, i) => c.at - sentAt[i]!);
    // Let the flooder's accepted commands finish before counting them.
    await new Promise((r) => setTimeout(r, 500));
    const flood = answersTo(flooder.id);
    return {
      latenciesMs,
      p50: quantile(latenciesMs, 0.5),
      p99: quantile(latenciesMs, 0.99),
      floodAnswers: flood.length,
      limitedNotices: flood.filter((c) => /Easy there/.test(String(c.params.text ?? ''))).length,
    };
  } finally {
    await bot.stop();
    await fake.stop();
  }
}
