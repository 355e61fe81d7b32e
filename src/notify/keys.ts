/**
 * Key helpers: how the notifier names its dedupe ledger entries, cooldown stamps, daily counters,
 * /forgetme index entries and outbox message ids. One place, so the writers and the eraser agree.
 */
import { randomUUID } from 'node:crypto';
import type { AlertKind } from '../store/settings.ts';

/** Dedupe key of one alert: destination, symbol, zone (or episode) id, kind. */
export function dedupeKey(destKey: string, symbol: string, zoneId: string, kind: AlertKind | string): string {
  return `${destKey}|${symbol}|${zoneId}|${kind}`;
}

/** Cooldown stamp of a destination for one symbol and alert kind. */
export function cooldownKey(destKey: string, symbol: string, kind: AlertKind): string {
  return `${destKey}|${symbol}|${kind}`;
}

/** Per-destination, per-UTC-day key (daily counter, /forgetme index). */
export function dayKey(destKey: string, day: string): string {
  return `${destKey}|${day}`;
}

/** Whether a cache key belongs to a destination (every key above starts with it). */
export function ownedBy(key: string, destKey: string): boolean {
  return key.startsWith(`${destKey}|`);
}

/** UTC day stamp used for the daily cap, e.g. `2026-03-14`. */
export function utcDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** A new outbox message id: decision time (base 36) and a random part. */
export function messageId(t: number): string {
  return `${t.toString(36)}-${randomUUID()}`;
}
