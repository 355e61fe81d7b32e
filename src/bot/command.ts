import type { Reply } from './reply.ts';
import type { Caller } from './caller.ts';
import type { Services } from './services.ts';

export type { Caller, Platform } from './caller.ts';

export type OptionType = 'string' | 'number' | 'integer';

export interface OptionDef {
  name: string;
  description: string;
  type: OptionType;
  required?: boolean;
  /** Allowed values (matched case-insensitively, returned lower-case). */
  choices?: readonly string[];
  /** Autocomplete source: the tracked symbols. */
  autocomplete?: 'symbol';
  /** Numbers: accept a trailing `x` (leverage, `20x`). */
  leverageSuffix?: boolean;
  /** Numbers: accept `k`/`m` magnitudes (`10k`). */
  magnitude?: boolean;
  min?: number;
  max?: number;
  /** What the option is called in error messages (`size`), when its name is not plain words (`usd`). */
  label?: string;
  /** What a valid value looks like, for error messages: `a number of USD, e.g. 10000 or 10k`. */
  expects?: string;
}

export interface SubcommandDef {
  name: string;
  description: string;
  options: OptionDef[];
}

export type ArgValue = string | number;
export type Args = Record<string, ArgValue | undefined>;

export interface CommandContext {
  caller: Caller;
  services: Services;
  /** Validated option values by option name (symbols upper-cased, choices lower-cased). */
  args: Args;
  /** The chosen subcommand, for commands that have them. */
  subcommand?: string;
}

export interface CommandDef {
  name: string;
  description: string;
  /** One-line usage, e.g. `/zones SYMBOL`. */
  usage: string;
  /** Example invocations for /help and the README. */
  examples?: string[];
  options?: OptionDef[];
  subcommands?: SubcommandDef[];
  /** May take over a second: Discord defers the reply. */
  slow?: boolean;
  /**
   * Answers truthfully while the venues are still connecting and loading their start-up history
   * (/help, /status): the console does not hold it back until the market data is in.
   */
  early?: boolean;
  /**
   * What the command saves, for the reply when the store fails (e.g. `your subscription` →
   * "Could not save your subscription, try again in a moment."). Default `your change`.
   */
  saves?: string;
  run(ctx: CommandContext): Promise<Reply> | Reply;
}
