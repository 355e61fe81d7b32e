/**
 * The soak harness shared by `test/soak/soak.test.ts` and `bench/soak.bench.ts`: the agent-based
 * MarketSimulator for many symbols × both venues, driven on its own accelerated clock in big
 * `advance()` steps (no real waiting), feeding a real MarketState, ZoneEngine, SignalEngine and a
 * Notifier (with a few hundred subscriptions over a store and recording senders, on a manual
 * clock) the way the app wires them. At chosen simulated hours it samples the size of every
 * bounded buffer and the process memory.
 *
 * Imports nothing from vitest (the bench uses it).
 */
import type { Reply } from '../src/bot/reply.ts';
import { SignalEngine } from '../src/engine/signals/index.ts';
import { ZoneEngine } from '../src/engine/zone-engine.ts';
import { MarketState, type MarketStateLimits } from '../src/market/state.ts';
import { DEFAULT_SYMBOLS } from '../src/market/symbols.ts';
import type { MarketEvent, Venue } from '../src/market/types.ts';
import { getHeapSpaceStatistics } from 'node:v8';
import { ManualClock, runUntilIdle } from '../src/notify/clock.ts';
import { Notifier } from '../src/notify/notifier.ts';
import { RecordingAlertSender } from '../src/notify/recording.ts';
import { destinationKey } from '../src/store/destination.ts';
import { openStore, SWEEP_EVERY_MS, type Store } from '../src/store/store.ts';
import type { AlertSender, SendResult } from '../src/notify/types.ts';
import type { Destination } from '../src/store/types.ts';
import { MarketSimulator } from '../src/demo/simulator.ts';
import { mulberry32 } from './random.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const VENUES: readonly Venue[] = ['binance', 'bybit'];
/**
 * Minutes of bars the simulator records for REST history. The soak asks for history once, at the
 * start, so it keeps an hour: with the default (50 h, trimmed at 62 h) the simulator's own heap was
 * a 7 MB sawtooth over the measured day, which the bench's figure for the bot has to subtract.
 */
const SIM_HISTORY_MINUTES = 60;

export interface SoakOptions {
  symbols?: readonly string[];
  seed?: number;
  /** Simulated hours to run after the bootstrap. */
  hours: number;
  /** Simulated hours at which to take a checkpoint (buffer sizes, memory). */
  checkpoints: number[];
  /** Simulator internal step, ms (must divide a minute; default 60 s: the cheapest). */
  simStepMs?: number;
  /** ZoneEngine.update cadence on the simulated clock (the app: SNAPSHOT_INTERVAL_MS). */
  zonesEveryMs: number;
  /** SignalEngine.cycle cadence (the engine's own: 10 s). */
  signalsEveryMs: number;
  /** Notifier tick cadence (the app: NOTIFY_CRON, 10 s). */
  notifyEveryMs: number;
  /** Binance open interest is polled (Bybit pushes it): every symbol once per this period (the app: 30 s). */
  oiPollEveryMs?: number;
  /** Alert destinations, each subscribed to 1–3 symbols. */
  destinations: number;
  /** Every n-th destination wants every alert kind, a 2 % band and a 10-min cooldown (default 4; 0 = none). */
  eagerEvery?: number;
  /** State windows (shorter ones let a short soak reach steady state). */
  limits?: Partial<MarketStateLimits>;
  /** ZoneEngine track-record window, ms (default 24 h). */
  trackRecordKeepMs?: number;
  /** Keep every send (RecordingAlertSender) or only count them (long runs). */
  recordSends?: boolean;
  /** Keep every delivered message id and its dedupe keys for duplicate checks (default true; off for memory figures). */
  trackDeliveries?: boolean;
  /** Store URL (default `memory:`; a bench uses SQLite so alert history is not counted as process memory). */
  storeUrl?: string;
  /** Called at each checkpoint (e.g. to force a GC before memory is read). */
  beforeCheckpoint?: () => void;
}

export interface Tally {
  pairs: number;
  total: number;
  min: number;
  max: number;
}

export interface BufferSizes {
  bars: Tally;
  oiHistory: Tally;
  fundingHistory: Tally;
  liquidations: Tally;
  /**
   * Newest − oldest kept entry, per buffer (worst pair): each is pruned against its own newest
   * entry when one arrives, so this is what the window bounds.
   */
  spanMs: { oiHistory: number; fundingHistory: number; liquidations: number };
  /** Price levels across every venue's ladders. */
  levels: number;
  zoneSnapshots: number;
  signalSnapshots: number;
  /** ZoneEngine internals: per-symbol maps and the track records' windows. */
  zoneEngine: Record<string, number>;
  /** Notifier internals (maps and queues), by field. */
  notifier: Record<string, number>;
  /** Delivery queue: messages waiting or in flight; lanes; entries in the rate limiter's maps. */
  queue: { pending: number; lanes: number; limiterEntries: number };
  /** Ids in the outbox's open set (undelivered messages). */
  outboxOpen: number;
}

