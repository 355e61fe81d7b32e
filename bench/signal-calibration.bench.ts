/**
 * Signal accuracy across seeds (issue 18), beside the zone-calibration bench on the same seeds,
 * symbols and hours: for each seed the simulator draws every symbol's trader population and regime
 * schedule (`population: 'varied'`: trends, chop and reversals), records BENCH_HOURS of market time
 * and `evaluateSignals` scores every call over its timeframe's next horizon against always-up,
 * always-down and momentum on the same samples. Prints, pooled over seeds:
 *   - per timeframe read and per mode composite: hit rate with a Wilson 95 % interval vs the baselines;
 *   - learning: second-half hit rate with the cards' prior weights vs weights learned on the first half;
 *   - calibration per timeframe read and mode composite (confidence bucket → realized hit rate) and an
 *     isotonic rescaling fitted on the first halves, scored (Brier) on the second halves;
 *   - the conflict flag's follow-up (1 h volatility and reversal rate vs as many seeded random times).
 * Nothing is tuned on these recordings.
 *
 *   npm run bench -- calibration      (runs this and the zone calibration bench)
 *   npm run bench -- signal-calibration
 *   BENCH_SEEDS (default 10), BENCH_HOURS (default 6), BENCH_SEED_OFFSET (default 100)
 *
 * Seeds: as in the zone bench, seeds 1–100 are the tuning seeds (the signal constants were set
 * looking at 1–10); the default reports on seeds 101–110, never looked at while tuning, and says so.
 */
import { pathToFileURL } from 'node:url';
import { simulatedRecording } from '../src/demo/recording.ts';
import { emptyTally, summarize, wilson, type HitTally } from '../src/engine/signals/accuracy.ts';
import { applyConfidenceCalibration, holdOutRescaling, isMonotone, type CalibrationBucket } from '../src/engine/signals/confidence-calibration.ts';
import { CALIBRATION_MIN_SAMPLES, CALIBRATION_SHRINK, evaluateSignals, TIMEFRAME_READ } from '../src/engine/signal-evaluation.ts';
import { SIGNAL_MODES, TIMEFRAMES } from '../src/engine/types.ts';
import type { BenchRow } from './run.ts';

const SYMBOLS = ['BTC', 'ETH', 'SOL'];
const HOUR = 3_600_000;
/** Seeds 1..TUNING_SEEDS are for tuning; by default the bench reports on the seeds after them. */
const TUNING_SEEDS = 100;
const START = Date.UTC(2026, 0, 5);
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '—');
const merge = (into: HitTally, t: HitTally) => {
  into.n += t.n;
  into.hits += t.hits;
  into.up += t.up;
  into.down += t.down;
  into.momentum += t.momentum;
};
const tallyOf = <K>(m: Map<K, HitTally>, k: K) => {
  let t = m.get(k);
  if (!t) m.set(k, (t = emptyTally()));
  return t;
};
const mergeTable = (into: Map<number, { n: number; hits: number }>, table: readonly CalibrationBucket[]) => {
  for (const b of table) {
    const x = into.get(b.from) ?? { n: 0, hits: 0 };
    x.n += b.n;
    x.hits += b.hits;
    into.set(b.from, x);
  }
};
const asTable = (m: Map<number, { n: number; hits: number }>): CalibrationBucket[] =>
  [...m.entries()].sort((a, b) => a[0] - b[0]).map(([from, x]) => ({ from, to: from + 0.1, n: x.n, hits: x.hits, hitRate: x.n ? x.hits / x.n : Number.NaN }));
/** Against momentum on the same samples, honestly: only a 95 % interval clear of it is a win or a loss. */
const versus = (t: HitTally) => {
  const s = summarize(t);
  if (s.caller.low > s.momentum) return 'beats momentum (95 % interval above it)';
  if (s.caller.high < s.momentum) return 'WORSE than momentum (95 % interval below it)';
  return 'no better than momentum (within the 95 % interval)';
};
const ci = (t: HitTally) => {
  const s = summarize(t);
  return t.n ? `${pct(s.caller.p)} (${pct(s.caller.low)}–${pct(s.caller.high)})` : '—';
};

