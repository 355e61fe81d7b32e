/** Parsing of the `liqzone` command line: a verb, flags, positionals. Errors are values. */

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
  evaluate FILE [--horizon MINUTES]
                           measure zone accuracy on a recording and print a table
                           (default horizon 60 min; snapshots every horizon/6)
  deploy-commands [--guild ID]
                           register slash commands with Discord (global, or one guild)
  help                     this text`;

export function parseCli(argv: string[]): CliArgs | { error: string } {
  const [verbRaw, ...rest] = argv;
  const verb = (verbRaw ?? 'run') as Verb;
  if (!VERBS.includes(verb)) return { error: `Unknown command "${verbRaw}".` };
  const args: CliArgs = { verb, json: false, demo: false };
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = (): string | undefined => {
      const eq = a.indexOf('=');
      if (eq > 0) return a.slice(eq + 1);
      return rest[++i];
    };
    const name = a.split('=')[0];
    switch (name) {
      case '--json':
        args.json = true;
        break;
      case '--demo':
        args.demo = true;
        break;
      case '--out': {
        const v = value();
        if (!v) return { error: '--out needs a file path' };
        args.out = v;
        break;
      }
      case '--guild': {
        const v = value();
        if (!v || !/^\d{5,25}$/.test(v)) return { error: '--guild needs a numeric guild id' };
        args.guild = v;
        break;
      }
      case '--shards': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1 || v > 64) return { error: '--shards needs an integer from 1 to 64' };
        args.shards = v;
        break;
      }
      case '--minutes': {
        const v = Number(value());
        if (!(v > 0) || v > 7 * 24 * 60) return { error: '--minutes needs a positive number of minutes' };
        args.minutes = v;
        break;
      }
      case '--horizon': {
        const v = Number(value());
        if (!(v > 0) || v > 24 * 60) return { error: '--horizon needs a positive number of minutes (at most 1440)' };
        args.horizon = v;
        break;
      }
      case '--speed': {
        const v = Number(value());
        if (!(v >= 1) || v > 1000) return { error: '--speed needs a number from 1 to 1000' };
        args.speed = v;
        break;
      }
      default:
        if (a.startsWith('--')) return { error: `Unknown option ${a}` };
        positionals.push(a);
    }
  }
  if (verb === 'replay' || verb === 'evaluate') {
    if (!positionals[0]) return { error: `${verb} needs a recording FILE` };
    args.file = positionals[0];
  } else if (positionals.length) {
    return { error: `Unexpected argument "${positionals[0]}"` };
  }
  if (verb === 'record' && !args.out) return { error: 'record needs --out FILE' };
  return args;
}
