/** The notifier's pure decision for sourced (position) alerts. */
import { describe, expect, it } from 'vitest';
import type { PositionAlertPayload } from '../../src/notify/rules.ts';
import { decideSourced, type SourcedAlert } from '../../src/notify/sources.ts';
import { DEFAULT_SETTINGS, type AlertSettings } from '../../src/store/settings.ts';
import type { Destination } from '../../src/store/types.ts';

const T = Date.UTC(2026, 2, 14, 12);
const dest: Destination = { platform: 'telegram', kind: 'user', id: '1' };
const payload = (urgent: boolean): PositionAlertPayload => ({ kind: 'position', event: urgent ? 'liquidation-near' : 'target-near', symbol: 'ETH', t: T, positionId: 1, urgent, title: 't', text: 't', line: 't', buttons: [] });
const alert = (key: string, urgent = false, d = dest): SourcedAlert => ({ dest: d, key, symbol: 'ETH', payload: payload(urgent), urgent });
const view = (s: Partial<AlertSettings> = {}, extra: { sentToday?: number; disabled?: boolean; ledger?: Record<string, number> } = {}) => ({
  settings: { ...DEFAULT_SETTINGS, ...s },
  disabled: extra.disabled ?? false,
  sentToday: extra.sentToday ?? 0,
  ledger: (k: string) => (extra.ledger?.[k] !== undefined ? { messageId: 'm', decidedAt: extra.ledger[k]! } : undefined),
});
const opts = { dedupeWindowMs: 6 * 3_600_000 };

describe('decideSourced', () => {
  it('splits urgent from the rest; quiet hours make only the rest silent', () => {
    const d = decideSourced([alert('a'), alert('u', true)], view({ quietHours: { start: 11, end: 13 } }), T, opts);
    expect(d.urgent.map((a) => a.key)).toEqual(['u']);
    expect(d.normal.map((a) => a.key)).toEqual(['a']);
    expect(d.silent).toBe(true);
  });

  it('a mute holds the rest, the daily cap stops the rest; neither touches urgent', () => {
    const muted = decideSourced([alert('a'), alert('u', true)], view({ mutedUntil: T + 60_000 }), T, opts);
    expect(muted.holdUntil).toBe(T + 60_000);
    expect(muted.urgent).toHaveLength(1);
    const capped = decideSourced([alert('a'), alert('u', true)], view({ dailyCap: 3 }, { sentToday: 3 }), T, opts);
    expect(capped.normal).toEqual([]);
    expect(capped.urgent).toHaveLength(1);
    expect(capped.suppressed.map((s) => s.reason)).toEqual(['daily-cap']);
  });

  it('dedupes by ledger within the window and within the batch; refuses channels and disabled destinations', () => {
    const d = decideSourced([alert('a'), alert('a'), alert('b'), alert('c', false, { ...dest, kind: 'channel' })], view({}, { ledger: { b: T - 60_000 } }), T, opts);
    expect(d.normal.map((a) => a.key)).toEqual(['a']);
    expect(d.suppressed.map((s) => s.reason)).toEqual(['duplicate', 'duplicate', 'not-personal']);
    expect(decideSourced([alert('x', true)], view({}, { ledger: { x: T - 7 * 3_600_000 } }), T, opts).urgent).toHaveLength(1);
    expect(decideSourced([alert('x', true)], view({}, { disabled: true }), T, opts).suppressed[0]!.reason).toBe('disabled');
  });

  it('ignores the subscription kinds and cooldown: the user opted in by adding the position', () => {
    const d = decideSourced([alert('a')], view({ kinds: [], cooldownMin: 1440 }), T, opts);
    expect(d.normal).toHaveLength(1);
  });
});
