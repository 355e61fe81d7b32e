/** Parsing of the `liqzone` command line (node:util parseArgs): a verb, flags, positionals. Errors are values. */
import { parseArgs } from 'node:util';

export const VERBS = ['run', 'console', 'demo', 'replay', 'record', 'evaluate', 'deploy-commands', 'help'] as const;
export type Verb = (typeof VERBS)[number];

export interface CliArgs {
  verb: Verb;
  json: boolean;
  out?: string;
  file?: string;
  guild?: string;
  shards?: number;
  minutes?: number;
  demo: boolean;
  speed?: number;
  /** evaluate: scoring horizon, minutes. */
  horizon?: number;
  /** evaluate: only the signal section. */
  signals?: boolean;
}

export const USAGE = `Usage: liqzone <command> [options]

Commands:
  run                      run the bot on live venues (chat platforms by token; console when none)
  console [--json]         live venues, answer commands typed on stdin
  demo [--json] [--speed X]
                           simulated venues on loopback (no network needed), platforms as in run
  record --out FILE [--minutes N] [--demo [--speed X]]
                           record raw venue frames (live, or the simulated demo, optionally
                           X times faster than real time) to FILE
  replay FILE [--json]     replay a recording, then answer commands from stdin against it
  evaluate FILE [--horizon MINUTES] [--signals]
                           measure zone and signal accuracy on a recording and print tables
                           (--signals: only the signal table)
                           (default horizon 60 min; snapshots every horizon/6)
  deploy-commands [--guild ID]
                           register slash commands with Discord (global, or one guild)
  help, --help, -h         this text

Configuration comes from the environment; a .env file in the working directory is read too
(the environment wins). See .env.example for every key.`;

const OPTIONS = {
  json: { type: 'boolean' },
  demo: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  out: { type: 'string' },
  guild: { type: 'string' },
  shards: { type: 'string' },
  minutes: { type: 'string' },
  horizon: { type: 'string' },
  signals: { type: 'boolean' },
  speed: { type: 'string' },
} as const;

/** `liqzone [VERB] [options]` via node:util parseArgs; `--help`/`-h` anywhere means the help verb. */
export function parseCli(argv: string[]): CliArgs | { error: string } {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    return { error: cliError(err as Error & { code?: string }) };
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { verb: 'help', json: false, demo: false };
  const [verbRaw, ...rest] = positionals;
  const verb = (verbRaw ?? 'run') as Verb;
  if (!VERBS.includes(verb)) return { error: `Unknown command "${verbRaw}".` };
  const args: CliArgs = { verb, json: v.json ?? false, demo: v.demo ?? false };
  if (v.out !== undefined) {
    if (!v.out) return { error: '--out needs a file path' };
    args.out = v.out;
  }
  if (v.guild !== undefined) {
    if (!/^\d{5,25}$/.test(v.guild)) return { error: '--guild needs a numeric guild id' };
    args.guild = v.guild;
  }
  if (v.shards !== undefined) {
    const n = Number(v.shards);
    if (!Number.isInteger(n) || n < 1 || n > 64) return { error: '--shards needs an integer from 1 to 64' };
    args.shards = n;
  }
  if (v.minutes !== undefined) {
    const n = Number(v.minutes);
    if (!(n > 0) || n > 7 * 24 * 60) return { error: '--minutes needs a positive number of minutes' };
    args.minutes = n;
  }
  if (v.horizon !== undefined) {
    const n = Number(v.horizon);
    if (!(n > 0) || n > 24 * 60) return { error: '--horizon needs a positive number of minutes (at most 1440)' };
    args.horizon = n;
  }
  if (v.signals) args.signals = true;
  if (v.speed !== undefined) {
    const n = Number(v.speed);
    if (!(n >= 1) || n > 1000) return { error: '--speed needs a number from 1 to 1000' };
    args.speed = n;
  }
  if (verb === 'replay' || verb === 'evaluate') {
    if (!rest[0]) return { error: `${verb} needs a recording FILE` };
    args.file = rest[0];
    if (rest[1] !== undefined) return { error: `Unexpected argument "${rest[1]}"` };
  } else if (rest.length) {
    return { error: `Unexpected argument "${rest[0]}"` };
  }
  if (verb === 'record' && !args.out) return { error: 'record needs --out FILE' };
  return args;
}

/** parseArgs' messages name its own API; say it the CLI's way. */
function cliError(err: Error & { code?: string }): string {
  const option = /'(-{1,2}[^'\s]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `Unknown option ${option ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option ? `${option} ${/ does not take an argument/.test(err.message) ? 'takes no value' : 'needs a value'}` : err.message;
    default:
      return err.message;
  }
}
