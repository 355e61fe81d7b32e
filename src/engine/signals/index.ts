export { SignalEngine, type SignalEngineOptions } from './engine.ts';
export { DEFAULT_CARDS, cardLabel, type Card, type CardOutput } from './cards/index.ts';
export { buildCardInput, newInputMemory, type CardInput, type InputMemory, type TimeframeView, type FundingView, type Flow } from './input.ts';
export { combineTimeframe, composite, findConflict, CONFLICT, type WeightedReading } from './composite.ts';
export { SignalTracker, DIRECTION, FADING, type Direction, type TrackerEvent, type TrackerUpdate } from './tracker.ts';
export { WeightLearner, LEARNING, weightFactor, statsKey } from './learning.ts';
export { sizingGuidance, type SizingGuidance } from './sizing.ts';
export { TIMEFRAME_SPECS, MODE_SPECS, CYCLE_MS, type TimeframeSpec, type ModeSpec } from './spec.ts';
export {
  wilson,
  returnSign,
  addSample,
  emptyTally,
  summarize,
  confidenceBucket,
  Z95,
  type Interval,
  type Sign,
  type CallSample,
  type HitTally,
  type TallySummary,
} from './accuracy.ts';
export {
  isotonicFit,
  calibrationTable,
  isMonotone,
  fitConfidenceCalibration,
  applyConfidenceCalibration,
  parseConfidenceCalibration,
  type CalibrationBucket,
  type ConfidenceCalibration,
} from './confidence-calibration.ts';
