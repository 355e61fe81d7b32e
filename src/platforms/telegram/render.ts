/**
 * Reply → Telegram HTML messages (pure). Every piece of text is escaped; the only markup is the
 * bold title and bold field names added here. Long replies are split at line boundaries within
 * Telegram's limits (1024 for a photo caption, 4096 for a message).
 */
import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import type { Reply } from '../../bot/reply.ts';

export const TELEGRAM_LIMITS = { caption: 1024, message: 4096, callbackData: 64, buttonsPerRow: 3 } as const;

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface TelegramParts {
  /** Photo caption (HTML) when the reply has an image. */
  caption?: string;
  /** Text messages (HTML), in order: the whole reply without an image, the overflow with one. */
  messages: string[];
  keyboard?: InlineKeyboardMarkup;
  /** Buttons left out because their action exceeds 64 bytes of callback data. */
  droppedButtons: string[];
}

/** One reply line as HTML, with a way to re-render shorter pieces of it. */
interface Line {
  raw: string;
  render: (raw: string) => string;
}

function replyLines(reply: Reply): Line[] {
  const lines: Line[] = [];
  const plain = (raw: string): Line => ({ raw, render: escapeHtml });
  if (reply.title) lines.push({ raw: reply.title, render: (r) => `<b>${escapeHtml(r)}</b>` });
  for (const l of reply.text.replace(/\r\n?/g, '\n').split('\n')) lines.push(plain(l));
  const fields = reply.fields ?? [];
  if (fields.length) {
    lines.push(plain(''));
    for (const f of fields) {
      const name = escapeHtml(f.name);
      lines.push({ raw: f.value, render: (r) => `<b>${name}</b>: ${escapeHtml(r)}` });
    }
  }
  while (lines.length && lines.at(-1)!.raw === '' && lines.at(-1)!.render === escapeHtml) lines.pop();
  return lines;
}

/** Splits one line whose HTML exceeds `limit` into pieces that each fit. */
function splitLine(line: Line, limit: number): string[] {
  const out: string[] = [];
  let rest = line.raw;
  while (rest.length) {
    // Shrink the raw slice until its rendered form fits (escaping can grow text up to 6×).
    let n = Math.min(rest.length, limit);
    while (n > 1 && line.render(rest.slice(0, n)).length > limit) n = Math.floor(n * 0.8);
    out.push(line.render(rest.slice(0, n)));
    rest = rest.slice(n);
  }
  return out;
}

/** Packs lines into chunks; the first chunk may have a smaller limit (a caption). */
function pack(lines: Line[], firstLimit: number, limit: number): string[] {
  const chunks: string[] = [];
  let current = '';
  let currentLimit = firstLimit;
  const flush = () => {
    // Keep the first slot even when empty so a caption never receives a message-sized chunk.
    if (current.trim() || chunks.length === 0) chunks.push(current.replace(/\n+$/, ''));
    current = '';
    currentLimit = limit;
  };
  for (const line of lines) {
    const html = line.render(line.raw);
    const candidate = current ? `${current}\n${html}` : html;
    if (candidate.length <= currentLimit) {
      current = candidate;
      continue;
    }
    flush();
    if (html.length <= currentLimit) {
      current = html;
    } else {
      for (const piece of splitLine(line, currentLimit)) {
        if (current) flush();
        current = piece;
      }
    }
  }
  if (current || chunks.length === 0) flush();
  return chunks;
}

export function inlineKeyboard(reply: Reply): { keyboard?: InlineKeyboardMarkup; dropped: string[] } {
  const dropped: string[] = [];
  const buttons: InlineKeyboardButton[] = [];
  for (const b of reply.buttons ?? []) {
    if (Buffer.byteLength(b.action, 'utf8') > TELEGRAM_LIMITS.callbackData) {
      dropped.push(b.action);
      continue;
    }
    buttons.push({ text: b.label, callback_data: b.action });
  }
  if (!buttons.length) return { dropped };
  const rows: InlineKeyboardButton[][] = [];
  for (let i = 0; i < buttons.length; i += TELEGRAM_LIMITS.buttonsPerRow) rows.push(buttons.slice(i, i + TELEGRAM_LIMITS.buttonsPerRow));
  return { keyboard: { inline_keyboard: rows }, dropped };
}

export function renderTelegram(reply: Reply, withPhoto: boolean): TelegramParts {
  const lines = replyLines(reply);
  const { keyboard, dropped } = inlineKeyboard(reply);
  if (withPhoto) {
    const [caption, ...messages] = pack(lines, TELEGRAM_LIMITS.caption, TELEGRAM_LIMITS.message);
    return { caption: caption ?? '', messages, keyboard, droppedButtons: dropped };
  }
  const messages = pack(lines, TELEGRAM_LIMITS.message, TELEGRAM_LIMITS.message).filter((m) => m.trim());
  return { messages: messages.length ? messages : [escapeHtml(reply.ok ? 'Done.' : 'Something went wrong.')], keyboard, droppedButtons: dropped };
}
