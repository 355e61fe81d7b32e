/**
 * resvg keeps each render's pixmap and parsed tree (about 2 MB for a chart) in native memory that V8
 * does not see: the JS objects holding it are tiny, so nothing prompts a major GC and their
 * finalizers wait. Rasterising alone, RSS grew ~2 MB per chart without bound (200 PNGs: 160 → 590
 * MB); with each chart's echarts work the heap churn forces collections now and then, and 200 /zones
 * PNGs plateaued ~70 MB above the first chart's RSS. One second after a render we ask V8 for one
 * concurrent major GC (it runs off the main thread; the call returns at once): the same 200 PNGs
 * then plateau ~38 MB above it (measured in one process each, rest equal).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options: { type: 'major'; execution: 'async' }) => void;

let collect: Collect | null | undefined;

/** V8's gc(), reached without `--expose-gc` on the command line; null if this runtime refuses. */
function collector(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    const exposed = (globalThis as { gc?: Collect }).gc;
    if (typeof exposed === 'function') collect = exposed;
    else {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as unknown;
      collect = typeof gc === 'function' ? (gc as Collect) : null;
    }
  } catch {
    collect = null;
  }
  return collect;
}

/**
 * Collects once, `delayMs` after the first render of a burst: a long burst is collected about once
 * per `delayMs`, an idle bot never.
 */
export class NativeMemorySettler {
  private timer: NodeJS.Timeout | undefined;
  /** How many collections were asked for (tests, metrics). */
  collections = 0;

  constructor(
    private readonly delayMs = 1000,
    private readonly gc: () => Collect | null = collector,
  ) {}

  /** A render finished: its native memory is garbage once its JS objects are. */
  rendered(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const gc = this.gc();
      if (!gc) return;
      gc({ type: 'major', execution: 'async' });
      this.collections++;
    }, this.delayMs);
    this.timer.unref();
  }
}

export const chartMemory = new NativeMemorySettler();
