/**
 * Chart PNGs the console writes under CHART_DIR. Names are unique across processes
 * (UTC timestamp, pid, sequence: `20261104-143012-345-p4242-1-zones-ETH.png`), files are created
 * exclusively (another run's file is never overwritten), and only the newest `keep` PNGs stay.
 * Chat platforms never come here: they send the image buffer from memory.
 */
import { mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const KEEP_CHARTS = 50;

export interface ChartFilesOptions {
  dir: string;
  /** PNGs kept in the folder (default 50); older ones are deleted after each write. */
  keep?: number;
  now?: () => number;
  pid?: number;
}

export class ChartFiles {
  private seq = 0;
  private readonly dir: string;
  private readonly keep: number;
  private readonly now: () => number;
  private readonly pid: number;

  constructor(opts: ChartFilesOptions) {
    this.dir = resolve(opts.dir);
    this.keep = Math.max(1, opts.keep ?? KEEP_CHARTS);
    this.now = opts.now ?? Date.now;
    this.pid = opts.pid ?? process.pid;
  }

  /** Writes the PNG under a new unique name and prunes the folder; returns the path. */
  save(name: string, png: Buffer): string {
    mkdirSync(this.dir, { recursive: true });
    const stamp = new Date(this.now()).toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '-').replace('Z', '');
    for (;;) {
      const path = join(this.dir, `${stamp}-p${this.pid}-${++this.seq}-${name}`);
      try {
        writeFileSync(path, png, { flag: 'wx' });
        this.prune();
        return path;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  /** Deletes the oldest PNGs beyond `keep` (by modification time, then name). */
  prune(): void {
    const files = readdirSync(this.dir)
      .filter((f) => f.endsWith('.png'))
      .map((f) => {
        const path = join(this.dir, f);
        try {
          return { path, name: f, mtime: statSync(path).mtimeMs };
        } catch {
          return undefined; // removed by another process meanwhile
        }
      })
      .filter((f) => f !== undefined)
      .sort((a, b) => a.mtime - b.mtime || a.name.localeCompare(b.name));
    for (const f of files.slice(0, Math.max(0, files.length - this.keep))) {
      try {
        unlinkSync(f.path);
      } catch {
        // another process pruned it first
      }
    }
  }
}
