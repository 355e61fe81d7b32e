import type { CommandDef } from '../src/bot/command.ts';
import { alerts } from './alerts.ts';
import { calibration } from './calibration.ts';
import { exit } from './exit.ts';
import { forgetme } from './forgetme.ts';
import { heatmap } from './heatmap.ts';
import { helpCommand } from './help.ts';
import { position } from './position.ts';
import { signal } from './signal.ts';
import { status } from './status.ts';
import { subscribe } from './subscribe.ts';
import { subscriptions } from './subscriptions.ts';
import { symbols } from './symbols.ts';
import { unsubscribe } from './unsubscribe.ts';
import { zones } from './zones.ts';

const help = helpCommand(allCommands);

/** Every chat command, in the order /help lists them. */
export function allCommands(): CommandDef[] {
  return [zones, heatmap, exit, signal, subscribe, unsubscribe, subscriptions, alerts, position, forgetme, symbols, calibration, status, help];
}
