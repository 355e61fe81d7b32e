/**
 * Notifier benchmarks.
 * 1. One tick with 1 000 000 subscriptions across 21 symbols (goal < 50 ms; NOTIFY_SUBSCRIPTIONS), against a baseline
 *    measured in the same run: the naive evaluation of every subscription's band state per tick,
 *    which the symbol/settings-group index avoids.
 *    A burst: 10 000 destinations each alerted in one tick, decided and persisted (goal < 1 s on SQLite; NOTIFY_BURST).
 * 2. Delivery throughput against a fake sender under the Telegram limits, on a manual clock:
 *    the measured rate must equal the limit, never exceed it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow } from './run.ts';
import type { ZoneSnapshot, Zone } from '../src/engine/types.ts';
import { DEFAULT_SYMBOLS } from '../src/market/symbols.ts';
import { ManualClock, runUntilIdle } from '../src/notify/clock.ts';
import { Notifier } from '../src/notify/notifier.ts';
import { DeliveryQueue, type AlertMessage } from '../src/notify/queue.ts';
import { RecordingAlertSender } from '../src/notify/recording.ts';
import { renderAlerts } from '../src/notify/render.ts';
import { proximityStep } from '../src/notify/rules.ts';
import { destinationKey } from '../src/store/destination.ts';
import { openStore, type Store } from '../src/store/store.ts';
import type { Destination } from '../src/store/types.ts';

const SUBSCRIPTIONS = Number(process.env.NOTIFY_SUBSCRIPTIONS ?? 1_000_000);
const BURST_DESTINATIONS = Number(process.env.NOTIFY_BURST ?? 10_000);
const SYMBOLS: string[] = [...DEFAULT_SYMBOLS];
const PER_USER = 4;
const T0 = Date.UTC(2026, 2, 14, 12, 0);

function zonesFor(symbol: string, base: number, price: number): Zone[] {
  const out: Zone[] = [];
  for (let k = 1; k <= 10; k++) {
    for (const side of ['short', 'long'] as const) {
      const edge = side === 'short' ? base * (1 + 0.02 * k) : base * (1 - 0.02 * k);
      const low = side === 'short' ? edge : edge * 0.995;
      const high = side === 'short' ? edge * 1.005 : edge;
      out.push({ id: `${symbol}:${side[0]}:${k}`, side, low, high, peak: (low + high) / 2, notionalUsd: 5e6 * (11 - k), share: 0.1, distancePct: ((edge - price) / price) * 100, distanceAtr: k, rank: k, leverage: {}, venues: {} });
    }
  }
  return out;
}

class BenchZones {
  readonly prices = new Map<string, number>();
  readonly base = new Map<string, number>();
  t = T0;
  constructor() {
    SYMBOLS.forEach((s, i) => {
      this.base.set(s, 100 * (i + 1));
      this.prices.set(s, 100 * (i + 1));
    });
  }
  snapshot(symbol: string): ZoneSnapshot | undefined {
    const price = this.prices.get(symbol);
    const base = this.base.get(symbol);
    if (price === undefined || base === undefined) return undefined;
    return { symbol, t: this.t, price, atr: price * 0.01, binSize: price * 0.001, bins: [], zones: zonesFor(symbol, base, price), venues: ['binance', 'bybit'], dataAgeMs: 1000, seq: 0 };
  }
}

/** Writes `subscriptions` straight into the sets (batched), plus a few non-default settings groups. */
async function populate(store: Store, subscriptions: number): Promise<Destination[]> {
  const users = subscriptions / PER_USER;
  const dests: Destination[] = [];
  const ops: { op: 'add'; set: string; member: string }[] = [];
  for (let u = 0; u < users; u++) {
    const dest: Destination = { platform: 'telegram', kind: u % 50 === 0 ? 'channel' : 'user', id: String(1_000_000 + u) };
    dests.push(dest);
    const key = destinationKey(dest);
    for (let j = 0; j < PER_USER; j++) {
      const symbol = SYMBOLS[(u * PER_USER + j) % SYMBOLS.length]!;
      ops.push({ op: 'add', set: `subs:${key}`, member: symbol }, { op: 'add', set: `symsubs:${symbol}`, member: key });
    }
  }
  for (let i = 0; i < ops.length; i += 200_000) await store.backend.updateSets(ops.slice(i, i + 200_000));
  await store.backend.updateSets(SYMBOLS.map((s) => ({ op: 'add' as const, set: 'subsyms', member: s })));
  for (let u = 0; u < users; u += 10) await store.settings.update(dests[u]!, { proximityPct: [0.5, 1.5, 2][u % 3]!, cooldownMin: 0 });
  return dests;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function tickBench(): Promise<BenchRow[]> {
  const store = await openStore('memory:');
  await populate(store, SUBSCRIPTIONS);
  const zones = new BenchZones();
  const clock = new ManualClock(T0);
  const sender = new RecordingAlertSender('telegram', { now: clock.now });
  const notifier = new Notifier({ store, zones, senders: [sender], now: clock.now, sleep: clock.sleep });
  const first = await notifier.tick(); // loads the index
  const subs = first.subscriptions;

  // Steady ticks: prices wander but stay outside every band.
  const steady: number[] = [];
  const steadyCpu: number[] = [];
  for (let i = 0; i < 30; i++) {
    clock.advanceBy(10_000);
    zones.t = clock.t;
    for (const s of SYMBOLS) zones.prices.set(s, zones.base.get(s)! * (1 + 0.001 * Math.sin(i + s.length)));
    const cpu = process.cpuUsage();
    const r = await notifier.tick();
    const used = process.cpuUsage(cpu);
    steady.push(r.durationMs);
    steadyCpu.push((used.user + used.system) / 1000);
  }

  // Baseline: evaluate every subscription's band on its own (per-subscription state), as a naive notifier would.
  const perSub: { symbol: string; params: { proximityPct: number; minZoneUsd: number }; inside: Map<string, number> }[] = [];
  for (let n = 0; n < subs; n++) perSub.push({ symbol: SYMBOLS[n % SYMBOLS.length]!, params: { proximityPct: 1, minZoneUsd: 0 }, inside: new Map() });
  const naive: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const snaps = new Map(SYMBOLS.map((s) => [s, zones.snapshot(s)!]));
    let entered = 0;
    for (const sub of perSub) {
      const step = proximityStep(sub.inside, snaps.get(sub.symbol)!, sub.params);
      sub.inside = step.inside;
      entered += step.entered.length;
    }
    naive.push(performance.now() - t0);
    if (entered < 0) throw new Error('unreachable');
  }

  // One symbol moves into a band: every subscriber of it is decided, persisted and queued.
  clock.advanceBy(10_000);
  zones.prices.set('ETH', zones.base.get('ETH')! * 1.012);
  const burst = await notifier.tick();
  await notifier.stop();
  await store.close();

  const steadyMs = median(steady);
  const naiveMs = median(naive);
  return [
    { name: `notifier tick, ${subs} subscriptions / ${SYMBOLS.length} symbols`, value: steadyMs, unit: 'ms', ratio: steadyMs / naiveMs, goal: '< 50 ms', note: `median of 30 steady ticks, CPU ${median(steadyCpu).toFixed(2)} ms; ratio vs per-subscription baseline` },
    { name: 'baseline: per-subscription band evaluation', value: naiveMs, unit: 'ms', note: 'median of 10, same snapshots' },
    { name: `tick with one symbol entering a band`, value: burst.durationMs, unit: 'ms', note: `${burst.decided} alerts decided + persisted (memory store), ${burst.messages} messages` },
  ];
}

