/**
 * Start-up of the compiled CLI (dist/, what `npm start`, `npm run demo` and the `liqzone` bin run):
 *  - `liqzone help` wall time as a ratio to `node -e 0` in the same run (median of RUNS each), and
 *    the same through tsx from the sources (what every start paid before dist/);
 *  - peak RSS of `liqzone help`;
 *  - the demo's first reply: `npm run demo`'s command line (21 symbols × 4 venues, simulated venues in
 *    the same process) with `/status` typed at once, time until its reply; then until `/zones ETH`
 *    answers with zones.
 * Run: `node --import tsx bench/run.ts startup` (builds dist/ first when stale).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './run.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.STARTUP_RUNS ?? 7);
const NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=2', '--optimize-for-size'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function wallMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-400)}`);
  return ms;
}

function peakRssMb(args: string[]): number {
  const r = spawnSync(process.execPath, ['--import', join(root, 'bench', 'support', 'maxrss.mjs'), ...args], { cwd: root, encoding: 'utf8' });
  const m = /maxrss-kb (\d+)/.exec(r.stderr);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Spawns the compiled demo, types /status at once, then /zones ETH every 500 ms until it has zones. */
async function demoFirstReply(): Promise<{ statusMs: number; zonesMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'lz-startup-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, join(root, 'dist', 'src', 'main.js'), 'demo', '--json'], {
    cwd: dir,
    env: { ...process.env, DEMO_STORE_URL: 'memory:', CHART_DIR: join(dir, 'charts'), LOG_LEVEL: 'warn', METRICS_PORT: '0', DISCORD_TOKEN: '', TELEGRAM_TOKEN: '' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let statusMs = Number.NaN;
  let zonesMs = Number.NaN;
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += String(d);
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (Number.isNaN(statusMs) && line.startsWith('{"command":"/status"')) statusMs = performance.now() - t0;
      if (Number.isNaN(zonesMs) && line.startsWith('{"command":"/zones ETH","ok":true')) zonesMs = performance.now() - t0;
      nl = buf.indexOf('\n');
    }
  });
  child.stdin.write('/status\n');
  try {
    for (let i = 0; i < 240 && Number.isNaN(zonesMs); i++) {
      if (!Number.isNaN(statusMs)) child.stdin.write('/zones ETH\n');
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    child.stdin.end();
    await Promise.race([new Promise((r) => child.on('exit', r)), new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  return { statusMs, zonesMs };
}

export default async function startupBench(): Promise<BenchRow[]> {
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`);
  const bin = join(root, 'bin', 'liqzone.js');
  // interleaved, so load changes hit both alike
  const base: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    base.push(wallMs(['-e', '0']));
    help.push(wallMs([bin, 'help']));
  }
  const tsxHelp = median([0, 1, 2].map(() => wallMs(['--import', 'tsx', 'src/main.ts', 'help'])));
  const b = median(base);
  const h = median(help);
  const rss = median([0, 1, 2].map(() => peakRssMb([bin, 'help'])));
  const tsxRss = peakRssMb(['--import', 'tsx', 'src/main.ts', 'help']);
  const demo = await demoFirstReply();
  return [
    { name: 'start-up: node -e 0 (baseline)', value: b, unit: 'ms', note: `median of ${RUNS}` },
    { name: 'start-up: liqzone help (bin, compiled dist/)', value: h, unit: 'ms', ratio: h / b, goal: '≤ 5× node -e 0', note: `median of ${RUNS}` },
    { name: 'start-up: liqzone help through tsx (npm run dev)', value: tsxHelp, unit: 'ms', ratio: tsxHelp / b },
    { name: 'peak rss: liqzone help (compiled)', value: rss, unit: 'MB', goal: '< 100 MB' },
    { name: 'peak rss: liqzone help through tsx', value: tsxRss, unit: 'MB' },
    { name: 'demo: first reply (/status typed at start)', value: demo.statusMs / 1000, unit: 's', goal: '< 2 s', note: '21 symbols × 4 venues; /status and /help answer at once, market commands once every venue has its start-up history' },
    { name: 'demo: first /zones ETH with zones', value: demo.zonesMs / 1000, unit: 's' },
  ];
}
