import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { allCommands } from '../../../commands/index.ts';
import { CommandRegistry } from '../../../src/bot/registry.ts';
import { ConsoleAdapter } from '../../../src/platforms/console/console.ts';
import { makeServices } from '../../../testkit/chat-services.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const chartDirs: string[] = [];
afterAll(() => {
  for (const d of chartDirs) rmSync(d, { recursive: true, force: true });
});

async function runLines(lines: string[], services = makeServices()): Promise<{ command: string; ok: boolean; text: string; image: string | null; data: Record<string, unknown> | null }[]> {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d) => (text += d));
  const chartDir = mkdtempSync(join(tmpdir(), 'liqzone-heatmap-'));
  chartDirs.push(chartDir);
  const adapter = new ConsoleAdapter({ registry: new CommandRegistry(allCommands()), services, json: true, chartDir, input, output });
  const done = adapter.run();
  input.end(`${lines.join('\n')}\n`);
  await done;
  return text.trim().split('\n').map((l) => JSON.parse(l));
}

describe('/heatmap on the console', () => {
  it('returns a PNG for the default window and each named one; /zones ETH heatmap gives the same image', async () => {
    const replies = await runLines(['/heatmap ETH', '/heatmap eth 6h', '/heatmap BTC 3d', '/zones ETH heatmap']);
    expect(replies.map((r) => r.ok)).toEqual([true, true, true, true]);
    for (const r of replies) {
      expect(r.image).toMatch(/heatmap-(ETH|BTC)-(24h|6h|3d)\.png$/);
      const png = await readFile(r.image!);
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect(r.text).toMatch(/Estimated, not observed/);
    }
    expect(replies[0]!.data).toMatchObject({ symbol: 'ETH', window: '24h', slices: 288, filledSlices: 49, estimated: true });
    expect(replies[1]!.data).toMatchObject({ window: '6h', slices: 72, filledSlices: 49 });
    expect(replies[2]!.data).toMatchObject({ symbol: 'BTC', window: '3d', slices: 864 });
    expect(replies[3]!.data).toMatchObject({ symbol: 'ETH', window: '24h' });
    // every swept band the text names is in the data, with its time inside the window
    for (const b of replies[0]!.data!.swept as { low: number; high: number; t: number }[]) {
      expect(b.low).toBeLessThan(b.high);
      expect(b.t).toBeGreaterThanOrEqual(replies[0]!.data!.from as number);
    }
    // the text's brightest band is a price the grid holds
    expect(replies[0]!.text).toMatch(/Brightest band now: [\d,.]+ \(~\$[\d.]+[kM] in its row/);
    expect(replies[0]!.text).toMatch(/History so far: 4\.1 h of 24h/);
  });

  it('a bad window is an error with the choices, no stack and no image', async () => {
    const [r] = await runLines(['/heatmap ETH 2h']);
    expect(r!.ok).toBe(false);
    expect(r!.image).toBeNull();
    expect(r!.text.split('\n')[0]).toBe('Window must be one of 6h, 12h, 24h, 3d (got "2h"), e.g. 6h.');
    expect(r!.text).not.toMatch(/at .*\.ts/);
  });

  it('says warming up for a symbol without history, and unavailable where there is no heatmap service', async () => {
    const [sol] = await runLines(['/heatmap SOL']);
    expect(sol!.ok).toBe(false);
    expect(sol!.text).toMatch(/No data yet for SOL/);
    const [none] = await runLines(['/heatmap ETH'], { ...makeServices(), heatmaps: undefined });
    expect(none!.ok).toBe(false);
    expect(none!.text).toMatch(/not available/);
  });
});
