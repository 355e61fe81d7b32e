export { startTelegram, UpdateHandler, type StartTelegramOptions, type TelegramHandle } from './bot.ts';
export { renderTelegram, inlineKeyboard, escapeHtml, TELEGRAM_LIMITS, type TelegramParts } from './render.ts';
export { createTelegramSender, classifyTelegramError, sendReply, type SendReplyOptions } from './sender.ts';