export interface Checkpoint {
  hour: number;
  simTime: number;
  buffers: BufferSizes;
  memory: NodeJS.MemoryUsage;
  events: number;
  ticks: number;
  alertsDecided: number;
  messagesSent: number;
  /** Wall time spent so far per phase, ms. */
  wallMs: Record<Phase, number>;
  /** An in-memory store's contents (outbox, ledger, caches kept for their retention): entries and JSON size. */
  storeContents?: { entries: number; jsonBytes: number; byNamespace: Record<string, { entries: number; jsonBytes: number }> };
  /** V8 heap spaces (used bytes by space name), from `v8.getHeapSpaceStatistics` (cheap, unlike a snapshot). */
  heapSpaces: Record<string, number>;
}

function heapSpaces(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of getHeapSpaceStatistics()) out[s.space_name] = s.space_used_size;
  return out;
}

/** Entries of a `memory:` store (keyv's Map), for telling store retention apart from process state. */
function memoryStoreContents(store: Store): Checkpoint['storeContents'] {
  // Store wraps its backend in a MonitoredBackend; the keyv Map is on the inner backend.
  const outer = store.backend as unknown as { inner?: unknown };
  const map = ((outer.inner ?? outer) as { keyv?: { store?: unknown } }).keyv?.store;
  if (!(map instanceof Map)) return undefined;
  let jsonBytes = 0;
  const byNamespace: Record<string, { entries: number; jsonBytes: number }> = {};
  for (const [k, v] of map) {
    const key = String(k);
    const bytes = key.length + (typeof v === 'string' ? v.length : (JSON.stringify(v)?.length ?? 0));
    jsonBytes += bytes;
    // keyv prefixes keys with its namespace ("keyv:" or the store's "liqzone:"); group by the first
    // segment of the store's own key after those (outbox, ledger, notify, subs, settings, …).
    const parts = key.split(':');
    let i = 0;
    while (i < parts.length - 1 && (parts[i] === 'keyv' || parts[i] === 'liqzone')) i++;
    const ns = parts[i]!;
    const slot = (byNamespace[ns] ??= { entries: 0, jsonBytes: 0 });
    slot.entries++;
    slot.jsonBytes += bytes;
  }
  return { entries: map.size, jsonBytes, byNamespace };
}

export type Phase = 'simulator' | 'state' | 'zones' | 'signals' | 'notifier';

export interface SentMessage {
  destKey: string;
  keys: string[];
  createdAt: number;
}

export interface SoakRun {
  checkpoints: Checkpoint[];
  events: number;
  /** Subscriptions created (destination, symbol). */
  subscriptions: number;
  destinations: Destination[];
  senders: CountingSender[];
  store: Store;
  state: MarketState;
  zones: ZoneEngine;
  signals: SignalEngine;
  notifier: Notifier;
  /** Dedupe keys of every sent message by message id (what the ledger decided). */
  sentKeys: Map<string, SentMessage>;
  /** Deliveries the notifier reported, per message id (a repeat is a duplicate). */
  deliveredIds: Map<string, number>;
  stop(): Promise<void>;
}


/** A sender that succeeds and counts per destination; optionally keeps every send. */
export class CountingSender implements AlertSender {
  readonly recording: RecordingAlertSender | undefined;
  sent = 0;
  readonly perDest = new Map<string, number>();

  constructor(
    readonly platform: Destination['platform'],
    now: () => number,
    keep: boolean,
  ) {
    this.recording = keep ? new RecordingAlertSender(platform, { now }) : undefined;
  }

  async send(dest: Destination, reply: Reply, opts: { silent: boolean; idempotencyKey?: string }): Promise<SendResult> {
    this.sent++;
    const k = destinationKey(dest);
    this.perDest.set(k, (this.perDest.get(k) ?? 0) + 1);
    return this.recording ? this.recording.send(dest, reply, opts) : { ok: true };
  }
}

function tally(values: number[]): Tally {
  let total = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const v of values) {
    total += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { pairs: values.length, total, min: values.length ? min : 0, max };
}

function sizeOf(x: unknown): number {
  if (x instanceof Map || x instanceof Set) return x.size;
  if (Array.isArray(x)) return x.length;
  return 0;
}

