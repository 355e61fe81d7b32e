/**
 * /position add|list|plan|close and /forgetme on top of the store. Positions are the user's
 * alone: every reply is ephemeral (Discord: only the caller sees it), and in a Telegram group the
 * commands are refused with a pointer to the private chat, because there a personal answer could
 * fall back into the group. Never throws for bad input.
 */
import { exitPlanReply, pnlText } from '../exit.ts';
import type { Caller } from '../../src/bot/command.ts';
import { errorReply, type Reply, type ReplyButton } from '../../src/bot/reply.ts';
import { z } from 'zod';
import { typedArgs } from '../../src/bot/args.ts';
import { parseExitRequest } from '../../src/bot/exit-request.ts';
import type { ChartService, ZoneService } from '../../src/bot/services.ts';
import { formatPercent, formatPrice, formatSignedPercent, formatUsd } from '../../src/format/numbers.ts';
import type { ExitPlan, } from '../../src/engine/types.ts';
import type { SymbolRegistry } from '../../src/market/symbols.ts';
import { describeDestination, personalDestination } from '../../src/store/destination.ts';
import type { Store } from '../../src/store/store.ts';
import type { PositionService } from '../../src/bot/services.ts';
import { forgetUser, storedAbout, type Eraser } from '../../src/positions/forget.ts';
import { pnlPct, positionName, storedAsExitPlan, storedPlanLine } from '../../src/positions/format.ts';
import { samePlan, storedPlanOf } from '../../src/positions/plan.ts';
import { PositionRepo } from '../../src/positions/repo.ts';
import { DEFAULT_WATCH_PARAMS, liquidationThresholdPct, type WatchParams } from '../../src/positions/rules.ts';
import type { Position } from '../../src/positions/types.ts';
import { exitRequestOf, PositionWatcher } from '../../src/positions/watcher.ts';

type Args = Record<string, string | number | undefined>;

/** `/position plan|replan|close ID`: the position number. */
const positionIdArgs = z.object({
  id: z.number({ message: 'Which position? Give its number, e.g. /position plan 1 (see /position list).' }).int('Which position? Give its number, e.g. /position plan 1 (see /position list).').min(1, 'Which position? Give its number, e.g. /position plan 1 (see /position list).'),
});

/** Most positions one user may have watched. */
export const MAX_POSITIONS_PER_USER = 10;

export const POSITION_USAGE = '/position add SYMBOL long|short ENTRY LEVERAGE [SIZE_USD] [binance|bybit|okx|hyperliquid] | list | plan ID | replan ID | close ID';

export interface PositionServiceOptions {
  store: Store;
  zones: ZoneService;
  charts?: ChartService;
  now?: () => number;
  maxPerUser?: number;
  /** Tracked symbols: when given, unknown symbols are refused with suggestions. */
  symbols?: SymbolRegistry;
  /** The Telegram bot's username, once the adapter knows it: group refusals link to the private chat. */
  telegramBotUsername?: () => string | undefined;
  /** Watch rule parameters (see WatchParams). */
  watch?: Partial<WatchParams>;
}

export interface PositionFeature extends PositionService {
  /** The notifier's alert source for positions (`new Notifier({ sources: [feature.watcher] })`). */
  readonly watcher: PositionWatcher;
  readonly repo: PositionRepo;
  /** Registers what /forgetme must also run (the notifier's `forgetDestination`). */
  addEraser(eraser: Eraser): void;
}

