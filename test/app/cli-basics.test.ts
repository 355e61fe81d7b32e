/**
 * The CLI as a new user meets it, through the real launcher (bin/liqzone.js) in a scratch working
 * directory: --help/-h, a .env file in the working directory (the environment wins), NOTIFY_CRON
 * checked with the rest of the configuration (exit 2 before anything starts), the demo's own store.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'liqzone.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI with only the given environment (plus PATH/HOME), stdin closed. */
function cli(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run> {
  const cwd = opts.cwd ?? mkdtempSync(join(tmpdir(), 'lz-cli-'));
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, LOG_LEVEL: 'warn', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`liqzone ${args.join(' ')} did not exit: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

describe('liqzone --help', () => {
  it.each([['--help'], ['-h'], ['help'], ['demo', '--help']])('%s prints the usage and exits 0', async (...args) => {
    const r = await cli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: liqzone <command> [options]');
    expect(r.stdout).toContain('demo [--json] [--speed X]');
    expect(r.stderr).toBe('');
  });

  it('an unknown option is a one-line error with the usage, exit 2', async () => {
    const r = await cli(['run', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^liqzone: Unknown option --bogus\n/);
    expect(r.stderr).toContain('Usage: liqzone');
    expect(r.stderr).not.toMatch(/ERR_PARSE_ARGS|at .*\.ts:\d+/);
  });
});

describe('.env in the working directory', () => {
  it('is read: a bad value in it stops the start with exit 2 naming the key', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lz-env-'));
    writeFileSync(join(cwd, '.env'), '# test\nSNAPSHOT_INTERVAL_MS=12\n');
    const r = await cli(['evaluate', 'missing.jsonl'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SNAPSHOT_INTERVAL_MS="12" is invalid');
  });

  it('the environment wins over the file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lz-env-'));
    writeFileSync(join(cwd, '.env'), 'SNAPSHOT_INTERVAL_MS=12\n');
    const r = await cli(['evaluate', 'missing.jsonl'], { cwd, env: { SNAPSHOT_INTERVAL_MS: '3000' } });
    // configuration accepted; evaluate then fails on the missing recording (a runtime failure, exit 1)
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('could not evaluate missing.jsonl');
    expect(r.stderr).not.toContain('SNAPSHOT_INTERVAL_MS');
  });
});

describe('NOTIFY_CRON', () => {
  it('is validated with the configuration: exit 2 before anything starts (no store file, no venue connection)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lz-cron-'));
    const r = await cli(['run'], { cwd, env: { NOTIFY_CRON: 'every ten seconds', BINANCE_REST_URL: 'http://127.0.0.1:9', BYBIT_REST_URL: 'http://127.0.0.1:9' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('NOTIFY_CRON="every ten seconds" is invalid: expected a node-cron expression');
    expect(r.stderr.trim().split('\n')[0]).toBe('liqzone: invalid configuration:');
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });
});

describe('liqzone demo', () => {
  it('uses its own store (data/demo.sqlite), never the live one', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lz-demo-'));
    // stdin closed: the demo console starts, reads EOF and shuts down cleanly
    const r = await cli(['demo', '--json'], { cwd, env: { SYMBOLS: 'BTC', METRICS_PORT: '0' }, timeoutMs: 90_000 });
    expect(r.stderr).not.toContain('could not start');
    expect(r.code).toBe(0);
    expect(existsSync(join(cwd, 'data', 'demo.sqlite'))).toBe(true);
    expect(existsSync(join(cwd, 'data', 'liqzone.sqlite'))).toBe(false);
  }, 120_000);
});
