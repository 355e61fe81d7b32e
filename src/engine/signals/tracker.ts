export type Direction = 'up' | 'down' | 'neutral';

/** Direction thresholds on the composite score; leaving a direction needs less than entering (hysteresis). */
export const DIRECTION = {
  enter: 0.15,
  exit: 0.07,
  minConfidence: 0.12,
} as const;

/** Fading: the in-direction score fell this many updates in a row, each by at least `step`, to at most `ofPeak` of its peak. */
export const FADING = {
  declines: 3,
  step: 0.005,
  ofPeak: 0.8,
  /** Fading ends only when momentum is genuinely back: this much above the trough and near the old peak. */
  recover: 0.1,
  recoverOfPeak: 0.9,
} as const;

export type TrackerEvent =
  | { kind: 'transition'; from: Direction; to: Direction }
  | { kind: 'conflict-start' | 'conflict-end' }
  | { kind: 'fading' };

export interface TrackerUpdate {
  direction: Direction;
  conflicted: boolean;
  fading: boolean;
  events: TrackerEvent[];
}

/**
 * Per symbol and mode: turns successive composites into a stable state (direction, conflicted,
 * fading) and the events of its changes. Starting state is neutral, not conflicted; the first
 * update may already emit.
 */
export class SignalTracker {
  direction: Direction = 'neutral';
  conflicted = false;
  fading = false;
  private peak = 0;
  private trough = 0;
  private last = 0;
  private declines = 0;

  update(score: number, confidence: number, conflicted: boolean): TrackerUpdate {
    const events: TrackerEvent[] = [];

    const next = nextDirection(this.direction, score, confidence);
    if (next !== this.direction) {
      events.push({ kind: 'transition', from: this.direction, to: next });
      this.direction = next;
      this.fading = false;
      this.declines = 0;
      this.peak = 0;
      this.last = 0;
    }

    if (conflicted !== this.conflicted) {
      events.push({ kind: conflicted ? 'conflict-start' : 'conflict-end' });
      this.conflicted = conflicted;
    }

    if (this.direction === 'neutral') {
      this.fading = false;
    } else {
      const m = this.direction === 'up' ? score : -score;
      if (m > this.peak) this.peak = m;
      this.declines = m < this.last - FADING.step ? this.declines + 1 : 0;
      this.last = m;
      if (this.fading) {
        if (m < this.trough) this.trough = m;
        else if (m >= Math.max(this.trough + FADING.recover, FADING.recoverOfPeak * this.peak)) {
          this.fading = false;
          this.peak = m;
          this.declines = 0;
        }
      } else if (this.declines >= FADING.declines && m <= FADING.ofPeak * this.peak) {
        this.fading = true;
        this.trough = m;
        events.push({ kind: 'fading' });
      }
    }
    return { direction: this.direction, conflicted: this.conflicted, fading: this.fading, events };
  }
}

function nextDirection(current: Direction, score: number, confidence: number): Direction {
  const confident = confidence >= DIRECTION.minConfidence;
  if (current === 'up') {
    if (score <= -DIRECTION.enter && confident) return 'down';
    return score < DIRECTION.exit ? 'neutral' : 'up';
  }
  if (current === 'down') {
    if (score >= DIRECTION.enter && confident) return 'up';
    return score > -DIRECTION.exit ? 'neutral' : 'down';
  }
  if (!confident) return 'neutral';
  if (score >= DIRECTION.enter) return 'up';
  if (score <= -DIRECTION.enter) return 'down';
  return 'neutral';
}
