/**
 * CommandDef → Discord application command JSON (pure), and the deploy step that bulk-overwrites
 * the registered commands for a guild (instant, for testing) or globally.
 */
import type {
  APIApplicationCommandBasicOption,
  APIApplicationCommandOption,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { ApplicationCommandOptionType, ApplicationCommandType, InteractionContextType, REST, Routes } from 'discord.js';
import type { CommandDef, OptionDef } from '../../bot/command.ts';
import { clipText } from './render.ts';

const MAX_CHOICES = 25;

function mapOption(o: OptionDef): APIApplicationCommandBasicOption {
  const description = clipText(o.description, 100);
  const required = o.required ?? false;
  if (o.type === 'string') {
    // Discord forbids choices together with autocomplete: the symbol option autocompletes instead.
    if (o.autocomplete) return { type: ApplicationCommandOptionType.String, name: o.name, description, required, autocomplete: true };
    if (o.choices?.length) {
      return {
        type: ApplicationCommandOptionType.String,
        name: o.name,
        description,
        required,
        choices: o.choices.slice(0, MAX_CHOICES).map((c) => ({ name: c, value: c })),
      };
    }
    return { type: ApplicationCommandOptionType.String, name: o.name, description, required };
  }
  // Options that accept suffixes (`20x`, `10k`) are typed text on Telegram; on Discord a plain
  // number box is clearer, so they stay numbers (the registry parses either).
  const bounds = { ...(o.min !== undefined ? { min_value: o.min } : {}), ...(o.max !== undefined ? { max_value: o.max } : {}) };
  return o.type === 'integer'
    ? { type: ApplicationCommandOptionType.Integer, name: o.name, description, required, ...bounds }
    : { type: ApplicationCommandOptionType.Number, name: o.name, description, required, ...bounds };
}

/** Discord requires required options before optional ones. */
function orderOptions(options: OptionDef[]): OptionDef[] {
  return [...options.filter((o) => o.required), ...options.filter((o) => !o.required)];
}

export function toDiscordCommand(c: CommandDef): RESTPostAPIChatInputApplicationCommandsJSONBody {
  let options: APIApplicationCommandOption[] = [];
  if (c.subcommands?.length) {
    options = c.subcommands.map((s) => ({
      type: ApplicationCommandOptionType.Subcommand,
      name: s.name,
      description: clipText(s.description, 100),
      options: orderOptions(s.options).map(mapOption),
    }));
  } else if (c.options?.length) {
    options = orderOptions(c.options).map(mapOption);
  }
  return {
    type: ApplicationCommandType.ChatInput,
    name: c.name,
    description: clipText(c.description, 100),
    options,
    contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
  };
}

export function toDiscordCommands(commands: CommandDef[]): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return commands.map(toDiscordCommand);
}

export interface DeployCommandsOptions {
  token: string;
  appId: string;
  /** REST base, e.g. `http://127.0.0.1:PORT/api` for the fake (default: discord.com). */
  apiUrl?: string;
  /** Register for one guild (applies instantly); omit for global registration. */
  guildId?: string;
  commands: CommandDef[];
}

/** `liqzone deploy-commands [--guild ID]`: bulk-overwrites the application's commands. */
export async function deployCommands(opts: DeployCommandsOptions): Promise<{ count: number; scope: string }> {
  const rest = new REST(opts.apiUrl ? { api: opts.apiUrl.replace(/\/+$/, '') } : {}).setToken(opts.token);
  // `contexts` only applies to global commands; guild commands omit it.
  const body = toDiscordCommands(opts.commands).map((c) => (opts.guildId ? { ...c, contexts: undefined } : c));
  const route = opts.guildId ? Routes.applicationGuildCommands(opts.appId, opts.guildId) : Routes.applicationCommands(opts.appId);
  const result = (await rest.put(route, { body })) as unknown[];
  return { count: Array.isArray(result) ? result.length : body.length, scope: opts.guildId ? `guild ${opts.guildId}` : 'global' };
}
