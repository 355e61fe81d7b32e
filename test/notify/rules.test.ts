import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decide,
  dedupeKey,
  edgeDistancePct,
  HYSTERESIS_FACTOR,
  proximityStep,
  timeframeContext,
  utcDay,
  type Candidate,
  type DestinationView,
} from '../../src/notify/rules.ts';
import { DEFAULT_SETTINGS, type AlertSettings } from '../../src/store/settings.ts';
import { signalSnapshot, snapshot, type ZoneSpec } from './helpers.ts';

const shortZone: ZoneSpec = { id: 'ETH:S:3100', side: 'short', low: 3100, high: 3120, usd: 40e6, rank: 1 };
const params = { proximityPct: 1, minZoneUsd: 0 };

/** Runs a price path through the band state machine; returns the tick indexes where the zone was entered. */
function entries(path: number[], zones: ZoneSpec[] = [shortZone], p = params): number[] {
  let inside = new Map<string, number>();
  const out: number[] = [];
  path.forEach((price, i) => {
    const step = proximityStep(inside, snapshot('ETH', price, zones, i), p);
    inside = step.inside;
    if (step.entered.length) out.push(i);
  });
  return out;
}

describe('proximity band with hysteresis', () => {
  it('measures distance to the near edge, zero inside', () => {
    expect(edgeDistancePct(3000, { low: 3030, high: 3060 })).toBeCloseTo(1, 10);
    expect(edgeDistancePct(3100, { low: 3030, high: 3060 })).toBeCloseTo((40 / 3100) * 100, 10);
    expect(edgeDistancePct(3040, { low: 3030, high: 3060 })).toBe(0);
  });

  it('fires once on entering, not again while price hovers at the band edge', () => {
    // 1% of ~3070 ≈ 30.7: the band starts near 3069.3. Hover around it, inside the hysteresis margin.
    const path = [3000, 3040, 3070, 3068, 3071, 3066, 3072, 3067, 3080];
    expect(entries(path)).toEqual([2]);
  });

  it('re-arms only after leaving beyond proximity × hysteresis, then fires again', () => {
    const leaveBelow = 3100 / (1 + (HYSTERESIS_FACTOR * 1) / 100); // ≈ 3054
    const path = [3000, 3075, 3060, 3075, leaveBelow - 10, 3075];
    expect(entries(path)).toEqual([1, 5]);
  });

  it('fires when price jumps straight through the zone, and forgets a zone that disappears', () => {
    expect(entries([3000, 3110, 3200])).toEqual([1]);
    let inside = proximityStep(new Map(), snapshot('ETH', 3090, [shortZone]), params).inside;
    expect(inside.has('ETH:S:3100')).toBe(true);
    const gone = proximityStep(inside, snapshot('ETH', 3090, []), params);
    expect(gone.left).toEqual(['ETH:S:3100']);
    inside = gone.inside;
    expect(inside.size).toBe(0);
  });

  it('ignores zones below the size threshold, or beyond the top 3 when there is none', () => {
    const small: ZoneSpec = { ...shortZone, usd: 1e6, rank: 5 };
    expect(entries([3000, 3090], [small])).toEqual([]);
    expect(entries([3000, 3090], [small], { proximityPct: 1, minZoneUsd: 5e5 })).toEqual([1]);
    expect(entries([3000, 3090], [{ ...small, rank: 3 }])).toEqual([1]);
  });

  it('never fires twice without leaving the hysteresis band (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 2900, max: 3300, noNaN: true }), { minLength: 2, maxLength: 60 }), (path) => {
        const hits = entries(path);
        for (let k = 1; k < hits.length; k++) {
          const between = path.slice(hits[k - 1]! + 1, hits[k]!);
          const left = between.some((p) => edgeDistancePct(p, shortZone) > HYSTERESIS_FACTOR * params.proximityPct);
          expect(left).toBe(true);
        }
      }),
    );
  });
});

