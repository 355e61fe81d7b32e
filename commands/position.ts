import type { CommandDef } from '../src/bot/command.ts';
import { unavailableReply } from '../src/bot/reply.ts';
import { positionOptions } from './options.ts';

export const position: CommandDef = {
  name: 'position',
  saves: 'your position',
  description: 'Your own positions, watched against the zones (private)',
  usage: '/position add SYMBOL long|short ENTRY LEVERAGE [SIZE_USD] [binance|bybit|okx|hyperliquid] | list | plan ID | replan ID | close ID',
  examples: ['/position add ETH long 3120 20x', '/position list', '/position plan 1', '/position replan 1', '/position close 1'],
  subcommands: [
    {
      name: 'add',
      description: 'Add a position to watch',
      options: positionOptions(),
    },
    { name: 'list', description: 'List your positions', options: [] },
    { name: 'plan', description: 'The stored exit plan of a position, and what a fresh one would say', options: [{ name: 'id', description: 'Position id', type: 'integer', required: true, min: 1, label: 'position number', expects: 'a whole number, e.g. 1 (see /position list)' }] },
    { name: 'replan', description: 'Replace the stored plan with a fresh one on the current zones', options: [{ name: 'id', description: 'Position id', type: 'integer', required: true, min: 1, label: 'position number', expects: 'a whole number, e.g. 1 (see /position list)' }] },
    { name: 'close', description: 'Stop watching a position', options: [{ name: 'id', description: 'Position id', type: 'integer', required: true, min: 1, label: 'position number', expects: 'a whole number, e.g. 1 (see /position list)' }] },
  ],
  async run({ services, caller, args, subcommand }) {
    if (!services.positions) return unavailableReply('Positions');
    return services.positions.handle('position', caller, args, subcommand);
  },
};
