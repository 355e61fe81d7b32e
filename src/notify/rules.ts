/**
 * Pure alert rules: what counts as entering a zone's proximity band (with hysteresis), what a
 * conflict, sweep or fading alert carries, and which candidate alerts a destination receives
 * (kinds, dedupe, cooldown, daily cap, mute, quiet hours). No I/O, no clock: time is an argument.
 */
import type { SignalSnapshot, SweepEvent, Zone, ZoneSnapshot } from '../engine/types.ts';
import type { LedgerEntry } from '../store/outbox.ts';
import { inQuietHours, isMuted, type AlertKind, type AlertSettings } from '../store/settings.ts';
import { formatConfidence, formatScore } from '../format/numbers.ts';

// ---------- proximity with hysteresis ----------

export interface ProximityParams {
  /** Enter the band at this distance (% of price) from a zone's near edge. */
  proximityPct: number;
  /** Minimum zone notional; 0 = the `topPerSide` largest zones on each side. */
  minZoneUsd: number;
}

/** Leave the band only beyond proximity × this factor, so price hovering at the edge fires once. */
export const HYSTERESIS_FACTOR = 1.5;
/** With no size threshold, the zones ranked this high or better on their side count. */
export const TOP_ZONES_PER_SIDE = 3;

/** Distance from price to the zone's nearest edge, % of price; 0 when price is inside the zone. */
export function edgeDistancePct(price: number, zone: Pick<Zone, 'low' | 'high'>): number {
  if (price < zone.low) return ((zone.low - price) / price) * 100;
  if (price > zone.high) return ((price - zone.high) / price) * 100;
  return 0;
}

export function zoneQualifies(zone: Pick<Zone, 'notionalUsd' | 'rank'>, p: ProximityParams): boolean {
  return p.minZoneUsd > 0 ? zone.notionalUsd >= p.minZoneUsd : zone.rank <= TOP_ZONES_PER_SIDE;
}

export interface ProximityStep {
  /** Zones price is inside the band of after this step: zone id → time it entered. */
  inside: Map<string, number>;
  entered: Zone[];
  left: string[];
}

/**
 * One step of the band state machine for one (symbol, settings) group:
 * outside → inside when a qualifying zone's near edge is within proximity%;
 * inside → outside only beyond proximity × HYSTERESIS_FACTOR, or when the zone disappears.
 */
export function proximityStep(inside: ReadonlyMap<string, number>, snap: Pick<ZoneSnapshot, 'price' | 'zones' | 't'>, p: ProximityParams): ProximityStep {
  const next = new Map<string, number>();
  const entered: Zone[] = [];
  const leaveAt = p.proximityPct * HYSTERESIS_FACTOR;
  for (const z of snap.zones) {
    const d = edgeDistancePct(snap.price, z);
    const since = inside.get(z.id);
    if (since !== undefined) {
      if (d <= leaveAt) next.set(z.id, since);
    } else if (d <= p.proximityPct && zoneQualifies(z, p)) {
      next.set(z.id, snap.t);
      entered.push(z);
    }
  }
  const left = [...inside.keys()].filter((id) => !next.has(id));
  return { inside: next, entered, left };
}

// ---------- alert payloads ----------

export interface ZoneBrief {
  id: string;
  side: Zone['side'];
  low: number;
  high: number;
  peak: number;
  notionalUsd: number;
  rank: number;
}

interface PayloadBase {
  symbol: string;
  /** Market time the alert refers to. */
  t: number;
  /** Timeframe context line, e.g. `1m up +0.42 · 5m down -0.10 · 1h up +0.55`. */
  context?: string;
}

export type AlertPayload =
  | (PayloadBase & { kind: 'proximity'; price: number; zone: ZoneBrief; distancePct: number; dataAgeMs: number; venues: string[] })
  | (PayloadBase & {
      kind: 'conflict';
      phase: 'start' | 'end';
      mode: string;
      price?: number;
      nearest?: ZoneBrief & { distancePct: number };
      /** What followed this symbol's earlier conflict flags (measured live; `enough` false: not yet measurable). */
      followUp?: { n: number; volRatio: number; days: number; enough: boolean };
    })
  | (PayloadBase & {
      kind: 'sweep';
      zone: Pick<ZoneBrief, 'id' | 'side' | 'low' | 'high'>;
      modeledUsd: number;
      realizedUsd: number;
      windowMs: number;
      /** `crossed`: told at the crossing (`t`), realized not counted yet; `settled`: with the realized figure. */
      phase?: 'crossed' | 'settled';
      /** Crossed: price when the crossing was confirmed. */
      price?: number;
    })
  | (PayloadBase & { kind: 'fading'; mode: string; direction: 'up' | 'down' | 'neutral'; price?: number; toward?: ZoneBrief & { distancePct: number } })
  | { kind: 'notice'; symbol: string; t: number; title: string; text: string }
  | PositionAlertPayload;

