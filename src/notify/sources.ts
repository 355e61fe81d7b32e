/**
 * The notifier's extension point for personal alerts that do not come from subscriptions (the
 * position watcher in src/positions). A source proposes alerts for personal destinations each
 * tick; the notifier decides them against that destination's settings (dedupe ledger, quiet
 * hours, mute, daily cap, delivery health) and sends them through the same outbox and queue, so
 * they share the delivery guarantee in src/store/outbox.ts. Pure decision here; I/O in notifier.ts.
 */
import type { SignalEvent, SignalSnapshot, SweepEvent } from '../engine/types.ts';
import type { LedgerEntry } from '../store/outbox.ts';
import { inQuietHours, isMuted, type AlertSettings } from '../store/settings.ts';
import type { Destination } from '../store/types.ts';
import type { AlertPayload, SuppressReason } from './rules.ts';

export interface SourceContext {
  /** Tick time. */
  t: number;
  /** The signal snapshot in the notifier's mode (timeframe conflict), if signals are wired. */
  signal(symbol: string): SignalSnapshot | undefined;
}

export interface SourcedAlert {
  /** Must be a personal destination (`kind: 'user'`): anything else is refused by the notifier. */
  dest: Destination;
  /** Dedupe key for the ledger; a source makes a new key per episode (e.g. per approach). */
  key: string;
  symbol: string;
  payload: AlertPayload;
  /** Delivered at once and with notification: ignores quiet hours, mute and the daily cap. */
  urgent?: boolean;
}

export interface AlertSource {
  readonly name: string;
  /** Alerts for this tick. Called once per tick, after the subscription rules. */
  collect(ctx: SourceContext): Promise<SourcedAlert[]>;
  /** Events the notifier receives are passed on (all modes; sweeps in both phases). */
  onSweep?(ev: SweepEvent): void;
  onSignalEvent?(ev: SignalEvent): void;
  /** The alerts of the last `collect` are persisted in the outbox: the source may now store what it decided. */
  committed?(): Promise<void>;
  /** The alerts of the last `collect` could not be persisted: the next `collect` should propose them again. */
  abandoned?(): void;
  /** Drops what the source holds in memory about a destination (/forgetme). */
  forget?(dest: Destination): void;
}

export interface SourcedView {
  settings: AlertSettings;
  disabled: boolean;
  /** Messages already decided today (UTC) for this destination. */
  sentToday: number;
  ledger(key: string): LedgerEntry | undefined;
}

export interface SourcedDecision {
  /** Sent in their own message, never silent, never held. */
  urgent: SourcedAlert[];
  normal: SourcedAlert[];
  /** For `normal`: quiet hours. */
  silent: boolean;
  /** For `normal`: muted until. */
  holdUntil?: number;
  /** The normal message is the last one allowed today. */
  lastOfDay: boolean;
  suppressed: { alert: SourcedAlert; reason: SuppressReason }[];
}

/**
 * Which of a destination's sourced alerts are sent. Sources opted in by themselves (a user added a
 * position), so the subscription kinds and the per-(symbol, kind) cooldown do not apply: the source's own
 * hysteresis and the ledger keep each alert to once per episode.
 */
export function decideSourced(alerts: SourcedAlert[], view: SourcedView, now: number, opts: { dedupeWindowMs: number }): SourcedDecision {
  const urgent: SourcedAlert[] = [];
  const normal: SourcedAlert[] = [];
  const suppressed: SourcedDecision['suppressed'] = [];
  const seen = new Set<string>();
  for (const a of alerts) {
    const prior = view.ledger(a.key);
    let reason: SuppressReason | undefined;
    if (a.dest.kind !== 'user') reason = 'not-personal';
    else if (view.disabled) reason = 'disabled';
    else if (seen.has(a.key) || (prior && now - prior.decidedAt < opts.dedupeWindowMs)) reason = 'duplicate';
    if (reason) {
      suppressed.push({ alert: a, reason });
      continue;
    }
    seen.add(a.key);
    (a.urgent ? urgent : normal).push(a);
  }
  const s = view.settings;
  const sentBeforeNormal = view.sentToday + (urgent.length ? 1 : 0);
  if (normal.length && view.sentToday >= s.dailyCap) {
    for (const a of normal.splice(0)) suppressed.push({ alert: a, reason: 'daily-cap' });
  }
  return {
    urgent,
    normal,
    suppressed,
    silent: inQuietHours(now, s.quietHours),
    holdUntil: normal.length && isMuted(now, s) ? s.mutedUntil! : undefined,
    lastOfDay: normal.length > 0 && sentBeforeNormal + 1 >= s.dailyCap,
  };
}