/** Reads private collections by field name (a soak must see inside to find what grows). */
function collections(obj: object, fields: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  const rec = obj as Record<string, unknown>;
  for (const f of fields) out[f] = sizeOf(rec[f]);
  return out;
}


const ZONE_ENGINE_FIELDS = ['snaps', 'lastUpdateT', 'atrCache', 'records', 'listeners'] as const;

export function measureBuffers(run: Pick<SoakRun, 'state' | 'zones' | 'signals' | 'notifier'>, symbols: readonly string[], outboxOpen: number): BufferSizes {
  const bars: number[] = [];
  const oi: number[] = [];
  const funding: number[] = [];
  const liq: number[] = [];
  const span = { oiHistory: 0, fundingHistory: 0, liquidations: 0 };
  let levels = 0;
  for (const symbol of symbols) {
    for (const vs of run.state.venues(symbol)) {
      bars.push(vs.bars.length);
      oi.push(vs.oiHistory.length);
      funding.push(vs.fundingHistory.length);
      liq.push(vs.liquidations.length);
      const oi0 = vs.oiHistory[0];
      const fu0 = vs.fundingHistory[0];
      const lq0 = vs.liquidations.get(0);
      if (oi0) span.oiHistory = Math.max(span.oiHistory, vs.oiHistory.at(-1)!.t - oi0.t);
      if (fu0) span.fundingHistory = Math.max(span.fundingHistory, vs.fundingHistory.at(-1)!.t - fu0.t);
      if (lq0) span.liquidations = Math.max(span.liquidations, vs.liquidations.last()!.exchTime - lq0.exchTime);
    }
    for (const v of run.zones.levels.venues(symbol)) levels += v.levelCount();
  }
  let signalSnapshots = 0;
  for (const symbol of symbols) for (const mode of ['scalp', 'day', 'swing'] as const) if (run.signals.snapshot(symbol, mode)) signalSnapshots++;

  const zoneEngine = collections(run.zones, ZONE_ENGINE_FIELDS);
  const sweepPending = (run.zones as unknown as { sweepTracker: { pending: unknown[] } }).sweepTracker.pending;
  zoneEngine.sweepPending = sweepPending.length;
  let open = 0;
  let done = 0;
  let sweeps = 0;
  for (const r of (run.zones as unknown as { records: Map<string, { open: unknown[]; done: unknown[]; sweeps: unknown[] }> }).records.values()) {
    open += r.open.length;
    done += r.done.length;
    sweeps += r.sweeps.length;
  }
  Object.assign(zoneEngine, { trackOpen: open, trackDone: done, trackSweeps: sweeps });

  const notifier = run.notifier.bufferSizes();
  const queue = run.notifier.delivery;
  // Whatever per-destination maps the rate limiter keeps (its internals change; count them all).
  const limiter = (queue as unknown as { limiter: object }).limiter;
  let limiterEntries = 0;
  for (const v of Object.values(limiter)) if (v instanceof Map || v instanceof Set) limiterEntries += v.size;
  return {
    bars: tally(bars),
    oiHistory: tally(oi),
    fundingHistory: tally(funding),
    liquidations: tally(liq),
    spanMs: span,
    levels,
    zoneSnapshots: run.zones.snapshots().length,
    signalSnapshots,
    zoneEngine,
    notifier,
    queue: { pending: queue.pending, lanes: sizeOf((queue as unknown as { lanes: Map<string, unknown> }).lanes), limiterEntries },
    outboxOpen,
  };
}

/**
 * Runs the soak. The caller owns the returned objects until `stop()`; everything is stopped and
 * closed there (timers, notifier, store).
 */
/**
 * The soak's simulator alone — same seed, symbols, venues, bootstrap history and 30-second steps,
 * no bot — with its heap used at the same simulated hours (after `beforeCheckpoint`, e.g. a GC).
 * The simulator shares the soak's heap; subtracting this run's growth leaves the bot's.
 */
