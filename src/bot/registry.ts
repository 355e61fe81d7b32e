import { echo } from '../format/echo.ts';
import type { Args, Caller, CommandDef, OptionDef } from './command.ts';
import { errorReply, type Reply } from './reply.ts';
import type { Services } from './services.ts';
import { resolveSymbolAlias, stripTicker } from '../market/aliases.ts';
import { defaultLog, type LogFn } from '../ops/log.ts';

export type ParseResult =
  | { ok: true; command: CommandDef; subcommand?: string; args: Args }
  | { ok: false; reply: Reply };

/** Longest accepted command line; anything longer is refused before parsing. */
const MAX_LINE = 500;

/**
 * Command registry and dispatch: the one place that turns typed text (Telegram, console) or
 * structured options (Discord) into validated args, runs the command, and never throws.
 */
/** Called after every command run (metrics): name, platform, seconds, ok. */
export type CommandObserver = (name: string, platform: string, seconds: number, ok: boolean) => void;

export class CommandRegistry {
  private readonly byName = new Map<string, CommandDef>();
  private observer: CommandObserver | undefined;

  private readonly log: LogFn;

  /** `log`: where command crashes go (the JSON log; never the chat, never process warnings). */
  constructor(commands: CommandDef[], opts: { log?: LogFn } = {}) {
    this.log = opts.log ?? defaultLog('commands');
    for (const c of commands) this.byName.set(c.name, c);
  }

  observe(fn: CommandObserver): void {
    this.observer = fn;
  }

  list(): CommandDef[] {
    return [...this.byName.values()];
  }

  get(name: string): CommandDef | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** Parses `/zones ETH` (also `/zones@botname eth`, or without the slash). */
  parseLine(line: string): ParseResult {
    if (line.length > MAX_LINE) return { ok: false, reply: errorReply(`That command is too long (over ${MAX_LINE} characters).`) };
    const tokens = line.trim().split(/\s+/).filter(Boolean);
    if (tokens.length === 0) return { ok: false, reply: errorReply('Empty command. Try /help.') };
    const head = tokens[0]!.replace(/^\//, '').replace(/@\S*$/, '').toLowerCase();
    const command = this.byName.get(head);
    if (!command) {
      const hint = nearest(head, [...this.byName.keys()]);
      return {
        ok: false,
        reply: errorReply(`Unknown command "/${clip(head)}".${hint.length ? ` Did you mean /${hint[0]}?` : ''} Try /help.`),
      };
    }
    let rest = tokens.slice(1);
    let options = command.options ?? [];
    let subcommand: string | undefined;
    if (command.subcommands?.length) {
      const name = rest[0]?.toLowerCase();
      const sub = command.subcommands.find((s) => s.name === name);
      if (!sub) {
        const names = command.subcommands.map((s) => s.name).join('|');
        return { ok: false, reply: errorReply(name ? `Unknown /${command.name} action "${clip(name)}".` : `/${command.name} needs an action (${names}).`, command.usage) };
      }
      subcommand = sub.name;
      options = sub.options;
      rest = rest.slice(1);
    }
    if (rest.length > options.length) {
      return { ok: false, reply: errorReply(`Too many arguments for /${command.name}.`, command.usage) };
    }
    const raw: Record<string, string | undefined> = {};
    options.forEach((o, i) => (raw[o.name] = rest[i]));
    return this.validate(command, subcommand, raw);
  }

  /** Validates structured options (Discord) the same way text is validated. */
  parseStructured(name: string, subcommand: string | undefined, values: Record<string, string | number | undefined>): ParseResult {
    const command = this.get(name);
    if (!command) return { ok: false, reply: errorReply(`Unknown command "/${clip(name)}".`) };
    const raw: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(values)) raw[k] = v === undefined ? undefined : String(v);
    return this.validate(command, subcommand, raw);
  }

  private validate(command: CommandDef, subcommand: string | undefined, raw: Record<string, string | undefined>): ParseResult {
    const options = subcommand ? (command.subcommands?.find((s) => s.name === subcommand)?.options ?? []) : (command.options ?? []);
    if (subcommand && !command.subcommands?.some((s) => s.name === subcommand)) {
      return { ok: false, reply: errorReply(`Unknown /${command.name} action "${clip(subcommand)}".`, command.usage) };
    }
    const args: Args = {};
    for (const o of options) {
      const value = raw[o.name];
      if (value === undefined || value === '') {
        if (o.required) return { ok: false, reply: errorReply(`Missing ${labelOf(o)} for /${command.name}${o.expects ? `: ${o.expects}` : ''}.`, command.usage) };
        continue;
      }
      const parsed = parseOption(o, value);
      if (typeof parsed === 'object') return { ok: false, reply: errorReply(parsed.error, command.usage) };
      args[o.name] = parsed;
    }
    return { ok: true, command, subcommand, args };
  }

  /** Parses and runs a typed line. Never throws. */
  async dispatchLine(line: string, caller: Caller, services: Services): Promise<Reply> {
    return this.run(this.parseLine(line), caller, services);
  }

  async dispatchStructured(
    name: string,
    subcommand: string | undefined,
    values: Record<string, string | number | undefined>,
    caller: Caller,
    services: Services,
  ): Promise<Reply> {
    return this.run(this.parseStructured(name, subcommand, values), caller, services);
  }

