export { PositionWatcher, exitRequestOf, type PositionWatcherOptions } from './watcher.ts';
export { PositionRepo, userKey, ownerDestination, type AddOutcome } from './repo.ts';
export { forgetUser, storedAbout, type Eraser, type ForgetReport, type StoredAbout } from './forget.ts';
export { watchStep, initialWatchState, liquidationDistancePct, liquidationThresholdPct, DEFAULT_WATCH_PARAMS, type WatchParams, type WatchState, type WatchEvent, type WatchInput } from './rules.ts';
export { alertPayload, planLine, pnlPct, positionName } from './format.ts';
export type { Position, UserPositions, PositionAlertEvent } from './types.ts';
