import type { CommandDef } from '../src/bot/command.ts';
import { unavailableReply } from '../src/bot/reply.ts';
import { symbolOption } from './options.ts';

export const position: CommandDef = {
  name: 'position',
  description: 'Your own positions, watched against the zones (private)',
  usage: '/position add SYMBOL long|short ENTRY LEVERAGE [SIZE_USD] [binance|bybit] | list | plan ID | close ID',
  examples: ['/position add ETH long 3120 20x', '/position list', '/position plan 1', '/position close 1'],
  subcommands: [
    {
      name: 'add',
      description: 'Add a position to watch',
      options: [
        symbolOption(),
        { name: 'side', description: 'long or short', type: 'string', required: true, choices: ['long', 'short'] },
        { name: 'entry', description: 'Entry price', type: 'number', required: true, magnitude: true },
        { name: 'leverage', description: 'Leverage, e.g. 20', type: 'number', required: true, leverageSuffix: true },
        { name: 'size', description: 'Position size in USD (default 10000)', type: 'number', magnitude: true },
        { name: 'venue', description: 'binance (default) or bybit', type: 'string', choices: ['binance', 'bybit'] },
      ],
    },
    { name: 'list', description: 'List your positions', options: [] },
    { name: 'plan', description: 'Exit plan for a position on the current zones', options: [{ name: 'id', description: 'Position id', type: 'integer', required: true, min: 1 }] },
    { name: 'close', description: 'Stop watching a position', options: [{ name: 'id', description: 'Position id', type: 'integer', required: true, min: 1 }] },
  ],
  async run({ services, caller, args, subcommand }) {
    if (!services.positions) return unavailableReply('Positions');
    return services.positions.handle('position', caller, args, subcommand);
  },
};