describe('per-destination decision', () => {
  const settings = (over: Partial<AlertSettings> = {}): AlertSettings => ({ ...DEFAULT_SETTINGS, kinds: [...DEFAULT_SETTINGS.kinds], ...over });
  const view = (over: Partial<DestinationView> = {}, s = settings()): DestinationView => ({
    settings: s,
    disabled: false,
    lastAlertAt: () => undefined,
    sentToday: 0,
    ledger: () => undefined,
    ...over,
  });
  const cand = (symbol: string, zoneId: string, kind: Candidate['kind'] = 'proximity', extra: Partial<Candidate> = {}): Candidate => ({
    key: dedupeKey('telegram:user:1', symbol, zoneId, kind),
    symbol,
    kind,
    payload: { kind: 'notice', symbol, t: 0, title: '', text: '' },
    ...extra,
  });
  const T = Date.UTC(2026, 2, 14, 12, 0, 0);
  const opts = { dedupeWindowMs: 6 * 3_600_000 };

  it('holds the cooldown per symbol and kind, but lets a conflict resolution through', () => {
    const last = (s: string, kind: string) => (s === 'ETH' && kind === 'proximity' ? T - 10 * 60_000 : undefined);
    const d = decide([cand('ETH', 'z1'), cand('BTC', 'z2'), cand('ETH', 'resolved@1', 'conflict', { bypassCooldown: true })], view({ lastAlertAt: last }), T, opts);
    expect(d.accepted.map((c) => c.symbol)).toEqual(['BTC', 'ETH']);
    expect(d.suppressed.map((s) => s.reason)).toEqual(['cooldown']);
    expect(decide([cand('ETH', 'z1')], view({ lastAlertAt: last }), T + 21 * 60_000, opts).accepted).toHaveLength(1);
    // A proximity alert just sent never holds back a conflict warning (or a sweep) on the same symbol.
    const other = decide([cand('ETH', 'conflict@2', 'conflict'), cand('ETH', 'z3', 'sweep')], view({ lastAlertAt: last }), T, opts);
    expect(other.accepted.map((c) => c.kind)).toEqual(['conflict', 'sweep']);
  });

  it('suppresses duplicates within the window unless the band re-armed since', () => {
    const ledger = () => ({ messageId: 'm', decidedAt: T - 3_600_000 });
    expect(decide([cand('ETH', 'z1')], view({ ledger }), T, opts).suppressed[0]?.reason).toBe('duplicate');
    expect(decide([cand('ETH', 'z1', 'proximity', { rearmedAt: T - 60_000 })], view({ ledger }), T, opts).accepted).toHaveLength(1);
    expect(decide([cand('ETH', 'z1')], view({ ledger }), T + 6 * 3_600_000, opts).accepted).toHaveLength(1);
    expect(decide([cand('ETH', 'z1'), cand('ETH', 'z1')], view(), T, opts).accepted).toHaveLength(1);
  });

  it('holds the daily cap and flags the last message of the day', () => {
    const s = settings({ dailyCap: 3 });
    expect(decide([cand('ETH', 'z1')], view({ sentToday: 1 }, s), T, opts).lastOfDay).toBe(false);
    expect(decide([cand('ETH', 'z1')], view({ sentToday: 2 }, s), T, opts).lastOfDay).toBe(true);
    const capped = decide([cand('ETH', 'z1'), cand('BTC', 'z2')], view({ sentToday: 3 }, s), T, opts);
    expect(capped.accepted).toEqual([]);
    expect(capped.suppressed.map((x) => x.reason)).toEqual(['daily-cap', 'daily-cap']);
  });

  it('quiet hours make it silent (wrapping midnight); mute holds it; kinds and disabled filter', () => {
    const night = Date.UTC(2026, 2, 14, 23, 30);
    const morning = Date.UTC(2026, 2, 15, 6, 59);
    const noon = Date.UTC(2026, 2, 15, 12, 0);
    const q = settings({ quietHours: { start: 22, end: 7 } });
    expect(decide([cand('ETH', 'z')], view({}, q), night, opts).silent).toBe(true);
    expect(decide([cand('ETH', 'z')], view({}, q), morning, opts).silent).toBe(true);
    expect(decide([cand('ETH', 'z')], view({}, q), noon, opts).silent).toBe(false);
    const muted = decide([cand('ETH', 'z')], view({}, settings({ mutedUntil: T + 3_600_000 })), T, opts);
    expect(muted.accepted).toHaveLength(1);
    expect(muted.holdUntil).toBe(T + 3_600_000);
    expect(decide([cand('ETH', 'z', 'fading')], view(), T, opts).suppressed[0]?.reason).toBe('kind-off');
    expect(decide([cand('ETH', 'z')], view({ disabled: true }), T, opts).suppressed[0]?.reason).toBe('disabled');
    expect(decide([cand('ETH', 'z', 'sweep', { zoneUsd: 1e6 })], view({}, settings({ minZoneUsd: 2e6 })), T, opts).suppressed[0]?.reason).toBe('below-size');
  });

  it('describes timeframe context', () => {
    expect(timeframeContext(signalSnapshot('ETH', [0.5, -0.4, 0.3], true))).toMatch(/^1m up \+0\.50 · 5m down −0\.40 · 1h up \+0\.30 \(composite .*timeframes conflict\)$/);
    expect(timeframeContext(undefined)).toBeUndefined();
    expect(utcDay(T)).toBe('2026-03-14');
  });
});
