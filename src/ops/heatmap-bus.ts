import { randomUUID } from 'node:crypto';
import type { HeatmapService } from '../engine/ports.ts';
import { HEATMAP_WINDOW_NAMES, type Candle, type HeatmapView, type HeatmapWindow } from '../engine/heatmap.ts';
import type { LogFn } from './log.ts';
import { closeClient, connectRedis, type RedisClient } from './redis.ts';

/**
 * The heatmap for bot processes, on request. The history grid (3 days × 160 rows per symbol) lives
 * beside the zone engine in the `ROLE=market` process and changes every snapshot; publishing it
 * whole would cost megabytes a minute for a picture drawn a few times an hour. So a bot process
 * asks for one view when a user asks, and the market process answers with that window only.
 *
 * Redis layout (prefix default `liqzone`):
 *   CHANNEL <prefix>:heatmap:req            {id, symbol, window, replyTo}
 *   CHANNEL <prefix>:heatmap:res:<botId>    {id, view | null, error?}
 * Cells travel as base64 of their float32 bytes, so a 3-day view is ~0.5 MB, once.
 */

export interface HeatmapBusOptions {
  /** Key and channel prefix (default `liqzone`); tests use a unique one. */
  prefix?: string;
  log?: LogFn;
}

/** What a bot process gets: the view, none yet for that symbol, or no answer in time. */
export type RemoteHeatmapResult = HeatmapView | undefined;

export class HeatmapUnavailableError extends Error {}

interface Request {
  id: string;
  symbol: string;
  window: HeatmapWindow;
  replyTo: string;
}

/** The view as JSON: typed arrays as base64. */
export interface WireView extends Omit<HeatmapView, 'cells' | 'filled'> {
  cells: string;
  filled: string;
}

const requestChannel = (prefix: string) => `${prefix}:heatmap:req`;
const responseChannel = (prefix: string, botId: string) => `${prefix}:heatmap:res:${botId}`;

