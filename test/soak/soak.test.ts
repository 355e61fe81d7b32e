/**
 * Soak: 24 simulated hours of the agent-based market on an accelerated clock (big `advance()`
 * steps, no real waiting) through a real MarketState, ZoneEngine, SignalEngine and Notifier with
 * 300 destinations. Every buffer must sit at its bound between hour 12 and hour 24, nothing may be
 * delivered twice, and once everything is stopped the process holds the handles it held before.
 *
 * Scale and cadence are cut to fit a test (a third of the symbols; windows of 6 h so state is full
 * by hour 12; zones every 5 min, signals every minute, notifier every 5 min of market time). The
 * full-scale run — 21 symbols × 2 venues, default windows, real cadences, RSS — is
 * `npx tsx bench/run.ts soak`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSoak, type BufferSizes, type Checkpoint, type SoakRun } from '../../testkit/soak.ts';
import { ALERT_KINDS } from '../../src/store/settings.ts';

const HOUR = 3_600_000;
const WINDOW_MS = 6 * HOUR;
const SYMBOLS = ['BTC', 'ETH', 'SOL', 'DOGE', 'HYPE', 'PEPE', 'TON'];
const DESTINATIONS = 300;
const MAX_BARS = 1440;

/** Live handles by type (timers, sockets, …): what a leak would add to. */
function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

let run: SoakRun;
let h1: BufferSizes;
let h12: BufferSizes;
let h24: BufferSizes;
let c12: Checkpoint;
let c24: Checkpoint;
let handlesBefore: Record<string, number>;
let handlesAfter: Record<string, number>;

beforeAll(async () => {
  handlesBefore = handleCounts();
  run = await runSoak({
    symbols: SYMBOLS,
    seed: 24,
    hours: 24,
    checkpoints: [1, 12, 24],
    zonesEveryMs: 5 * 60_000,
    signalsEveryMs: 60_000,
    notifyEveryMs: 5 * 60_000,
    destinations: DESTINATIONS,
    limits: { historyMs: WINDOW_MS, liquidationMs: WINDOW_MS },
    trackRecordKeepMs: WINDOW_MS,
    recordSends: true,
  });
  [, c12, c24] = run.checkpoints as [Checkpoint, Checkpoint, Checkpoint];
  h1 = run.checkpoints[0]!.buffers;
  h12 = c12.buffers;
  h24 = c24.buffers;
  await run.stop();
  // Closed sockets and cleared timers leave the list on the next turns of the loop.
  const settled = () => Object.entries(handleCounts()).every(([type, n]) => n <= (handlesBefore[type] ?? 0));
  for (let i = 0; i < 50 && !settled(); i++) await new Promise((r) => setTimeout(r, 20));
  handlesAfter = handleCounts();
}, 300_000);

afterAll(async () => {
  await run?.stop();
});

/** A buffer that keeps growing doubles between hour 12 and 24; a bounded one stays level. */
const levelled = (at12: number, at24: number, slack = 0) => expect(at24).toBeLessThanOrEqual(at12 * 1.25 + slack);

