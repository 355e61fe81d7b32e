import { describe, expect, it } from 'vitest';
import { simulatedRecording } from '../../src/demo/recording.ts';
import { evaluateSignals, formatSignalEvaluation, TIMEFRAME_READ } from '../../src/engine/signal-evaluation.ts';
import { applyConfidenceCalibration } from '../../src/engine/signals/confidence-calibration.ts';

describe('evaluateSignals on a simulated recording', () => {
  const events = [...simulatedRecording({ symbols: ['ETH'], seed: 7, durationMs: 3 * 3_600_000, warmupMs: 2 * 3_600_000 })];
  const r = evaluateSignals(events);

  it('scores each timeframe read and mode composite against baselines on the same samples, on the market clock', () => {
    expect(r.cycles).toBeGreaterThan(500);
    expect(r.toT - r.fromT).toBeGreaterThan(2 * 3_600_000);
    // the split defaults to the middle of the live events
    expect(Math.abs(r.splitAt - (r.fromT + (r.toT - r.fromT) / 2))).toBeLessThan(20_000);
    const oneMin = r.rows.filter((x) => x.tf === '1m' && x.mode === TIMEFRAME_READ);
    expect(oneMin.length).toBe(1);
    for (const row of r.rows) {
      expect(row.tally.up + row.tally.down).toBe(row.tally.n);
      expect(row.tally.hits).toBeLessThanOrEqual(row.tally.n);
      expect(row.tally.momentum).toBeLessThanOrEqual(row.tally.n);
    }
    expect(oneMin.some((x) => x.tally.n >= 20)).toBe(true);
    // every scored call lands in exactly one confidence bucket, pooled and per timeframe/mode
    const total = r.rows.reduce((a, x) => a + x.tally.n, 0);
    expect(r.calibration.reduce((a, x) => a + x.tally.n, 0)).toBe(total);
    expect(r.calibrations.reduce((a, c) => a + c.table.reduce((s, b) => s + b.n, 0), 0)).toBe(total);
    for (const c of r.calibrations) {
      // the second half's calls are a part of all calls, bucket by bucket
      for (const h of c.heldOut) expect(h.n).toBeLessThanOrEqual(c.table.find((b) => b.from === h.from)!.n);
      // the fitted rescaling is monotone in raw confidence
      const mapped = [0, 0.15, 0.35, 0.55, 0.75, 0.95].map((x) => applyConfidenceCalibration(c.fit, x));
      if (c.fit.buckets.length) for (let i = 1; i < mapped.length; i++) expect(mapped[i]!).toBeGreaterThanOrEqual(mapped[i - 1]!);
    }
    for (const b of r.calibration) expect(b.bucket).toBeGreaterThanOrEqual(0);
    if (r.conflicts.n > 0) expect(r.conflicts.volAfterConflict).toBeGreaterThan(0);
  });

  it('modes are scored on their own composites, so scalp and day differ', () => {
    const tally = (mode: string) => r.rows.filter((x) => x.mode === mode && x.tf === '1m').map((x) => x.tally);
    expect(tally('scalp').length).toBe(1);
    expect(tally('day').length).toBe(1);
    expect(tally('scalp')).not.toEqual(tally('day'));
  });

  it('learning: prior and learned weights are both scored on the second half only', () => {
    const read1m = r.learning.find((l) => l.key === '1m');
    expect(read1m).toBeDefined();
    expect(read1m!.prior.n).toBeGreaterThan(0);
    // second-half samples are a subset of the whole recording's
    const row = r.rows.find((x) => x.mode === TIMEFRAME_READ && x.tf === '1m')!;
    expect(read1m!.learned.n).toBeLessThan(row.tally.n);
    const text = formatSignalEvaluation(r);
    for (const s of ['Calibration per timeframe', 'Learning: second half', 'Conflict flag', 'momentum', 'ETH', 'tf-read', 'scalp']) expect(text).toContain(s);
    // a row is printed only with scored calls; the others are named once
    for (const line of text.split('\n').filter((l) => /^ETH\s+(tf-read|scalp|day|swing)\s/.test(l))) expect(line).not.toMatch(/^ETH\s+\S+\s+\S+\s+0\s/);
    const empty = r.rows.filter((x) => x.tally.n === 0);
    if (empty.length) expect(text).toContain(`No scored calls (the read stayed neutral, or the recording ends before the horizon): ${empty[0]!.symbol} ${empty[0]!.mode} ${empty[0]!.tf}`);
  });
}, 240_000);
