import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Venue } from '../market/types.ts';

/** One recorded frame: the record format of DESIGN.md (`c` = stream/topic, or `rest:<path>?<query>`). */
export interface RecordLine {
  t: number;
  v: Venue;
  c: string;
  raw: string;
}

/**
 * Appends frames as JSON lines. Writes are buffered by the stream; `close()` flushes.
 * A full disk or closed stream drops frames and counts them rather than crashing the bot.
 */
export class Recorder {
  private readonly out: WriteStream;
  written = 0;
  dropped = 0;
  private closed = false;

  constructor(path: string) {
    const full = resolve(path);
    mkdirSync(dirname(full), { recursive: true });
    this.out = createWriteStream(full, { flags: 'w' });
    this.out.on('error', () => {
      this.closed = true;
    });
  }

  write(rec: RecordLine): void {
    if (this.closed) {
      this.dropped++;
      return;
    }
    this.out.write(`${JSON.stringify({ t: rec.t, v: rec.v, c: rec.c, raw: rec.raw })}\n`);
    this.written++;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((res) => this.out.end(res));
  }
}
