import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeFailureMessage } from '../../src/store/backend.ts';
import { openStore } from '../../src/store/store.ts';

/**
 * The real CLI refuses an unusable store before anything starts: exit 2, and a message naming
 * STORE_URL and what is wrong.
 */
const dir = mkdtempSync(join(tmpdir(), 'lz-store-exit-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;

function run(storeUrl: string, asUser?: { uid: number; gid: number }, verb: 'run' | 'demo' = 'run'): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', verb], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, [verb === 'demo' ? 'DEMO_STORE_URL' : 'STORE_URL']: storeUrl, SYMBOLS: 'BTC', LOG_LEVEL: 'warn', DISCORD_TOKEN: '', TELEGRAM_TOKEN: '', METRICS_PORT: '0', HOME: dir, TSX_TSCONFIG_PATH: '' },
      stdio: ['pipe', 'ignore', 'pipe'],
      ...(asUser ?? {}),
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('storeFailureMessage', () => {
  it('names the variable to change and what to do for that kind of store', () => {
    expect(storeFailureMessage('STORE_URL', 'sqlite ./x.sqlite', 'not a SQLite database')).toBe('STORE_URL (sqlite ./x.sqlite) cannot be used: not a SQLite database. Fix or move the file, or point STORE_URL elsewhere.');
    expect(storeFailureMessage('DEMO_STORE_URL', 'redis redis://127.0.0.1:1', 'cannot connect')).toBe('DEMO_STORE_URL (redis redis://127.0.0.1:1) cannot be used: cannot connect. Start Redis or correct the address, or point DEMO_STORE_URL elsewhere.');
  });
});

describe('liqzone run with an unusable STORE_URL', () => {
  it('a garbage file: exit 2, names STORE_URL and says it is not a database', async () => {
    const path = join(dir, 'garbage.sqlite');
    writeFileSync(path, 'garbage '.repeat(1000));
    const r = await run(`sqlite://${path}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/STORE_URL \(sqlite .*garbage\.sqlite\) cannot be used: .*not a SQLite database/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 70_000);

  it('a directory in its place: exit 2', async () => {
    const path = join(dir, 'isdir.sqlite');
    mkdirSync(path);
    const r = await run(`sqlite://${path}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/STORE_URL .*cannot open/);
  }, 70_000);

  it('liqzone demo names DEMO_STORE_URL (the variable it reads), and for Redis says to start it', async () => {
    const r = await run('redis://127.0.0.1:1', undefined, 'demo');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^liqzone: DEMO_STORE_URL \(redis redis:\/\/127\.0\.0\.1:1\) cannot be used: .*\. Start Redis or correct the address, or point DEMO_STORE_URL elsewhere\./m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 70_000);

  // chmod does not stop root: run the CLI as an unprivileged user when the tests run as root.
  it('a read-only SQLite file: exit 2, says it is read-only', async () => {
    const path = join(dir, 'readonly.sqlite');
    const store = await openStore(`sqlite://${path}`);
    await store.subscriptions.add({ platform: 'console', kind: 'user', id: 'console' }, 'BTC');
    await store.close();
    chmodSync(path, 0o444);
    const r = await run(`sqlite://${path}`, isRoot ? { uid: 65534, gid: 65534 } : undefined);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/STORE_URL \(sqlite .*readonly\.sqlite\) cannot be used: .*read-only/);
  }, 70_000);
});
