export { Notifier, type NotifierOptions, type TickResult } from './notifier.ts';
export { DeliveryQueue, type AlertMessage, type DeliveryQueueOptions, type DeliveryRecord } from './queue.ts';
export { RateLimiter, SendLog, TELEGRAM_POLICY, DEFAULT_POLICIES, type RatePolicy, type WindowLimit } from './limiter.ts';
export { ManualClock, realSleep, runUntilIdle, type Sleep, type ClockDriven } from './clock.ts';
export { renderAlerts, alertLine, alertTitle, ESTIMATE_NOTE, type RenderOptions } from './render.ts';
export { formatAlertForConsole, formatDelivery, deliveryJson, RecordingAlertSender, type RecordedSend, type SendBehavior } from './recording.ts';
export * from './rules.ts';