export function encodeView(view: HeatmapView): WireView {
  const { cells, filled, ...rest } = view;
  return {
    ...rest,
    candles: view.candles.map((c) => ({ ...c })),
    venues: [...view.venues],
    cells: Buffer.from(cells.buffer, cells.byteOffset, cells.byteLength).toString('base64'),
    filled: Buffer.from(filled.buffer, filled.byteOffset, filled.byteLength).toString('base64'),
  };
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** The view back from the wire; undefined when anything is missing or inconsistent (never half a picture). */
export function decodeView(w: unknown): HeatmapView | undefined {
  if (typeof w !== 'object' || w === null) return undefined;
  const v = w as Partial<WireView>;
  if (typeof v.symbol !== 'string' || !HEATMAP_WINDOW_NAMES.includes(v.window as HeatmapWindow)) return undefined;
  if (![v.from, v.to, v.sliceMs, v.columns, v.rows, v.baseRow, v.maxUsd, v.candleMs, v.price, v.t, v.dataAgeMs].every(finite)) return undefined;
  if (typeof v.cells !== 'string' || typeof v.filled !== 'string' || !Array.isArray(v.candles) || !Array.isArray(v.venues)) return undefined;
  const columns = v.columns!;
  const rows = v.rows!;
  if (!Number.isInteger(columns) || !Number.isInteger(rows) || columns < 0 || rows < 0) return undefined;
  const cellBytes = Buffer.from(v.cells, 'base64');
  const filledBytes = Buffer.from(v.filled, 'base64');
  if (cellBytes.byteLength !== columns * rows * 4 || filledBytes.byteLength !== columns) return undefined;
  // copy into fresh, aligned arrays (a Buffer's offset in its pool need not be a multiple of 4)
  const cells = new Float32Array(columns * rows);
  new Uint8Array(cells.buffer).set(cellBytes);
  const filled = new Uint8Array(columns);
  filled.set(filledBytes);
  const candles: Candle[] = [];
  for (const c of v.candles as unknown[]) {
    const k = c as Partial<Candle>;
    if (typeof c !== 'object' || c === null || ![k.t, k.open, k.high, k.low, k.close].every(finite)) return undefined;
    candles.push(c as Candle);
  }
  if (!v.venues.every((x) => typeof x === 'string')) return undefined;
  return {
    symbol: v.symbol,
    from: v.from!,
    to: v.to!,
    sliceMs: v.sliceMs!,
    columns,
    rows,
    baseRow: v.baseRow!,
    cells,
    filled,
    maxUsd: v.maxUsd!,
    candles,
    candleMs: v.candleMs!,
    price: v.price!,
    t: v.t!,
    venues: v.venues as string[],
    dataAgeMs: v.dataAgeMs!,
    window: v.window as HeatmapWindow,
  };
}

function parseJson(message: string): unknown {
  try {
    return JSON.parse(message);
  } catch {
    return undefined;
  }
}

/**
 * The market process's side: answers heatmap requests from the local zone engine. Returns a stopper.
 */
export async function serveHeatmaps(redisUrl: string, source: HeatmapService, opts: HeatmapBusOptions = {}): Promise<() => Promise<void>> {
  const prefix = opts.prefix ?? 'liqzone';
  const log = opts.log ?? (() => {});
  const publisher = await connectRedis(redisUrl, { name: 'liqzone-heatmap-server', log, disableOfflineQueue: true });
  let subscriber: RedisClient;
  try {
    subscriber = await connectRedis(redisUrl, { name: 'liqzone-heatmap-requests', log });
  } catch (err) {
    await closeClient(publisher);
    throw err;
  }
  let malformed = 0;
  const onRequest = (message: string): void => {
    const r = parseJson(message) as Partial<Request> | undefined;
    const ok =
      r && typeof r.id === 'string' && typeof r.symbol === 'string' && typeof r.replyTo === 'string' && r.replyTo.startsWith(`${prefix}:heatmap:res:`) && HEATMAP_WINDOW_NAMES.includes(r.window as HeatmapWindow);
    if (!ok) {
      if (malformed++ % 1000 === 0) log('warn', 'malformed heatmap request ignored', { sample: message.slice(0, 120) });
      return;
    }
    let body: string;
    try {
      const view = source.heatmap(r.symbol!, r.window!);
      if (view instanceof Promise) throw new Error('the market process serves its own grid only');
      body = JSON.stringify({ id: r.id, view: view ? encodeView(view) : null });
    } catch (err) {
      log('error', 'heatmap request failed', { symbol: r.symbol, error: String((err as Error)?.message ?? err) });
      body = JSON.stringify({ id: r.id, view: null, error: 'the market process could not draw this heatmap' });
    }
    publisher.publish(r.replyTo!, body).catch((err: unknown) => log('warn', 'heatmap answer not sent', { error: String((err as Error)?.message ?? err) }));
  };
  await subscriber.subscribe(requestChannel(prefix), onRequest);
  return async () => {
    await Promise.all([closeClient(subscriber), closeClient(publisher)]);
  };
}

export interface RemoteHeatmaps extends HeatmapService {
  heatmap(symbol: string, window: HeatmapWindow): Promise<RemoteHeatmapResult>;
  close(): Promise<void>;
}

/**
 * A bot process's heatmap service: asks the market process and waits up to `timeoutMs` (default
 * 5 s). No answer in time, or Redis down, rejects with a HeatmapUnavailableError saying which —
 * the command turns that into a plain "unavailable right now" reply, never an empty picture.
 */
export async function createRemoteHeatmaps(redisUrl: string, opts: HeatmapBusOptions & { timeoutMs?: number } = {}): Promise<RemoteHeatmaps> {
  const prefix = opts.prefix ?? 'liqzone';
  const log = opts.log ?? (() => {});
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const botId = randomUUID();
  const replyTo = responseChannel(prefix, botId);
  const publisher = await connectRedis(redisUrl, { name: 'liqzone-heatmap-client', log, disableOfflineQueue: true });
  let subscriber: RedisClient;
  try {
    subscriber = await connectRedis(redisUrl, { name: 'liqzone-heatmap-answers', log });
  } catch (err) {
    await closeClient(publisher);
    throw err;
  }
  const pending = new Map<string, { resolve: (v: RemoteHeatmapResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const onAnswer = (message: string): void => {
    const a = parseJson(message) as { id?: unknown; view?: unknown; error?: unknown } | undefined;
    if (!a || typeof a.id !== 'string') return;
    const p = pending.get(a.id);
    if (!p) return; // answered after the timeout: the user already got "unavailable"
    pending.delete(a.id);
    clearTimeout(p.timer);
    if (typeof a.error === 'string') return p.reject(new HeatmapUnavailableError(a.error));
    if (a.view === null || a.view === undefined) return p.resolve(undefined);
    const view = decodeView(a.view);
    if (!view) {
      log('warn', 'heatmap answer from the market process could not be read (version mismatch?)');
      return p.reject(new HeatmapUnavailableError('the market process sent a heatmap this process cannot read'));
    }
    p.resolve(view);
  };
  await subscriber.subscribe(replyTo, onAnswer);
  return {
    heatmap(symbol, window) {
      const id = randomUUID();
      return new Promise<RemoteHeatmapResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          log('warn', 'no heatmap answer from a market process', { symbol, window, timeoutMs });
          reject(new HeatmapUnavailableError(`no market process answered within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        const req: Request = { id, symbol, window, replyTo };
        publisher.publish(requestChannel(prefix), JSON.stringify(req)).then(
          (receivers) => {
            // nobody subscribed to requests: no market process is running (or it is not reachable)
            if (receivers === 0 && pending.delete(id)) {
              clearTimeout(timer);
              reject(new HeatmapUnavailableError('no market process is listening'));
            }
          },
          (err: unknown) => {
            if (!pending.delete(id)) return;
            clearTimeout(timer);
            log('warn', 'heatmap request not sent', { error: String((err as Error)?.message ?? err) });
            reject(new HeatmapUnavailableError('Redis is not reachable'));
          },
        );
      });
    },
    async close() {
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        p.reject(new HeatmapUnavailableError('shutting down'));
        pending.delete(id);
      }
      await Promise.all([closeClient(subscriber), closeClient(publisher)]);
    },
  };
}
