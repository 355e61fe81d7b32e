/**
 * Reply → Discord message payload (pure). Everything a trader sees is decided in the core;
 * this only maps it onto an embed, an attachment and a row of buttons, within Discord's limits.
 */
import type { APIActionRowComponent, APIButtonComponent, APIEmbed } from 'discord.js';
import { ButtonStyle, ComponentType } from 'discord.js';
import type { Reply, ReplyTone } from '../../bot/reply.ts';

/** Embed colour per tone: up green, down red, warning amber, error grey-red, neutral blue. */
export const TONE_COLOR: Record<ReplyTone, number> = {
  up: 0x2fb57a,
  down: 0xe0584a,
  warning: 0xf2a93b,
  error: 0x9b4d4d,
  neutral: 0x5865f2,
};

/** Discord limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  customId: 100,
  buttonLabel: 80,
  buttonsPerRow: 5,
  rows: 5,
} as const;

export interface DiscordMessageParts {
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIButtonComponent>[];
  /** Buttons left out because their action did not fit a custom id. */
  droppedButtons: string[];
}

export function clipText(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * Plain reply text made safe for Discord markdown: no accidental bold, spoilers, links, headings,
 * quotes, lists or mentions. Linear time (discord.js's escapeMarkdown is slow on long lines).
 */
export function escapeDiscord(s: string): string {
  return s
    .replace(/[\\*_~`|[\]]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([>#-])/gm, '$1\\$2')
    .replace(/^(\s*)(\d+)\.(?=\s)/gm, '$1$2\\.')
    .replace(/@(everyone|here)/g, '@\u200b$1')
    .replace(/<(@[!&]?\d+|#\d+|\/[\w -]+:\d+|t:-?\d+(?::\w)?|a?:\w+:\d+)>/g, '<\u200b$1>');
}

/** Escapes then clips (clipping first keeps the work bounded on huge input). */
function safe(s: string, max: number): string {
  return clipText(escapeDiscord(clipText(s, max)), max);
}

/** The embed + buttons for a reply; `imageName` is set when a PNG will be attached. */
export function renderDiscordMessage(reply: Reply, imageName?: string): DiscordMessageParts {
  const embed: APIEmbed = {
    color: TONE_COLOR[reply.tone ?? (reply.ok ? 'neutral' : 'error')],
  };
  if (reply.title) embed.title = safe(reply.title, DISCORD_LIMITS.title);
  const text = reply.text.trim();
  if (text) embed.description = safe(text, DISCORD_LIMITS.description);
  const fields = (reply.fields ?? []).slice(0, DISCORD_LIMITS.fields).map((f) => ({
    name: safe(f.name, DISCORD_LIMITS.fieldName) || '\u200b',
    value: safe(f.value, DISCORD_LIMITS.fieldValue) || '\u200b',
    inline: f.inline ?? false,
  }));
  if (fields.length) embed.fields = fields;
  if (imageName) embed.image = { url: `attachment://${imageName}` };
  if (!embed.title && !embed.description && !embed.fields) embed.description = reply.ok ? 'Done.' : 'Something went wrong.';

  const droppedButtons: string[] = [];
  const buttons: APIButtonComponent[] = [];
  for (const b of reply.buttons ?? []) {
    if (b.action.length > DISCORD_LIMITS.customId || buttons.length >= DISCORD_LIMITS.buttonsPerRow * DISCORD_LIMITS.rows) {
      droppedButtons.push(b.action);
      continue;
    }
    buttons.push({
      type: ComponentType.Button,
      style: buttons.length === 0 ? ButtonStyle.Primary : ButtonStyle.Secondary,
      label: clipText(b.label, DISCORD_LIMITS.buttonLabel),
      custom_id: b.action,
    });
  }
  const components: APIActionRowComponent<APIButtonComponent>[] = [];
  for (let i = 0; i < buttons.length; i += DISCORD_LIMITS.buttonsPerRow) {
    components.push({ type: ComponentType.ActionRow, components: buttons.slice(i, i + DISCORD_LIMITS.buttonsPerRow) });
  }
  return { embeds: [embed], components, droppedButtons };
}
