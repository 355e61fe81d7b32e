/**
 * Ingest on one core, through the path live traffic takes: a loopback venue (a child process, so
 * its sending costs the measured process nothing) pushes trade frames as WebSocket messages; the
 * real venue feed receives them (`Connection`: socket → text → `protocol.parse`, once) → `FeedCore`
 * → `RecordMapper.map(rec, parsed)` → `MarketState.apply`. Compared with the floor of `JSON.parse`
 * alone on the same frames in the same process and run. Rounds alternate floor and live path; the
 * best of each counts (a loaded machine only ever makes a run slower).
 * Goal: live path ≥ 0.6 of the floor. Run: `npm run bench ingest`.
 *
 * The last row of each venue is the mapper alone on in-memory strings (no socket, no Connection,
 * no feed): a diagnostic of the mapper's share, not a figure for live traffic.
 */
import { fork, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './run.ts';
import { MarketState } from '../src/market/state.ts';
import type { MarketEvent } from '../src/market/types.ts';
import { BinanceFeed } from '../src/venues/binance/feed.ts';
import { createBinanceMapper } from '../src/venues/binance/mapper.ts';
import { BybitFeed } from '../src/venues/bybit/feed.ts';
import { createBybitMapper } from '../src/venues/bybit/mapper.ts';
import { HyperliquidFeed } from '../src/venues/hyperliquid/feed.ts';
import { createHyperliquidMapper } from '../src/venues/hyperliquid/mapper.ts';
import { OkxFeed } from '../src/venues/okx/feed.ts';
import { createOkxMapper } from '../src/venues/okx/mapper.ts';
import { okxFakeInstruments, okxInstrumentsBody } from '../src/demo/okx-encode.ts';
import type { FeedTiming, VenueFeed } from '../src/venues/feed.ts';
import { buildRegistry } from '../src/venues/registry.ts';
import { RestClient } from '../src/venues/rest-client.ts';
import { framesOf, START, SYMBOLS, type BenchVenue } from './ingest/frames.ts';

const FRAMES = 200_000;
const ROUNDS = 5;

interface PassTime {
  /** Wall-clock frames per second. */
  wall: number;
  /** Frames per second of this process's CPU time (less sensitive to other load on the machine). */
  cpu: number;
}

function timed(frames: number, run: () => void): PassTime {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  run();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall: frames / (ms / 1000), cpu: frames / ((c.user + c.system) / 1e6) };
}

function floorPass(frames: string[]): PassTime {
  let sink = 0;
  const t = timed(frames.length, () => {
    for (let i = 0; i < frames.length; i++) {
      const msg = JSON.parse(frames[i]!) as object;
      if (msg !== null) sink++;
    }
  });
  if (sink !== frames.length) throw new Error('floor pass lost frames');
  return t;
}

interface Mapper {
  map(msg: unknown, recvTime: number): MarketEvent[] | null;
}

/** The mapper alone on in-memory strings: not the live path (no socket, no Connection, no feed). */
function mapperOnlyPass(frames: string[], fresh: () => Mapper): PassTime {
  const mapper = fresh();
  const state = new MarketState();
  let malformed = 0;
  const t = timed(frames.length, () => {
    for (let i = 0; i < frames.length; i++) {
      const evs = mapper.map(JSON.parse(frames[i]!), START + i * 5);
      if (evs === null) malformed++;
      else for (let j = 0; j < evs.length; j++) state.apply(evs[j]!);
    }
  });
  if (malformed > 0 || state.counts.trade !== frames.length) throw new Error(`mapper-only pass: ${malformed} malformed, ${state.counts.trade} trades applied`);
  return t;
}

/** Timing that keeps the bench sockets up: trade-only traffic has no watchdog stream. */
const QUIET: Partial<FeedTiming> = {
  watchdogSilenceMs: 600_000,
  publicWatchdogSilenceMs: 600_000,
  bybitWatchdogSilenceMs: 600_000,
  okxWatchdogSilenceMs: 600_000,
  hyperliquidWatchdogSilenceMs: 600_000,
  firstFrameMs: 600_000,
  quietFirstFrameMs: 600_000,
  sendIntervalMs: 1,
  oiPollIntervalMs: 3_600_000,
  bootstrapRetryMs: 3_600_000,
};

