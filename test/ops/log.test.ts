import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Caller, CommandDef } from '../../src/bot/command.ts';
import { CommandRegistry } from '../../src/bot/registry.ts';
import { openBackend } from '../../src/store/backend.ts';
import { createLogger, logFn } from '../../src/ops/log.ts';
import { makeServices } from '../../testkit/chat-services.ts';

const TOKEN = 'sekret-token-1234567890';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

const caller: Caller = { platform: 'console', userId: 'u1', chatId: 'console', isPrivate: true, canManage: true };

const boom: CommandDef = {
  name: 'boom',
  description: 'always fails',
  usage: '/boom',
  run: () => {
    throw new Error(`upstream said no (token ${TOKEN})`);
  },
};

afterEach(() => vi.restoreAllMocks());

describe('logger port', () => {
  it('a command crash is one JSON log line, redacted, and never a process warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const { stream, lines } = capture();
    const logger = createLogger('info', { secrets: [TOKEN], destination: stream, pretty: false });
    const registry = new CommandRegistry([boom], { log: logFn(logger, 'commands') });

    const reply = await registry.dispatchLine('/boom', caller, makeServices());

    expect(reply.ok).toBe(false);
    expect(reply.text).toMatch(/Something went wrong running \/boom/);
    expect(reply.text).not.toContain('upstream');
    expect(warn).not.toHaveBeenCalled();
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 50, component: 'commands', command: 'boom', platform: 'console', msg: 'command failed' });
    expect(line.err.message).toContain('upstream said no');
    expect(line.err.type).toBe('Error');
    expect(line.err.stack).toContain('log.test.ts');
    expect(lines[0]).not.toContain(TOKEN);
    expect(lines[0]).toContain('[redacted]');
  });

  it('a keyv error goes to the store log, not to process warnings', async () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const { stream, lines } = capture();
    // Each keyv error is a debug line: the failing call itself reports, and the store logs once
    // when it starts failing and once when it recovers.
    const logger = createLogger('debug', { destination: stream, pretty: false });
    const backend = await openBackend('memory:', { log: logFn(logger, 'store') });
    // The adapter reports failures as 'error' events on the keyv instance.
    (backend as unknown as { keyv: { emit(e: string, err: Error): void } }).keyv.emit('error', new Error('disk full'));
    expect(warn).not.toHaveBeenCalled();
    expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ level: 20, component: 'store', store: 'memory', msg: 'store error', err: expect.objectContaining({ message: 'disk full' }) })]);
    await backend.close();
  });

  it('writes human-readable lines when asked (stderr on a TTY)', () => {
    const { stream, lines } = capture();
    const logger = createLogger('info', { destination: stream, pretty: true });
    logFn(logger, 'venues')('warn', 'binance reconnecting', { attempt: 3 });
    expect(lines.join('\n')).toMatch(/WARN.*binance reconnecting/);
    expect(() => JSON.parse(lines[0]!)).toThrow();
  });
});
