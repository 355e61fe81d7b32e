import { createInterface } from 'node:readline';
import type { Caller } from '../../bot/command.ts';
import type { CommandRegistry } from '../../bot/registry.ts';
import type { Reply } from '../../bot/reply.ts';
import type { Services } from '../../bot/services.ts';
import type { AlertSender, SendResult } from '../../notify/types.ts';
import type { Destination } from '../../store/types.ts';
import type { LogFn } from '../../ops/log.ts';
import { ChartFiles } from './chart-files.ts';
import { renderText, toJsonLine } from './render.ts';

export const CONSOLE_CALLER: Caller = {
  platform: 'console',
  userId: 'console',
  chatId: 'console',
  isPrivate: true,
  canManage: true,
  displayName: 'console',
};

export interface ConsoleOptions {
  registry: CommandRegistry;
  services: Services;
  json: boolean;
  chartDir: string;
  /** Where a chart that could not be rendered or written is reported (the reply still goes out, without it). */
  log?: LogFn;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Lines wait for this before running (feeds connected, state bootstrapped). */
  ready?: Promise<unknown>;
}

/**
 * The console adapter: each input line is a command as typed in chat. Lines run strictly in
 * order; the returned promise resolves when input ends and every line has been answered.
 */
export class ConsoleAdapter {
  private readonly out: NodeJS.WritableStream;
  private charts: ChartFiles | undefined;

  constructor(private readonly opts: ConsoleOptions) {
    this.out = opts.output ?? process.stdout;
  }

  async run(): Promise<void> {
    const rl = createInterface({ input: this.opts.input ?? process.stdin, crlfDelay: Infinity, terminal: false });
    const ready = Promise.resolve(this.opts.ready).then(() => undefined, () => undefined);
    // Lines run strictly in order. A line whose command needs market data waits until the feeds
    // have their start-up history (so a piped `/zones ETH` gets zones, not "warming up"); /help and
    // /status answer at once — and so does anything typed after them, once they are answered.
    let chain: Promise<void> = Promise.resolve();
    for await (const raw of rl) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const early = this.isEarly(line);
      chain = chain.then(() => (early ? this.handle(line) : ready.then(() => this.handle(line))));
    }
    await chain;
  }

  private isEarly(line: string): boolean {
    const name = /^\/?([a-z_-]+)/i.exec(line)?.[1]?.toLowerCase();
    return name !== undefined && this.opts.registry.get(name)?.early === true;
  }

  async handle(line: string): Promise<void> {
    const text = line.startsWith('/') ? line : `/${line}`;
    const reply = await this.opts.registry.dispatchLine(text, CONSOLE_CALLER, this.opts.services);
    await this.write(line, reply);
  }

  /** Alerts and command replies share one output stream, one line (JSON) or block (text) each. */
  async write(command: string | null, reply: Reply, alert?: ConsoleJsonLine_Alert): Promise<void> {
    const image = await this.saveImage(reply);
    if (this.opts.json) {
      const obj = toJsonLine(command, reply, image);
      if (alert) obj.alert = alert;
      this.out.write(`${JSON.stringify(obj)}\n`);
    } else {
      const head = alert ? `[alert · ${alert.kind}] ` : '';
      this.out.write(`${head}${renderText(reply, image ?? undefined)}\n\n`);
    }
  }

  /** The notifier's sender for `console` destinations: prints alerts inline. */
  sender(): AlertSender {
    return {
      platform: 'console',
      send: async (dest: Destination, reply: Reply, opts: { silent: boolean }): Promise<SendResult> => {
        const kind = (reply.data as { kind?: string } | undefined)?.kind ?? 'alert';
        await this.write(null, reply, { kind: opts.silent ? `${kind} (quiet hours)` : kind, destination: `${dest.kind}:${dest.id}` });
        return { ok: true };
      },
    };
  }

  private async saveImage(reply: Reply): Promise<string | null> {
    if (!reply.image) return null;
    try {
      const png = await reply.image.render();
      this.charts ??= new ChartFiles({ dir: this.opts.chartDir });
      return this.charts.save(reply.image.name, png);
    } catch (err) {
      this.opts.log?.('error', 'chart not rendered or not written', { image: reply.image.name, dir: this.opts.chartDir, err });
      return null;
    }
  }
}

type ConsoleJsonLine_Alert = { kind: string; destination: string };