describe('soak: 24 simulated hours, 7 symbols × 2 venues, 300 destinations', () => {
  it('ran the whole day with live data and alerts flowing in the second half', () => {
    expect(run.checkpoints.map((c) => c.hour)).toEqual([1, 12, 24]);
    expect(c24.simTime - c12.simTime).toBeGreaterThanOrEqual(12 * HOUR);
    expect(c24.events - c12.events).toBeGreaterThan(1_000_000);
    expect(run.subscriptions).toBeGreaterThanOrEqual(DESTINATIONS);
    expect(c24.alertsDecided - c12.alertsDecided).toBeGreaterThan(0);
    expect(c24.messagesSent - c12.messagesSent).toBeGreaterThan(0);
  });

  it('market state: bars at their cap, histories and liquidations inside their windows', () => {
    for (const b of [h12, h24]) {
      expect(b.bars.pairs).toBe(SYMBOLS.length * 2);
      expect(b.bars.min).toBe(MAX_BARS);
      expect(b.bars.max).toBe(MAX_BARS);
      // pruned against the newest entry on every insert: no pair keeps more than the window
      expect(b.spanMs.oiHistory).toBeLessThanOrEqual(WINDOW_MS);
      expect(b.spanMs.fundingHistory).toBeLessThanOrEqual(WINDOW_MS);
      expect(b.spanMs.liquidations).toBeLessThanOrEqual(WINDOW_MS);
      // funding is sampled once a minute
      expect(b.fundingHistory.max).toBeLessThanOrEqual(WINDOW_MS / 60_000 + 1);
    }
    levelled(h12.oiHistory.total, h24.oiHistory.total);
    levelled(h12.fundingHistory.total, h24.fundingHistory.total);
    levelled(h12.liquidations.total, h24.liquidations.total, 500);
  });

  it('engines: one snapshot per symbol and mode, track records level off, level book growth slows', () => {
    for (const b of [h12, h24]) {
      expect(b.zoneSnapshots).toBe(SYMBOLS.length);
      expect(b.signalSnapshots).toBe(SYMBOLS.length * 3);
      for (const f of ['snaps', 'lastUpdateT', 'atrCache', 'records']) expect(b.zoneEngine[f]).toBe(SYMBOLS.length);
      expect(b.zoneEngine.listeners).toBe(1);
    }
    // Levels sit on a 0.01 % price grid and decay with half-lives of 18–168 h: the book is bounded
    // by the price range traded, not by a time window, so within a day it still grows — but
    // ever more slowly as new prices get rarer. A leak would grow at a constant rate.
    expect(h24.levels - h12.levels).toBeLessThan(h12.levels - h1.levels);
    levelled(h12.zoneEngine.trackDone!, h24.zoneEngine.trackDone!, SYMBOLS.length);
    levelled(h12.zoneEngine.trackSweeps!, h24.zoneEngine.trackSweeps!, 50);
    levelled(h12.zoneEngine.sweepPending!, h24.zoneEngine.sweepPending!, 50);
  });

  it('notifier: index, caches and delivery queue bounded by the subscriptions; outbox drained', () => {
    for (const b of [h12, h24]) {
      expect(b.notifier.index).toBeLessThanOrEqual(SYMBOLS.length);
      expect(b.notifier.dests).toBe(DESTINATIONS);
      expect(b.notifier.held).toBe(0);
      // signal events are handled within their tick; a sweep crossing waits for the next zone snapshot to
      // confirm it (every 5 min here), so a checkpoint can fall between the two: at most one snapshot's zones
      expect(b.notifier.pending).toBeLessThanOrEqual(SYMBOLS.length * 2 * 15);
      // cooldowns are per (destination, symbol, kind): at most one entry per subscription and kind
      expect(b.notifier.lastCache).toBeLessThanOrEqual(run.subscriptions * ALERT_KINDS.length);
      expect(b.notifier.conflictNotified).toBeLessThanOrEqual(run.subscriptions);
      expect(b.notifier.recent).toBeLessThanOrEqual(200);
      // one entry per destination and UTC day: hour 24 is the first instant of day two
      expect(b.notifier.dayCache).toBeLessThanOrEqual(2 * DESTINATIONS);
      expect(b.notifier.deliveryListeners).toBe(1);
      // no alert sources and no /forgetme here: these stay empty
      expect(b.notifier.personal).toBe(0);
      expect(b.notifier.erased).toBe(0);
      expect(b.queue).toMatchObject({ pending: 0, lanes: 0 });
      expect(b.queue.limiterEntries).toBeLessThanOrEqual(2 * DESTINATIONS);
      expect(b.outboxOpen).toBe(0);
    }
  });

  // The in-memory mirror of the dedupe ledger must forget keys older than the dedupe window (6 h),
  // or it grows with every alert for the life of the process.
  it('notifier: the dedupe-ledger cache levels off once the dedupe window has passed', () => {
    expect(h12.notifier.ledgerCache).toBeGreaterThan(0);
    levelled(h12.notifier.ledgerCache!, h24.notifier.ledgerCache!);
  });

  it('no alert was delivered twice: each message once; a dedupe key again only after a re-arm or the window', () => {
    expect(run.deliveredIds.size).toBeGreaterThan(0);
    for (const [, n] of run.deliveredIds) expect(n).toBe(1);
    // A proximity key comes back only once price left the band and re-entered it, never inside the
    // destination's cooldown (10 min for the quickest settings here); any other kind only after the
    // 6 h dedupe window.
    const lastSent = new Map<string, number>();
    const early: string[] = [];
    for (const m of [...run.sentKeys.values()].sort((a, b) => a.createdAt - b.createdAt)) {
      for (const k of m.keys) {
        const prev = lastSent.get(k);
        const minGap = k.endsWith('|proximity') ? 10 * 60_000 : 6 * HOUR;
        if (prev !== undefined && m.createdAt - prev < minGap) early.push(`${k} after ${(m.createdAt - prev) / 60_000} min`);
        lastSent.set(k, m.createdAt);
      }
    }
    expect(early).toEqual([]);
    expect(run.sentKeys.size).toBe(run.deliveredIds.size);
    // and on the platform side: one call per idempotency key, to the message's own destination
    for (const s of run.senders) {
      const seen = new Set<string>();
      for (const c of s.recording!.calls) {
        expect(c.idempotencyKey).toBeDefined();
        expect(seen.has(c.idempotencyKey!)).toBe(false);
        seen.add(c.idempotencyKey!);
      }
    }
    const sent = run.senders.reduce((a, s) => a + s.sent, 0);
    expect(sent).toBe(run.deliveredIds.size);
  });

  it('leaves no handle behind once stopped', () => {
    // (vitest's own hook timer may be gone by then: compare per type, never more than before)
    for (const [type, n] of Object.entries(handlesAfter)) expect({ type, n }).toEqual({ type, n: Math.min(n, handlesBefore[type] ?? 0) });
  });
});
