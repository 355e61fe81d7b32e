/** Pure adapter pieces: rendering within platform limits, escaping, command mapping, error classification. */
import { describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import type { Reply } from '../../src/bot/reply.ts';
import { classifyDiscordError, escapeDiscord, renderDiscordMessage, TONE_COLOR, toDiscordCommand } from '../../src/platforms/discord/index.ts';
import { classifyTelegramError, escapeHtml, renderTelegram } from '../../src/platforms/telegram/index.ts';

const reply = (over: Partial<Reply> = {}): Reply => ({ ok: true, text: 'hello', ...over });

describe('discord rendering', () => {
  it('colours the embed by tone', () => {
    expect(renderDiscordMessage(reply({ tone: 'up' })).embeds[0]!.color).toBe(TONE_COLOR.up);
    expect(renderDiscordMessage(reply({ tone: 'down' })).embeds[0]!.color).toBe(TONE_COLOR.down);
    expect(renderDiscordMessage(reply({ tone: 'warning' })).embeds[0]!.color).toBe(TONE_COLOR.warning);
    expect(renderDiscordMessage(reply({ ok: false })).embeds[0]!.color).toBe(TONE_COLOR.error);
    expect(new Set(Object.values(TONE_COLOR)).size).toBe(5);
  });

  it('escapes markdown and defuses mentions', () => {
    expect(escapeDiscord('**bold** _x_ `code` @everyone <@123456789012345678>')).toBe('\\*\\*bold\\*\\* \\_x\\_ \\`code\\` @\u200beveryone <\u200b@123456789012345678>');
  });

  it('escapes line-start markdown (quotes, headings, lists) and masked links', () => {
    expect(escapeDiscord('> quote\n# head\n-# sub\n1. item\n[x](http://e.vil)')).toBe('\\> quote\n\\# head\n\\-# sub\n1\\. item\n\\[x\\](http://e.vil)');
    expect(escapeDiscord('price -0.5% (#1) 3,100–3,200 <b>x</b>')).toBe('price -0.5% (#1) 3,100–3,200 <b>x</b>');
    expect(escapeDiscord('</zones:123> <t:1700000000:R> <#123> <:pepe:456>')).toBe('<\u200b/zones:123> <\u200bt:1700000000:R> <\u200b#123> <\u200b:pepe:456>');
  });

  it('keeps within embed limits and attaches the image by name', () => {
    const parts = renderDiscordMessage(
      reply({
        title: 't'.repeat(300),
        text: 'x'.repeat(5000),
        fields: Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, value: 'v'.repeat(2000) })),
      }),
      'zones-ETH.png',
    );
    const e = parts.embeds[0]!;
    expect(e.title!.length).toBe(256);
    expect(e.description!.length).toBe(4096);
    expect(e.fields).toHaveLength(25);
    expect(e.fields![0]!.value.length).toBe(1024);
    expect(e.image).toEqual({ url: 'attachment://zones-ETH.png' });
  });

  it('maps buttons to custom ids, five per row, dropping over-long actions', () => {
    const buttons = Array.from({ length: 7 }, (_, i) => ({ label: `b${i}`, action: `/zones S${i}` }));
    buttons.push({ label: 'long', action: `/zones ${'A'.repeat(120)}` });
    const parts = renderDiscordMessage(reply({ buttons }));
    expect(parts.components.map((r) => r.components.length)).toEqual([5, 2]);
    expect(parts.components[0]!.components[0]).toMatchObject({ custom_id: '/zones S0', label: 'b0' });
    expect(parts.droppedButtons).toHaveLength(1);
  });

  it('maps command definitions: subcommands, choices, autocomplete, numbers', () => {
    const byName = new Map(allCommands().map((c) => [c.name, toDiscordCommand(c)]));
    const zones = byName.get('zones')!;
    expect(zones.options![0]).toMatchObject({ type: 3, name: 'symbol', autocomplete: true, required: true });
    const exit = byName.get('exit')!;
    const side = exit.options!.find((o) => o.name === 'side') as { choices?: unknown[]; autocomplete?: boolean };
    expect(side.choices).toHaveLength(2);
    expect(side.autocomplete).toBeUndefined();
    expect(exit.options!.find((o) => o.name === 'leverage')).toMatchObject({ type: 10 });
    const alerts = byName.get('alerts')!;
    expect(alerts.options!.length).toBeGreaterThan(0);
    expect(alerts.options!.every((o) => o.type === 1)).toBe(true);
    for (const c of byName.values()) expect(c.description.length).toBeLessThanOrEqual(100);
  });

  it('classifies errors for the delivery queue', () => {
    expect(classifyDiscordError({ name: 'RateLimitError', retryAfter: 3000, timeToReset: 3500, message: 'rl' })).toMatchObject({ retryAfterMs: 3500 });
    expect(classifyDiscordError({ status: 429, rawError: { retry_after: 1.5 }, message: 'rl' })).toMatchObject({ retryAfterMs: 1500 });
    expect(classifyDiscordError({ status: 403, code: 50007, message: 'Cannot send messages to this user' })).toMatchObject({ permanent: true });
    expect(classifyDiscordError({ status: 404, code: 10003, message: 'Unknown Channel' })).toMatchObject({ permanent: true });
    expect(classifyDiscordError({ status: 403, code: 0, message: 'Forbidden' })).toMatchObject({ permanent: true });
    const transient = classifyDiscordError({ status: 502, message: 'Bad Gateway' });
    expect(transient.permanent).toBeFalsy();
    expect(transient.retryAfterMs).toBeUndefined();
    expect(classifyDiscordError(new Error('ECONNRESET')).permanent).toBeFalsy();
  });
});