/**
 * A personal alert about one of the user's own positions (src/positions), rendered when decided:
 * the wording depends on the position, which the notifier does not know about. `line` is the
 * digest form; `buttons` open the refreshed plan.
 */
export interface PositionAlertPayload {
  kind: 'position';
  event: 'target-near' | 'target-reached' | 'stop-crossed' | 'liquidation-crossed' | 'cascade' | 'liquidation-near' | 'conflict';
  symbol: string;
  t: number;
  positionId: number;
  /** Liquidation risk: delivered with notification even in quiet hours. */
  urgent: boolean;
  title: string;
  text: string;
  line: string;
  fields?: { name: string; value: string; inline?: boolean }[];
  buttons: { action: string; label: string }[];
}

/**
 * The kind an alert is tagged with, in the console tag (`[alert · proximity]`) and the reply's
 * JSON `kind`: the subscription kinds, and the position lifecycle kinds.
 */
export const ALERT_TAGS = ['proximity', 'conflict', 'sweep', 'fading', 'position-target', 'position-stop', 'position-liquidation'] as const;
export type AlertTag = (typeof ALERT_TAGS)[number] | 'notice';

const POSITION_TAGS: Record<PositionAlertPayload['event'], AlertTag> = {
  'target-near': 'position-target',
  'target-reached': 'position-target',
  'stop-crossed': 'position-stop',
  'liquidation-crossed': 'position-liquidation',
  cascade: 'position-liquidation',
  'liquidation-near': 'position-liquidation',
  conflict: 'conflict',
};

export function alertTag(a: AlertPayload): AlertTag {
  return a.kind === 'position' ? POSITION_TAGS[a.event] : a.kind;
}

export function zoneBrief(z: Zone): ZoneBrief {
  return { id: z.id, side: z.side, low: z.low, high: z.high, peak: z.peak, notionalUsd: z.notionalUsd, rank: z.rank };
}

/** `1m up +0.42 · 5m down −0.10 · 1h up +0.55 (composite up, confidence 61%)`. */
export function timeframeContext(s: SignalSnapshot | undefined): string | undefined {
  if (!s) return undefined;
  const tf = s.timeframes.map((x) => `${x.tf} ${x.score > 0.05 ? 'up' : x.score < -0.05 ? 'down' : 'flat'} ${formatScore(x.score)}`).join(' · ');
  return `${tf} (composite ${s.composite.direction}, confidence ${formatConfidence(s.composite.confidence)}${s.conflicted ? ', timeframes conflict' : ''})`;
}

export function proximityPayload(snap: ZoneSnapshot, zone: Zone, context: string | undefined): AlertPayload {
  return {
    kind: 'proximity',
    symbol: snap.symbol,
    t: snap.t,
    price: snap.price,
    zone: zoneBrief(zone),
    distancePct: round(edgeDistancePct(snap.price, zone) * Math.sign(zone.low - snap.price || 1), 4),
    dataAgeMs: snap.dataAgeMs,
    venues: [...snap.venues],
    ...(context ? { context } : {}),
  };
}

/** The nearest zone in a direction (`up` → short zones above, `down` → long zones below). */
export function nearestZone(snap: ZoneSnapshot | undefined, direction: 'up' | 'down' | 'neutral'): (ZoneBrief & { distancePct: number }) | undefined {
  if (!snap) return undefined;
  const side = direction === 'up' ? 'short' : direction === 'down' ? 'long' : undefined;
  let best: Zone | undefined;
  for (const z of snap.zones) if ((!side || z.side === side) && (!best || edgeDistancePct(snap.price, z) < edgeDistancePct(snap.price, best))) best = z;
  if (!best) return undefined;
  return { ...zoneBrief(best), distancePct: round(edgeDistancePct(snap.price, best) * (best.low > snap.price ? 1 : -1), 4) };
}

export function sweepPayload(ev: SweepEvent, context: string | undefined, price?: number): AlertPayload {
  return {
    kind: 'sweep',
    symbol: ev.symbol,
    t: ev.t,
    zone: { id: ev.zoneId, side: ev.side, low: ev.low, high: ev.high },
    modeledUsd: ev.modeledUsd,
    realizedUsd: ev.realizedUsd,
    windowMs: ev.windowMs,
    phase: ev.phase ?? 'settled',
    ...(price !== undefined ? { price } : {}),
    ...(context ? { context } : {}),
  };
}

/** How long after a crossing a sweep alert may still go out (a tick or two; later it is old news). */
export const SWEEP_FRESH_MS = 60_000;

export type SweepCheck = 'confirmed' | 'wait' | 'unconfirmed' | 'stale';

