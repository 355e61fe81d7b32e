/**
 * RSS of the bot as `npm start` runs it (compiled dist/, npm start's node flags) on 21 symbols × 4
 * venues, with the simulated venues in another process (bench/support/venues-child.ts) reached
 * through the venue URL settings, exactly as live venues would be. RSS sampled every 5 s over
 * RSS_SECONDS (default 150) once every venue reports all symbols live; then a breakdown: V8 spaces,
 * off-heap (external, array buffers), native (RSS − V8 heap − external), and a heap snapshot's
 * self sizes by category (constructor for objects; strings, code, arrays, closures…).
 * Run: `node --import tsx bench/run.ts rss`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './run.ts';
import { DEFAULT_SYMBOLS } from '../src/market/symbols.ts';
import { FakeDiscord } from '../testkit/discord.ts';
import { VENUES } from '../src/market/types.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MB = 1024 * 1024;
const SECONDS = Number(process.env.RSS_SECONDS ?? 150);

function vmRssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Endpoints = Record<string, { wsUrl: string; restUrl: string }>;

async function startVenues(): Promise<{ child: ChildProcess; endpoints: Endpoints }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'support', 'venues-child.ts')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  const endpoints = await new Promise<Endpoints>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      text += String(d);
      const nl = text.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(text.slice(0, nl)) as Endpoints);
    });
    child.on('exit', (code) => reject(new Error(`venues child exited ${code}`)));
  });
  return { child, endpoints };
}

/** Self size by category from a V8 heap snapshot: objects by constructor, other node types by type. */
function heapCategories(file: string): [string, number][] {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const step = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const by = new Map<string, number>();
  for (let i = 0; i < snap.nodes.length; i += step) {
    const type = types[snap.nodes[i + iType]!]!;
    const name = snap.strings[snap.nodes[i + iName]!]!;
    const key = type === 'object' ? name : type === 'native' ? `native ${name}` : `(${type})`;
    by.set(key, (by.get(key) ?? 0) + snap.nodes[i + iSize]!);
  }
  return [...by].sort((a, b) => b[1] - a[1]);
}

/**
 * The same bot with Discord connected (the loopback fake of its API and gateway), once it has drawn
 * a /zones chart and a /heatmap: what a community's bot holds after its first requests (discord.js,
 * echarts and resvg loaded). Returns the mean and max RSS over `seconds` after the charts.
 */