export function createPositionService(opts: PositionServiceOptions): PositionFeature {
  const { store, zones } = opts;
  const now = opts.now ?? Date.now;
  const cap = opts.maxPerUser ?? MAX_POSITIONS_PER_USER;
  const repo = new PositionRepo(store);
  const watcher = new PositionWatcher({ repo, store, zones, params: opts.watch });
  const erasers: Eraser[] = [];
  const liqParams = { ...DEFAULT_WATCH_PARAMS, ...opts.watch };

  const privateReply = (r: Omit<Reply, 'ephemeral'>): Reply => ({ ...r, ephemeral: true });
  const fail = (message: string, usage?: string): Reply => errorReply(message, usage);

  /** Telegram groups: refuse (no position data in the answer), pointing at the private chat. */
  function refuseInGroup(caller: Caller, command: 'position' | 'forgetme'): Reply | undefined {
    if (caller.platform !== 'telegram' || caller.isPrivate) return undefined;
    const bot = opts.telegramBotUsername?.();
    const link = bot ? `https://t.me/${bot}?start=${command === 'position' ? 'positions' : 'forgetme'}` : undefined;
    return {
      ok: false,
      title: command === 'position' ? 'Positions are private' : '/forgetme is private',
      text: [
        command === 'position'
          ? 'Your positions are yours alone, so liqzone does not handle them in a group.'
          : 'Deleting your data is done in private, not in a group.',
        link
          ? `Open your private chat with the bot (${link}), press Start, then send /${command} there.`
          : `Open a private chat with the bot, press Start, then send /${command} there.`,
      ].join('\n'),
      tone: 'warning',
      ephemeral: true,
      ...(link ? { data: { private: true, link } } : { data: { private: true } }),
    };
  }

  function planOf(p: Position): ExitPlan | { error: string } {
    return zones.planExit(exitRequestOf(p));
  }

  async function add(caller: Caller, args: Args): Promise<Reply> {
    const usage = '/position add SYMBOL long|short ENTRY LEVERAGE [SIZE_USD] [binance|bybit|okx|hyperliquid]';
    const parsed = parseExitRequest(args, { symbols: opts.symbols, zones, command: '/position add' });
    if (!parsed.ok) return parsed.warming ? privateReply({ ok: false, text: parsed.error, tone: 'warning' }) : fail(parsed.error);
    // Stored per coin (what the alerts compare with the mark price), whatever unit the user wrote.
    const { canonical, quoted, written } = parsed.value;
    const { symbol, side, entry, leverage, sizeUsd, venue } = canonical;
    // The planner runs the venue's bracket math: leverage above the bracket cap is refused here.
    const plan = zones.planExit(canonical);
    if ('error' in plan) return fail(plan.error, usage);
    // A position the price has already liquidated is nothing to watch (and its first alert would be a
    // false "liquidation price crossed"): refuse it and say why.
    if (plan.alreadyLiquidated) {
      return fail(
        `At the current price ${formatPrice(plan.price, symbol)} a ${side} from ${formatPrice(entry, symbol)} at ${leverage}x would already be liquidated (estimated liquidation ${formatPrice(plan.liquidationPrice, symbol)}): nothing to watch. Check the entry and the leverage.`,
      );
    }
    const unit = quoted.priceUnit ?? 1;
    const unitNote = unit === 1 ? undefined : `${written} ${formatPrice(quoted.entry)} is stored per coin as ${symbol} ${formatPrice(entry, symbol)} (÷ ${unit}); plans and alerts quote ${symbol} per coin.`;

    const openedAt = now();
    const stored = storedPlanOf(plan, openedAt);
    const added = await repo.add(caller.platform, caller.userId, { symbol, side, entry, leverage, sizeUsd, venue, openedAt, liquidationPrice: plan.liquidationPrice, plan: stored }, cap);
    if (!added.ok) return fail(`You already watch ${added.count} positions (the limit is ${cap}). /position close one first (see /position list).`);
    const p = added.position;
    const where = describeDestination(personalDestination(caller));
    const liqDist = ((plan.liquidationPrice - plan.price) / plan.price) * 100;
    const threshold = liquidationThresholdPct(p, plan.liquidationPrice, liqParams);
    const lines = [
      `Watching ${positionName(p)}, ${formatUsd(sizeUsd)} on ${({ binance: 'Binance', bybit: 'Bybit', okx: 'OKX', hyperliquid: 'Hyperliquid' } as const)[venue]} as #${p.id}.`,
      `Estimated liquidation ${formatPrice(plan.liquidationPrice, p.symbol)} (${formatSignedPercent(liqDist)} from the price ${formatPrice(plan.price, p.symbol)}).`,
      `Plan (stored; alerts watch it, /position replan ${p.id} changes it): ${storedPlanLine(p, stored)}`,
      `Alerts go to ${where}: price near your target cluster, that cluster swept, a cluster building before your liquidation price, timeframes turning conflicted, and — urgent, even in quiet hours — the mark within ${formatPercent(threshold)} of your liquidation price.`,
      ...(unitNote ? [unitNote] : []),
      ...plan.warnings.map((w) => `⚠ ${w}`),
      caller.platform === 'telegram' ? 'Positions are stored for you alone; /forgetme deletes everything.' : 'Only you see this; /forgetme deletes everything.',
    ];
    return privateReply({
      ok: true,
      title: `Position #${p.id}: ${positionName(p)}`,
      text: lines.join('\n'),
      tone: plan.warnings.length ? 'warning' : 'neutral',
      buttons: [
        { action: `/position plan ${p.id}`, label: `Plan #${p.id}` },
        { action: '/position list', label: 'My positions' },
      ],
      data: { action: 'add', position: p, plan: stored, liquidationPrice: plan.liquidationPrice, targets: plan.targets, stop: plan.stop, ...(plan.noStop ? { noStop: plan.noStop } : {}), warnings: plan.warnings },
    });
  }

  /**
   * Positions stored before plans existed get one, computed once on first read from the current
   * zones and stored (never recomputed after). Returns the positions and the ids that got one now.
   */
  async function withPlans(caller: Caller): Promise<{ positions: Position[]; backfilled: number[] }> {
    const positions = await repo.list(caller.platform, caller.userId);
    const backfilled: number[] = [];
    const out: Position[] = [];
    for (const p of positions) {
      if (p.plan) {
        out.push(p);
        continue;
      }
      const fresh = planOf(p);
      if ('error' in fresh) {
        out.push(p);
        continue;
      }
      const computed = storedPlanOf(fresh, now(), true);
      const plan = await repo.setPlan(caller.platform, caller.userId, p.id, computed, true);
      if (plan === computed) backfilled.push(p.id);
      out.push(plan ? { ...p, plan, liquidationPrice: plan.liquidationPrice } : p);
    }
    return { positions: out, backfilled };
  }

  const backfillNote = (ids: number[]) =>
    ids.length ? `${ids.map((id) => `#${id}`).join(', ')} had no stored plan (added before plans were kept): computed now from the current zones and stored; it stays fixed from here on.` : undefined;

  async function list(caller: Caller): Promise<Reply> {
    const { positions, backfilled } = await withPlans(caller);
    if (positions.length === 0) {
      return privateReply({ ok: true, title: 'Your positions', text: 'You have no watched positions. Add one with /position add ETH long 3120 20x.', data: { action: 'list', positions: [] } });
    }
    const rows = positions.map((p) => {
      const fresh = planOf(p);
      const gone = p.likelyLiquidatedAt !== undefined ? ` · LIKELY LIQUIDATED (liquidation price crossed ${new Date(p.likelyLiquidatedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC; /position close ${p.id} removes it)` : '';
      const stored = (p.plan ? ` · ${storedPlanLine(p, p.plan, { short: true })}` : ' · no stored plan yet (no zone data)') + gone;
      if ('error' in fresh) return { p, line: `#${p.id} ${positionName(p)} · ${formatUsd(p.sizeUsd)} ${p.venue} — no live data (${fresh.error})${stored}`, price: undefined };
      const pnl = pnlPct(p, fresh.price);
      const liq = p.plan?.liquidationPrice ?? fresh.liquidationPrice;
      // how far price still is from the liquidation price, in the position's direction ("crossed" once behind it)
      const liqAway = ((fresh.price - liq) / fresh.price) * 100 * (p.side === 'long' ? 1 : -1);
      return {
        p,
        price: fresh.price,
        line: `#${p.id} ${positionName(p)} · ${formatUsd(p.sizeUsd)} ${p.venue} — now ${formatPrice(fresh.price, p.symbol)} (${formatSignedPercent(pnl.move)}, ${formatSignedPercent(pnl.onMargin, 1)} on margin) · liq ${formatPrice(liq, p.symbol)} (${liqAway > 0 ? `${formatPercent(liqAway)} away` : 'crossed'})${stored}`,
      };
    });
    const buttons: ReplyButton[] = positions.slice(0, 5).map((p) => ({ action: `/position plan ${p.id}`, label: `Plan #${p.id}` }));
    const note = backfillNote(backfilled);
    return privateReply({
      ok: true,
      title: `Your positions (${positions.length}/${cap})`,
      text: [...rows.map((r) => r.line), ...(note ? [note] : []), 'Estimates on liquidation zones; not financial advice.'].join('\n'),
      buttons,
      data: {
        action: 'list',
        positions: rows.map((r) => ({ ...r.p, ...(r.price !== undefined ? { price: r.price } : {}) })),
        ...(backfilled.length ? { backfilled } : {}),
      },
    });
  }

  async function find(caller: Caller, args: Args): Promise<Position | Reply> {
    const parsed = typedArgs(positionIdArgs, args);
    if (!parsed.ok) return fail(parsed.error);
    const { id } = parsed.value;
    const p = (await repo.list(caller.platform, caller.userId)).find((x) => x.id === id);
    return p ?? fail(`You have no position #${id}. See /position list.`);
  }

  async function findWithPlan(caller: Caller, args: Args): Promise<{ p: Position; backfilled: number[] } | Reply> {
    const parsed = typedArgs(positionIdArgs, args);
    if (!parsed.ok) return fail(parsed.error);
    const { id } = parsed.value;
    const { positions, backfilled } = await withPlans(caller);
    const p = positions.find((x) => x.id === id);
    return p ? { p, backfilled: backfilled.filter((b) => b === id) } : fail(`You have no position #${id}. See /position list.`);
  }

  async function plan(caller: Caller, args: Args): Promise<Reply> {
    const found = await findWithPlan(caller, args);
    if (!('p' in found)) return found;
    const { p } = found;
    const snap = zones.snapshot(p.symbol);
    if (!snap) return privateReply({ ok: false, text: `No data yet for ${p.symbol}, warming up. Try again in a few seconds.`, tone: 'warning' });
    const fresh = planOf(p);
    if ('error' in fresh) return fail(fresh.error);
    const stored = p.plan ?? storedPlanOf(fresh, now());
    // The chart and the fields show the stored plan; the fresh plan is a suggestion next to it.
    const asPlan = storedAsExitPlan(p, stored, fresh);
    const base = exitPlanReply(asPlan, snap, opts.charts, { fromEntry: true });
    const same = samePlan(stored, storedPlanOf(fresh, 0), fresh.price);
    const freshLine = same
      ? 'A fresh plan on the current zones says the same.'
      : `A fresh plan on the current zones would say: ${storedPlanLine(p, storedPlanOf(fresh, 0))}${fresh.noStop ? ` (no stop: ${fresh.noStop})` : ''}. Adopt it with /position replan ${p.id}.`;
    const note = backfillNote(found.backfilled);
    const fields = base.fields ?? [];
    return privateReply({
      ...base,
      title: `Position #${p.id}: ${p.symbol} ${p.side} exit plan (estimated)`,
      text: [
        `Open since ${isoMinute(p.openedAt)} UTC; ${pnlText(fresh)}.`,
        `Stored plan from ${isoMinute(stored.plannedAt)} UTC${stored.priceAtPlan !== undefined ? ` (price then ${formatPrice(stored.priceAtPlan, p.symbol)})` : ''}: alerts watch this one.`,
        ...(note ? [note] : []),
        base.text,
      ].join('\n'),
      fields: [...fields, { name: 'Fresh plan (now)', value: freshLine, inline: false }],
      buttons: [
        ...(same ? [] : [{ action: `/position replan ${p.id}`, label: `Replan #${p.id}` }]),
        { action: `/position close ${p.id}`, label: `Close #${p.id}` },
        { action: `/zones ${p.symbol}`, label: `Zones ${p.symbol}` },
      ],
      data: {
        ...(base.data as object),
        action: 'plan',
        positionId: p.id,
        storedPlan: stored,
        freshPlan: { stop: fresh.stop, targets: fresh.targets, liquidationPrice: fresh.liquidationPrice, ...(fresh.noStop ? { noStop: fresh.noStop } : {}) },
        freshDiffers: !same,
        ...(found.backfilled.length ? { backfilled: true } : {}),
      },
    });
  }

  async function replan(caller: Caller, args: Args): Promise<Reply> {
    const found = await findWithPlan(caller, { ...args });
    if (!('p' in found)) return found;
    const { p } = found;
    const fresh = planOf(p);
    if ('error' in fresh) return fail(`Cannot re-plan #${p.id} now: ${fresh.error}`);
    const before = p.plan;
    const next = storedPlanOf(fresh, now());
    const stored = await repo.setPlan(caller.platform, caller.userId, p.id, next);
    if (!stored) return fail(`You have no position #${p.id}. See /position list.`);
    const lines = [
      `Re-planned #${p.id} ${positionName(p)} on the current zones (price ${formatPrice(fresh.price)}).`,
      before ? `Was: ${storedPlanLine(p, before)}` : undefined,
      `Now: ${storedPlanLine(p, next)}`,
      ...(fresh.noStop ? [`No stop: ${fresh.noStop}.`] : []),
      'Alerts now watch the new plan.',
    ].filter((x): x is string => x !== undefined);
    return privateReply({
      ok: true,
      title: `Position #${p.id}: re-planned`,
      text: lines.join('\n'),
      tone: fresh.warnings.length ? 'warning' : 'neutral',
      buttons: [{ action: `/position plan ${p.id}`, label: `Plan #${p.id}` }],
      data: { action: 'replan', positionId: p.id, before: before ?? null, plan: next, warnings: fresh.warnings },
    });
  }

  const isoMinute = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');

  async function close(caller: Caller, args: Args): Promise<Reply> {
    const p = await find(caller, args);
    if (!('id' in p)) return p;
    await repo.close(caller.platform, caller.userId, p.id);
    return privateReply({ ok: true, title: `Closed #${p.id}`, text: `Stopped watching #${p.id} ${positionName(p)}. No more alerts about it.`, data: { action: 'close', position: p } });
  }

  async function forgetme(caller: Caller, args: Args): Promise<Reply> {
    if (args.confirm !== 'confirm') {
      const about = await storedAbout(store, repo, caller.platform, caller.userId);
      return privateReply({
        ok: true,
        title: 'Delete everything liqzone stores about you?',
        text: [
          `This deletes your ${about.positions} watched position${about.positions === 1 ? '' : 's'}, your personal subscriptions${about.subscriptions.length ? ` (${about.subscriptions.join(', ')})` : ''}, your alert settings, and the record of alerts sent to you. It cannot be undone.`,
          'Subscriptions you set up for a channel or group stay (they belong to the channel), but your name is removed from them.',
          'Press the button (or send /forgetme confirm) to delete.',
        ].join('\n'),
        tone: 'warning',
        buttons: [{ action: '/forgetme confirm', label: 'Delete everything' }],
        data: { action: 'forgetme', confirmed: false, stored: about },
      });
    }
    const report = await forgetUser(store, repo, caller.platform, caller.userId, erasers);
    return privateReply({
      ok: true,
      title: 'Deleted',
      text: [
        `Deleted ${report.positions} position${report.positions === 1 ? '' : 's'}${report.subscriptions.length ? `, your subscriptions to ${report.subscriptions.join(', ')}` : ''}, your alert settings and your alert history.`,
        report.ownedChannels ? `Your name was removed from ${report.ownedChannels} channel subscription${report.ownedChannels === 1 ? '' : 's'} you set up.` : undefined,
        'liqzone keeps nothing else about you.',
      ]
        .filter(Boolean)
        .join('\n'),
      data: { action: 'forgetme', confirmed: true, ...report },
    });
  }

  return {
    watcher,
    repo,
    addEraser(eraser) {
      erasers.push(eraser);
    },
    async handle(command, caller, args, subcommand) {
      const refused = refuseInGroup(caller, command);
      if (refused) return refused;
      if (command === 'forgetme') return forgetme(caller, args);
      if (command !== 'position') return fail(`Unknown command "${String(command)}".`);
      switch (subcommand) {
        case 'add':
          return add(caller, args);
        case 'list':
          return list(caller);
        case 'plan':
          return plan(caller, args);
        case 'replan':
          return replan(caller, args);
        case 'close':
          return close(caller, args);
        default:
          return fail(subcommand ? `Unknown /position action "${subcommand}".` : '/position needs an action (add|list|plan|replan|close).', POSITION_USAGE);
      }
    },
  };
}
