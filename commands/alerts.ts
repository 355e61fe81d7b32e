import type { CommandDef } from '../src/bot/command.ts';
import { unavailableReply } from '../src/bot/reply.ts';

const where = { name: 'where', description: '"here" changes this channel/group\'s settings', type: 'string', choices: ['here', 'me'] } as const;

export const alerts: CommandDef = {
  name: 'alerts',
  saves: 'your alert settings',
  description: 'Alert settings: proximity, minimum zone size, cooldown, quiet hours, mute',
  usage: '/alerts show|proximity PCT|minsize USD|cooldown MINUTES|quiet HH-HH|mute DURATION|unmute|kinds LIST [here]',
  examples: ['/alerts show', '/alerts proximity 0.8', '/alerts minsize 2m', '/alerts quiet 22-07', '/alerts mute 2h'],
  subcommands: [
    { name: 'show', description: 'Show the current settings', options: [where] },
    { name: 'proximity', description: 'Alert when price is within this % of a zone', options: [{ name: 'percent', description: 'e.g. 0.8', type: 'number', required: true, min: 0.05, max: 20, expects: 'a percent from 0.05 to 20, e.g. 0.8' }, where] },
    { name: 'minsize', description: 'Ignore zones smaller than this USD notional', options: [{ name: 'usd', description: 'e.g. 2m', type: 'number', required: true, magnitude: true, min: 0, label: 'size', expects: 'a number of USD, e.g. 10000 or 10k' }, where] },
    { name: 'cooldown', description: 'Minutes between alerts of one kind per symbol', options: [{ name: 'minutes', description: 'e.g. 30', type: 'number', required: true, min: 0, max: 1440, expects: 'a number of minutes from 0 to 1440, e.g. 30' }, where] },
    { name: 'quiet', description: 'Quiet hours UTC, e.g. 22-07 (alerts arrive silently), or "off"', options: [{ name: 'hours', description: 'HH-HH or off', type: 'string', required: true }, where] },
    { name: 'mute', description: 'Mute alerts for a duration, e.g. 30m, 2h, 1d', options: [{ name: 'duration', description: 'e.g. 2h', type: 'string', required: true }, where] },
    { name: 'unmute', description: 'End a mute', options: [where] },
    { name: 'kinds', description: 'Alert kinds, comma separated: proximity,conflict,sweep,fading', options: [{ name: 'list', description: 'e.g. proximity,conflict', type: 'string', required: true }, where] },
  ],
  async run({ services, caller, args, subcommand }) {
    if (!services.subscriptions) return unavailableReply('Alert settings');
    return services.subscriptions.handle('alerts', caller, args, subcommand);
  },
};