export function simulatorAloneHeap(opts: { seed?: number; symbols?: string[]; hours: number; checkpoints: number[]; stepMs?: number; beforeCheckpoint?: () => void }): { hour: number; heapUsed: number }[] {
  const symbols = [...(opts.symbols ?? DEFAULT_SYMBOLS)];
  const sim = new MarketSimulator({ symbols, venues: VENUES, seed: opts.seed ?? 7, stepMs: MINUTE, maxHistoryMinutes: SIM_HISTORY_MINUTES });
  for (const venue of VENUES) for (const symbol of symbols) sim.history(venue, symbol, { bars: 1000, oiPoints: venue === 'binance' ? 288 : 200 });
  const step = opts.stepMs ?? 30_000;
  const start = sim.now();
  const checkpoints = [...opts.checkpoints].sort((a, b) => a - b);
  const out: { hour: number; heapUsed: number }[] = [];
  while (sim.now() - start < opts.hours * HOUR) {
    sim.advance(step);
    for (const symbol of symbols) sim.openInterest('binance', symbol);
    const hour = Math.floor((sim.now() - start) / HOUR);
    while (checkpoints.length && checkpoints[0]! <= hour) {
      opts.beforeCheckpoint?.();
      out.push({ hour: checkpoints.shift()!, heapUsed: process.memoryUsage().heapUsed });
    }
  }
  return out;
}