describe('telegram rendering', () => {
  it('escapes everything and bolds only the title and field names', () => {
    const parts = renderTelegram(reply({ title: '<i>ETH</i> & co', text: 'a <b>b</b> "c"', fields: [{ name: '<x>', value: '1 < 2' }] }), false);
    expect(parts.messages).toEqual(['<b>&lt;i&gt;ETH&lt;/i&gt; &amp; co</b>\na &lt;b&gt;b&lt;/b&gt; &quot;c&quot;\n\n<b>&lt;x&gt;</b>: 1 &lt; 2']);
    expect(escapeHtml('&<>"')).toBe('&amp;&lt;&gt;&quot;');
  });

  it('splits long replies at line boundaries within 4096 and never cuts an entity', () => {
    const text = [...Array.from({ length: 200 }, (_, i) => `line ${i} ${'&'.repeat(20)}`), '<'.repeat(5000)].join('\n');
    const parts = renderTelegram(reply({ title: 'T', text }), false);
    expect(parts.messages.length).toBeGreaterThan(2);
    for (const m of parts.messages) {
      expect(m.length).toBeLessThanOrEqual(4096);
      expect(m).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
    }
    const unescaped = parts.messages.join('\n').replace(/<\/?b>/g, '').replace(/&lt;/g, '<').replace(/&amp;/g, '&');
    expect(unescaped.replace(/\n/g, '')).toBe(`T${text}`.replace(/\n/g, ''));
  });

  it('fills a caption up to 1024 and continues in messages', () => {
    const text = Array.from({ length: 80 }, (_, i) => `zone ${i}: 3,1${String(i).padStart(2, '0')} – $${i}M`).join('\n');
    const parts = renderTelegram(reply({ title: 'ETH', text, buttons: [{ label: 'Refresh', action: '/zones ETH' }] }), true);
    expect(parts.caption!.length).toBeLessThanOrEqual(1024);
    expect(parts.caption!.length).toBeGreaterThan(900);
    expect(parts.messages.length).toBe(1);
    expect(parts.keyboard).toEqual({ inline_keyboard: [[{ text: 'Refresh', callback_data: '/zones ETH' }]] });
  });

  it('drops buttons whose callback data exceeds 64 bytes', () => {
    const parts = renderTelegram(reply({ buttons: [{ label: 'ok', action: '/zones ETH' }, { label: 'too long', action: `/zones ${'é'.repeat(30)}` }] }), false);
    expect(parts.keyboard!.inline_keyboard.flat()).toHaveLength(1);
    expect(parts.droppedButtons).toHaveLength(1);
  });

  it('classifies errors for the delivery queue', () => {
    expect(classifyTelegramError({ error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } })).toMatchObject({ retryAfterMs: 7000 });
    expect(classifyTelegramError({ error_code: 403, description: 'Forbidden: bot was blocked by the user' })).toMatchObject({ permanent: true });
    expect(classifyTelegramError({ error_code: 403, description: 'Forbidden: bot was kicked from the supergroup chat' })).toMatchObject({ permanent: true });
    expect(classifyTelegramError({ error_code: 400, description: 'Bad Request: chat not found' })).toMatchObject({ permanent: true });
    expect(classifyTelegramError({ error_code: 400, description: "Bad Request: can't parse entities" }).permanent).toBeFalsy();
    expect(classifyTelegramError(new Error('socket hang up')).permanent).toBeFalsy();
  });
});
