export { startDiscord, InteractionHandler, callerOf, optionValues, type StartDiscordOptions, type DiscordHandle } from './bot.ts';
export { deployCommands, toDiscordCommand, toDiscordCommands, type DeployCommandsOptions } from './commands.ts';
export { renderDiscordMessage, escapeDiscord, TONE_COLOR, DISCORD_LIMITS, type DiscordMessageParts } from './render.ts';
export { createDiscordSender, classifyDiscordError, type DiscordSenderOptions } from './sender.ts';
