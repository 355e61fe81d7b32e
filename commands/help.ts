import type { CommandDef } from '../src/bot/command.ts';
import { echo } from '../src/format/echo.ts';

/** /help over the command list it is given (commands/index.ts passes allCommands: no import cycle). */
export function helpCommand(commands: () => readonly CommandDef[]): CommandDef {
  return {
    name: 'help',
    description: 'What liqzone can do',
    usage: '/help [COMMAND]',
    examples: ['/help', '/help exit'],
    options: [{ name: 'command', description: 'A command name', type: 'string' }],
    early: true,
    run({ args }) {
      const list = commands();
      const wanted = typeof args.command === 'string' ? args.command.replace(/^\//, '').toLowerCase() : undefined;
      if (wanted) {
        const c = list.find((x) => x.name === wanted);
        if (!c) return { ok: false, text: `No command /${echo(wanted)}. Try /help.`, tone: 'error', ephemeral: true };
        return { ok: true, title: `/${c.name}`, text: [c.description, `Usage: ${c.usage}`, ...(c.examples ?? []).map((e) => `e.g. ${e}`)].join('\n') };
      }
      const text = [
        'liqzone estimates where leveraged positions would be liquidated and turns that into exit targets and warnings. Zones are estimates from public data, not a promise.',
        '',
        ...list.map((c) => `${c.usage} — ${c.description}`),
      ].join('\n');
      return { ok: true, title: 'liqzone help', text, data: { commands: list.map((c) => ({ name: c.name, usage: c.usage })) } };
    },
  };
}
