import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VenueStatus } from '../venues/status.ts';

/** Freshness bounds for /healthz. */
export interface HealthBounds {
  /** A venue whose newest message is older than this is stale (default 30 s). */
  staleMs: number;
  /** Per-venue overrides of `staleMs`. */
  perVenue?: Partial<Record<string, number>>;
  /** Process start; with `startupGraceMs`, a venue with no message yet is not stale during the grace. */
  startedAt?: number;
  /** Default 60 s. */
  startupGraceMs?: number;
  /** Configured venues: one that has never reported (never connected) is unhealthy after the grace. */
  expected?: readonly string[];
}

export const DEFAULT_HEALTH_BOUNDS: HealthBounds = { staleMs: 30_000, startupGraceMs: 60_000 };

export interface VenueHealth {
  venue: string;
  /** Connection states joined, e.g. `market: open, public: reconnecting`. */
  state: string;
  /** Age of the freshest stream's last message, ms; null if nothing arrived yet. */
  lastMessageAgeMs: number | null;
  boundMs: number;
  healthy: boolean;
  /** Why it is unhealthy, or `starting` during the startup grace. */
  reason?: string;
  /** Streams the feed itself flagged silent (informational; liquidations may be quiet). */
  silentStreams: string[];
  /** Symbols the validated market view holds this venue out of, and why (the others carry the price). */
  quarantined?: { symbol: string; kind: string; reason: string }[];
  /** Events with exchange times in the future, clamped (a venue clock ahead, or bad data). */
  futureTimestamps?: number;
  duplicateTrades?: number;
}

export interface HealthReport {
  healthy: boolean;
  now: number;
  venues: VenueHealth[];
  /** The store's state: a failing store makes the whole report unhealthy. */
  store?: StoreHealth;
  /**
   * Data held out by the validated market view (a venue quarantined for a symbol). The bot still
   * answers from the venues that agree, so this alone keeps 200; it is never silent either.
   */
  degraded?: string[];
  /** Chat platforms: one whose token was rejected makes the report unhealthy; one reconnecting is listed. */
  chat?: { name: string; state: string; lastError?: string }[];
}

/** What /healthz shows about the store (structurally the store's own status). */
export interface StoreHealth {
  ok: boolean;
  store: string;
  failingSince?: number;
  lastError?: string;
}

/** Adds the store's state to a report: while the store fails, /healthz is 503. */
export function withStoreHealth(report: HealthReport, store: StoreHealth): HealthReport {
  const { ok, store: name, failingSince, lastError } = store;
  return { ...report, healthy: report.healthy && ok, store: ok ? { ok, store: name } : { ok, store: name, failingSince, lastError } };
}

/**
 * Adds the chat platforms: a platform that stopped for good (token rejected) is unhealthy — the bot
 * cannot answer anyone there; one reconnecting is listed under `degraded` (still 200: it retries).
 */
export function withChatHealth(report: HealthReport, chat: readonly { name: string; state: string; lastError?: string }[]): HealthReport {
  if (chat.length === 0) return report;
  const failed = chat.filter((p) => p.state === 'failed');
  const retrying = chat.filter((p) => p.state === 'retrying');
  const degraded = [...(report.degraded ?? []), ...retrying.map((p) => `${p.name} reconnecting${p.lastError ? `: ${p.lastError}` : ''}`)];
  return {
    ...report,
    healthy: report.healthy && failed.length === 0,
    chat: chat.map((p) => ({ name: p.name, state: p.state, ...(p.lastError ? { lastError: p.lastError } : {}) })),
    ...(degraded.length ? { degraded } : {}),
  };
}

/**
 * Pure: decides per venue whether its feed is fresh, from the status the feeds already publish.
 * A venue is judged by its freshest stream (a connection with a known cadence such as
 * markPrice@1s keeps it fresh); liquidation silence alone never makes it stale.
 */