/**
 * A burst: `n` destinations (users, one subscription each to ETH) all get an alert in one tick, on a
 * real SQLite file (WAL) and on memory. The tick's duration covers deciding and persisting (erase
 * index, outbox records, ledger, cooldowns, day counters); delivery is paced afterwards.
 */
async function burstBench(url: string, label: string, n: number): Promise<BenchRow> {
  const store = await openStore(url);
  const ops: { op: 'add'; set: string; member: string }[] = [];
  for (let u = 0; u < n; u++) {
    const key = destinationKey({ platform: 'telegram', kind: 'user', id: String(2_000_000 + u) });
    ops.push({ op: 'add', set: `subs:${key}`, member: 'ETH' }, { op: 'add', set: 'symsubs:ETH', member: key });
  }
  await store.backend.updateSets(ops);
  await store.backend.updateSets([{ op: 'add', set: 'subsyms', member: 'ETH' }]);
  const zones = new BenchZones();
  const clock = new ManualClock(T0);
  const sender = new RecordingAlertSender('telegram', { now: clock.now });
  // Delivery waits on real timers (as in production; stop() cancels them): the manual clock's sorted timer list is a test device, not part of the cost.
  const notifier = new Notifier({ store, zones, senders: [sender], now: clock.now });
  await notifier.tick();
  clock.advanceBy(10_000);
  zones.t = clock.t;
  zones.prices.set('ETH', zones.base.get('ETH')! * 1.012);
  const cpu = process.cpuUsage();
  const burst = await notifier.tick();
  const used = process.cpuUsage(cpu);
  await notifier.stop().catch(() => undefined);
  await store.close();
  const cpuMs = (used.user + used.system) / 1000;
  return { name: `burst: ${n} destinations alerted in one tick (${label})`, value: burst.durationMs, unit: 'ms', goal: label === 'sqlite' ? '< 1 000 ms' : undefined, note: `${burst.decided} alerts, ${burst.messages} messages decided + persisted; process CPU ${cpuMs.toFixed(0)} ms incl. GC threads` };
}