async function withDiscordAndCharts(baseEnv: Record<string, string>, flags: string[], dir: string, liveAfterMs: number, seconds: number): Promise<{ mean: number; max: number; answered: number }> {
  const discord = await FakeDiscord.start({ heartbeatIntervalMs: 30_000 });
  const bot = spawn(process.execPath, [...flags, join(root, 'dist', 'src', 'main.js'), 'run'], {
    cwd: dir,
    env: { ...baseEnv, DISCORD_TOKEN: 'bench-token', DISCORD_APP_ID: discord.appId, DISCORD_API_URL: discord.apiUrl, STORE_URL: `sqlite://${join(dir, 'store2.sqlite')}` },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  try {
    // feeds live (as long as the first run took, plus margin), then two chart commands from a member
    await sleep((Number.isFinite(liveAfterMs) ? liveAfterMs : 30_000) + 10_000);
    const origin = { user: { id: '1290000000000000501', username: 'alice' }, guildId: discord.guilds[0]!.id };
    let answered = 0;
    for (const [name, options] of [['zones', { symbol: 'eth' }], ['heatmap', { symbol: 'eth', window: '24h' }]] as const) {
      const ix = discord.injectCommand(name, options, origin);
      for (let i = 0; i < 60 && !ix.calls().some((c) => c.method === 'PATCH' && c.files.length > 0); i++) await sleep(500);
      if (ix.calls().some((c) => c.method === 'PATCH' && c.files.length > 0)) answered++;
    }
    const samples: number[] = [];
    for (const end = Date.now() + seconds * 1000; Date.now() < end; ) {
      const v = vmRssMb(bot.pid!);
      if (v !== undefined) samples.push(v);
      await sleep(5000);
    }
    return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, max: Math.max(...samples), answered };
  } finally {
    bot.kill('SIGTERM');
    await sleep(1000);
    if (bot.exitCode === null) bot.kill('SIGKILL');
    await discord.stop();
  }
}

export default async function rssBench(): Promise<BenchRow[]> {
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'lz-rss-'));
  const venues = await startVenues();
  const e = venues.endpoints;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    STORE_URL: `sqlite://${join(dir, 'store.sqlite')}`,
    CHART_DIR: join(dir, 'charts'),
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
    DISCORD_TOKEN: '',
    TELEGRAM_TOKEN: '',
    VENUES: VENUES.join(','),
    LZ_MEMREPORT: join(dir, 'mem'),
    BINANCE_WS_URL: e.binance!.wsUrl,
    BINANCE_REST_URL: e.binance!.restUrl,
    BYBIT_WS_URL: e.bybit!.wsUrl,
    BYBIT_REST_URL: e.bybit!.restUrl,
    ...(e.okx ? { OKX_WS_URL: e.okx.wsUrl, OKX_REST_URL: e.okx.restUrl } : {}),
    ...(e.hyperliquid ? { HYPERLIQUID_WS_URL: e.hyperliquid.wsUrl, HYPERLIQUID_INFO_URL: `${e.hyperliquid.restUrl}/info` } : {}),
  };
  // npm start's command line (package.json "start"; RSS_NODE_FLAGS to try others), plus the reporting preload
  const flags = process.env.RSS_NODE_FLAGS?.split(' ').filter(Boolean) ?? ['--enable-source-maps', '--max-semi-space-size=2', '--optimize-for-size'];
  const bot = spawn(
    process.execPath,
    [...flags, '--import', join(root, 'bench', 'support', 'memory-report.mjs'), join(root, 'dist', 'src', 'main.js'), 'run'],
    { cwd: dir, env, stdio: ['pipe', 'pipe', 'ignore'] },
  );
  let out = '';
  bot.stdout!.on('data', (d: Buffer) => (out += String(d)));
  try {
    // the console answers /status once the feeds are up; ask until every venue has every symbol live
    let liveAfterMs = Number.NaN;
    const t0 = Date.now();
    while (Date.now() - t0 < 180_000) {
      bot.stdin!.write('/status\n');
      await sleep(3000);
      const live = VENUES.every((v) => new RegExp(`${v}:[^\\n]*\\n[^\\n]*\\n\\s*symbols live: ${DEFAULT_SYMBOLS.length}\\b`).test(out.slice(-20_000)));
      if (live) {
        liveAfterMs = Date.now() - t0;
        break;
      }
    }
    const samples: number[] = [];
    for (const end = Date.now() + SECONDS * 1000; Date.now() < end; ) {
      const v = vmRssMb(bot.pid!);
      if (v !== undefined) samples.push(v);
      await sleep(5000);
    }
    bot.kill('SIGUSR2');
    for (let i = 0; i < 240 && !existsSync(join(dir, 'mem.done')); i++) await sleep(500);
    const report = JSON.parse(readFileSync(join(dir, 'mem.json'), 'utf8')) as { memory: NodeJS.MemoryUsage; spaces: { name: string; used: number; size: number }[] };
    const cats = heapCategories(join(dir, 'mem.heapsnapshot'));
    bot.kill('SIGTERM');
    const chat = await withDiscordAndCharts(env, flags, dir, liveAfterMs, Math.max(20, Math.round(SECONDS / 2)));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const last = samples.slice(-Math.max(1, Math.floor(samples.length / 4)));
    const m = report.memory;
    const rows: BenchRow[] = [
      { name: 'npm start: all symbols live on every venue after', value: liveAfterMs / 1000, unit: 's', note: Number.isNaN(liveAfterMs) ? 'never reported every symbol live' : `${DEFAULT_SYMBOLS.length} symbols × ${VENUES.length} venues` },
      { name: 'npm start: rss, mean over the run', value: mean(samples), unit: 'MB', goal: '< 150 MB', note: `${samples.length} samples over ${SECONDS} s; venues simulated in another process` },
      { name: 'npm start: rss, mean of the last quarter', value: mean(last), unit: 'MB', goal: '< 150 MB' },
      { name: 'npm start: rss, max', value: Math.max(...samples), unit: 'MB' },
      {
        name: 'with Discord connected, after /zones + /heatmap charts: rss mean',
        value: chat.mean,
        unit: 'MB',
        goal: '< 150 MB',
        note: `max ${chat.max.toFixed(0)} MB; ${chat.answered}/2 charts answered; discord.js, echarts and resvg loaded (the row above loads none of them)`,
      },
      { name: 'breakdown: V8 heap used / committed', value: m.heapUsed / MB, unit: 'MB', note: `committed ${(m.heapTotal / MB).toFixed(1)} MB` },
      ...report.spaces.filter((s) => s.size > 0.5 * MB).map((s) => ({ name: `breakdown:   ${s.name}`, value: s.used / MB, unit: 'MB', note: `committed ${(s.size / MB).toFixed(1)} MB` })),
      { name: 'breakdown: external (incl. array buffers)', value: m.external / MB, unit: 'MB', note: `array buffers ${(m.arrayBuffers / MB).toFixed(1)} MB` },
      { name: 'breakdown: native (rss − heap committed − external)', value: (m.rss - m.heapTotal - m.external) / MB, unit: 'MB', note: 'node binary and its libraries, sqlite, resvg, ICU, thread stacks' },
      ...cats.slice(0, 14).map(([k, v]) => ({ name: `heap by category: ${k.slice(0, 34)}`, value: v / MB, unit: 'MB' })),
    ];
    return rows;
  } finally {
    bot.stdin!.end();
    bot.kill('SIGTERM');
    venues.child.kill('SIGTERM');
    await sleep(1000);
    if (bot.exitCode === null) bot.kill('SIGKILL');
    if (venues.child.exitCode === null) venues.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
