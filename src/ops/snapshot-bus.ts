import { randomUUID } from 'node:crypto';
import type { SignalService, ZoneService } from '../engine/ports.ts';
import type { StatusReport } from '../bot/services.ts';
import { BracketBook, type BracketTable } from '../engine/brackets.ts';
import type { ExitPlan, ExitRequest, SignalMode, SignalSnapshot, ZoneSnapshot } from '../engine/types.ts';
import type { LogFn } from './log.ts';
import { closeClient, connectRedis, type RedisClient } from './redis.ts';
import { setPriceTick } from '../format/numbers.ts';

/**
 * Engine snapshots over Redis, for scale-out: one market process publishes, any number of bot
 * processes read. Each publish stores the latest value in a hash (so a bot that starts late has
 * everything at once) and announces it on one pub/sub channel (so running bots see it within
 * a round trip).
 *
 * Redis layout (prefix default `liqzone`):
 *   HASH    <prefix>:snap:<kind>   field = key (symbol, `SYMBOL:mode`, `venue:SYMBOL` or `*`), value = envelope JSON
 *   CHANNEL <prefix>:snap          envelope JSON
 */

export interface SnapshotPayloads {
  zones: ZoneSnapshot;
  signals: SignalSnapshot;
  status: StatusReport;
  /** Exchange bracket tables the market process loaded (Bybit risk tiers), per `venue:symbol`. */
  brackets: BracketTable;
  /** Price ticks per symbol (coin units) from the market process's symbol registry, under `*`. */
  ticks: Record<string, number>;
}
export type SnapshotKind = keyof SnapshotPayloads;
export const SNAPSHOT_KINDS: readonly SnapshotKind[] = ['zones', 'signals', 'status', 'brackets', 'ticks'];

/** The key status reports are stored under (there is one per market process). */
export const STATUS_KEY = '*';

/** Signals are per symbol and mode. */
export function signalKey(symbol: string, mode: SignalMode): string {
  return `${symbol}:${mode}`;
}

/** What travels: the payload plus who published it and when, to order updates. */
interface Envelope {
  kind: SnapshotKind;
  key: string;
  payload: unknown;
  /** Publisher wall clock, ms. */
  at: number;
  /** Publisher instance id; `seq` is monotonic per instance. */
  src: string;
  seq: number;
  /** Optional one-line annotation (the zone track record). */
  note?: string;
}

export interface SnapshotBusOptions {
  /** Key and channel prefix (default `liqzone`); tests use a unique one. */
  prefix?: string;
  log?: LogFn;
  now?: () => number;
}

export interface SnapshotPublisher {
  /** Stores the latest value and announces it. Resolves false (and logs) when Redis is unreachable. */
  publish<K extends SnapshotKind>(kind: K, key: string, payload: SnapshotPayloads[K], note?: string): Promise<boolean>;
  publishZones(snapshot: ZoneSnapshot, trackRecord?: string): Promise<boolean>;
  publishSignals(snapshot: SignalSnapshot): Promise<boolean>;
  publishStatus(report: StatusReport): Promise<boolean>;
  publishBrackets(table: BracketTable): Promise<boolean>;
  publishTicks(ticks: Record<string, number>): Promise<boolean>;
  close(): Promise<void>;
}

function hashKey(prefix: string, kind: SnapshotKind): string {
  return `${prefix}:snap:${kind}`;
}
function channelOf(prefix: string): string {
  return `${prefix}:snap`;
}

export async function createSnapshotPublisher(redisUrl: string, opts: SnapshotBusOptions = {}): Promise<SnapshotPublisher> {
  const prefix = opts.prefix ?? 'liqzone';
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => {});
  // Snapshots supersede each other: during an outage drop them rather than queue them.
  const client = await connectRedis(redisUrl, { name: 'liqzone-snapshot-publisher', log, disableOfflineQueue: true });
  const src = randomUUID();
  let seq = 0;
  let lastFailureLog = 0;

  async function publish<K extends SnapshotKind>(kind: K, key: string, payload: SnapshotPayloads[K], note?: string): Promise<boolean> {
    const env: Envelope = { kind, key, payload, at: now(), src, seq: ++seq };
    if (note !== undefined) env.note = note;
    const json = JSON.stringify(env);
    try {
      await client.multi().hSet(hashKey(prefix, kind), key, json).publish(channelOf(prefix), json).exec();
      return true;
    } catch (err) {
      const t = Date.now();
      if (t - lastFailureLog > 10_000) {
        lastFailureLog = t;
        log('warn', 'snapshot publish failed', { kind, key, error: String((err as Error)?.message ?? err) });
      }
      return false;
    }
  }

  return {
    publish,
    publishZones: (snapshot, trackRecord) => publish('zones', snapshot.symbol, snapshot, trackRecord),
    publishSignals: (snapshot) => publish('signals', signalKey(snapshot.symbol, snapshot.mode), snapshot),
    publishStatus: (report) => publish('status', STATUS_KEY, report),
    publishBrackets: (table) => publish('brackets', `${table.venue}:${table.symbol}`, table),
    publishTicks: (ticks) => publish('ticks', STATUS_KEY, ticks),
    async close() {
      await closeClient(client);
    },
  };
}

