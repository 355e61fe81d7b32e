import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The compiled CLI (dist/, built by `npm ci` through `prepare`): what `npm start`, `npm run demo`,
 * bin/liqzone.js and Discord shard children run. A tree edited since the last build is compiled
 * first (`scripts/build.mjs --if-stale`, as `npm start` does), so these tests never run stale output.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'src', 'main.js');

describe('compiled CLI (dist/)', () => {
  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(main)).toBe(true);
    expect(existsSync(`${main}.map`)).toBe(true);
  }, 200_000);

  it('`node dist/src/main.js --help` prints the usage and exits 0', () => {
    const r = spawnSync(process.execPath, ['--enable-source-maps', main, '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: liqzone <command>/);
    expect(r.stderr).toBe('');
  });

  it('bin/liqzone.js runs the compiled CLI (an unknown verb: one line with the usage, exit 2)', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'liqzone.js'), 'frobnicate'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^liqzone: .*frobnicate/);
    expect(r.stderr).toMatch(/Usage: liqzone/);
  });

  it('the compiled demo answers /zones with a chart: the bracket data (JSON) and the chart fonts load from dist/', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lz-dist-'));
    const child = spawn(process.execPath, ['--enable-source-maps', main, 'demo', '--json'], {
      cwd: dir,
      env: { ...process.env, SYMBOLS: 'ETH', VENUES: 'binance', DEMO_STORE_URL: 'memory:', CHART_DIR: join(dir, 'charts'), LOG_LEVEL: 'warn', METRICS_PORT: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // asked again while it warms up ("No data yet for ETH"), until an answer with zones
    type Reply = { command: string; ok: boolean; text: string; image?: string };
    let reply: Reply | undefined;
    let asked = 0;
    for (let i = 0; i < 90 && !reply?.ok; i++) {
      const answers = out.split('\n').filter((l) => l.startsWith('{"command":"/zones ETH"'));
      if (answers.length === asked) {
        if (asked > 0) reply = JSON.parse(answers.at(-1)!) as Reply;
        if (reply?.ok) break;
        child.stdin.write('/zones ETH\n');
        asked++;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    child.stdin.end();
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
    if (code === 'timeout') child.kill('SIGKILL');
    expect(reply, `no /zones reply; stderr: ${err.slice(-800)}`).toBeDefined();
    expect(reply!.ok).toBe(true);
    expect(reply!.text).toMatch(/ETH liquidation zones/);
    expect(reply!.image).toBeTruthy();
    const png = readFileSync(reply!.image!.startsWith('/') ? reply!.image! : join(dir, reply!.image!));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(code).toBe(0);
    expect(err).not.toMatch(/Error|TypeError/);
  }, 120_000);
});
