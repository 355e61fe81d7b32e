import type { CommandDef } from '../src/bot/command.ts';
import { unavailableReply } from '../src/bot/reply.ts';

export const forgetme: CommandDef = {
  name: 'forgetme',
  saves: 'the erase (some data may remain; run /forgetme again)',
  description: 'Delete everything liqzone stores about you (asks for confirmation)',
  usage: '/forgetme [confirm]',
  examples: ['/forgetme'],
  options: [{ name: 'confirm', description: '"confirm" deletes without asking again', type: 'string', choices: ['confirm'] }],
  async run({ services, caller, args }) {
    if (!services.positions) return unavailableReply('/forgetme');
    return services.positions.handle('forgetme', caller, args);
  },
};
