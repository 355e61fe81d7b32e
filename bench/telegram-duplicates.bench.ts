/**
 * The Telegram duplicate window, measured: a real SQLite outbox + delivery queue (child process)
 * sends 600 alerts to 60 chats through the real Telegram sender to the fake Bot API, and is
 * killed with SIGKILL at random moments (0.4–1.6 s after each start) and restarted, until every
 * alert is out. Telegram has no idempotency key, so an alert whose request was in flight when
 * the process died is sent again on restart: the duplicates counted here are that window.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeTelegram } from '../testkit/telegram.ts';
import type { BenchRow } from './run.ts';

const ALERTS = Number(process.env.DUP_ALERTS ?? 600);
const CHATS = 60;
const KILLS = Number(process.env.DUP_KILLS ?? 12);

function runChild(storeUrl: string, apiRoot: string, killAfterMs: number | undefined): Promise<'done' | 'killed'> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support', 'outbox-child.ts'), storeUrl, apiRoot, String(ALERTS), String(CHATS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    let timer: NodeJS.Timeout | undefined;
    // Count from the moment the child starts sending (after tsx start-up), so kills land mid-send.
    const arm = setInterval(() => {
      if (killAfterMs !== undefined && out.includes('open ') && !timer) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    }, 5);
    child.once('exit', () => {
      clearInterval(arm);
      if (timer) clearTimeout(timer);
      resolve(out.includes('DONE') ? 'done' : 'killed');
    });
  });
}

export async function measureDuplicates(kills = KILLS): Promise<{ alerts: number; kills: number; duplicates: number; delivered: number }> {
  const fake = await FakeTelegram.start({ maxPollTimeoutSec: 0.2 });
  const dir = mkdtempSync(join(tmpdir(), 'lz-dup-'));
  const storeUrl = `sqlite://${join(dir, 'outbox.sqlite')}`;
  let done = 0;
  let killed = 0;
  try {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    while (done === 0) {
      const kill = killed < kills ? 400 + Math.floor(rand() * 1200) : undefined;
      const r = await runChild(storeUrl, fake.apiRoot, kill);
      if (r === 'done') done++;
      else killed++;
    }
    const byText = new Map<string, number>();
    for (const c of fake.calls) if (c.method === 'sendMessage' && c.status === 200) byText.set(String(c.params.text), (byText.get(String(c.params.text)) ?? 0) + 1);
    let duplicates = 0;
    for (const n of byText.values()) duplicates += n - 1;
    return { alerts: ALERTS, kills: killed, duplicates, delivered: byText.size };
  } finally {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function duplicatesBench(): Promise<BenchRow[]> {
  const r = await measureDuplicates();
  return [
    { name: `alerts delivered (of ${r.alerts}) across ${r.kills} kill -9`, value: r.delivered, unit: 'alerts', goal: `${r.alerts} (none lost)` },
    { name: 'Telegram duplicates across those kill -9', value: r.duplicates, unit: 'dups', note: `${(r.duplicates / Math.max(1, r.kills)).toFixed(2)} per kill, ${((100 * r.duplicates) / r.alerts).toFixed(2)}% of alerts` },
  ];
}
