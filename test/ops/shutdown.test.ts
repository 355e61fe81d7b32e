import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installLastResort, installShutdown } from '../../src/ops/shutdown.ts';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('installShutdown', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs stop once on the first signal and exits 0 when it finishes', async () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const d = deferred();
    const stop = vi.fn(() => d.promise);
    const h = installShutdown({ stop, exit: (c) => exits.push(c), source });
    expect(h.stopping).toBe(false);
    source.emit('SIGTERM');
    expect(h.stopping).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(exits).toEqual([]);
    d.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(exits).toEqual([0]);
    h.uninstall();
  });

  it('exits 1 when stop outlasts the timeout, and only once', async () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const d = deferred();
    const log = vi.fn();
    installShutdown({ stop: () => d.promise, exit: (c) => exits.push(c), source, timeoutMs: 10_000, log });
    source.emit('SIGINT');
    await vi.advanceTimersByTimeAsync(9_999);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
    d.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(exits).toEqual([1]);
    expect(log.mock.calls.some(([level, msg]) => level === 'error' && /within 10000 ms/.test(String(msg)))).toBe(true);
  });

  it('exits at once on a second signal', async () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const stop = vi.fn(() => new Promise<void>(() => {}));
    installShutdown({ stop, exit: (c) => exits.push(c), source });
    source.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(10);
    source.emit('SIGINT');
    expect(exits).toEqual([1]);
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('exits 1 when stop fails, and shutdown() is idempotent with signals', async () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const stop = vi.fn(() => Promise.reject(new Error('store flush failed')));
    const h = installShutdown({ stop, exit: (c) => exits.push(c), source });
    const a = h.shutdown('fatal error');
    const b = h.shutdown('again');
    expect(a).toBe(b);
    await a;
    expect(stop).toHaveBeenCalledTimes(1);
    expect(exits).toEqual([1]);
  });

  it('listens only to the configured signals and stops listening after uninstall', async () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const stop = vi.fn(() => Promise.resolve());
    const h = installShutdown({ stop, exit: (c) => exits.push(c), source, signals: ['SIGTERM'] });
    expect(source.listenerCount('SIGTERM')).toBe(1);
    source.emit('SIGINT');
    h.uninstall();
    expect(source.listenerCount('SIGTERM')).toBe(0);
    source.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(stop).not.toHaveBeenCalled();
    expect(exits).toEqual([]);
  });
});

describe('installLastResort', () => {
  it('an uncaught exception or unhandled rejection is logged and starts one graceful shutdown ending in exit 1', async () => {
    const signals = new EventEmitter();
    const fatal = new EventEmitter();
    const exits: number[] = [];
    let stops = 0;
    const handle = installShutdown({ stop: async () => void stops++, exit: (c) => exits.push(c), source: signals as never, timeoutMs: 1000 });
    const logged: string[] = [];
    const uninstall = installLastResort(handle, { error: (_o, msg) => logged.push(msg) }, fatal as never);
    fatal.emit('uncaughtException', new Error('boom in a timer'));
    fatal.emit('unhandledRejection', new Error('and a lost promise'));
    await new Promise((r) => setTimeout(r, 10));
    expect(logged).toEqual(['uncaughtException: shutting down', 'unhandledRejection: shutting down']);
    expect(stops).toBe(1);
    expect(exits).toEqual([1]);
    uninstall();
    expect(fatal.listenerCount('uncaughtException')).toBe(0);
    handle.uninstall();
  });
});