/**
 * Whether a sweep crossing is confirmed by the snapshot after it: a snapshot newer than the one
 * built at the crossing (`ev.seq`), on a validated price, whose price has not gone back to the side price came from
 * (a long zone lies below price: still at or below its top; a short zone: at or above its bottom).
 * One print that undoes itself is not a sweep to alert on. Too old a crossing is stale.
 */
export function checkSweep(ev: Pick<SweepEvent, 'side' | 'low' | 'high' | 't' | 'seq'>, snap: Pick<ZoneSnapshot, 'price' | 'seq' | 'validation'> | undefined, now: number): SweepCheck {
  if (now - ev.t > SWEEP_FRESH_MS) return 'stale';
  if (!snap || (ev.seq !== undefined && snap.seq <= ev.seq)) return 'wait';
  // Only a validated price confirms (not a lone venue's jump still awaiting its trades).
  if (snap.validation && !snap.validation.confirmed) return 'wait';
  const held = ev.side === 'long' ? snap.price <= ev.high : snap.price >= ev.low;
  return held ? 'confirmed' : 'unconfirmed';
}

// ---------- per-destination decision ----------

export interface Candidate {
  /** Dedupe key: destination, symbol, zone (or episode) id, kind. */
  key: string;
  symbol: string;
  kind: AlertKind;
  payload: AlertPayload;
  /** Zone notional the candidate rests on, checked against the destination's minimum (sweeps). */
  zoneUsd?: number;
  /** A resolution (conflict end) closes an alert already delivered: cooldown does not apply. */
  bypassCooldown?: boolean;
  /** When the band last re-armed for this zone (left it); a ledger entry older than that is not a duplicate. */
  rearmedAt?: number;
}

export { dedupeKey, utcDay } from './keys.ts';

export type SuppressReason = 'kind-off' | 'disabled' | 'duplicate' | 'cooldown' | 'daily-cap' | 'below-size' | 'not-personal' | 'unconfirmed' | 'stale';

export interface DestinationView {
  settings: AlertSettings;
  disabled: boolean;
  /** Last time an alert of this kind for the symbol was decided for this destination. */
  lastAlertAt(symbol: string, kind: AlertKind): number | undefined;
  /** Messages already decided today (UTC) for this destination. */
  sentToday: number;
  ledger(key: string): LedgerEntry | undefined;
}

export interface Decision {
  accepted: Candidate[];
  suppressed: { candidate: Candidate; reason: SuppressReason }[];
  /** Deliver without notification (quiet hours). */
  silent: boolean;
  /** Hold until this time (muted). */
  holdUntil?: number;
  /** This message is the last one allowed today. */
  lastOfDay: boolean;
}

export interface DecideOptions {
  /** A ledger entry younger than this suppresses the same dedupe key (unless re-armed since). */
  dedupeWindowMs: number;
}

/**
 * Which of a destination's candidates become one message this tick. Several candidates for one
 * symbol and kind in the same tick travel together (the cooldown starts after them); one message
 * per destination per tick, so a burst becomes a digest. The cooldown is per (symbol, kind).
 */
export function decide(candidates: Candidate[], view: DestinationView, now: number, opts: DecideOptions): Decision {
  const s = view.settings;
  const accepted: Candidate[] = [];
  const suppressed: Decision['suppressed'] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    let reason: SuppressReason | undefined;
    const prior = view.ledger(c.key);
    if (view.disabled) reason = 'disabled';
    else if (!s.kinds.includes(c.kind)) reason = 'kind-off';
    else if (c.zoneUsd !== undefined && s.minZoneUsd > 0 && c.zoneUsd < s.minZoneUsd) reason = 'below-size';
    else if (seen.has(c.key)) reason = 'duplicate';
    else if (prior && now - prior.decidedAt < opts.dedupeWindowMs && !(c.rearmedAt !== undefined && prior.decidedAt < c.rearmedAt)) reason = 'duplicate';
    else if (!c.bypassCooldown) {
      // Per kind: a proximity alert never holds back a conflict warning on the same symbol.
      const last = view.lastAlertAt(c.symbol, c.kind);
      if (last !== undefined && now - last < s.cooldownMin * 60_000) reason = 'cooldown';
    }
    if (reason) suppressed.push({ candidate: c, reason });
    else {
      seen.add(c.key);
      accepted.push(c);
    }
  }
  if (accepted.length && view.sentToday >= s.dailyCap) {
    for (const c of accepted) suppressed.push({ candidate: c, reason: 'daily-cap' });
    return { accepted: [], suppressed, silent: false, lastOfDay: false };
  }
  return {
    accepted,
    suppressed,
    silent: inQuietHours(now, s.quietHours),
    holdUntil: isMuted(now, s) ? s.mutedUntil! : undefined,
    lastOfDay: accepted.length > 0 && view.sentToday + 1 >= s.dailyCap,
  };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