/** Max sends inside any window (x − W, x]. */
function maxInWindow(times: number[], windowMs: number): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (s[j]! <= s[i]! - windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function throughput(label: string, dests: Destination[], perDest: number, windowMs: number, limit: number): Promise<BenchRow[]> {
  const store = await openStore('memory:');
  const clock = new ManualClock(T0);
  const sender = new RecordingAlertSender('telegram', { now: clock.now });
  const queue = new DeliveryQueue({ senders: [sender], outbox: store.outbox, health: store.health, render: (m) => renderAlerts(m.alerts), now: clock.now, sleep: clock.sleep });
  let n = 0;
  const msgs: AlertMessage[] = [];
  for (let k = 0; k < perDest; k++)
    for (const dest of dests)
      msgs.push({ id: `b${n}`, destKey: destinationKey(dest), dest, createdAt: T0, keys: [`k${n++}`], alerts: [{ kind: 'notice', symbol: 'ETH', t: T0, title: 'x', text: 'x' }], state: 'queued', silent: false, attempts: 0 });
  await store.outbox.putMany(msgs);
  const wall = performance.now();
  for (const m of msgs) queue.enqueue(m);
  await runUntilIdle(queue, clock);
  const wallMs = performance.now() - wall;
  const times = sender.delivered.map((d) => d.at);
  const start = Math.min(...times);
  const span = Math.max(...times) - start;
  // Mean sends per window over the full windows from the first send (the last, partial one excluded).
  const full = Math.max(1, Math.floor(span / windowMs));
  const average = times.filter((t) => t < start + full * windowMs).length / full;
  const peak = maxInWindow(times, windowMs);
  await store.close();
  const unit = windowMs === 1000 ? 'msg/s' : 'msg/min';
  return [
    { name: `${label}: sustained rate`, value: average, unit, ratio: average / limit, goal: `= ${limit} ${unit}`, note: `${times.length} sent over ${(span / 1000).toFixed(1)} s fake time; mean of ${full} full windows` },
    { name: `${label}: peak in any window`, value: peak, unit, ratio: peak / limit, goal: `≤ ${limit}`, note: `queue overhead ${(wallMs / times.length).toFixed(3)} ms/msg real time` },
  ];
}

export default async function (): Promise<BenchRow[]> {
  const rows = await tickBench();
  if (process.env.NOTIFY_ONLY === 'tick') return rows;
  const dir = mkdtempSync(join(tmpdir(), 'lz-notify-bench-'));
  rows.push(await burstBench(`sqlite://${join(dir, 'burst.sqlite')}`, 'sqlite', BURST_DESTINATIONS));
  rows.push(await burstBench('memory:', 'memory', BURST_DESTINATIONS));
  rmSync(dir, { recursive: true, force: true });
  const chats = Array.from({ length: 300 }, (_, i): Destination => ({ platform: 'telegram', kind: 'user', id: `c${i}` }));
  rows.push(...(await throughput('telegram 300 chats × 3 (30/s overall)', chats, 3, 1000, 30)));
  rows.push(...(await throughput('telegram one chat × 30 (1/s per chat)', [chats[0]!], 30, 1000, 1)));
  rows.push(...(await throughput('telegram one group × 60 (20/min per group)', [{ platform: 'telegram', kind: 'channel', id: '-100' }], 60, 60_000, 20)));
  return rows;
}
