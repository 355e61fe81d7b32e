/**
 * Soak, full scale: 21 symbols × 2 venues with the default state windows, the simulator on an
 * accelerated clock through a fill phase (48 h: the longest window, OI and funding history) and
 * then the measured 24 simulated hours, into MarketState + ZoneEngine + SignalEngine + Notifier
 * (300 destinations over the product's default store, SQLite in a temporary file). Reports RSS and
 * heap at the start and end of the measured day (after a forced GC) and per half of it, every
 * buffer's size, and — with SOAK_STORE=memory: — what the memory store holds (sent messages and
 * ledger entries for their 2-day retention, in the heap; SQLite keeps them on disk and costs the
 * notifier ~3× its time here, a few seconds per simulated day).
 *
 * Then the real process: `node --import tsx src/main.ts demo --json` (STORE_URL=memory:,
 * LOG_LEVEL=warn, all 21 symbols), `/status` once both venues are live, VmRSS sampled from
 * /proc/<pid>/status, stdin closed at the end; baseline: an idle `node --import tsx` process.
 * The demo process also runs the simulator and the fake venues, so its RSS is an upper bound.
 *
 * Run: `npx tsx bench/run.ts soak`. Knobs (env): SOAK_FILL_HOURS (48), SOAK_HOURS (24),
 * SOAK_STORE (a store URL; default SQLite in a temporary file), SOAK_ZONES_MS (300000), SOAK_SIGNALS_MS (60000), SOAK_NOTIFY_MS (60000), SOAK_EAGER_EVERY (0: every destination on default alert settings), SOAK_APP_SECONDS (120;
 * 0 skips the process), SOAK_HEAPSNAPSHOT (a directory: a heap snapshot per checkpoint, and rows of
 * what grew between the first and the last, grouped by constructor or property names under their
 * retainer path from the GC roots (bench/support/heap-diff.ts); parsing two
 * ~300 MB snapshots needs NODE_OPTIONS=--max-old-space-size=16000).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_SYMBOLS } from '../src/market/symbols.ts';
import { runSoak, simulatorAloneHeap, type Checkpoint } from '../testkit/soak.ts';
import type { BenchRow } from './run.ts';
import { heapGrowth } from './support/heap-diff.ts';

const MB = 1024 * 1024;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const num = (name: string, def: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && process.env[name] !== undefined ? v : def;
};

function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const pct = (a: number, b: number) => ((b - a) / a) * 100;

/** The three keys that grew most between two checkpoints, as "name +x.x MB, …". */
function topGrowth<T>(a: Record<string, T>, b: Record<string, T>, size: (v: T) => number, extra?: (a: T | undefined, b: T) => string): string {
  return Object.entries(b)
    .map(([k, v]) => ({ k, v, d: size(v) - (a[k] === undefined ? 0 : size(a[k]!)) }))
    .sort((x, y) => y.d - x.d)
    .slice(0, 3)
    .map(({ k, v, d }) => `${k} ${d >= 0 ? '+' : ''}${(d / MB).toFixed(1)} MB${extra ? extra(a[k], v) : ''}`)
    .join(', ');
}