export default async function signalCalibrationBench(): Promise<BenchRow[]> {
  const seeds = Number(process.env.BENCH_SEEDS ?? process.env.SEEDS ?? 10);
  const hours = Number(process.env.BENCH_HOURS ?? process.env.SEED_HOURS ?? 6);
  const offset = Number(process.env.BENCH_SEED_OFFSET ?? TUNING_SEEDS);
  const which = `seeds ${offset + 1}–${offset + seeds}: ${offset >= TUNING_SEEDS ? `held out (1–${TUNING_SEEDS} are the tuning seeds)` : 'TUNING seeds: not a fair test'}`;
  const pooled = new Map<string, HitTally>();
  const prior = new Map<string, HitTally>();
  const learned = new Map<string, HitTally>();
  const learnedWins = new Map<string, number>();
  const learnedSeeds = new Map<string, number>();
  const calAll = new Map<string, Map<number, { n: number; hits: number }>>();
  const calFirst = new Map<string, Map<number, { n: number; hits: number }>>();
  const calSecond = new Map<string, Map<number, { n: number; hits: number }>>();
  let conflicts = 0;
  let volC = 0;
  let volR = 0;
  let revC = 0;
  let revR = 0;
  let revSeeds = 0;
  const started = performance.now();
  console.log(`Signal accuracy: ${which}; ${hours} h × ${SYMBOLS.join('/')} (population varied); weights learn on the first half, frozen on the second`);
  for (let seed = offset + 1; seed <= offset + seeds; seed++) {
    const r = evaluateSignals(simulatedRecording({ symbols: SYMBOLS, seed, durationMs: hours * HOUR, population: 'varied', startTime: START }), {
      splitAt: START + (hours * HOUR) / 2,
    });
    const seedTally = new Map<string, HitTally>();
    for (const row of r.rows) {
      merge(tallyOf(pooled, `${row.mode} ${row.tf}`), row.tally);
      if (row.mode === TIMEFRAME_READ) merge(tallyOf(seedTally, row.tf), row.tally);
    }
    for (const l of r.learning) {
      merge(tallyOf(prior, l.key), l.prior);
      merge(tallyOf(learned, l.key), l.learned);
      if (l.prior.n && l.learned.n) {
        learnedSeeds.set(l.key, (learnedSeeds.get(l.key) ?? 0) + 1);
        if (l.learned.hits / l.learned.n > l.prior.hits / l.prior.n) learnedWins.set(l.key, (learnedWins.get(l.key) ?? 0) + 1);
      }
    }
    for (const c of r.calibrations) {
      for (const [m, t] of [
        [calAll, c.table],
        [calFirst, c.firstHalf],
        [calSecond, c.heldOut],
      ] as const) {
        if (!m.has(c.key)) m.set(c.key, new Map());
        mergeTable(m.get(c.key)!, t);
      }
    }
    if (r.conflicts.n) {
      conflicts += r.conflicts.n;
      volC += r.conflicts.volAfterConflict * r.conflicts.n;
      volR += r.conflicts.volAfterRandom * r.conflicts.n;
      if (!Number.isNaN(r.conflicts.reversalAfterConflict) && !Number.isNaN(r.conflicts.reversalAfterRandom)) {
        revC += r.conflicts.reversalAfterConflict;
        revR += r.conflicts.reversalAfterRandom;
        revSeeds++;
      }
    }
    const parts = TIMEFRAMES.filter((tf) => seedTally.has(tf)).map((tf) => {
      const s = summarize(seedTally.get(tf)!);
      return `${tf} ${s.n ? pct(s.caller.p) : '—'} (momentum ${s.n ? pct(s.momentum) : '—'}, n ${s.n})`;
    });
    console.log(`  seed ${seed} timeframe reads: ${parts.join('; ')}; conflict starts ${r.conflicts.n}`);
  }
  const seconds = (performance.now() - started) / 1000;

  const keys = [...TIMEFRAMES.map((tf) => `${TIMEFRAME_READ} ${tf}`), ...SIGNAL_MODES.flatMap((m) => TIMEFRAMES.map((tf) => `${m} ${tf}`))].filter((k) => pooled.has(k));
  console.log(`\nPooled (whole recordings, learned engine): ${TIMEFRAME_READ} = the timeframe's own read; a mode = its composite direction over that horizon`);
  console.log('mode     tf   n       hit (95 % CI)                 up       down     momentum');
  for (const k of keys) {
    const t = pooled.get(k)!;
    const s = summarize(t);
    const [mode, tf] = k.split(' ');
    console.log(`${mode!.padEnd(8)} ${tf!.padEnd(4)} ${String(t.n).padEnd(7)} ${ci(t).padEnd(29)} ${pct(s.up).padEnd(8)} ${pct(s.down).padEnd(8)} ${pct(s.momentum)}`);
  }

  const lkeys = [...TIMEFRAMES, ...SIGNAL_MODES.flatMap((m) => TIMEFRAMES.map((tf) => `${m} ${tf}`))].filter((k) => prior.has(k));
  console.log('\nLearning (second halves only): prior weights vs weights learned on the first half');
  console.log('read        n       prior (95 % CI)               learned (95 % CI)             Δ points  seeds learned > prior  momentum');
  for (const k of lkeys) {
    const p = prior.get(k)!;
    const l = learned.get(k)!;
    const d = l.n && p.n ? (l.hits / l.n - p.hits / p.n) * 100 : Number.NaN;
    const label = (TIMEFRAMES as readonly string[]).includes(k) ? `${k} read` : k;
    console.log(
      `${label.padEnd(11)} ${String(l.n).padEnd(7)} ${ci(p).padEnd(29)} ${ci(l).padEnd(29)} ${(Number.isFinite(d) ? `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)}` : '—').padEnd(9)} ${`${learnedWins.get(k) ?? 0} of ${learnedSeeds.get(k) ?? 0}`.padEnd(22)} ${l.n ? pct(l.momentum / l.n) : '—'}`,
    );
  }

  console.log(`\nCalibration per timeframe read and mode composite (confidence bucket → realized hit rate; isotonic rescaling fitted on the first halves with each bucket shrunk ${CALIBRATION_SHRINK} calls toward the mean, scored on the second halves; monotone judged on buckets ≥ ${CALIBRATION_MIN_SAMPLES} calls)`);
  const briers: { key: string; rescaled: number; flat: number; monotone: boolean }[] = [];
  for (const key of [...TIMEFRAMES, ...SIGNAL_MODES]) {
    const all = calAll.get(key);
    if (!all) continue;
    const table = asTable(all);
    const first = asTable(calFirst.get(key)!);
    const second = asTable(calSecond.get(key)!);
    const h = holdOutRescaling(first, second, { shrink: CALIBRATION_SHRINK });
    const solid = table.filter((b) => b.n >= CALIBRATION_MIN_SAMPLES);
    const monotone = isMonotone(solid);
    briers.push({ key, rescaled: h.brierRescaled, flat: h.brierFlat, monotone });
    const label = (TIMEFRAMES as readonly string[]).includes(key) ? `${key} read` : `${key} composite`;
    console.log(
      `  ${label}: ${solid.length < 2 ? 'too few calls per bucket to judge' : monotone ? 'hit rate rises with confidence' : 'hit rate NOT monotone in confidence'}; second-half Brier ${Number.isFinite(h.brierRescaled) ? `${h.brierRescaled.toFixed(4)} rescaled vs ${h.brierFlat.toFixed(4)} flat` : '— (nothing fitted)'}`,
    );
    for (const b of table) {
      const w = wilson(b.hits, b.n);
      const f = applyConfidenceCalibration(h.fit, b.from);
      const s2 = second.find((x) => x.from === b.from);
      console.log(
        `    ${`${pct(b.from)}–${pct(b.to)}`.padEnd(16)} n ${String(b.n).padEnd(6)} ${pct(w.p).padEnd(8)} (${pct(w.low)}–${pct(w.high)})`.padEnd(58) +
          `rescaled ${(f !== undefined ? pct(f) : '—').padEnd(8)} second half ${s2 ? `${pct(s2.hitRate)} of ${s2.n}` : '—'}`,
      );
    }
  }
  console.log(
    conflicts
      ? `\nConflict flag: ${conflicts} starts; 1 h volatility after them ${(volC / volR).toFixed(2)}× that after as many seeded random times; reversal rate ${revSeeds ? `${pct(revC / revSeeds)} vs ${pct(revR / revSeeds)} (mean over ${revSeeds} seeds)` : '—'}`
      : '\nConflict flag: no conflict starts',
  );

  const rows: BenchRow[] = [];
  const rate = (t: HitTally | undefined) => (t && t.n ? (t.hits / t.n) * 100 : Number.NaN);
  for (const tf of TIMEFRAMES) {
    const t = pooled.get(`${TIMEFRAME_READ} ${tf}`);
    if (!t?.n) continue;
    rows.push({ name: `signal ${tf} read: hit rate (n ${t.n})`, value: rate(t), unit: '%', goal: `> momentum ${pct(t.momentum / t.n)}`, note: versus(t) });
  }
  for (const mode of SIGNAL_MODES) {
    const k = `${mode} 5m`;
    const t = pooled.get(k);
    if (!t?.n) continue;
    rows.push({ name: `signal ${mode} composite over 5 min: hit rate (n ${t.n})`, value: rate(t), unit: '%', goal: `> momentum ${pct(t.momentum / t.n)}`, note: versus(t) });
  }
  for (const tf of TIMEFRAMES) {
    const p = prior.get(tf);
    const l = learned.get(tf);
    if (!p?.n || !l?.n) continue;
    rows.push({ name: `signal ${tf} read 2nd half: learned − prior`, value: rate(l) - rate(p), unit: 'points', note: `prior ${pct(p.hits / p.n)}, learned ${pct(l.hits / l.n)}, learned better in ${learnedWins.get(tf) ?? 0} of ${learnedSeeds.get(tf) ?? 0} seeds` });
  }
  for (const b of briers) {
    if (!Number.isFinite(b.rescaled)) continue;
    rows.push({ name: `signal ${b.key} confidence rescaled: 2nd-half Brier`, value: b.rescaled, unit: '', ratio: b.rescaled / b.flat, goal: 'ratio < 1 vs one flat rate', note: b.monotone ? 'raw confidence monotone' : 'raw confidence NOT monotone' });
  }
  if (conflicts) rows.push({ name: 'signal conflict: 1 h volatility after / random', value: volC / volR, unit: '×', note: `${conflicts} starts` });
  rows.push({ name: 'signal bench wall time', value: seconds, unit: 's' });
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await signalCalibrationBench()) console.log(`${r.name}: ${r.value.toFixed(3)} ${r.unit}${r.ratio !== undefined ? ` ratio ${r.ratio.toFixed(3)}` : ''}${r.note ? ` (${r.note})` : ''}`);
}
