import type { CommandDef } from '../src/bot/command.ts';
import { unavailableReply } from '../src/bot/reply.ts';

export const subscriptions: CommandDef = {
  name: 'subscriptions',
  description: 'List your subscriptions and this channel/group\'s',
  usage: '/subscriptions',
  examples: ['/subscriptions'],
  options: [],
  async run({ services, caller, args }) {
    if (!services.subscriptions) return unavailableReply('Subscriptions');
    return services.subscriptions.handle('subscriptions', caller, args);
  },
};
