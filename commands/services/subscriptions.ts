import type { Caller } from '../../src/bot/command.ts';
import { errorReply, type Reply } from '../../src/bot/reply.ts';
import { resolveSymbol } from '../../src/bot/registry.ts';
import { echo } from '../../src/format/echo.ts';
import type { SymbolRegistry } from '../../src/market/symbols.ts';
import { channelDestination, describeDestination, destinationKey, personalDestination } from '../../src/store/destination.ts';
import {
  ALERT_KINDS,
  formatQuietHours,
  isMuted,
  parseDuration,
  parseKinds,
  parseQuietHours,
  type AlertSettings,
} from '../../src/store/settings.ts';
import type { Store } from '../../src/store/store.ts';
import type { Destination } from '../../src/store/types.ts';
import type { SubscriptionService } from '../../src/bot/services.ts';
import { formatUsd } from '../../src/format/numbers.ts';

type Args = Record<string, string | number | undefined>;

/** Most symbols one destination may follow. */
export const MAX_SUBSCRIPTIONS_PER_DESTINATION = 25;

const MANAGE_HINT: Record<Caller['platform'], string> = {
  discord: 'members with Manage Channels',
  telegram: 'group admins',
  console: 'the operator',
};

export interface SubscriptionServiceOptions {
  store: Store;
  symbols: SymbolRegistry;
  now?: () => number;
  maxPerDestination?: number;
}