/** REST is not what is measured: every history request gets an empty list. */
const emptyRest: typeof fetch = async () => new Response('[]', { status: 200, headers: { 'content-type': 'application/json' } });

interface LiveRig {
  feed: VenueFeed;
  /** Loopback: resolves with the pass time once `n` trades reached the market state. */
  run(n: number): Promise<PassTime>;
  /**
   * The same frames handed to the `message` listener the Connection registered on its socket (what
   * `ws` calls after de-framing), as Buffers the way `ws` delivers them: Connection → feed → mapper →
   * MarketState without the socket and WebSocket framing.
   */
  runHandler(frames: Buffer[]): PassTime;
}

type MessageListener = (data: Buffer, isBinary: boolean) => void;

/** Starts a feed while noting the `message` listener each of its sockets gets. */
async function startCapturing(feed: VenueFeed): Promise<MessageListener[]> {
  const captured: MessageListener[] = [];
  const proto = WebSocket.prototype as unknown as { on: (ev: string, fn: (...a: unknown[]) => void) => unknown };
  const original = proto.on;
  proto.on = function (this: unknown, ev: string, fn: (...a: unknown[]) => void) {
    if (ev === 'message') captured.push(fn as MessageListener);
    return original.call(this, ev, fn);
  };
  try {
    await feed.start();
  } finally {
    proto.on = original;
  }
  return captured;
}

/** The registry a venue's feed would build: OKX needs its listing (contract values). */
function registryOf(venue: BenchVenue) {
  return buildRegistry({ symbols: SYMBOLS, venues: [venue], ...(venue === 'okx' ? { okxInstruments: okxInstrumentsBody(okxFakeInstruments(SYMBOLS)) } : {}) });
}

async function liveRig(venue: BenchVenue, port: number, child: ChildProcess): Promise<LiveRig> {
  const registry = registryOf(venue);
  let state = new MarketState();
  let target = 0;
  let first: { t: number; cpu: NodeJS.CpuUsage } | undefined;
  let done: ((p: PassTime) => void) | undefined;
  const onEvent = (ev: MarketEvent) => {
    state.apply(ev);
    if (ev.kind !== 'trade') return;
    const n = state.counts.trade;
    if (n === 1) first = { t: performance.now(), cpu: process.cpuUsage() };
    else if (n === target && first && done) {
      const ms = performance.now() - first.t;
      const c = process.cpuUsage(first.cpu);
      done({ wall: (n - 1) / (ms / 1000), cpu: (n - 1) / ((c.user + c.system) / 1e6) });
    }
  };
  const common = { registry, onEvent, timing: QUIET, rest: new RestClient({ venue, baseUrl: `http://127.0.0.1:${port}`, fetch: emptyRest }), log: () => {} };
  const feed: VenueFeed =
    venue === 'binance'
      ? new BinanceFeed({ ...common, wsUrl: `ws://127.0.0.1:${port}` })
      : venue === 'bybit'
        ? new BybitFeed({ ...common, wsUrl: `ws://127.0.0.1:${port}/bybit` })
        : venue === 'okx'
          ? new OkxFeed({ ...common, wsUrl: `ws://127.0.0.1:${port}/okx` })
          : new HyperliquidFeed({ ...common, wsUrl: `ws://127.0.0.1:${port}/hyperliquid` });
  const listeners = await startCapturing(feed);
  // Binance opens /market then /public: trades are /market's. Bybit has one socket.
  const tradeListener = listeners[0];
  if (!tradeListener) throw new Error(`${venue}: no socket listener captured`);
  const deadline = Date.now() + 10_000;
  while (!feed.status().connections.every((c) => c.state === 'open')) {
    if (Date.now() > deadline) throw new Error(`${venue}: bench sockets did not open: ${JSON.stringify(feed.status().connections)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    feed,
    run(n: number): Promise<PassTime> {
      state = new MarketState();
      target = n;
      first = undefined;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${venue}: ${state.counts.trade}/${n} trades after 120 s`)), 120_000);
        done = (p) => {
          clearTimeout(timer);
          done = undefined;
          resolve(p);
        };
        child.send({ send: venue });
      });
    },
    runHandler(frames: Buffer[]): PassTime {
      state = new MarketState();
      target = -1;
      const t = timed(frames.length, () => {
        for (let i = 0; i < frames.length; i++) tradeListener(frames[i]!, false);
      });
      if (state.counts.trade !== frames.length) throw new Error(`${venue} handler pass: ${state.counts.trade}/${frames.length} trades applied`);
      return t;
    },
  };
}

