import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ChartFiles } from '../../../src/platforms/console/chart-files.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'liqzone-charts-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T = Date.UTC(2026, 10, 4, 14, 30, 12, 345);

it('names are unique across processes and runs: timestamp, pid, sequence', () => {
  const dir = tempDir();
  const demo = new ChartFiles({ dir, now: () => T, pid: 100 });
  const replay = new ChartFiles({ dir, now: () => T, pid: 200 });
  const a = demo.save('zones-ETH.png', Buffer.from('demo'));
  const b = replay.save('zones-ETH.png', Buffer.from('replay'));
  expect(basename(a)).toBe('20261104-143012-345-p100-1-zones-ETH.png');
  expect(basename(b)).toBe('20261104-143012-345-p200-1-zones-ETH.png');
  expect(readFileSync(a, 'utf8')).toBe('demo');
  expect(readFileSync(b, 'utf8')).toBe('replay');
});

it('never overwrites an existing file, even a same-pid leftover of an earlier run', () => {
  const dir = tempDir();
  const first = new ChartFiles({ dir, now: () => T, pid: 7 });
  const path = first.save('zones-ETH.png', Buffer.from('earlier run'));
  const again = new ChartFiles({ dir, now: () => T, pid: 7 }); // pid reused, same millisecond
  const next = again.save('zones-ETH.png', Buffer.from('this run'));
  expect(next).not.toBe(path);
  expect(readFileSync(path, 'utf8')).toBe('earlier run');
  expect(readFileSync(next, 'utf8')).toBe('this run');
});

it('keeps only the newest 50 PNGs in the folder, other runs included, and nothing else is touched', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'notes.txt'), 'keep me');
  for (let i = 0; i < 10; i++) {
    const p = join(dir, `${i}-zones-OLD.png`);
    writeFileSync(p, 'old');
    utimesSync(p, new Date(T - 3_600_000), new Date(T - 3_600_000 + i));
  }
  let t = T;
  const files = new ChartFiles({ dir, now: () => (t += 1000), pid: 1 });
  const written: string[] = [];
  for (let i = 0; i < 55; i++) written.push(files.save('zones-ETH.png', Buffer.from(String(i))));
  const pngs = readdirSync(dir).filter((f) => f.endsWith('.png'));
  expect(pngs).toHaveLength(50);
  expect(pngs.some((f) => f.includes('OLD'))).toBe(false);
  expect(pngs).toContain(basename(written.at(-1)!));
  expect(readdirSync(dir)).toContain('notes.txt');
});

it('the console reports a chart it could not write to the log and still replies, without an image', async () => {
  const { PassThrough } = await import('node:stream');
  const { ConsoleAdapter } = await import('../../../src/platforms/console/console.ts');
  const { CommandRegistry } = await import('../../../src/bot/registry.ts');
  const { makeServices } = await import('../../../testkit/chat-services.ts');
  const blocker = join(tempDir(), 'not-a-dir');
  writeFileSync(blocker, 'a file where the chart folder should be');
  const logged: { level: string; msg: string; extra?: object }[] = [];
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d) => (text += d));
  const registry = new CommandRegistry([
    { name: 'pic', description: 'a reply with an image', usage: '/pic', run: () => ({ ok: true, text: 'here', image: { name: 'x.png', alt: 'x', render: async () => Buffer.from('png') } }) },
  ]);
  const adapter = new ConsoleAdapter({ registry, services: makeServices(), json: true, chartDir: join(blocker, 'charts'), input, output, log: (level, msg, extra) => logged.push({ level, msg, extra }) });
  const done = adapter.run();
  input.end('/pic\n');
  await done;
  const line = JSON.parse(text.trim());
  expect(line).toMatchObject({ ok: true, text: 'here', image: null });
  expect(logged).toEqual([expect.objectContaining({ level: 'error', msg: 'chart not rendered or not written', extra: expect.objectContaining({ image: 'x.png' }) })]);
});
