/**
 * Fairness under a flood: one Telegram user sends 1000 `/zones ETH` (chart renders) in about a
 * second through the fake Bot API while another user asks `/symbols`; the other user's reply
 * latency p99 against the same probes with no flood (baseline, same run). Goal: p99 < 1 s.
 */
import { runFlood } from '../testkit/fairness.ts';
import type { BenchRow } from './run.ts';

export default async function fairnessBench(): Promise<BenchRow[]> {
  const quiet = await runFlood({ flood: 0, probes: 12 });
  const flood = await runFlood({ flood: 1000, probes: 12 });
  return [
    { name: 'other user /symbols p99, no flood (baseline)', value: quiet.p99, unit: 'ms' },
    { name: 'other user /symbols p99, 1000-command flood', value: flood.p99, unit: 'ms', ratio: flood.p99 / quiet.p99, goal: 'p99 < 1000 ms' },
    { name: 'other user /symbols p50, 1000-command flood', value: flood.p50, unit: 'ms' },
    { name: 'flooding user answers (incl. rate-limit notice)', value: flood.floodAnswers, unit: 'replies', note: `${flood.limitedNotices} notice` },
  ];
}
