import { echo } from '../format/echo.ts';

/**
 * Per-destination alert settings: the shape, the defaults, and the pure parsers behind
 * `/alerts …`. Parsers return values or a message, never throw.
 */

export const ALERT_KINDS = ['proximity', 'conflict', 'sweep', 'fading'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface QuietHours {
  /** UTC hour the quiet period starts, 0–23. */
  start: number;
  /** UTC hour it ends (exclusive), 0–23; may be before `start` (wraps midnight). */
  end: number;
}

export interface AlertSettings {
  /** Alert when price comes within this % of a zone's near edge. */
  proximityPct: number;
  /** Ignore zones below this estimated notional (USD). 0 = the 3 largest zones on each side. */
  minZoneUsd: number;
  /** Minimum minutes between alerts of one kind for one symbol. */
  cooldownMin: number;
  quietHours: QuietHours | null;
  /** Epoch ms until which alerts are held; null when not muted. */
  mutedUntil: number | null;
  kinds: AlertKind[];
  /** Most alert messages per UTC day. */
  dailyCap: number;
}

export const DEFAULT_SETTINGS: Readonly<AlertSettings> = Object.freeze({
  proximityPct: 1,
  minZoneUsd: 0,
  cooldownMin: 30,
  quietHours: null,
  mutedUntil: null,
  kinds: ['proximity', 'conflict', 'sweep'] as AlertKind[],
  dailyCap: 40,
});

export const SETTING_FIELDS = ['proximityPct', 'minZoneUsd', 'cooldownMin', 'quietHours', 'mutedUntil', 'kinds', 'dailyCap'] as const satisfies readonly (keyof AlertSettings)[];

/** Longest mute accepted. */
export const MAX_MUTE_MS = 30 * 86_400_000;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** `22-07`, `9-17`, `off`. */
export function parseQuietHours(text: string): Parsed<QuietHours | null> {
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === 'none') return { ok: true, value: null };
  const m = /^(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?$/.exec(t);
  if (!m) return { ok: false, error: `Quiet hours must look like 22-07 (UTC hours) or "off" (got "${clip(text)}").` };
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > 23 || end > 23) return { ok: false, error: 'Quiet hours use UTC hours from 00 to 23.' };
  if (start === end) return { ok: false, error: 'Quiet hours need different start and end hours (use "off" to disable).' };
  return { ok: true, value: { start, end } };
}

/** `30m`, `2h`, `1d`, `1h30m`. */
export function parseDuration(text: string): Parsed<number> {
  const t = text.trim().toLowerCase();
  if (!/^(\d+(?:\.\d+)?[mhd])+$/.test(t)) return { ok: false, error: `Duration must look like 30m, 2h or 1d (got "${clip(text)}").` };
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+(?:\.\d+)?)([mhd])/g)) ms += Number(n) * (unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000);
  if (ms < 60_000) return { ok: false, error: 'Mute for at least 1m.' };
  if (ms > MAX_MUTE_MS) return { ok: false, error: 'Mute for at most 30d (use /unsubscribe to stop alerts).' };
  return { ok: true, value: Math.round(ms) };
}

/** `proximity,conflict` (also spaces; `all`). */
export function parseKinds(text: string): Parsed<AlertKind[]> {
  const t = text.trim().toLowerCase();
  if (t === 'all') return { ok: true, value: [...ALERT_KINDS] };
  const parts = t.split(/[\s,]+/).filter(Boolean);
  const bad = parts.filter((p) => !(ALERT_KINDS as readonly string[]).includes(p));
  if (bad.length) return { ok: false, error: `Unknown alert kind ${bad.map((b) => `"${clip(b)}"`).join(', ')}. Kinds: ${ALERT_KINDS.join(', ')}.` };
  if (parts.length === 0) return { ok: false, error: `Name at least one kind: ${ALERT_KINDS.join(', ')} (or mute / unsubscribe).` };
  return { ok: true, value: ALERT_KINDS.filter((k) => parts.includes(k)) };
}

/** Whether `t` (epoch ms) falls in the quiet hours (UTC). */
export function inQuietHours(t: number, q: QuietHours | null): boolean {
  if (!q) return false;
  const h = new Date(t).getUTCHours();
  return q.start < q.end ? h >= q.start && h < q.end : h >= q.start || h < q.end;
}

export function isMuted(t: number, s: Pick<AlertSettings, 'mutedUntil'>): boolean {
  return s.mutedUntil !== null && s.mutedUntil > t;
}

/** Fills missing fields with defaults and drops invalid stored values. */
export function normalizeSettings(partial: Partial<Record<keyof AlertSettings, unknown>>): AlertSettings {
  const s: AlertSettings = { ...DEFAULT_SETTINGS, kinds: [...DEFAULT_SETTINGS.kinds] };
  const num = (v: unknown, min: number, max: number) => (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : undefined);
  s.proximityPct = num(partial.proximityPct, 0.01, 100) ?? s.proximityPct;
  s.minZoneUsd = num(partial.minZoneUsd, 0, 1e15) ?? s.minZoneUsd;
  s.cooldownMin = num(partial.cooldownMin, 0, 1440) ?? s.cooldownMin;
  s.dailyCap = num(partial.dailyCap, 1, 10_000) ?? s.dailyCap;
  const q = partial.quietHours as QuietHours | null | undefined;
  if (q === null) s.quietHours = null;
  else if (q && num(q.start, 0, 23) !== undefined && num(q.end, 0, 23) !== undefined && q.start !== q.end) s.quietHours = { start: q.start, end: q.end };
  const m = partial.mutedUntil;
  s.mutedUntil = typeof m === 'number' && Number.isFinite(m) ? m : null;
  if (Array.isArray(partial.kinds)) s.kinds = ALERT_KINDS.filter((k) => (partial.kinds as unknown[]).includes(k));
  return s;
}

export function formatQuietHours(q: QuietHours | null): string {
  return q ? `${pad(q.start)}:00–${pad(q.end)}:00 UTC` : 'off';
}

const pad = (n: number) => String(n).padStart(2, '0');
const clip = (s: string, n = 24) => echo(s, n);
