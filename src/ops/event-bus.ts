/**
 * Engine events (signal conflicts/transitions, zone sweeps) from the market process to the bot
 * processes over Redis pub/sub. Events are moments, not state: a bot that is down misses them,
 * exactly as a single process that is down would.
 */
import type { SignalEvent, SweepEvent } from '../engine/types.ts';
import type { LogFn } from './log.ts';
import { closeClient, connectRedis, type RedisClient } from './redis.ts';

export type EngineEvent = { type: 'signal'; event: SignalEvent } | { type: 'sweep'; event: SweepEvent };

function channelOf(prefix: string): string {
  return `${prefix}:events`;
}

export interface EventPublisher {
  publish(ev: EngineEvent): Promise<boolean>;
  close(): Promise<void>;
}

export async function createEventPublisher(redisUrl: string, opts: { prefix?: string; log?: LogFn } = {}): Promise<EventPublisher> {
  const client = await connectRedis(redisUrl, { name: 'liqzone-event-publisher', log: opts.log, disableOfflineQueue: true });
  const channel = channelOf(opts.prefix ?? 'liqzone');
  return {
    async publish(ev) {
      try {
        await client.publish(channel, JSON.stringify(ev));
        return true;
      } catch {
        return false;
      }
    },
    close: () => closeClient(client),
  };
}

export interface EventSubscriber {
  onEvent(listener: (ev: EngineEvent) => void): () => void;
  close(): Promise<void>;
}

export async function createEventSubscriber(redisUrl: string, opts: { prefix?: string; log?: LogFn } = {}): Promise<EventSubscriber> {
  const client = await connectRedis(redisUrl, { name: 'liqzone-event-subscriber', log: opts.log });
  const listeners = new Set<(ev: EngineEvent) => void>();
  await client.subscribe(channelOf(opts.prefix ?? 'liqzone'), (message: string) => {
    let ev: EngineEvent;
    try {
      ev = JSON.parse(message) as EngineEvent;
    } catch {
      return;
    }
    if (!ev || (ev.type !== 'signal' && ev.type !== 'sweep') || typeof ev.event !== 'object' || ev.event === null) return;
    for (const l of listeners) l(ev);
  });
  return {
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => closeClient(client),
  };
}
