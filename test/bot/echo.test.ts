import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import type { Caller } from '../../src/bot/command.ts';
import { CommandRegistry } from '../../src/bot/registry.ts';
import { echo, stripControl } from '../../src/format/echo.ts';
import { parseDuration, parseQuietHours } from '../../src/store/settings.ts';

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
/** In a reply the bot's own line breaks are fine; anything else from this set came from the input. */
const REPLY_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
const registry = new CommandRegistry(allCommands());
const caller: Caller = { platform: 'telegram', userId: '1', chatId: '1', isPrivate: true, canManage: true };

describe('input echoed in replies has no control characters', () => {
  it('echo strips control, bidi and zero-width characters and clips', () => {
    expect(echo('ab\u0007c\u202edef\u200b\u0000', 24)).toBe('abcdef');
    expect(echo('x'.repeat(30), 24)).toBe(`${'x'.repeat(24)}…`);
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => !UNSAFE.test(echo(s, 40)) && stripControl(stripControl(s)) === stripControl(s)));
  });

  it('unknown commands, bad options and settings errors echo input without them', async () => {
    const unknown = await registry.dispatchLine('/zo\u0007nes\u202eX', caller, {} as never);
    expect(unknown.text).toMatch(/Unknown command "\/zonesx"/i);
    expect(unknown.text).not.toMatch(REPLY_UNSAFE);
    const bad = await registry.dispatchLine('/exit ETH long 3k\u202e1 20x', caller, {} as never);
    expect(bad.ok).toBe(false);
    expect(bad.text).toMatch(/got "3k1"/);
    expect(bad.text).not.toMatch(REPLY_UNSAFE);
    const q = parseQuietHours('22\u202e-07\u0000x');
    expect(q.ok).toBe(false);
    expect(!q.ok && q.error).not.toMatch(UNSAFE);
    const d = parseDuration('5\u2066m\u0008');
    expect(!d.ok && d.error).not.toMatch(UNSAFE);
  });
});
