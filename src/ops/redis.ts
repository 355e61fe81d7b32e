import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { createClient } from '@keyv/redis';
import type { LogFn } from './log.ts';

/** node-redis (with its ~400 modules) is loaded on the first Redis connection only: most processes never use Redis. */
let createClientImpl: typeof createClient | undefined;

function newClient(
  url: string,
  name: string | undefined,
  disableOfflineQueue: boolean,
  socket: { connectTimeout: number; reconnectStrategy: (retries: number, cause: Error) => number | Error },
) {
  return createClientImpl!({ url, name, disableOfflineQueue, socket });
}

/** A node-redis v5 client (the one @keyv/redis is built on), RESP2, no modules. */
export type RedisClient = ReturnType<typeof newClient>;

/** Closes a client if it is open; a close that fails destroys the socket instead. */
export async function closeClient(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  try {
    await client.close();
  } catch {
    client.destroy();
  }
}

export function isRedisUrl(url: string | undefined): url is string {
  return !!url && /^rediss?:\/\//i.test(url);
}

export interface ConnectRedisOptions {
  /** Shown in CLIENT LIST, e.g. `liqzone-snapshots`. */
  name?: string;
  log?: LogFn;
  /** Give up on the first connection after this long (default 5 000 ms); later drops reconnect forever. */
  connectTimeoutMs?: number;
  /**
   * Fail commands while disconnected instead of queueing them (default false). Publishers of
   * superseding data want this: a queue of stale snapshots would only grow during an outage.
   */
  disableOfflineQueue?: boolean;
}

/**
 * Connects with an error listener attached (an unhandled 'error' would crash the process) and a
 * capped backoff for reconnects. The first connection fails with a clear message rather than
 * retrying forever, so a wrong STORE_URL is reported at start.
 */
export async function connectRedis(url: string, opts: ConnectRedisOptions = {}): Promise<RedisClient> {
  const log = opts.log ?? (() => {});
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
  let connected = false;
  createClientImpl ??= (await import('@keyv/redis')).createClient;
  const client = newClient(url, opts.name, opts.disableOfflineQueue ?? false, {
    connectTimeout: connectTimeoutMs,
    reconnectStrategy: (retries, cause) => {
      if (!connected) return cause; // first connection: fail, do not loop
      return Math.min(100 * 2 ** Math.min(retries, 6), 5_000);
    },
  });
  let lastErrorLog = 0;
  client.on('error', (err: Error) => {
    const t = Date.now();
    if (t - lastErrorLog > 10_000) {
      lastErrorLog = t;
      log('warn', 'redis connection error', { name: opts.name, error: err.message });
    }
  });
  try {
    await client.connect();
  } catch (err) {
    if (client.isOpen) client.destroy();
    throw new Error(`Cannot connect to Redis at ${redactUrl(url)}: ${(err as Error)?.message ?? err}`);
  }
  connected = true;
  return client;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

export interface LocalRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway `redis-server` on loopback (no persistence) for tests and demos.
 * Returns undefined when the binary is not installed.
 */
export async function startLocalRedis(opts: { bin?: string; readyTimeoutMs?: number } = {}): Promise<LocalRedis | undefined> {
  const bin = opts.bin ?? findRedisServer();
  if (!bin) return undefined;
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within ${opts.readyTimeoutMs ?? 5_000} ms: ${out.slice(-300)}`)), opts.readyTimeoutMs ?? 5_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve();
      }
    };
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout.on('data', onData);
    child.stderr.resume();
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`redis-server exited with ${code}: ${out.slice(-300)}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(`${dir}/redis-server`)) return `${dir}/redis-server`;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