/** /subscribe, /unsubscribe, /subscriptions and /alerts on top of the store. Never throws for bad input. */
export function createSubscriptionService(opts: SubscriptionServiceOptions): SubscriptionService {
  const { store } = opts;
  const now = opts.now ?? Date.now;
  const cap = opts.maxPerDestination ?? MAX_SUBSCRIPTIONS_PER_DESTINATION;
  // resolveSymbol reads only `symbols`.
  const symbolServices = { symbols: opts.symbols };

  /** Personal, or the channel when `where=here` outside a private chat. */
  function target(caller: Caller, args: Args): { dest: Destination; channel: boolean } {
    const here = args.where === 'here' && !caller.isPrivate;
    return here ? { dest: channelDestination(caller), channel: true } : { dest: personalDestination(caller), channel: false };
  }

  function refuseManage(caller: Caller, what: string): Reply {
    return errorReply(`Only ${MANAGE_HINT[caller.platform]} can ${what} for this ${caller.platform === 'telegram' ? 'group' : 'channel'}. Without "here" it applies to you personally.`);
  }

  async function subscribe(caller: Caller, args: Args): Promise<Reply> {
    const raw = typeof args.symbol === 'string' ? args.symbol.toUpperCase() : '';
    if (!raw) return errorReply('Which symbol? e.g. /subscribe ETH', '/subscribe SYMBOL [here]');
    const resolved = resolveSymbol(symbolServices, raw);
    if ('error' in resolved) return errorReply(resolved.error);
    const { dest, channel } = target(caller, args);
    if (channel && !caller.canManage) return refuseManage(caller, 'subscribe');
    const result = await store.subscriptions.add(dest, resolved.symbol, { cap });
    if (result === 'cap') {
      const current = await store.subscriptions.list(dest);
      return errorReply(`${capitalize(describeDestination(dest))} already follows ${current.length} symbols (the limit is ${cap}): ${current.join(', ')}. /unsubscribe one first.`);
    }
    const reenabled = await store.health.enable(dest);
    if (channel) await store.owners.set(destinationKey(dest), { platform: caller.platform, userId: caller.userId, at: now() });
    const [symbols, settings] = await Promise.all([store.subscriptions.list(dest), store.settings.get(dest)]);
    const where = describeDestination(dest);
    const lines = [
      result === 'added'
        ? `Subscribed ${where} to ${resolved.symbol}: ${settings.kinds.join(', ')} alerts.`
        : `${capitalize(where)} ${channel ? 'is' : 'are'} already subscribed to ${resolved.symbol}.`,
    ];
    if (reenabled) lines.push('Delivery had been paused after failures; it is enabled again.');
    if (!channel && caller.platform === 'telegram') lines.push('Alerts arrive in your private chat with the bot: open it and press Start if you have not yet.');
    if (!channel && caller.platform === 'discord') lines.push('Alerts arrive by DM: keep DMs from server members open.');
    lines.push(`Fires within ${settings.proximityPct}% of a zone; change it with /alerts. Zones are estimates, not guarantees.`);
    return {
      ok: true,
      title: result === 'added' ? `Subscribed to ${resolved.symbol}` : `Already subscribed to ${resolved.symbol}`,
      text: lines.join('\n'),
      tone: 'neutral',
      ephemeral: !channel,
      data: { action: 'subscribe', status: result, symbol: resolved.symbol, destination: dest, symbols, settings },
    };
  }

  async function unsubscribe(caller: Caller, args: Args): Promise<Reply> {
    const raw = typeof args.symbol === 'string' ? args.symbol.toUpperCase() : '';
    if (!raw) return errorReply('Which symbol? e.g. /unsubscribe ETH (or ALL)', '/unsubscribe SYMBOL [here]');
    const { dest, channel } = target(caller, args);
    if (channel && !caller.canManage) return refuseManage(caller, 'unsubscribe');
    const where = describeDestination(dest);
    if (raw === 'ALL') {
      const removed = await store.subscriptions.removeAll(dest);
      return {
        ok: true,
        text: removed.length ? `Unsubscribed ${where} from ${removed.join(', ')}.` : `${capitalize(where)} had no subscriptions.`,
        ephemeral: !channel,
        data: { action: 'unsubscribe', removed, destination: dest, symbols: [] },
      };
    }
    // what traders write ($ETH, ETHUSDT, eth-usdt-swap) names the same symbol /subscribe stored; a symbol
    // no longer tracked is removed by its plain name
    const resolved = resolveSymbol(symbolServices, raw);
    const symbol = 'error' in resolved ? raw.replace(/^\$/, '') : resolved.symbol;
    const removed = await store.subscriptions.remove(dest, symbol);
    const symbols = await store.subscriptions.list(dest);
    if (!removed) {
      return {
        ok: false,
        text: `No subscription to ${echo(symbol)} for ${where}.${symbols.length ? ` Subscribed: ${symbols.join(', ')}.` : ''}`,
        tone: 'warning',
        ephemeral: true,
        data: { action: 'unsubscribe', removed: [], destination: dest, symbols },
      };
    }
    return {
      ok: true,
      text: `Unsubscribed ${where} from ${symbol}.${symbols.length ? ` Still subscribed: ${symbols.join(', ')}.` : ''}`,
      ephemeral: !channel,
      data: { action: 'unsubscribe', removed: [symbol], destination: dest, symbols },
    };
  }

  async function describe(dest: Destination) {
    const [symbols, settings, health] = await Promise.all([store.subscriptions.list(dest), store.settings.get(dest), store.health.get(dest)]);
    return { destination: dest, symbols, settings, disabled: health.disabled ? (health.disabledReason ?? 'delivery failed') : null };
  }

  async function list(caller: Caller): Promise<Reply> {
    const personal = await describe(personalDestination(caller));
    const channel = caller.isPrivate ? undefined : await describe(channelDestination(caller));
    const fields = [
      { name: 'You', value: personal.symbols.length ? `${personal.symbols.join(', ')}${personal.disabled ? ` (paused: ${personal.disabled})` : ''}` : 'none' },
    ];
    if (channel) fields.push({ name: caller.platform === 'telegram' ? 'This group' : 'This channel', value: channel.symbols.length ? `${channel.symbols.join(', ')}${channel.disabled ? ` (paused: ${channel.disabled})` : ''}` : 'none' });
    // The lists are in the fields (every renderer shows them); the text says what to do next.
    const text = personal.symbols.length || channel?.symbols.length ? 'Settings: /alerts show.' : 'Subscribe with /subscribe ETH (add "here" for this channel).';
    return { ok: true, title: 'Subscriptions', text, fields, ephemeral: true, data: { personal, channel: channel ?? null } };
  }

  async function alerts(caller: Caller, args: Args, subcommand: string | undefined): Promise<Reply> {
    const { dest, channel } = target(caller, args);
    const sub = subcommand ?? 'show';
    if (sub !== 'show' && channel && !caller.canManage) return refuseManage(caller, 'change alert settings');
    const t = now();
    let patch: Partial<AlertSettings> | undefined;
    let said = '';
    switch (sub) {
      case 'show':
        break;
      case 'proximity': {
        const pct = Number(args.percent);
        if (!Number.isFinite(pct) || pct < 0.05 || pct > 20) return errorReply('Proximity must be a percentage from 0.05 to 20, e.g. /alerts proximity 0.8');
        patch = { proximityPct: pct };
        said = `Alerts fire when price is within ${pct}% of a zone.`;
        break;
      }
      case 'minsize': {
        const usd = Number(args.usd);
        if (!Number.isFinite(usd) || usd < 0) return errorReply('Minimum zone size must be a USD amount of 0 or more, e.g. /alerts minsize 2m');
        patch = { minZoneUsd: usd };
        said = usd > 0 ? `Zones under ${formatUsd(usd)} are ignored.` : 'Only the 3 largest zones on each side count.';
        break;
      }
      case 'cooldown': {
        const min = Number(args.minutes);
        if (!Number.isFinite(min) || min < 0 || min > 1440) return errorReply('Cooldown must be 0 to 1440 minutes, e.g. /alerts cooldown 30');
        patch = { cooldownMin: min };
        said = min > 0 ? `At most one alert of each kind (proximity, conflict, sweep, fading) per symbol every ${min} minutes.` : 'No cooldown between alerts.';
        break;
      }
      case 'quiet': {
        const parsed = parseQuietHours(String(args.hours ?? ''));
        if (!parsed.ok) return errorReply(parsed.error, '/alerts quiet HH-HH|off');
        patch = { quietHours: parsed.value };
        said = parsed.value ? `Quiet hours ${formatQuietHours(parsed.value)}: alerts still arrive, silently.` : 'Quiet hours off.';
        break;
      }
      case 'mute': {
        const parsed = parseDuration(String(args.duration ?? ''));
        if (!parsed.ok) return errorReply(parsed.error, '/alerts mute 30m|2h|1d');
        patch = { mutedUntil: t + parsed.value };
        said = `Muted until ${new Date(t + parsed.value).toISOString().slice(0, 16).replace('T', ' ')} UTC; alerts are held and delivered after.`;
        break;
      }
      case 'unmute':
        patch = { mutedUntil: null };
        said = 'Unmuted; held alerts will follow.';
        break;
      case 'kinds': {
        const parsed = parseKinds(String(args.list ?? ''));
        if (!parsed.ok) return errorReply(parsed.error, '/alerts kinds proximity,conflict,sweep,fading');
        patch = { kinds: parsed.value };
        said = `Alert kinds: ${parsed.value.join(', ')}.`;
        break;
      }
      default:
        return errorReply(`Unknown /alerts action "${sub}".`, '/alerts show|proximity|minsize|cooldown|quiet|mute|unmute|kinds');
    }
    const settings = patch ? await store.settings.update(dest, patch) : await store.settings.get(dest);
    const health = await store.health.get(dest);
    const summary = formatSettings(settings, t);
    return {
      ok: true,
      title: `Alert settings: ${describeDestination(dest)}`,
      text: [said, summary, health.disabled ? `Delivery is paused (${health.disabledReason ?? 'failures'}); /subscribe again to resume.` : '']
        .filter(Boolean)
        .join('\n'),
      ephemeral: true,
      data: { action: 'alerts', subcommand: sub, destination: dest, settings, changed: patch ? Object.keys(patch) : [] },
    };
  }

  return {
    async handle(command, caller, args, subcommand) {
      switch (command) {
        case 'subscribe':
          return subscribe(caller, args);
        case 'unsubscribe':
          return unsubscribe(caller, args);
        case 'subscriptions':
          return list(caller);
        case 'alerts':
          return alerts(caller, args, subcommand);
        default:
          return errorReply(`Unknown subscription command "${String(command)}".`);
      }
    },
  };
}

/** One-paragraph settings summary used by /alerts. */
export function formatSettings(s: AlertSettings, t: number): string {
  return [
    `Proximity ${s.proximityPct}%`,
    `min zone ${s.minZoneUsd > 0 ? formatUsd(s.minZoneUsd) : 'the 3 largest per side'}`,
    `cooldown ${s.cooldownMin} min`,
    `quiet hours ${formatQuietHours(s.quietHours)}`,
    isMuted(t, s) ? `muted until ${new Date(s.mutedUntil!).toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'not muted',
    `kinds ${s.kinds.join(', ')} (of ${ALERT_KINDS.join(', ')})`,
    `at most ${s.dailyCap} alerts a day`,
  ].join(' · ');
}


const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