async function inProcess(): Promise<BenchRow[]> {
  const gc = getGc();
  let snapshots = 0;
  const fill = num('SOAK_FILL_HOURS', 48);
  const hours = num('SOAK_HOURS', 24);
  // the simulator alone first (same seed and steps): its heap growth is the harness's, not the bot's
  const simAlone = simulatorAloneHeap({ seed: 24, hours: fill + hours, checkpoints: [fill, fill + hours / 2, fill + hours], beforeCheckpoint: () => { for (let i = 0; i < 3; i++) gc(); } });
  gc();
  // the product's default store (SQLite in a temporary file): alert history lives on disk, as in `npm start`;
  // SOAK_STORE=memory: keeps it in the process instead (keyv's Map, counted in the heap)
  const tmp = mkdtempSync(join(tmpdir(), 'liqzone-soak-'));
  const storeUrl = process.env.SOAK_STORE ?? `sqlite://${join(tmp, 'soak.sqlite')}`;
  const t0 = performance.now();
  const run = await runSoak({
    seed: 24,
    hours: fill + hours,
    checkpoints: [fill, fill + hours / 2, fill + hours],
    zonesEveryMs: num('SOAK_ZONES_MS', 300_000),
    signalsEveryMs: num('SOAK_SIGNALS_MS', 60_000),
    notifyEveryMs: num('SOAK_NOTIFY_MS', 60_000),
    destinations: 300,
    storeUrl,
    eagerEvery: num('SOAK_EAGER_EVERY', 0),
    recordSends: false,
    trackDeliveries: false,
    beforeCheckpoint: () => {
      for (let i = 0; i < 3; i++) gc();
      // SOAK_HEAPSNAPSHOT=DIR: a heap snapshot at each checkpoint, to diff by constructor (heapsnap-diff)
      if (process.env.SOAK_HEAPSNAPSHOT) writeHeapSnapshot(join(process.env.SOAK_HEAPSNAPSHOT, `soak-${snapshots++}.heapsnapshot`));
    },
  });
  const wallMs = performance.now() - t0;
  await run.stop();
  rmSync(tmp, { recursive: true, force: true });
  const [start, mid, end] = run.checkpoints as [Checkpoint, Checkpoint, Checkpoint];
  const pairs = DEFAULT_SYMBOLS.length * 2;
  const b0 = start.buffers;
  const b1 = end.buffers;
  const per = (x: number) => x / pairs;
  const note = (a: number, b: number) => `hour ${fill}: ${a.toFixed(0)} → hour ${fill + hours}: ${b.toFixed(0)}`;
  const wall = end.wallMs;
  // SOAK_HEAPSNAPSHOT: what grew between the first and the last checkpoint, grouped (bench/support/heap-diff.ts)
  const dir = process.env.SOAK_HEAPSNAPSHOT;
  const grew = dir && snapshots >= 2 ? heapGrowth(join(dir, 'soak-0.heapsnapshot'), join(dir, `soak-${snapshots - 1}.heapsnapshot`)) : [];
  const growthRows: BenchRow[] = grew.map(([key, bytes, count]) => ({
    name: `soak: heap grew: ${key.split(' > ').at(-1)!.slice(0, 40)}`,
    value: bytes / MB,
    unit: 'MB',
    note: `${count >= 0 ? '+' : ''}${count} nodes, hours ${fill} → ${fill + hours} (simulator included); held by ${key}`,
  }));
  return [
    ...growthRows,
    { name: `soak: rss at hour ${fill} (buffers full)`, value: start.memory.rss / MB, unit: 'MB', goal: '< 150 MB', note: `in-process: simulator + state + engines + notifier; store ${storeUrl.startsWith('memory:') ? 'memory: (in the heap)' : 'SQLite (on disk)'}` },
    { name: `soak: rss at hour ${fill + hours / 2}`, value: mid.memory.rss / MB, unit: 'MB' },
    { name: `soak: rss at hour ${fill + hours}`, value: end.memory.rss / MB, unit: 'MB' },
    { name: `soak: rss growth over the ${hours} h`, value: pct(start.memory.rss, end.memory.rss), unit: '%', goal: '< 2 %' },
    { name: `soak: heap used at hour ${fill}`, value: start.memory.heapUsed / MB, unit: 'MB', note: 'after a forced GC' },
    { name: `soak: heap used at hour ${fill + hours}`, value: end.memory.heapUsed / MB, unit: 'MB' },
    { name: `soak: heap-used growth over the ${hours} h`, value: pct(start.memory.heapUsed, end.memory.heapUsed), unit: '%', goal: '< 2 %' },
    { name: `soak: heap-used slope, hours ${fill}–${fill + hours}`, value: (pct(start.memory.heapUsed, end.memory.heapUsed) * 24) / hours, unit: '%/day', goal: '≤ 2 %/day', note: `${(start.memory.heapUsed / MB).toFixed(0)} → ${(end.memory.heapUsed / MB).toFixed(0)} MB after a forced GC` },
    (() => {
      const s0 = simAlone[0]!;
      const s1 = simAlone[simAlone.length - 1]!;
      const simGrowth = s1.heapUsed - s0.heapUsed;
      const botStart = start.memory.heapUsed - s0.heapUsed;
      const botGrowth = end.memory.heapUsed - start.memory.heapUsed - simGrowth;
      return {
        name: `soak: the bot's heap slope (total − simulator alone)`,
        value: ((botGrowth / botStart) * 100 * 24) / hours,
        unit: '%/day',
        goal: '≤ 2 %/day',
        note: `bot ${(botStart / MB).toFixed(0)} MB at hour ${fill}, ${botGrowth >= 0 ? '+' : ''}${(botGrowth / MB).toFixed(1)} MB over ${hours} h; the simulator alone ${(s0.heapUsed / MB).toFixed(0)} → ${(s1.heapUsed / MB).toFixed(0)} MB (same seed and steps, no bot)`,
      };
    })(),
    // the same figure over each half of the measured window: a one-off step (a hash table doubling,
    // a busier simulated day) shows in one half only, a steady leak in both
    ...([[start, mid, 0, 1], [mid, end, 1, 2]] as const).map(([a, b, i, j]) => {
      const sa = simAlone[i]!.heapUsed;
      const sb = simAlone[j]!.heapUsed;
      const botA = a.memory.heapUsed - sa;
      const grown = b.memory.heapUsed - a.memory.heapUsed - (sb - sa);
      return {
        name: `soak: the bot's heap slope, hours ${a.hour}–${b.hour}`,
        value: ((grown / botA) * 100 * 24) / (b.hour - a.hour),
        unit: '%/day',
        note: `half of the measured window: bot ${(botA / MB).toFixed(1)} MB, ${grown >= 0 ? '+' : ''}${(grown / MB).toFixed(1)} MB; liquidations in the trailing 24 h ${a.buffers.liquidations.total} → ${b.buffers.liquidations.total}`,
      };
    }),
    { name: 'soak: heap growth by V8 space (top 3)', value: (end.memory.heapUsed - start.memory.heapUsed) / MB, unit: 'MB', note: topGrowth(start.heapSpaces, end.heapSpaces, (v) => v) },
    { name: 'soak: memory store growth by namespace (top 3)', value: ((end.storeContents?.jsonBytes ?? 0) - (start.storeContents?.jsonBytes ?? 0)) / MB, unit: 'MB json', note: topGrowth(start.storeContents?.byNamespace ?? {}, end.storeContents?.byNamespace ?? {}, (v) => v.jsonBytes, (a, b) => ` (${a?.entries ?? 0} → ${b.entries} entries)`) },
    { name: 'soak: bars per venue·symbol', value: per(b1.bars.total), unit: 'bars', note: note(per(b0.bars.total), per(b1.bars.total)) },
    { name: 'soak: OI points per venue·symbol', value: per(b1.oiHistory.total), unit: 'points', note: `${note(per(b0.oiHistory.total), per(b1.oiHistory.total))}; max ${b1.oiHistory.max} (Bybit pushes every 3 s)` },
    { name: 'soak: funding points per venue·symbol', value: per(b1.fundingHistory.total), unit: 'points', note: note(per(b0.fundingHistory.total), per(b1.fundingHistory.total)) },
    { name: 'soak: liquidations per venue·symbol', value: per(b1.liquidations.total), unit: 'events', note: note(per(b0.liquidations.total), per(b1.liquidations.total)) },
    { name: 'soak: level-book levels (all)', value: b1.levels, unit: 'levels', note: note(b0.levels, b1.levels) },
    { name: 'soak: zone / signal snapshots', value: b1.zoneSnapshots + b1.signalSnapshots, unit: 'snapshots', note: `${b1.zoneSnapshots} zone + ${b1.signalSnapshots} signal` },
    { name: 'soak: track-record samples kept', value: (b1.zoneEngine.trackDone ?? 0) + (b1.zoneEngine.trackOpen ?? 0), unit: 'samples', note: note((b0.zoneEngine.trackDone ?? 0) + (b0.zoneEngine.trackOpen ?? 0), (b1.zoneEngine.trackDone ?? 0) + (b1.zoneEngine.trackOpen ?? 0)) },
    { name: 'soak: notifier ledger cache entries', value: b1.notifier.ledgerCache ?? 0, unit: 'entries', note: note(b0.notifier.ledgerCache ?? 0, b1.notifier.ledgerCache ?? 0) },
    { name: 'soak: notifier day cache entries', value: b1.notifier.dayCache ?? 0, unit: 'entries', note: note(b0.notifier.dayCache ?? 0, b1.notifier.dayCache ?? 0) },
    { name: 'soak: notifier last-alert cache entries', value: b1.notifier.lastCache ?? 0, unit: 'entries', note: note(b0.notifier.lastCache ?? 0, b1.notifier.lastCache ?? 0) },
    { name: 'soak: memory store contents (retention, not a leak)', value: (end.storeContents?.jsonBytes ?? 0) / MB, unit: 'MB json', note: `${start.storeContents?.entries ?? 0} → ${end.storeContents?.entries ?? 0} entries; hour ${fill}: ${((start.storeContents?.jsonBytes ?? 0) / MB).toFixed(1)} MB` },
    { name: 'soak: delivery queue pending / outbox open', value: b1.queue.pending + b1.outboxOpen, unit: 'messages' },
    { name: `soak: alerts decided / messages sent in the ${hours} h`, value: end.alertsDecided - start.alertsDecided, unit: 'alerts', note: `${end.messagesSent - start.messagesSent} messages to ${run.destinations.length} destinations (${run.subscriptions} subscriptions)` },
    { name: 'soak: events applied (whole run)', value: run.events, unit: 'events' },
    { name: 'soak: wall time (whole run)', value: wallMs / 1000, unit: 's', note: `simulator ${(wall.simulator / 1000).toFixed(0)} s, state ${(wall.state / 1000).toFixed(0)} s, zones ${(wall.zones / 1000).toFixed(0)} s, signals ${(wall.signals / 1000).toFixed(0)} s, notifier ${(wall.notifier / 1000).toFixed(0)} s` },
  ];
}

function vmRssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs` for `forMs`. */
async function sampleRss(pid: number, forMs: number, everyMs: number): Promise<number[]> {
  const out: number[] = [];
  for (const end = Date.now() + forMs; Date.now() < end; ) {
    const v = vmRssMb(pid);
    if (v !== undefined) out.push(v);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return out;
}

/** An idle node + tsx process: the floor any liqzone process starts from. */
async function baselineRss(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', 'setTimeout(() => {}, 4000)'], { cwd: root, stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 2500));
    return vmRssMb(child.pid!) ?? Number.NaN;
  } finally {
    child.kill();
  }
}

async function realApp(seconds: number): Promise<BenchRow[]> {
  const baseline = await baselineRss();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'demo', '--json'], {
    cwd: root,
    env: { ...process.env, STORE_URL: 'memory:', LOG_LEVEL: 'warn', METRICS_PORT: '0', DISCORD_TOKEN: '', TELEGRAM_TOKEN: '' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += String(d)));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    // Ask /status until every configured venue (four by default) reports every symbol live.
    let liveAfterMs = Number.NaN;
    let venueCount = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 120_000) {
      child.stdin.write('/status\n');
      await new Promise((r) => setTimeout(r, 2000));
      const last = text.trim().split('\n').reverse().map((l) => { try { return JSON.parse(l) as { command?: string; data?: { venues?: { symbolsLive: string[] }[] } }; } catch { return undefined; } }).find((o) => o?.command === '/status');
      const venues = last?.data?.venues ?? [];
      venueCount = venues.length;
      if (venues.length > 0 && venues.every((v) => v.symbolsLive.length === DEFAULT_SYMBOLS.length)) {
        liveAfterMs = Date.now() - t0;
        break;
      }
    }
    const samples = await sampleRss(child.pid!, seconds * 1000, 5000);
    child.stdin.end();
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    const first = samples.slice(0, Math.max(1, Math.floor(samples.length / 4)));
    const last = samples.slice(-Math.max(1, Math.floor(samples.length / 4)));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return [
      { name: 'process: idle node + tsx (baseline)', value: baseline, unit: 'MB' },
      { name: 'process: demo live on all symbols after', value: liveAfterMs / 1000, unit: 's', note: Number.isNaN(liveAfterMs) ? 'never reported every symbol live' : undefined },
      { name: `process: demo rss, mean of first quarter`, value: mean(first), unit: 'MB', ratio: mean(first) / baseline, goal: '< 150 MB', note: `${DEFAULT_SYMBOLS.length} symbols × ${venueCount} venues; includes the simulator and fake venues` },
      { name: `process: demo rss, mean of last quarter`, value: mean(last), unit: 'MB', ratio: mean(last) / baseline, note: `${samples.length} samples over ${seconds} s` },
      { name: 'process: demo rss, max', value: Math.max(...samples), unit: 'MB' },
      { name: 'process: exit after stdin closed', value: code === 0 ? 0 : 1, unit: code === 0 ? 'ok' : `exit ${String(code)}` },
    ];
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/**
 * The bot alone (`npm start` flags, console, `memory:` store) on 21 symbols × 4 venues, the demo
 * market (simulator and the four fake venues) running in this bench process instead: the bot's own
 * RSS, sampled from /proc like the demo process.
 */
async function botAlone(seconds: number): Promise<BenchRow[]> {
  const { startDemoMarket } = await import('../src/demo/demo-market.ts');
  const venues = ['binance', 'bybit', 'okx', 'hyperliquid'] as const;
  const market = await startDemoMarket({ symbols: [...DEFAULT_SYMBOLS], venues: [...venues], seed: 7 });
  const e = market.endpoints;
  const child = spawn(process.execPath, ['--max-semi-space-size=2', '--optimize-for-size', '--import', 'tsx', 'src/main.ts', 'run', '--json'], {
    cwd: root,
    env: {
      ...process.env,
      STORE_URL: 'memory:',
      LOG_LEVEL: 'warn',
      METRICS_PORT: '0',
      DISCORD_TOKEN: '',
      TELEGRAM_TOKEN: '',
      VENUES: venues.join(','),
      BINANCE_WS_URL: e.binance.wsUrl,
      BINANCE_REST_URL: e.binance.restUrl,
      BYBIT_WS_URL: e.bybit.wsUrl,
      BYBIT_REST_URL: e.bybit.restUrl,
      OKX_WS_URL: e.okx!.wsUrl,
      OKX_REST_URL: e.okx!.restUrl,
      HYPERLIQUID_WS_URL: e.hyperliquid!.wsUrl,
      HYPERLIQUID_INFO_URL: `${e.hyperliquid!.restUrl}/info`,
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += String(d)));
  try {
    let liveAfterMs = Number.NaN;
    const t0 = Date.now();
    while (Date.now() - t0 < 120_000) {
      child.stdin.write('/status\n');
      await new Promise((r) => setTimeout(r, 2000));
      const last = text.trim().split('\n').reverse().map((l) => { try { return JSON.parse(l) as { command?: string; data?: { venues?: { symbolsLive: string[] }[] } }; } catch { return undefined; } }).find((o) => o?.command === '/status');
      const vs = last?.data?.venues ?? [];
      if (vs.length === venues.length && vs.every((v) => v.symbolsLive.length === DEFAULT_SYMBOLS.length)) {
        liveAfterMs = Date.now() - t0;
        break;
      }
    }
    const samples = await sampleRss(child.pid!, seconds * 1000, 5000);
    const last = samples.slice(-Math.max(1, Math.floor(samples.length / 4)));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return [
      { name: 'bot alone: live on all symbols and venues after', value: liveAfterMs / 1000, unit: 's', note: Number.isNaN(liveAfterMs) ? 'never reported every symbol live' : `${DEFAULT_SYMBOLS.length} symbols × ${venues.length} venues` },
      { name: 'bot alone: rss, mean of last quarter', value: mean(last), unit: 'MB', goal: '< 150 MB', note: `npm start flags; the simulated venues run in the bench process; ${samples.length} samples over ${seconds} s` },
      { name: 'bot alone: rss, max', value: Math.max(...samples), unit: 'MB' },
    ];
  } finally {
    child.stdin.end();
    if (child.exitCode === null) child.kill();
    await market.stop();
  }
}

export default async function soakBench(): Promise<BenchRow[]> {
  const rows = await inProcess();
  const seconds = num('SOAK_APP_SECONDS', 120);
  if (seconds > 0) rows.push(...(await realApp(seconds)));
  if (seconds > 0) rows.push(...(await botAlone(seconds)));
  return rows;
}
