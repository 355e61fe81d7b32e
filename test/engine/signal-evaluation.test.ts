import { describe, expect, it } from 'vitest';
import { simulatedRecording } from '../../src/demo/recording.ts';
import { evaluateSignals, formatSignalEvaluation } from '../../src/engine/signal-evaluation.ts';

describe('evaluateSignals on a simulated recording', () => {
  it('scores each timeframe against baselines on the same samples, on the market clock', () => {
    const events = [...simulatedRecording({ symbols: ['ETH'], seed: 7, durationMs: 3 * 3_600_000, warmupMs: 2 * 3_600_000 })];
    const r = evaluateSignals(events);
    expect(r.cycles).toBeGreaterThan(500);
    expect(r.toT - r.fromT).toBeGreaterThan(2 * 3_600_000);
    const oneMin = r.rows.filter((x) => x.tf === '1m');
    expect(oneMin.length).toBeGreaterThan(0);
    for (const row of r.rows) {
      expect(row.tally.up + row.tally.down).toBe(row.tally.n);
      expect(row.tally.hits).toBeLessThanOrEqual(row.tally.n);
      expect(row.tally.momentum).toBeLessThanOrEqual(row.tally.n);
    }
    expect(oneMin.some((x) => x.tally.n >= 20)).toBe(true);
    // every scored call lands in exactly one confidence bucket
    const total = r.rows.reduce((a, x) => a + x.tally.n, 0);
    expect(r.calibration.reduce((a, x) => a + x.tally.n, 0)).toBe(total);
    for (const b of r.calibration) expect(b.bucket).toBeGreaterThanOrEqual(0);
    if (r.conflicts.n > 0) expect(r.conflicts.volAfterConflict).toBeGreaterThan(0);
    const text = formatSignalEvaluation(r);
    expect(text).toContain('Calibration');
    expect(text).toContain('Conflict flag');
    expect(text).toContain('momentum');
    expect(text).toContain('ETH');
  }, 240_000);
});