export async function runSoak(opts: SoakOptions): Promise<SoakRun> {
  const symbols = [...(opts.symbols ?? DEFAULT_SYMBOLS)];
  const rand = mulberry32(opts.seed ?? 7);
  const sim = new MarketSimulator({ symbols, venues: VENUES, seed: opts.seed ?? 7, stepMs: opts.simStepMs ?? MINUTE, maxHistoryMinutes: SIM_HISTORY_MINUTES });
  const state = new MarketState(opts.limits);
  const clock = new ManualClock(sim.now());
  const simNow = () => sim.now();
  const zones = new ZoneEngine(state, { symbols: () => symbols, now: simNow, trackRecord: opts.trackRecordKeepMs !== undefined ? { keepMs: opts.trackRecordKeepMs } : {} });
  const signals = new SignalEngine({ state, zones, symbols: () => symbols, now: simNow });
  // The store stamps expiries (keyv: Date.now() + ttl) and sweeps them on the wall clock, as it does
  // in a real run. Here a simulated day passes in minutes, so the wall clock is the simulated one for
  // the soak's duration: outbox records, ledger keys and cooldown stamps expire after their simulated
  // retention, as they would after a real day (before, nothing expired in the soak).
  const wallNow = Date.now;
  Date.now = simNow;
  const store = await openStore(opts.storeUrl ?? 'memory:').catch((err: unknown) => {
    Date.now = wallNow;
    throw err;
  });

  // The REST bootstrap the feeds do: 1000 1m bars and 5-min OI history per venue and symbol.
  let events = 0;
  for (const venue of VENUES) {
    for (const symbol of symbols) {
      const h = sim.history(venue, symbol, { bars: 1000, oiPoints: venue === 'binance' ? 288 : 200 });
      for (const ev of h.bars) state.apply(ev);
      for (const ev of h.oi) state.apply(ev);
      events += h.bars.length + h.oi.length;
    }
  }

  // A few hundred destinations on every platform, 1–3 symbols each.
  const platforms: Destination['platform'][] = ['telegram', 'discord', 'console'];
  const destinations: Destination[] = [];
  let subscriptions = 0;
  for (let i = 0; i < opts.destinations; i++) {
    const platform = platforms[i % platforms.length]!;
    const dest: Destination = { platform, kind: i % 5 === 0 ? 'channel' : 'user', id: String(100_000 + i) };
    destinations.push(dest);
    const n = 1 + Math.floor(rand() * 3);
    const picked = new Set<string>();
    while (picked.size < n) picked.add(symbols[Math.floor(rand() * symbols.length)]!);
    for (const s of picked) {
      if ((await store.subscriptions.add(dest, s)) === 'added') subscriptions++;
    }
    // Some want every alert kind and a wider band, so alerts keep flowing all day.
    const eager = opts.eagerEvery ?? 4;
    if (eager > 0 && i % eager === 0) await store.settings.update(dest, { proximityPct: 2, cooldownMin: 10, kinds: ['proximity', 'conflict', 'sweep', 'fading'] });
  }

  const senders = platforms.map((p) => new CountingSender(p, clock.now, opts.recordSends ?? false));
  const notifier = new Notifier({ store, zones, signals, senders, now: clock.now, sleep: clock.sleep, cron: '0 0 0 1 1 *' });
  signals.onEvent((ev) => notifier.onSignalEvent(ev));
  zones.onSweep((ev) => notifier.onSweep(ev));
  const deliveredIds = new Map<string, number>();
  const sentKeys = new Map<string, SentMessage>();
  const deliveredSoFar: string[] = [];
  if (opts.trackDeliveries ?? true) {
    notifier.onDelivery((r) => {
      deliveredIds.set(r.messageId, (deliveredIds.get(r.messageId) ?? 0) + 1);
      deliveredSoFar.push(r.messageId);
    });
  }
  // The app's timers run too (the cron never fires in a soak; signals' own cycle is unref'd), so
  // the handle check after stop() sees whether stopping clears them.
  await notifier.start();
  signals.start();

  const run: SoakRun = {
    checkpoints: [],
    events,
    subscriptions,
    destinations,
    senders,
    store,
    state,
    zones,
    signals,
    notifier,
    sentKeys,
    deliveredIds,
    async stop() {
      signals.stop();
      await notifier.stop();
      await store.close();
      Date.now = wallNow;
    },
  };

  const chunk = Math.min(opts.signalsEveryMs, opts.zonesEveryMs, opts.notifyEveryMs, opts.oiPollEveryMs ?? 30_000);
  const start = sim.now();
  const oiPollEvery = opts.oiPollEveryMs ?? 30_000;
  const checkpoints = [...opts.checkpoints].sort((a, b) => a - b);
  let ticks = 0;
  let decided = 0;
  let nextZones = start;
  let nextSignals = start;
  let nextNotify = start;
  let nextOiPoll = start;
  // the store's own sweep timer (every 10 min) does not fire in a soak that runs a day in minutes
  let nextSweep = start + SWEEP_EVERY_MS;
  const wallMs: Record<Phase, number> = { simulator: 0, state: 0, zones: 0, signals: 0, notifier: 0 };
  let mark = performance.now();
  const lap = (phase: Phase) => {
    const n = performance.now();
    wallMs[phase] += n - mark;
    mark = n;
  };
  const apply = (evs: MarketEvent[]) => {
    for (const ev of evs) state.apply(ev);
    events += evs.length;
  };
  const collectKeys = async () => {
    const ids = deliveredSoFar.splice(0);
    const msgs = await Promise.all(ids.map((id) => store.outbox.get(id)));
    ids.forEach((id, i) => {
      const m = msgs[i];
      if (m) sentKeys.set(id, { destKey: m.destKey, keys: m.keys, createdAt: m.createdAt });
    });
  };

  for (let hourDone = 0; sim.now() - start < opts.hours * HOUR; ) {
    mark = performance.now();
    // the step's events are not kept in a local: a checkpoint below would count the batch as the bot's heap
    let evs: MarketEvent[] | undefined = sim.advance(chunk);
    lap('simulator');
    apply(evs);
    evs = undefined;
    const t = sim.now();
    if (t >= nextOiPoll) {
      for (const symbol of symbols) {
        const oi = sim.openInterest('binance', symbol);
        state.apply({ kind: 'oi', venue: 'binance', symbol, exchTime: t, recvTime: t, oiBase: oi.oiBase, oiUsd: oi.oiUsd });
      }
      events += symbols.length;
      nextOiPoll += oiPollEvery;
    }
    lap('state');
    if (t >= nextZones) {
      zones.update();
      nextZones += opts.zonesEveryMs;
      lap('zones');
    }
    if (t >= nextSignals) {
      signals.cycle();
      nextSignals += opts.signalsEveryMs;
      lap('signals');
    }
    if (t >= nextSweep) {
      await store.sweepExpired(t);
      nextSweep += SWEEP_EVERY_MS;
    }
    if (t >= nextNotify) {
      if (clock.t < t) clock.advanceBy(t - clock.t);
      const r = await notifier.tick();
      await runUntilIdle(notifier.delivery, clock);
      await collectKeys();
      ticks++;
      decided += r.decided;
      nextNotify += opts.notifyEveryMs;
      lap('notifier');
    }
    const hour = Math.floor((t - start) / HOUR);
    if (hour > hourDone) {
      hourDone = hour;
      while (checkpoints.length && checkpoints[0]! <= hour) {
        const h = checkpoints.shift()!;
        await store.outbox.flush();
        const outboxOpen = (await store.backend.members('outbox:open')).length;
        opts.beforeCheckpoint?.();
        // memory first, right after the caller's GC: measuring the buffers and the store allocates
        const memory = process.memoryUsage();
        const spaces = heapSpaces();
        const buffers = measureBuffers(run, symbols, outboxOpen);
        run.checkpoints.push({
          hour: h,
          simTime: t,
          buffers,
          memory,
          events,
          ticks,
          alertsDecided: decided,
          messagesSent: senders.reduce((a, s) => a + s.sent, 0),
          wallMs: { ...wallMs },
          storeContents: memoryStoreContents(store),
          heapSpaces: spaces,
        });
      }
    }
  }
  run.events = events;
  return run;
}