export interface SnapshotEntry<K extends SnapshotKind = SnapshotKind> {
  kind: K;
  key: string;
  payload: SnapshotPayloads[K];
  /** Publisher clock when it was published. */
  at: number;
  /** Local clock when this process took it in (live or by resync). */
  receivedAt: number;
  note?: string;
}

export type SnapshotListener = (update: SnapshotEntry) => void;

export interface SnapshotSubscriber {
  get<K extends SnapshotKind>(kind: K, key: string): SnapshotPayloads[K] | undefined;
  entry<K extends SnapshotKind>(kind: K, key: string): SnapshotEntry<K> | undefined;
  keys(kind: SnapshotKind): string[];
  /** Called for every accepted (newer) update, live or from a resync; returns an unsubscribe. */
  onUpdate(listener: SnapshotListener): () => void;
  /** Reloads every stored value (done at start and after each reconnect). */
  resync(): Promise<void>;
  close(): Promise<void>;
}

interface CachedEntry {
  env: Envelope;
  receivedAt: number;
}

export async function createSnapshotSubscriber(redisUrl: string, opts: SnapshotBusOptions = {}): Promise<SnapshotSubscriber> {
  const prefix = opts.prefix ?? 'liqzone';
  const log = opts.log ?? (() => {});
  const now = opts.now ?? Date.now;
  const cache = new Map<SnapshotKind, Map<string, CachedEntry>>(SNAPSHOT_KINDS.map((k) => [k, new Map()]));
  const listeners = new Set<SnapshotListener>();
  let malformed = 0;

  const accept = (env: Envelope): void => {
    const byKey = cache.get(env.kind)!;
    const cur = byKey.get(env.key);
    if (cur && !isNewer(env, cur.env)) return;
    const entry: CachedEntry = { env, receivedAt: now() };
    byKey.set(env.key, entry);
    const update = toEntry(entry);
    for (const l of listeners) {
      try {
        l(update);
      } catch (err) {
        log('error', 'snapshot listener failed', { error: String((err as Error)?.stack ?? err) });
      }
    }
  };

  const onMessage = (message: string): void => {
    const env = parseEnvelope(message);
    if (env) accept(env);
    else if (malformed++ % 1000 === 0) log('warn', 'malformed snapshot message ignored', { sample: message.slice(0, 120) });
  };

  const commands = await connectRedis(redisUrl, { name: 'liqzone-snapshot-reader', log });
  let subscriber: RedisClient;
  try {
    subscriber = await connectRedis(redisUrl, { name: 'liqzone-snapshot-subscriber', log });
  } catch (err) {
    await closeClient(commands);
    throw err;
  }

  const resync = async (): Promise<void> => {
    for (const kind of SNAPSHOT_KINDS) {
      const all = await commands.hGetAll(hashKey(prefix, kind));
      for (const json of Object.values(all)) onMessage(json);
    }
  };

  // Subscribe before loading the stored values: an update published in between is then seen
  // live, and the ordering rule keeps whichever is newer.
  await subscriber.subscribe(channelOf(prefix), onMessage);
  await resync();
  // node-redis resubscribes by itself after a reconnect; what was published meanwhile is only
  // in the hashes, so reload them.
  const onReconnect = () => {
    resync().catch((err: unknown) => log('warn', 'snapshot resync failed', { error: String((err as Error)?.message ?? err) }));
  };
  subscriber.on('ready', onReconnect);

  return {
    get(kind, key) {
      return cache.get(kind)?.get(key)?.env.payload as SnapshotPayloads[typeof kind] | undefined;
    },
    entry(kind, key) {
      const e = cache.get(kind)?.get(key);
      return e ? (toEntry(e) as SnapshotEntry<typeof kind>) : undefined;
    },
    keys(kind) {
      return [...(cache.get(kind)?.keys() ?? [])];
    },
    onUpdate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    resync,
    async close() {
      listeners.clear();
      subscriber.off('ready', onReconnect);
      await Promise.all([closeClient(subscriber), closeClient(commands)]);
    },
  };
}

/** Same publisher: by sequence. Different publishers (a restarted market process): by time. */
function isNewer(a: Envelope, b: Envelope): boolean {
  if (a.src === b.src) return a.seq > b.seq;
  return a.at > b.at || (a.at === b.at && a.src > b.src);
}

function toEntry({ env, receivedAt }: CachedEntry): SnapshotEntry {
  const e: SnapshotEntry = { kind: env.kind, key: env.key, payload: env.payload as SnapshotPayloads[SnapshotKind], at: env.at, receivedAt };
  if (env.note !== undefined) e.note = env.note;
  return e;
}