  async run(parsed: ParseResult, caller: Caller, services: Services): Promise<Reply> {
    if (!parsed.ok) return parsed.reply;
    const started = performance.now();
    try {
      const reply = await parsed.command.run({ caller, services, args: parsed.args, subcommand: parsed.subcommand });
      this.observer?.(parsed.command.name, caller.platform, (performance.now() - started) / 1000, reply.ok);
      return reply;
    } catch (err) {
      this.observer?.(parsed.command.name, caller.platform, (performance.now() - started) / 1000, false);
      if (isStoreFailure(err)) {
        // The store is failing (logged and shown in /healthz by the store itself): nothing was
        // saved, and the answer must not pretend otherwise.
        return err.op === 'write'
          ? errorReply(`Could not save ${parsed.command.saves ?? 'your change'}: storage is failing right now. Please try again in a moment.`)
          : errorReply(`Could not read your saved data: storage is failing right now. Please try again in a moment.`);
      }
      // A failing command must never take the bot down; the detail goes to the log, not the chat.
      this.log('error', 'command failed', { command: parsed.command.name, subcommand: parsed.subcommand, platform: caller.platform, err });
      return errorReply(`Something went wrong running /${parsed.command.name}. It has been logged; please try again.`);
    }
  }

  /** Autocomplete for a symbol option: tracked symbols starting with (then containing) the prefix. */
  static completeSymbol(services: Services, prefix: string, limit = 25): string[] {
    const p = prefix.trim().toUpperCase();
    const all = services.symbols.tracked();
    const starts = all.filter((s) => s.startsWith(p));
    const contains = all.filter((s) => !s.startsWith(p) && s.includes(p));
    return [...starts, ...contains].slice(0, limit);
  }
}

/** A StoreError from src/store (recognised by name: the bot layer does not import the store). */
function isStoreFailure(err: unknown): err is { op: 'read' | 'write' } {
  return (err as Error)?.name === 'StoreError' && ((err as { op?: string }).op === 'read' || (err as { op?: string }).op === 'write');
}

/** How an option is named in messages: its label, never an internal variable name. */
function labelOf(o: OptionDef): string {
  return o.label ?? o.name;
}

function capitalized(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function parseOption(o: OptionDef, value: string): string | number | { error: string } {
  const v = value.trim();
  const label = capitalized(labelOf(o));
  if (o.autocomplete === 'symbol') {
    // Loose here: venue tickers (1000PEPEUSDT, ETH-USDT-SWAP) and cashtags ($ETH) are resolved by resolveSymbol.
    const sym = v.toUpperCase();
    if (!/^\$?[A-Z0-9][A-Z0-9._/:-]{0,29}$/.test(sym)) return { error: `"${clip(v)}" is not a symbol name: write it like ETH, $ETH, ETHUSDT or 1000PEPE.` };
    return sym;
  }
  if (o.choices) {
    const c = o.choices.find((x) => x.toLowerCase() === v.toLowerCase());
    if (!c) return { error: `${label} must be one of ${o.choices.join(', ')} (got "${clip(v)}"), e.g. ${o.choices[0]}.` };
    return c;
  }
  if (o.type === 'string') return v;
  const expects = o.expects ?? (o.type === 'integer' ? 'a whole number' : 'a number');
  const n = parseNumber(v, o);
  if (n === undefined) return { error: `${label} must be ${expects} (got "${clip(v)}").` };
  if (o.type === 'integer' && !Number.isInteger(n)) return { error: `${label} must be ${expects} (got "${clip(v)}").` };
  if (o.min !== undefined && n < o.min) return { error: `${label} must be at least ${o.min} (got ${clip(v)}); ${expects}.` };
  if (o.max !== undefined && n > o.max) return { error: `${label} must be at most ${o.max} (got ${clip(v)}); ${expects}.` };
  return n;
}

export function parseNumber(text: string, o: Pick<OptionDef, 'leverageSuffix' | 'magnitude'> = {}): number | undefined {
  let t = text.trim().replace(/,/g, '').replace(/^\$/, '');
  let mult = 1;
  if (o.leverageSuffix && /x$/i.test(t)) t = t.slice(0, -1);
  if (o.magnitude) {
    if (/k$/i.test(t)) {
      mult = 1e3;
      t = t.slice(0, -1);
    } else if (/m$/i.test(t)) {
      mult = 1e6;
      t = t.slice(0, -1);
    }
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  const n = Number(t) * mult;
  return Number.isFinite(n) ? n : undefined;
}

/** Nearest names by edit distance (for "did you mean"). */
export function nearest(input: string, names: string[], max = 3): string[] {
  const a = input.toUpperCase();
  return names
    .map((n) => ({ n, d: editDistance(a, n.toUpperCase()) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(a.length / 2)))
    .sort((x, y) => x.d - y.d || x.n.localeCompare(y.n))
    .slice(0, max)
    .map((x) => x.n);
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** Clips user input echoed back in errors, without control characters. Adapters escape it for their markup. */
function clip(s: string, n = 24): string {
  return echo(s, n);
}

/**
 * Resolves typed symbol text against the tracked set: canonical names, cashtags ($ETH) and venue
 * tickers (ETHUSDT, ETH-USDT-SWAP, 1000PEPE, 1000PEPEUSDT). `unit` is the coins per quoted price
 * the user wrote (1000 for 1000PEPE); `written` the name as written, for replies.
 */
export function resolveSymbol(services: Pick<Services, 'symbols'>, symbol: string): { symbol: string; unit: number; written: string } | { error: string } {
  const alias = resolveSymbolAlias(services.symbols, symbol);
  if (alias) return alias;
  const tracked = services.symbols.tracked();
  const plain = stripTicker(symbol.trim().replace(/^\$/, '').toUpperCase());
  const coin = plain.replace(/^(1000000|1M|10000|1000|100)(?=[A-Z])/, '');
  const near = [...new Set([...nearest(coin, tracked), ...nearest(plain, tracked)])].slice(0, 3);
  return {
    error: `Unknown symbol "${clip(symbol)}".${near.length ? ` Did you mean ${near.join(', ')}?` : ''} See /symbols.`,
  };
}