async function measure(venue: BenchVenue, label: string, port: number, child: ChildProcess): Promise<BenchRow[]> {
  const frames = framesOf(venue, FRAMES);
  const best = () => ({ wall: 0, cpu: 0 });
  const floor = best();
  const live = best();
  const shortcut = best();
  const handler = best();
  const buffers = frames.map((f) => Buffer.from(f, 'utf8'));
  const reg = registryOf(venue);
  const mapper = () => (venue === 'binance' ? createBinanceMapper(reg) : venue === 'bybit' ? createBybitMapper(reg) : venue === 'okx' ? createOkxMapper(reg) : createHyperliquidMapper(reg));
  const keep = (acc: PassTime, p: PassTime) => {
    acc.wall = Math.max(acc.wall, p.wall);
    acc.cpu = Math.max(acc.cpu, p.cpu);
  };
  // A fresh feed for every pass: the same frames again on one feed would be replays to a venue
  // mapper that drops them (Hyperliquid's backfill filter), and a pass must map every frame.
  const pass = async <T>(run: (rig: LiveRig) => T | Promise<T>): Promise<T> => {
    const rig = await liveRig(venue, port, child);
    // REST history answered with empty lists may count as malformed at start: only frames count here.
    const malformedBefore = rig.feed.status().malformedFrames;
    try {
      const out = await run(rig);
      const st = rig.feed.status();
      if (st.malformedFrames > malformedBefore) throw new Error(`${venue}: ${st.malformedFrames - malformedBefore} malformed frames on the live path`);
      return out;
    } finally {
      await rig.feed.stop();
    }
  };
  for (let r = 0; r < ROUNDS; r++) {
    keep(floor, floorPass(frames));
    keep(live, await pass((rig) => rig.run(FRAMES)));
    keep(handler, await pass((rig) => rig.runHandler(buffers)));
    keep(shortcut, mapperOnlyPass(frames, mapper));
  }
  return [
    { name: `${label}: JSON.parse only (floor)`, value: floor.wall, unit: 'frames/s', note: `${FRAMES} frames, best of ${ROUNDS}` },
    {
      name: `${label}: LIVE via the Connection's message handler → feed → mapper → MarketState`,
      value: handler.wall,
      unit: 'frames/s',
      ratio: handler.wall / floor.wall,
      goal: '≥ 0.6 of floor',
      note: `CPU-time ratio ${(handler.cpu / floor.cpu).toFixed(3)}; one JSON.parse per frame`,
    },
    {
      name: `${label}: LIVE loopback WS socket → the same path`,
      value: live.wall,
      unit: 'frames/s',
      ratio: live.wall / floor.wall,
      goal: '≥ 0.6 of floor',
      note: `CPU-time ratio ${(live.cpu / floor.cpu).toFixed(3)}; adds TCP reads, WebSocket de-framing and UTF-8 checks in ws`,
    },
    {
      name: `${label}: diagnostic, mapper alone on strings (not live)`,
      value: shortcut.wall,
      unit: 'frames/s',
      ratio: shortcut.wall / floor.wall,
      note: 'no socket, Connection or feed',
    },
  ];
}

export default async function ingestBench(): Promise<BenchRow[]> {
  const server = fileURLToPath(new URL('./ingest/venue-server.ts', import.meta.url));
  const child = fork(server, [String(FRAMES)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const [msg] = (await once(child, 'message')) as [{ port: number }];
    const only = process.env.INGEST_VENUES?.split(',');
    const runs: Array<[BenchVenue, string]> = [
      ['binance', 'binance aggTrade'],
      ['bybit', 'bybit publicTrade'],
      ['okx', 'okx trades'],
      ['hyperliquid', 'hyperliquid trades'],
    ];
    const rows: BenchRow[] = [];
    for (const [venue, label] of runs) if (!only || only.includes(venue)) rows.push(...(await measure(venue, label, msg.port, child)));
    return rows;
  } finally {
    child.send({ exit: true });
    await once(child, 'exit');
  }
}