export function assessHealth(venues: VenueStatus[], now: number, bounds: HealthBounds = DEFAULT_HEALTH_BOUNDS): HealthReport {
  const out = venues.map((v): VenueHealth => {
    const boundMs = bounds.perVenue?.[v.venue] ?? bounds.staleMs;
    let age: number | null = null;
    for (const s of v.streams) {
      if (s.lastMessageAgeMs !== null && Number.isFinite(s.lastMessageAgeMs) && (age === null || s.lastMessageAgeMs < age)) age = s.lastMessageAgeMs;
    }
    const state = v.connections.map((c) => `${c.name}: ${c.state}`).join(', ') || 'no connections';
    const silentStreams = v.streams.filter((s) => s.silent).map((s) => s.name);
    const base = { venue: v.venue, state, lastMessageAgeMs: age, boundMs, silentStreams };
    if (age === null) {
      const grace = bounds.startupGraceMs ?? DEFAULT_HEALTH_BOUNDS.startupGraceMs!;
      const inGrace = bounds.startedAt !== undefined && now - bounds.startedAt < grace;
      return inGrace ? { ...base, healthy: true, reason: 'starting' } : { ...base, healthy: false, reason: 'no message received yet' };
    }
    if (age > boundMs) return { ...base, healthy: false, reason: `last message ${Math.round(age / 1000)} s ago (bound ${Math.round(boundMs / 1000)} s)` };
    return { ...base, healthy: true };
  });
  const grace = bounds.startupGraceMs ?? DEFAULT_HEALTH_BOUNDS.startupGraceMs!;
  const inGrace = bounds.startedAt !== undefined && now - bounds.startedAt < grace;
  for (const venue of bounds.expected ?? []) {
    if (out.some((v) => v.venue === venue)) continue;
    const base = { venue, state: 'never connected', lastMessageAgeMs: null, boundMs: bounds.perVenue?.[venue] ?? bounds.staleMs, silentStreams: [] };
    out.push(inGrace ? { ...base, healthy: true, reason: 'starting' } : { ...base, healthy: false, reason: 'configured but never connected' });
  }
  const degraded: string[] = [];
  for (const h of out) {
    const v = venues.find((x) => x.venue === h.venue);
    if (!v) continue;
    if (v.quarantined?.length) {
      h.quarantined = v.quarantined.map((q) => ({ symbol: q.symbol, kind: q.kind, reason: q.reason }));
      for (const q of v.quarantined) degraded.push(q.reason);
    }
    if (v.futureTimestamps) h.futureTimestamps = v.futureTimestamps;
    if (v.duplicateTrades) h.duplicateTrades = v.duplicateTrades;
  }
  return { healthy: out.every((v) => v.healthy), now, venues: out, ...(degraded.length > 0 ? { degraded } : {}) };
}

export interface HealthServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1; set 0.0.0.0 to expose it to a scraper on another host. */
  host?: string;
  health: () => HealthReport;
  metrics: () => Promise<string>;
  /** Content type of /metrics (default the Prometheus text format). */
  metricsContentType?: string;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** `GET /healthz` (200 healthy / 503 stale, JSON), `GET /metrics` (Prometheus text), else 404. */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((req, res) => {
    void handle(opts, req, res);
  });
  // Scrapers keep connections alive; close() must not wait for them.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(opts: HealthServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const head = req.method === 'HEAD';
  if (path !== '/healthz' && path !== '/metrics') return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  if (req.method !== 'GET' && !head) {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', head);
  }
  if (path === '/healthz') {
    let report: HealthReport;
    try {
      report = opts.health();
    } catch (err) {
      return send(res, 503, 'application/json', JSON.stringify({ healthy: false, error: String((err as Error)?.message ?? err) }), head);
    }
    return send(res, report.healthy ? 200 : 503, 'application/json', JSON.stringify(report), head);
  }
  try {
    const text = await opts.metrics();
    return send(res, 200, opts.metricsContentType ?? PROMETHEUS_TEXT, text, head);
  } catch (err) {
    return send(res, 500, 'text/plain; charset=utf-8', `metrics failed: ${String((err as Error)?.message ?? err)}\n`, head);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}