function parseEnvelope(message: string): Envelope | undefined {
  let v: unknown;
  try {
    v = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Partial<Envelope>;
  if (!SNAPSHOT_KINDS.includes(e.kind as SnapshotKind)) return undefined;
  if (typeof e.key !== 'string' || typeof e.src !== 'string') return undefined;
  if (typeof e.at !== 'number' || typeof e.seq !== 'number') return undefined;
  if (typeof e.payload !== 'object' || e.payload === null) return undefined;
  if (e.note !== undefined && typeof e.note !== 'string') return undefined;
  return e as Envelope;
}

// ---------------------------------------------------------------------------------------------
// Read-side adapters: what the bot process hands to commands instead of the local engines.

/** The zone engine's pure exit planner, given a snapshot. */
export type ExitPlanner = (snapshot: ZoneSnapshot, req: ExitRequest) => ExitPlan | { error: string };

export interface RemoteZoneOptions {
  /** Without it, /exit answers that planning is unavailable on this instance. */
  planExit?: ExitPlanner;
}

export function remoteZoneService(sub: SnapshotSubscriber, opts: RemoteZoneOptions = {}): ZoneService {
  return {
    snapshot: (symbol) => zoneSnapshotOf(sub, symbol),
    planExit(req) {
      const snapshot = zoneSnapshotOf(sub, req.symbol);
      if (!snapshot) return { error: `No zone snapshot for ${req.symbol} yet; the market process has not published one.` };
      if (!opts.planExit) return { error: 'Exit planning is not available on this instance.' };
      return opts.planExit(snapshot, req);
    },
    trackRecord: (symbol) => sub.entry('zones', symbol)?.note,
  };
}

export function remoteSignalService(sub: SnapshotSubscriber): SignalService {
  return {
    snapshot(symbol, mode) {
      const s = sub.get('signals', signalKey(symbol, mode));
      return s && s.symbol === symbol && s.mode === mode && Array.isArray(s.timeframes) ? s : undefined;
    },
  };
}

function zoneSnapshotOf(sub: SnapshotSubscriber, symbol: string): ZoneSnapshot | undefined {
  const s = sub.get('zones', symbol);
  // A payload from an incompatible (older/newer) market process is treated as absent, not trusted.
  return s && s.symbol === symbol && Array.isArray(s.zones) && Array.isArray(s.bins) ? s : undefined;
}

/**
 * The bracket tables a bot process plans exits with: the exchange tables the market process
 * published (Bybit risk tiers), else the same built-in tables the market process starts from.
 */
export function remoteBrackets(sub: SnapshotSubscriber, local: BracketBook = new BracketBook()): Pick<BracketBook, 'get'> {
  return {
    get(venue, symbol) {
      const t = sub.get('brackets', `${venue}:${symbol}`);
      const usable = t && t.venue === venue && t.symbol === symbol && Array.isArray(t.brackets) && t.brackets.length > 0;
      return usable ? t : local.get(venue, symbol);
    },
  };
}

/**
 * Keeps this process's price formatter on the market process's ticks, so a bot process prints
 * prices exactly as the market process would. Returns an unsubscribe.
 */
export function followPriceTicks(sub: SnapshotSubscriber): () => void {
  const apply = () => {
    const t = sub.get('ticks', STATUS_KEY);
    if (!t || typeof t !== 'object') return;
    for (const [symbol, tick] of Object.entries(t)) if (typeof tick === 'number') setPriceTick(symbol, tick);
  };
  apply();
  return sub.onUpdate((u) => {
    if (u.kind === 'ticks') apply();
  });
}

export interface RemoteStatusOptions {
  now?: () => number;
  /** Reported when no market process has published yet. */
  mode?: StatusReport['mode'];
  startedAt?: number;
}

/**
 * `Services.status` for a bot process: the market process's report, with every message age
 * advanced by the time since it was made — so a dead market process shows up as stale
 * feeds in /status and /healthz instead of frozen "fresh" ones.
 */
export function remoteStatus(sub: SnapshotSubscriber, opts: RemoteStatusOptions = {}): () => StatusReport {
  const now = opts.now ?? Date.now;
  const startedAt = opts.startedAt ?? now();
  return () => {
    const t = now();
    const e = sub.entry('status', STATUS_KEY);
    const r = e?.payload;
    if (!e || !r || !Array.isArray(r.venues)) return { mode: opts.mode ?? 'live', startedAt, now: t, venues: [] };
    // Time since the report was made. The local receive time is immune to clock skew but is
    // recent after a resync even when the report is old; the publisher's clock covers that.
    const delta = Math.max(0, t - e.receivedAt, t - r.now);
    return {
      ...r,
      now: t,
      venues: r.venues.map((v) => ({
        ...v,
        streams: v.streams.map((s) => ({ ...s, lastMessageAgeMs: s.lastMessageAgeMs === null ? null : s.lastMessageAgeMs + delta })),
      })),
    };
  };
}
